/**
 * Tool-call arguments that are JSON but not an object (`[1, 2]`, `"x"`, `3`, `null`), through the real
 * OpenAI client, streamed and not: refused saying what they are (not "not valid JSON"), never run.
 */
import { describe, expect, it } from 'vitest';
import type { ToolMessage } from '@langchain/core/messages';
import type { SwitchboardEvent } from '../../nodes/events.js';
import { runTurn, streamTurn } from '../../runtime/turn.js';
import type { TurnResult } from '../../runtime/turn.js';
import { compileExample, expectEveryCallAnswered, fakeOpenAIForFile, newThread, viaFakeOpenAI } from '../helpers.js';

const server = await fakeOpenAIForFile();

async function finish(stream: AsyncGenerator<SwitchboardEvent, TurnResult>): Promise<{ events: SwitchboardEvent[]; result: TurnResult }> {
  const events: SwitchboardEvent[] = [];
  let next = await stream.next();
  for (; !next.done; next = await stream.next()) events.push(next.value);
  return { events, result: next.value };
}

const refusals = (result: TurnResult) => result.state.messages.flatMap((message) => (message.type === 'tool' && (message as ToolMessage).status === 'error' ? [message.text] : []));

const CASES = [
  ['[1, 2]', 'an array'],
  ['"x"', 'a string'],
  ['3', 'a number'],
  ['null', 'null'],
] as const;

describe.each([
  ['streamed', true],
  ['not streamed', false],
])('arguments that are JSON but not an object (%s)', (_how, streamed) => {
  it.each(CASES)('a function tool called with %s is refused as %s, and not run', async (args, kind) => {
    const { graph, ledger } = await compileExample('support', viaFakeOpenAI(server));
    const { threadId } = newThread();
    // Triage hands off; billing calls issue_refund with arguments that are not an object, then answers.
    server.enqueue({ toolCalls: [{ name: 'transfer_to_billing', arguments: { reason: 'refund' } }] }, { toolCalls: [{ name: 'issue_refund', arguments: args }] }, { content: 'Which invoice?' });
    const input = { threadId, message: 'refund please' };
    const result = streamed ? (await finish(streamTurn(graph, input))).result : await runTurn(graph, input);

    expect(result).toMatchObject({ status: 'done', reply: 'Which invoice?' });
    expect(refusals(result)).toEqual([`Refused: the arguments of issue_refund are JSON but not an object (${kind}). Call it again with a JSON object.`]);
    expect(await ledger.list('refund')).toEqual([]);
    expectEveryCallAnswered(result.state.messages);
  });

  it('a handoff called with a JSON array is refused as an invalid payload saying so, and the model may call again', async () => {
    const { graph } = await compileExample('support', viaFakeOpenAI(server));
    const { threadId } = newThread();
    server.enqueue({ toolCalls: [{ name: 'transfer_to_billing', arguments: '[1, 2]' }] }, { toolCalls: [{ name: 'transfer_to_billing', arguments: { reason: 'refund' } }] }, { content: 'Billing here.' });
    const input = { threadId, message: 'refund please' };
    const { events, result } = streamed ? await finish(streamTurn(graph, input)) : { events: undefined, result: await runTurn(graph, input) };

    expect(result).toMatchObject({ status: 'done', agent: 'billing', reply: 'Billing here.' });
    expect(refusals(result)).toEqual(['Refused: the arguments of transfer_to_billing are JSON but not an object (an array). Call it again with a JSON object.']);
    if (events) expect(events.find((event) => event.type === 'handoff-refuse')).toMatchObject({ code: 'INVALID_PAYLOAD', to: 'billing' });
  });

  it('broken JSON is still refused as not valid JSON', async () => {
    const { graph } = await compileExample('support', viaFakeOpenAI(server));
    server.enqueue({ toolCalls: [{ name: 'transfer_to_billing', arguments: '{"reason": "refund"' }] }, { content: 'Tell me more.' });
    const input = { threadId: newThread().threadId, message: 'refund please' };
    const result = streamed ? (await finish(streamTurn(graph, input))).result : await runTurn(graph, input);

    expect(refusals(result)).toEqual([expect.stringMatching(/^Refused: the arguments of transfer_to_billing are not valid JSON \(.+\)\. Call it again with a JSON object\.$/)]);
  });
});
