/**
 * `openTelemetryMetrics` on turns the routing analytics see too: a person's reply is a turn whose
 * moves count, and a model with no price records no cost, whether its call answered or failed.
 */
import { describe, expect, it } from 'vitest';
import { AggregationTemporality, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import type { DataPoint, Histogram } from '@opentelemetry/sdk-metrics';
import { parseTree } from '../../config/load.js';
import { compileTree } from '../../graphs/compile.js';
import type { CompileOptions } from '../../graphs/compile.js';
import type { SwitchboardEvent } from '../../nodes/events.js';
import { getTurnSummaries } from '../../runtime/transcript.js';
import { resumeThread, runTurn } from '../../runtime/turn.js';
import { captureLogs } from '../../testing/capture-logs.js';
import { openTelemetryMetrics } from '../../tracing/index.js';
import { compileExample, fakeOpenAIForFile, newThread, viaFakeOpenAI } from '../helpers.js';

const server = await fakeOpenAIForFile();

/** A reader that collects on demand (no timers). */
class TestReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

/** The metrics observer of a tree, and its data points by instrument name. */
function metered(tree: string, humans: string[] = []) {
  const reader = new TestReader({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  const observer = openTelemetryMetrics({ meter: new MeterProvider({ readers: [reader] }).getMeter('test'), tree, humans });
  const points = async <TValue,>(name: string) => {
    const { resourceMetrics } = await reader.collect();
    return (resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics).find((metric) => metric.descriptor.name === name)?.dataPoints ?? []) as DataPoint<TValue>[];
  };
  return { observer, points };
}

describe('openTelemetryMetrics()', () => {
  it("records switchboard.turn.handoffs for a person's reply turn, with its hand-back", async () => {
    const { observer, points } = metered('support', ['human_agent']);
    const { graph } = await compileExample('support', { ...viaFakeOpenAI(server), observers: [observer] });
    const { threadId } = newThread();
    server.enqueue(
      { toolCalls: [{ name: 'transfer_to_billing', arguments: { reason: 'refund' } }] },
      { toolCalls: [{ name: 'escalate_to_manager', arguments: { reason: 'refund over policy' } }] },
      { toolCalls: [{ name: 'escalate_to_human', arguments: { reason: 'customer insists', summary: 'refund of $900' } }] },
    );
    expect((await runTurn(graph, { threadId, message: 'a $900 refund or a person' })).status).toBe('waiting');
    expect((await resumeThread(graph, threadId, { reply: 'Refund approved.', handBackTo: 'billing' })).status).toBe('done');

    // The waiting turn's three moves, then the reply turn's one (the hand-back to billing).
    const [handoffs] = await points<Histogram>('switchboard.turn.handoffs');
    expect(handoffs?.value).toMatchObject({ count: 2, sum: 4 });
    const turns = await points<number>('switchboard.turns');
    expect(turns.map((point) => [point.attributes['switchboard.turn.status'], point.value])).toEqual([
      ['waiting', 1],
      ['done', 1],
    ]);
  });

  it('records no switchboard.model.cost for a failed call on a model with no price, and its usage says unpriced', async () => {
    const { observer, points } = metered('local-desk');
    const usage: Extract<SwitchboardEvent, { type: 'usage' }>[] = [];
    const options: CompileOptions = {
      ...viaFakeOpenAI(server),
      logger: captureLogs('warn').logger,
      observers: [observer, (event) => event.type === 'usage' && usage.push(event)],
    };
    const tree = parseTree(
      `version: 1
name: local-desk
root: desk
retry: { attempts: 0 }
models:
  local: { provider: openai, name: llama-3.1-8b-instruct }
agents:
  desk: { description: Front desk., prompt: Answer., model: local, escalate: [person] }
  person: { kind: human, description: A person. }
`,
      'local-desk.yaml',
    );
    const graph = compileTree(tree, options);
    server.enqueue({ status: 500 });
    const { threadId } = newThread();
    expect((await runTurn(graph, { threadId, message: 'hello' })).error?.code).toBe('MODEL_FAILED');

    expect(usage.map((event) => [event.model, event.usage.modelCalls, event.unpriced])).toEqual([['llama-3.1-8b-instruct', 1, true]]);
    expect(await points<number>('switchboard.model.cost')).toEqual([]);
    const [summary] = await getTurnSummaries(graph, threadId);
    expect(summary?.unpricedModels).toEqual(['llama-3.1-8b-instruct']);
  });
});
