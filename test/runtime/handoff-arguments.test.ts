/**
 * Handoff tools as a model meets them: the description the tree wrote, a payload schema that says
 * what it accepts, and the arguments OpenAI-compatible servers really send (`""`, `null`).
 */
import { describe, expect, it } from 'vitest';
import type { ToolMessage } from '@langchain/core/messages';
import { parseTree } from '../../config/load.js';
import { compileTree } from '../../graphs/compile.js';
import { runTurn } from '../../runtime/turn.js';
import { fakeOpenAIForFile, newThread, viaFakeOpenAI } from '../helpers.js';

const TREE = `version: 1
name: desk
root: triage
agents:
  triage:
    description: Front desk.
    prompt: Route.
    children: [billing, notes, quiet]
  billing:
    description: Charges and refunds.
    prompt: Billing.
    handoff:
      description: Use only for charges; never for technical problems.
      payload:
        reason: { type: string }
        amount: { type: number, required: false }
  notes:
    description: Takes notes.
    prompt: Notes.
  quiet:
    description: '   '
    prompt: Quiet.
`;

const server = fakeOpenAIForFile();

async function desk() {
  return compileTree(parseTree(TREE, 'desk.yaml'), viaFakeOpenAI(await server));
}

function offered(name: string) {
  return async () => {
    const fake = await server;
    const tools = (fake.requests[0]?.body.tools ?? []) as { function: { name: string; description: string; parameters: Record<string, unknown> } }[];
    return tools.find((tool) => tool.function.name === name)?.function;
  };
}

describe('handoff tools', () => {
  it('describe the move with handoff.description exactly as written, and never with a dangling sentence', async () => {
    const fake = await server;
    fake.enqueue({ content: 'Hello.' });
    await runTurn(await desk(), { threadId: newThread().threadId, message: 'hi' });
    expect((await offered('transfer_to_billing')())?.description).toBe('Use only for charges; never for technical problems.');
    expect((await offered('transfer_to_notes')())?.description).toBe('Transfer the conversation to notes. Takes notes.');
    expect((await offered('transfer_to_quiet')())?.description).toBe('Transfer the conversation to quiet.');
  });

  it('say in their schema that no other key is accepted, and refuse one with a message to the model', async () => {
    const fake = await server;
    fake.enqueue(
      { toolCalls: [{ name: 'transfer_to_billing', arguments: { reason: 'charge', customer_id: 'cus_other' } }] },
      { toolCalls: [{ name: 'transfer_to_billing', arguments: { reason: 'charge' } }] },
      { content: 'Billing here.' },
    );
    const result = await runTurn(await desk(), { threadId: newThread().threadId, message: 'I was charged twice' });
    expect((await offered('transfer_to_billing')())?.parameters).toMatchObject({ additionalProperties: false });
    expect(result).toMatchObject({ agent: 'billing', reply: 'Billing here.' });
    const refusal = result.state.messages.find((message) => message.type === 'tool' && (message as ToolMessage).status === 'error');
    expect(refusal?.text).toMatch(/^Refused: the handoff payload is invalid \(.*customer_id.*\)/);
    expect(result.handoffs[0]?.payload).toEqual({ reason: 'charge' });
  });

  it('take null for an optional field as no value, and "" as no arguments', async () => {
    const fake = await server;
    fake.enqueue({ toolCalls: [{ name: 'transfer_to_billing', arguments: { reason: 'charge', amount: null } }] }, { content: 'Billing here.' });
    const billing = await runTurn(await desk(), { threadId: newThread().threadId, message: 'I was charged twice' });
    expect(billing).toMatchObject({ agent: 'billing', handoffs: [{ to: 'billing', payload: { reason: 'charge' } }] });

    fake.enqueue({ toolCalls: [{ name: 'transfer_to_notes', arguments: '' }] }, { content: 'Notes here.' });
    const notes = await runTurn(await desk(), { threadId: newThread().threadId, message: 'take a note' });
    expect(notes).toMatchObject({ agent: 'notes', reply: 'Notes here.', handoffs: [{ to: 'notes', payload: {} }] });
  });

  it('refuse arguments that are not an object (a JSON list, a number) saying so', async () => {
    const fake = await server;
    fake.enqueue({ toolCalls: [{ name: 'transfer_to_billing', arguments: '[1, 2]' }] }, { toolCalls: [{ name: 'transfer_to_billing', arguments: { reason: 'charge' } }] }, { content: 'Billing here.' });
    const result = await runTurn(await desk(), { threadId: newThread().threadId, message: 'I was charged twice' });
    expect(result).toMatchObject({ agent: 'billing', reply: 'Billing here.' });
    const refusal = result.state.messages.find((message) => message.type === 'tool' && (message as ToolMessage).status === 'error');
    expect(refusal?.text).toBe('Refused: the arguments of transfer_to_billing are JSON but not an object (an array). Call it again with a JSON object.');
  });
});
