/**
 * `openTelemetryMetrics` on turns that wait for a person (an escalation, an approval gate): the turn
 * stops as waiting when the wait starts, and the person's reply or decision resumes it, timed from
 * there (the hours of the wait are no part of `switchboard.turn.duration`) and marked resumed; a
 * decision may come in another process (two graphs on one store, each with its own observer).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { AggregationTemporality, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import type { DataPoint, Histogram } from '@opentelemetry/sdk-metrics';
import { parseTree } from '../../config/load.js';
import { compileTree } from '../../graphs/compile.js';
import type { SwitchboardEvent } from '../../nodes/events.js';
import { approveHandoff } from '../../runtime/approval.js';
import { runTurn } from '../../runtime/turn.js';
import { openCheckpointer } from '../../store/checkpointer.js';
import type { Checkpointer } from '../../store/checkpointer.js';
import { openTelemetryMetrics } from '../../tracing/index.js';
import { fakeOpenAIForFile, newThread, viaFakeOpenAI } from '../helpers.js';
import { APPROVAL_DESK } from './approval-desk.js';

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
  /** Each turn-duration series: its status, whether resumed, its count and sum in seconds. */
  const durations = async () =>
    (await points<Histogram>('switchboard.turn.duration')).map((point) => ({
      status: point.attributes['switchboard.turn.status'],
      resumed: point.attributes['switchboard.turn.resumed'],
      count: point.value.count,
      sum: point.value.sum ?? Number.NaN,
    }));
  const turns = async () => (await points<number>('switchboard.turns')).map((point) => [point.attributes['switchboard.turn.status'], point.attributes['switchboard.turn.resumed'], point.value]);
  return { observer, points, durations, turns };
}


/** A worker: the desk tree on the shared store, with its own metrics observer; `ends` keeps its turn-end events. */
function worker(store: Checkpointer) {
  const metrics = metered('desk');
  const ends: Extract<SwitchboardEvent, { type: 'turn-end' }>[] = [];
  const graph = compileTree(parseTree(APPROVAL_DESK, 'desk.yaml'), {
    ...viaFakeOpenAI(server),
    checkpointer: store.saver,
    threadLock: store.threadLock,
    sleep: async () => {},
    observers: [metrics.observer, (event) => event.type === 'turn-end' && ends.push(event)],
  });
  return { graph, ends, ...metrics };
}

describe('openTelemetryMetrics() on turns that wait for a person', () => {
  it("times a turn answered after a person's reply from the reply, not from before the wait", () => {
    const { observer, durations, turns } = metered('support', ['person']);
    const hours = 3 * 3_600_000;
    const at = (ms: number) => ({ threadId: 't-1', tree: 'support', at: 1_000_000 + ms });
    observer({ type: 'turn-start', threadId: 't-1', turn: 1, agent: 'desk' }, at(0));
    observer({ type: 'handoff-accept', from: 'desk', to: 'person', kind: 'escalate', payload: {} }, at(1_500));
    observer({ type: 'escalation-start', from: 'desk', to: 'person', payload: {} }, at(2_000));
    observer({ type: 'escalation-end', agent: 'person', handBackTo: 'desk' }, at(hours));
    observer({ type: 'handoff-accept', from: 'person', to: 'desk', kind: 'resume', payload: {} }, at(hours));
    // The turn's own durationMs counts from its start: the three hours of the wait in it.
    observer({ type: 'turn-end', threadId: 't-1', turn: 1, agent: 'person', status: 'done', durationMs: hours + 500 }, at(hours + 500));

    return expect(Promise.all([durations(), turns()])).resolves.toEqual([
      [
        { status: 'waiting', resumed: undefined, count: 1, sum: 2 },
        { status: 'done', resumed: true, count: 1, sum: 0.5 },
      ],
      [
        ['waiting', undefined, 1],
        ['done', true, 1],
      ],
    ]);
  });

  it('stops a turn at its approval request, and times a decision taken in another process from the decision', async () => {
    const store = await openCheckpointer('memory');
    try {
      const a = worker(store);
      const b = worker(store);
      const { threadId } = newThread();
      server.enqueue({ toolCalls: [{ name: 'transfer_to_lead', arguments: { reason: 'refund' } }] });
      expect((await runTurn(a.graph, { threadId, message: 'the lead, please' })).status).toBe('waiting');
      // A counts the turn as waiting: nothing of it is left running there.
      expect(await a.turns()).toEqual([['waiting', undefined, 1]]);
      const [waited] = await a.durations();
      expect(waited).toMatchObject({ status: 'waiting', count: 1 });

      const wait = 300;
      await sleep(wait);
      server.enqueue({ content: 'Lead here.' });
      expect((await approveHandoff(b.graph, threadId)).status).toBe('done');
      // B's turn is the resumed part: its move (the approved handoff), timed from the decision.
      expect(await b.turns()).toEqual([['done', true, 1]]);
      const [decided] = await b.durations();
      expect(decided).toMatchObject({ status: 'done', resumed: true, count: 1 });
      // The turn's own duration counts the wait; the metric leaves it out.
      expect(b.ends[0]!.durationMs).toBeGreaterThanOrEqual(wait);
      expect(decided!.sum * 1000).toBeLessThanOrEqual(b.ends[0]!.durationMs - wait);
      const [moves] = await b.points<Histogram>('switchboard.turn.handoffs');
      expect(moves?.value).toMatchObject({ count: 1, sum: 1 });
    } finally {
      await store.close();
    }
  });
});
