import { describe, expect, it } from 'vitest';
import { AggregationTemporality, DataPointType, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import type { DataPoint, Histogram } from '@opentelemetry/sdk-metrics';
import { routingStats, summarizeTurns } from '../../runtime/stats.js';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resumeThread, runTurn } from '../../runtime/turn.js';
import type { RoutingStats } from '../../runtime/stats.js';
import { runCli } from '../cli/run-cli.js';
import type { TurnResult } from '../../runtime/turn.js';
import { openTelemetryMetrics } from '../../tracing/metrics.js';
import { formatStats, parseWhen } from '../../cli/commands/stats.js';
import { compileExample, fakeOpenAIForFile, viaFakeOpenAI } from '../helpers.js';

const server = await fakeOpenAIForFile();

/** A reader that collects on demand (no timers). */
class TestReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

/**
 * The scripted set: three conversations, four turns.
 * - a: triage → billing, billing answers; then billing answers directly.
 * - b: triage → technical → escalation_manager → human_agent (waits for a person).
 * - c: triage calls a tool the tree does not have (refused), then answers.
 */
async function scriptedConversations() {
  const reader = new TestReader({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  const meterProvider = new MeterProvider({ readers: [reader] });
  const metrics = openTelemetryMetrics({ meter: meterProvider.getMeter('test'), tree: 'support', humans: ['human_agent'] });
  const { graph } = await compileExample('support', { ...viaFakeOpenAI(server), observers: [metrics] });
  const results: TurnResult[] = [];
  server.enqueue({ content: '', toolCalls: [{ name: 'transfer_to_billing', arguments: { reason: 'double charge' } }] }, { content: 'I see both charges.' });
  results.push(await runTurn(graph, { threadId: 'stats-a', message: 'charged twice' }));
  server.enqueue({ content: 'Refund issued.', usage: { prompt_tokens: 300, completion_tokens: 40 } });
  results.push(await runTurn(graph, { threadId: 'stats-a', message: 'please refund one' }));
  server.enqueue(
    { content: '', toolCalls: [{ name: 'transfer_to_technical', arguments: { reason: 'webhook 502' } }] },
    { content: '', toolCalls: [{ name: 'escalate_to_manager', arguments: { reason: 'two failed fixes' } }] },
    { content: '', toolCalls: [{ name: 'escalate_to_human', arguments: { reason: 'customer insists', summary: 'webhook 502, two fixes failed' } }] },
  );
  results.push(await runTurn(graph, { threadId: 'stats-b', message: 'webhook broken, I want a person' }));
  server.enqueue({ content: '', toolCalls: [{ name: 'transfer_to_legal', arguments: {} }] }, { content: 'How can I help?' });
  results.push(await runTurn(graph, { threadId: 'stats-c', message: 'hello' }));
  return { graph, results, reader };
}

describe('routing analytics', () => {
  it('routingStats() and the OpenTelemetry metrics equal the counts of a scripted set of conversations', async () => {
    const { graph, results, reader } = await scriptedConversations();
    expect(results.map((result) => result.status)).toEqual(['done', 'done', 'waiting', 'done']);

    const stats = await routingStats(graph);
    expect(stats).toMatchObject({
      tree: 'support',
      conversations: 3,
      turns: 4,
      statuses: { done: 3, waiting: 1 },
      handoffs: 4,
      escalations: { toPerson: 1, toManager: 1, personRate: 1 / 3, managerRate: 1 / 3 },
      refused: [{ code: 'UNKNOWN_TOOL', count: 1 }],
      pingPongs: 0,
      limits: [],
      fallbacks: { agent: 0, model: 0 },
    });
    expect(stats.handoffsPerConversation).toBeCloseTo(4 / 3, 10);
    expect(stats.paths).toEqual([
      { from: 'escalation_manager', to: 'human_agent', kind: 'escalate', count: 1 },
      { from: 'technical', to: 'escalation_manager', kind: 'escalate', count: 1 },
      { from: 'triage', to: 'billing', kind: 'delegate', count: 1 },
      { from: 'triage', to: 'technical', kind: 'delegate', count: 1 },
    ]);
    // Cost per path: exactly what the turns reported.
    const expectedByPath = new Map<string, number>();
    for (const result of results) for (const [path, usage] of Object.entries(result.usage.byPath)) expectedByPath.set(path, (expectedByPath.get(path) ?? 0) + usage.costUsd);
    expect(Object.fromEntries(stats.cost.byPath.map((row) => [row.path, row.costUsd]))).toEqual(Object.fromEntries(expectedByPath));
    expect(stats.cost.totalUsd).toBeCloseTo(results.reduce((sum, result) => sum + result.usage.total.costUsd, 0), 12);
    expect(stats.cost.totalUsd).toBeGreaterThan(0);

    const text = formatStats(stats);
    expect(text).toContain('3 conversations, 4 turns (3 done, 1 waiting)');
    expect(text).toContain('4 handoffs, 1.33 per conversation');
    expect(text).toContain('technical → escalation_manager (escalate)');

    // The same figures as OpenTelemetry instruments.
    const { resourceMetrics } = await reader.collect();
    const all = resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics);
    const points = (name: string) => all.find((metric) => metric.descriptor.name === name)?.dataPoints ?? [];
    const sum = (name: string, where: Record<string, string> = {}) =>
      (points(name) as DataPoint<number>[]).filter((point) => Object.entries(where).every(([key, value]) => point.attributes[key] === value)).reduce((total, point) => total + point.value, 0);
    expect(sum('switchboard.turns')).toBe(4);
    expect(sum('switchboard.turns', { 'switchboard.turn.status': 'waiting' })).toBe(1);
    expect(sum('switchboard.handoffs')).toBe(4);
    expect(sum('switchboard.handoffs', { 'switchboard.handoff.from': 'triage', 'switchboard.handoff.to': 'billing', 'switchboard.handoff.kind': 'delegate' })).toBe(1);
    expect(sum('switchboard.escalations', { 'switchboard.escalation.target': 'person' })).toBe(1);
    expect(sum('switchboard.escalations', { 'switchboard.escalation.target': 'agent' })).toBe(1);
    expect(sum('switchboard.handoff.refusals', { 'switchboard.handoff.refuse_code': 'UNKNOWN_TOOL' })).toBe(1);
    expect(sum('switchboard.model.cost')).toBeCloseTo(stats.cost.totalUsd, 12);
    const perTurn = points('switchboard.turn.handoffs') as DataPoint<Histogram>[];
    expect(perTurn[0]?.value.count).toBe(4);
    expect(perTurn[0]?.value.sum).toBe(4);
    const tokens = all.find((metric) => metric.descriptor.name === 'gen_ai.client.token.usage');
    expect(tokens?.dataPointType).toBe(DataPointType.HISTOGRAM);
    const inputTokens = (tokens?.dataPoints as DataPoint<Histogram>[]).filter((point) => point.attributes['gen_ai.token.type'] === 'input').reduce((total, point) => total + (point.value.sum ?? 0), 0);
    expect(inputTokens).toBe(results.reduce((total, result) => total + result.usage.total.inputTokens, 0));
    // Only names the tree chose: no message text in any attribute.
    expect(JSON.stringify(all.map((metric) => metric.dataPoints.map((point) => point.attributes)))).not.toMatch(/charged twice|double charge|refund one/);
  });

  it('a turn that waited for a person counts once, with how it ended', async () => {
    const { graph } = await scriptedConversations();
    const resumed = await resumeThread(graph, 'stats-b', { reply: 'I fixed the webhook for you.' });
    expect(resumed.status).toBe('done');
    const stats = await routingStats(graph);
    expect(stats).toMatchObject({ conversations: 3, turns: 4, statuses: { done: 4 } });
  });

  it('a turn that waited for a person across two periods counts once, in the period it ended in', async () => {
    const { graph } = await scriptedConversations();
    const whole = await routingStats(graph);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const boundary = new Date();
    await new Promise((resolve) => setTimeout(resolve, 20));
    await resumeThread(graph, 'stats-b', { reply: 'I fixed the webhook for you.' });
    const [before, after, all] = await Promise.all([routingStats(graph, { until: boundary }), routingStats(graph, { since: boundary }), routingStats(graph)]);
    // The waiting turn ended after the boundary: it counts there, with its handoffs, not before it as well.
    expect(before.statuses.waiting ?? 0).toBe(0);
    expect(after).toMatchObject({ turns: 1, statuses: { done: 1 } });
    expect(before.turns + after.turns).toBe(all.turns);
    expect(before.handoffs + after.handoffs).toBe(all.handoffs);
    expect(all).toMatchObject({ turns: whole.turns, handoffs: whole.handoffs });
  });

  it('switchboard stats reads the threads `switchboard run` left in the SQLite file', async () => {
    const db = join(await mkdtemp(join(tmpdir(), 'switchboard-stats-')), 'threads.sqlite');
    const run = (thread: string, message: string) => runCli(['run', 'config/support.yaml', '--db', db, '--model', 'offline', '--thread', thread, '-m', message]);
    expect((await run('s1', 'Why was I charged $99 twice in May?')).code).toBe(0);
    expect((await run('s2', 'My webhook returns 502 every 10 minutes.')).code).toBe(0);
    expect((await run('s2', 'still broken')).code).toBe(0);
    const json = await runCli(['stats', 'config/support.yaml', '--db', db, '--json']);
    expect(json.code).toBe(0);
    const stats = JSON.parse(json.stdout.toString('utf8')) as RoutingStats;
    // A period not given is there as null: a reader of --json finds every key.
    expect(stats).toMatchObject({ tree: 'support', conversations: 2, turns: 3, handoffs: 2, since: null, until: null });
    expect(stats.paths.map((path) => `${path.from}>${path.to}`).sort()).toEqual(['triage>billing', 'triage>technical']);
    const text = await runCli(['stats', 'config/support.yaml', '--db', db, '--since', '1h']);
    expect(text.stdout.toString('utf8')).toContain('2 conversations, 3 turns (3 done)');
    const future = await runCli(['stats', 'config/support.yaml', '--db', db, '--since', '2999-01-01']);
    expect(future.stdout.toString('utf8')).toContain('No turn in the store for this tree in this period.');
    const bad = await runCli(['stats', 'config/support.yaml', '--db', db, '--since', 'last week']);
    expect([bad.code, bad.stderr]).toEqual([2, expect.stringContaining('--since takes an ISO date')]);
    // Seven CLI processes one after another: on a loaded machine each can take several seconds.
  }, 120_000);

  it('a period keeps only the turns that ended in it', async () => {
    const { graph } = await scriptedConversations();
    expect((await routingStats(graph, { since: new Date(Date.now() + 60_000) })).turns).toBe(0);
    expect((await routingStats(graph, { until: new Date(Date.now() - 3_600_000) })).conversations).toBe(0);
    expect((await routingStats(graph, { since: new Date(Date.now() - 3_600_000) })).turns).toBe(4);
  });

  it('summarizeTurns() counts limits, ping-pongs and fallbacks', () => {
    const stats = summarizeTurns(
      [
        { threadId: 't1', tree: 'x', turn: 1, status: 'done', limits: [{ limit: 'PING_PONG' }], pingPongs: 1, fallbacks: [{}], modelFallbacks: [{}, {}] },
        { threadId: 't1', tree: 'x', turn: 2, status: 'error', limits: [{ limit: 'MODEL_CALL_LIMIT' }, { limit: 'PING_PONG' }], pingPongs: 1 },
      ],
      { tree: 'x', humans: new Set() },
    );
    expect(stats).toMatchObject({ conversations: 1, turns: 2, pingPongs: 2, fallbacks: { agent: 1, model: 2 }, statuses: { done: 1, error: 1 } });
    expect(stats.limits).toEqual([
      { limit: 'PING_PONG', count: 2 },
      { limit: 'MODEL_CALL_LIMIT', count: 1 },
    ]);
    expect(formatStats(summarizeTurns([], { tree: 'x', humans: new Set() }))).toBe('Routing stats of x\nNo turn in the store for this tree.\n');
    expect(formatStats(summarizeTurns([{ threadId: 't', tree: 'x', turn: 1, status: 'done', handoffs: [{ from: 'a', to: 'b', kind: 'delegate' }] }], { tree: 'x', humans: new Set() }))).toContain(
      '1 conversation, 1 turn (1 done)\n1 handoff, 1.00 per conversation',
    );
  });

  it('summarizeTurns() tells moves to a person by what the turn recorded when it ran, not by the tree as it is now', () => {
    const move = { from: 'manager', to: 'lead', kind: 'escalate' };
    const facts = (escalations?: { from: string; to: string }[]) => [{ threadId: 't', tree: 'x', turn: 1, status: 'done', handoffs: [move, move], ...(escalations ? { escalations } : {}) }];
    // lead was a person then (removed or made an agent since): both moves went to a person.
    expect(summarizeTurns(facts([{ from: 'manager', to: 'lead' }, { from: 'manager', to: 'lead' }]), { tree: 'x', humans: new Set() }).escalations).toMatchObject({ toPerson: 2, toManager: 0 });
    // lead was an agent then (made a person since): both were escalations to a manager.
    expect(summarizeTurns(facts([]), { tree: 'x', humans: new Set(['lead']) }).escalations).toMatchObject({ toPerson: 0, toManager: 2 });
    // A summary from before the record: the tree as it is now decides.
    expect(summarizeTurns(facts(), { tree: 'x', humans: new Set(['lead']) }).escalations).toMatchObject({ toPerson: 2, toManager: 0 });
  });

  it('--since and --until take ISO dates and durations back from now', () => {
    const now = new Date('2026-12-06T12:00:00Z');
    expect(parseWhen('24h', '--since', now).toISOString()).toBe('2026-12-05T12:00:00.000Z');
    expect(parseWhen('7d', '--since', now).toISOString()).toBe('2026-11-29T12:00:00.000Z');
    expect(parseWhen('2026-12-01', '--since', now).toISOString()).toBe('2026-12-01T00:00:00.000Z');
    expect(() => parseWhen('yesterday', '--since', now)).toThrow('--since takes an ISO date or time');
    // A day the calendar does not have is refused, not rolled over into the next month.
    expect(() => parseWhen('2026-02-30', '--since', now)).toThrow('--since: 2026-02-30 is not a day of the calendar');
    expect(() => parseWhen('2026-02-31T10:00Z', '--until', now)).toThrow('--until: 2026-02-31 is not a day of the calendar');
    expect(parseWhen('2028-02-29', '--since', now).toISOString()).toBe('2028-02-29T00:00:00.000Z');
    // A duration reaching before any date there is: the flag's own message, not the library's.
    expect(() => parseWhen('99999999999d', '--since', now)).toThrow('--since takes an ISO date or time');
  });
});
