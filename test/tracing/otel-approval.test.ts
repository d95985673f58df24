/**
 * `openTelemetryObserver` on turns that wait for a person's approval, decided in the same process or
 * in another one (two graphs on one store, each with its own observer, as two workers would be):
 * the waiting turn's span is exported, marked waiting, and the decision's turn is marked resumed
 * (and linked to the waiting span where that process saw it), as for an escalation.
 */
import { describe, expect, it } from 'vitest';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { parseTree } from '../../config/load.js';
import { compileTree } from '../../graphs/compile.js';
import { approveHandoff, denyHandoff } from '../../runtime/approval.js';
import { runTurn } from '../../runtime/turn.js';
import { openCheckpointer } from '../../store/checkpointer.js';
import type { Checkpointer } from '../../store/checkpointer.js';
import { openTelemetryObserver } from '../../tracing/index.js';
import type { OpenTelemetryObserverOptions } from '../../tracing/index.js';
import { fakeOpenAIForFile, newThread, viaFakeOpenAI } from '../helpers.js';
import { APPROVAL_DESK } from './approval-desk.js';

const server = await fakeOpenAIForFile();


/** A worker: the desk tree on the shared store, traced into its own exporter. */
function worker(store: Checkpointer, options: OpenTelemetryObserverOptions = {}) {
  const exporter = new InMemorySpanExporter();
  const tracer = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }).getTracer('test');
  const graph = compileTree(parseTree(APPROVAL_DESK, 'desk.yaml'), {
    ...viaFakeOpenAI(server),
    checkpointer: store.saver,
    threadLock: store.threadLock,
    sleep: async () => {},
    observers: [openTelemetryObserver({ tracer, ...options })],
  });
  return { graph, spans: () => exporter.getFinishedSpans(), turns: () => exporter.getFinishedSpans().filter((span) => span.name === 'invoke_workflow desk') };
}

const eventsOf = (spans: ReadableSpan[], name: string) => spans.flatMap((span) => span.events.filter((event) => event.name === name).map((event) => ({ span: span.name, attributes: event.attributes })));
const toLead = { toolCalls: [{ name: 'transfer_to_lead', arguments: { reason: 'refund for order 88231' } }] };

