/**
 * A response with two handoffs: the first is done and the second refused (SECOND_HANDOFF). What the
 * stream, the thread and the journal show is in that order: the accepted handoff, then the refusal.
 */
import { describe, expect, it } from 'vitest';
import type { SwitchboardEvent } from '../../nodes/events.js';
import { getTranscript } from '../../runtime/transcript.js';
import { streamTurn } from '../../runtime/turn.js';
import type { TurnResult } from '../../runtime/turn.js';
import { compileExample, expectEveryCallAnswered, fakeOpenAIForFile, newThread, viaFakeOpenAI } from '../helpers.js';

const server = await fakeOpenAIForFile();

async function collect(stream: AsyncGenerator<SwitchboardEvent, TurnResult>): Promise<{ events: SwitchboardEvent[]; result: TurnResult }> {
  const events: SwitchboardEvent[] = [];
  let next = await stream.next();
  for (; !next.done; next = await stream.next()) events.push(next.value);
  return { events, result: next.value };
}

/** The handoff events of a turn, in order, as `<type> <tool>`. */
const handoffEvents = (events: SwitchboardEvent[]) =>
  events.flatMap((event) => (event.type === 'handoff-request' || event.type === 'handoff-accept' || event.type === 'handoff-refuse' ? [`${event.type} ${event.tool ?? ''}`] : []));

describe('two handoffs in one response', () => {
  it('streams the accepted handoff before the refusal of the second, and journals their answers in that order', async () => {
    const { graph } = await compileExample('support', viaFakeOpenAI(server));
    const { threadId } = newThread();
    server.enqueue(
      { toolCalls: [{ name: 'transfer_to_billing', arguments: { reason: 'a' } }, { name: 'transfer_to_sales', arguments: { interest: 'b' } }] },
      { content: 'Billing here.' },
    );

    const { events, result } = await collect(streamTurn(graph, { threadId, message: 'billing and sales' }));

    expect(result).toMatchObject({ status: 'done', reply: 'Billing here.' });
    expect(handoffEvents(events)).toEqual([
      'handoff-request transfer_to_billing',
      'handoff-accept transfer_to_billing',
      'handoff-request transfer_to_sales',
      'handoff-refuse transfer_to_sales',
    ]);
    expect(events.find((event) => event.type === 'handoff-refuse')).toMatchObject({ code: 'SECOND_HANDOFF', to: 'sales' });
    const { messages } = await getTranscript(graph, threadId);
    expect(messages.filter((message) => message.type === 'tool').map((message) => `${message.name}: ${String(message.content).split(':')[0]}`)).toEqual([
      'transfer_to_billing: Transferred to billing',
      'transfer_to_sales: Refused',
    ]);
    expectEveryCallAnswered(result.state.messages);
  });

  it('when the first handoff is refused too, its refusal comes first', async () => {
    const { graph } = await compileExample('support', viaFakeOpenAI(server));
    const { threadId } = newThread();
    // billing's payload is invalid (no reason): refused in the tool step, before the second is refused.
    server.enqueue(
      { toolCalls: [{ name: 'transfer_to_billing', arguments: { priority: 'urgent!' } }, { name: 'transfer_to_sales', arguments: { interest: 'b' } }] },
      { content: 'Let me help.' },
    );

    const { events } = await collect(streamTurn(graph, { threadId, message: 'billing and sales' }));

    expect(handoffEvents(events)).toEqual([
      'handoff-request transfer_to_billing',
      'handoff-refuse transfer_to_billing',
      'handoff-request transfer_to_sales',
      'handoff-accept transfer_to_sales',
    ]);
  });
});
