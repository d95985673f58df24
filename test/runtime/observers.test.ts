import { describe, expect, it } from 'vitest';
import type { AIMessage } from '@langchain/core/messages';
import type { EventContext, SwitchboardEvent } from '../../nodes/events.js';
import { runTurn, streamTurn } from '../../runtime/turn.js';
import { captureLogs } from '../../testing/capture-logs.js';
import { compileExample, fakeOpenAIForFile, newThread, viaFakeOpenAI } from '../helpers.js';

const server = await fakeOpenAIForFile();

describe('observers', () => {
  it('see each agent step, and each model call with exactly what the model was sent', async () => {
    const seen: { event: SwitchboardEvent; context: EventContext }[] = [];
    const { graph } = await compileExample('support', { ...viaFakeOpenAI(server), observers: [(event, context) => seen.push({ event, context })] });
    server.enqueue({ content: '', toolCalls: [{ name: 'transfer_to_billing', arguments: { reason: 'double charge' } }] }, { content: 'Both charges are there.' });
    const { threadId } = newThread();
    const result = await runTurn(graph, { threadId, message: 'charged twice' });
    expect(result.reply).toBe('Both charges are there.');

    const types = seen.map(({ event }) => event.type).filter((type) => type !== 'usage');
    expect(types).toEqual(['step-start', 'turn-start', 'model-call', 'handoff-request', 'handoff-accept', 'step-end', 'step-start', 'model-call', 'message-end', 'turn-end', 'step-end']);
    expect(seen.every(({ context }) => context.threadId === threadId && context.at > 0)).toBe(true);

    const calls = seen.map(({ event }) => event).filter((event): event is Extract<SwitchboardEvent, { type: 'model-call' }> => event.type === 'model-call');
    expect(calls.map((call) => call.agent)).toEqual(['triage', 'billing']);
    // What the billing model received is what the fake server received.
    const sent = server.requests.at(-1)!.body.messages as { role: string; content: string }[];
    expect(calls[1]!.input.map((message) => message.content)).toEqual(sent.map((message) => message.content));
    expect(calls[1]!.input[0]!.content).toContain('double charge');
    expect((calls[1]!.output as AIMessage).content).toBe('Both charges are there.');
    expect(calls[1]!.usage?.modelCalls).toBe(1);
    expect(calls[1]!.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('times a turn to its end: a turn of one step (the owner answers at once) is as long as its model call', async () => {
    const ends: Extract<SwitchboardEvent, { type: 'turn-end' }>[] = [];
    const { graph } = await compileExample('support', { ...viaFakeOpenAI(server), observers: [(event) => event.type === 'turn-end' && ends.push(event)] });
    const { threadId } = newThread();
    server.enqueue({ toolCalls: [{ name: 'transfer_to_billing', arguments: { reason: 'invoice' } }] }, { content: 'Billing here.' }, { content: 'Still billing.', delayMs: 60 });
    await runTurn(graph, { threadId, message: 'my invoice' });
    // The second turn goes straight to billing, the owner: one step, whose model takes 60 ms.
    await runTurn(graph, { threadId, message: 'and the refund?' });
    expect(ends.map((end) => end.agent)).toEqual(['billing', 'billing']);
    expect(ends[1]!.durationMs).toBeGreaterThanOrEqual(50);
  });

  it('an observer that throws is logged and the turn goes on; model calls are not streamed', async () => {
    const logs = captureLogs('debug');
    const { graph } = await compileExample('support', {
      ...viaFakeOpenAI(server),
      logger: logs.logger,
      observers: [
        () => {
          throw new Error('observer bug');
        },
      ],
    });
    server.enqueue({ content: 'Hello there.' });
    const stream = streamTurn(graph, { threadId: newThread().threadId, message: 'hi' });
    const streamed: string[] = [];
    for (let next = await stream.next(); !next.done; next = await stream.next()) streamed.push(next.value.type);
    expect(streamed).not.toContain('model-call');
    expect(streamed).not.toContain('step-start');
    expect(logs.records.some((record) => record.event === 'observer-error')).toBe(true);
  });
});