describe('openTelemetryObserver() on approval gates', () => {
  it('ends a turn waiting for an approval as waiting, and traces a decision taken in another process as a resumed turn', async () => {
    const store = await openCheckpointer('memory');
    try {
      const a = worker(store);
      const b = worker(store);
      const { threadId } = newThread();
      server.enqueue(toLead);
      expect((await runTurn(a.graph, { threadId, message: 'Refund my card ending 4242' })).status).toBe('waiting');

      // A exports the waiting turn (as an escalation's wait would be), with the request as an event of its step.
      const [waiting] = a.turns();
      expect(waiting?.attributes).toMatchObject({ 'switchboard.turn.number': 1, 'switchboard.turn.status': 'waiting', 'switchboard.turn.agent': 'desk' });
      expect(eventsOf(a.spans(), 'switchboard.approval.start')).toEqual([
        { span: 'invoke_agent desk', attributes: { 'switchboard.handoff.from': 'desk', 'switchboard.handoff.to': 'lead', 'switchboard.handoff.tool': 'transfer_to_lead' } },
      ]);

      // B decides: its trace of turn 1 says it resumes a wait (B never saw the wait: nothing to link to).
      server.enqueue({ content: 'Lead here.' });
      expect((await approveHandoff(b.graph, threadId, { operator: 'ana' })).status).toBe('done');
      const [resumed] = b.turns();
      expect(resumed?.attributes).toMatchObject({ 'switchboard.turn.number': 1, 'switchboard.turn.status': 'done', 'switchboard.turn.agent': 'lead', 'switchboard.turn.resumed': true });
      expect(resumed?.links).toEqual([]);
      expect(eventsOf(b.spans(), 'switchboard.approval.end')).toEqual([
        {
          span: 'invoke_agent desk',
          attributes: { 'switchboard.handoff.from': 'desk', 'switchboard.handoff.to': 'lead', 'switchboard.handoff.tool': 'transfer_to_lead', 'switchboard.approval.approved': true },
        },
      ]);

      // A's next turn leaves A's copy of turn 1 as it was: waiting, not ended again as unfinished.
      server.enqueue({ content: 'Anything else?' });
      expect((await runTurn(a.graph, { threadId, message: 'thanks' })).status).toBe('done');
      expect(a.turns().map((span) => [span.attributes['switchboard.turn.number'], span.attributes['switchboard.turn.status']])).toEqual([
        [1, 'waiting'],
        [2, 'done'],
      ]);
      expect(a.turns()[1]?.links).toEqual([]);

      // Neither the payload nor who decided is on a span unless asked for. (Phrases, not bare digits:
      // a response id is random hex, and '4242' turns up in one now and then.)
      const recorded = JSON.stringify([...a.spans(), ...b.spans()].map((span) => [span.attributes, span.events.map((event) => event.attributes)])).replaceAll(threadId, '');
      for (const text of ['order 88231', 'ending 4242', 'ana']) expect(recorded).not.toContain(text);
    } finally {
      await store.close();
    }
  });

  it('links a decision taken in the process that saw the wait to the waiting span, in a trace of its own', async () => {
    const store = await openCheckpointer('memory');
    try {
      const a = worker(store, { recordContent: true });
      const { threadId } = newThread();
      server.enqueue(toLead, { content: 'Desk again: the lead cannot take this.' });
      expect((await runTurn(a.graph, { threadId, message: 'the lead, please' })).status).toBe('waiting');
      expect((await denyHandoff(a.graph, threadId, { operator: 'ana', reason: 'the lead is out' })).status).toBe('done');

      const [waiting, resumed] = a.turns();
      expect(waiting?.attributes['switchboard.turn.status']).toBe('waiting');
      expect(resumed?.attributes).toMatchObject({ 'switchboard.turn.number': 1, 'switchboard.turn.status': 'done', 'switchboard.turn.resumed': true });
      expect(resumed?.spanContext().traceId).not.toBe(waiting?.spanContext().traceId);
      expect(resumed?.links.map((link) => link.context.spanId)).toEqual([waiting?.spanContext().spanId]);
      // With recordContent, the payload, who decided and why.
      expect(eventsOf(a.spans(), 'switchboard.approval.start')[0]?.attributes?.['switchboard.handoff.payload']).toBe('{"reason":"refund for order 88231"}');
      expect(eventsOf(a.spans(), 'switchboard.approval.end')[0]?.attributes).toMatchObject({
        'switchboard.approval.approved': false,
        'switchboard.approval.operator': 'ana',
        'switchboard.approval.reason': 'the lead is out',
      });
    } finally {
      await store.close();
    }
  });

  it('links no later answer to a wait that was decided elsewhere', () => {
    const exporter = new InMemorySpanExporter();
    const observer = openTelemetryObserver({ tracer: new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }).getTracer('test') });
    const at = (ms: number) => ({ threadId: 't-1', tree: 'desk', at: 1_000 + ms });
    // Turn 1 waits for an approval here; another worker decides it and runs turn 2, which escalates to a person.
    observer({ type: 'turn-start', threadId: 't-1', turn: 1, agent: 'desk' }, at(0));
    observer({ type: 'step-start', agent: 'desk', turn: 1 }, at(0));
    observer({ type: 'approval-start', from: 'desk', to: 'lead', tool: 'transfer_to_lead', payload: {} }, at(1));
    observer({ type: 'step-end', agent: 'desk', turn: 1, durationMs: 1 }, at(1));
    // This worker runs turn 3: turn 1's wait is over.
    observer({ type: 'turn-start', threadId: 't-1', turn: 3, agent: 'lead' }, at(10));
    observer({ type: 'turn-end', threadId: 't-1', turn: 3, agent: 'lead', status: 'done', durationMs: 1 }, at(11));
    // A person's answer to a wait this worker never saw.
    observer({ type: 'escalation-end', agent: 'person' }, at(20));
    observer({ type: 'turn-end', threadId: 't-1', turn: 4, agent: 'person', status: 'done', durationMs: 1 }, at(21));
    const turns = exporter.getFinishedSpans().filter((span) => span.name === 'invoke_workflow desk');
    expect(turns.map((span) => [span.attributes['switchboard.turn.number'], span.attributes['switchboard.turn.status'], span.links.length])).toEqual([
      [1, 'waiting', 0],
      [3, 'done', 0],
      [4, 'done', 0],
    ]);
  });
});
