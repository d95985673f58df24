/**
 * A handoff payload field that `sets:` a state field takes that field's limits: the model is shown
 * them in the handoff tool's schema, and a value the state could not hold is refused as an invalid
 * payload (the model may call again), never a failed state write that would leave the thread stuck.
 */
import { describe, expect, it } from 'vitest';
import { parseTree } from '../../config/load.js';
import { compileTree } from '../../graphs/compile.js';
import { runTurn } from '../../runtime/turn.js';
import { expectEveryCallAnswered, fakeOpenAIForFile, newThread, viaFakeOpenAI } from '../helpers.js';

const server = await fakeOpenAIForFile();

const TREE = `
version: 1
name: sets
root: triage
state:
  reason: { type: string, maxLength: 5 }
  amount: { type: number, min: 0, max: 10 }
agents:
  triage: { description: Front desk., prompt: Route., children: [billing], escalate: [person] }
  billing:
    description: Billing.
    prompt: Help with bills.
    handoff:
      payload:
        reason: { type: string, sets: reason }
        amount: { type: number, min: 1, sets: amount, required: false }
  person: { kind: human, description: A person. }
`;

describe('a payload field that sets a state field', () => {
  it('is shown and held to the state field’s limits: a value the state cannot hold is refused, the model calls again, the thread goes on', async () => {
    const graph = compileTree(parseTree(TREE, 'sets.yaml'), { ...viaFakeOpenAI(server), sleep: async () => {} });
    const { threadId } = newThread();
    server.enqueue(
      { toolCalls: [{ name: 'transfer_to_billing', arguments: { reason: 'a long reason', amount: 50 } }] },
      { toolCalls: [{ name: 'transfer_to_billing', arguments: { reason: 'bill', amount: 7 } }] },
      { content: 'Billing here.' },
    );
    const result = await runTurn(graph, { threadId, message: 'my bill' });

    expect(result).toMatchObject({ status: 'done', agent: 'billing', reply: 'Billing here.' });
    expect(result.state.fields).toEqual({ reason: 'bill', amount: 7 });
    expectEveryCallAnswered(result.state.messages);
    const refusal = result.state.messages.find((message) => message.type === 'tool' && String(message.content).startsWith('Refused'));
    expect(String(refusal?.content)).toMatch(/^Refused: the handoff payload is invalid \(reason: .*5.*; amount: .*10.*\)\. Call transfer_to_billing again/);
    // The tool's schema carries both limits: the payload's own minimum and the state's maximum.
    const offered = (server.requests[0]?.body.tools as { function: { name: string; parameters: { properties: Record<string, Record<string, unknown>> } } }[]).find((entry) => entry.function.name === 'transfer_to_billing');
    expect(offered?.function.parameters.properties.reason).toMatchObject({ type: 'string', maxLength: 5 });
    expect(offered?.function.parameters.properties.amount).toMatchObject({ type: 'number', minimum: 1, maximum: 10 });

    server.enqueue({ content: 'Still billing.' });
    expect(await runTurn(graph, { threadId, message: 'and then?' })).toMatchObject({ status: 'done', agent: 'billing', reply: 'Still billing.' });
  });
});
