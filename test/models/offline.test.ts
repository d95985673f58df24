/**
 * The offline model's guesses at payload values: a number the user wrote, never the digits of an id.
 */
import { describe, expect, it } from 'vitest';
import { parseTree } from '../../config/load.js';
import { compileTree } from '../../graphs/compile.js';
import { runTurn } from '../../runtime/turn.js';
import { newThread } from '../helpers.js';

const TREE = `
version: 1
name: desk
root: triage
agents:
  triage:
    description: Front desk.
    prompt: Route.
    children: [billing]
  billing:
    description: Refunds.
    prompt: Bill.
    escalate: [person]
    handoff:
      payload:
        amount: { type: number, required: false }
    offline: { keywords: [refund] }
  person: { kind: human, description: A person. }
`;

describe('the offline model', () => {
  it.each([
    ['I want a refund for INV-1001, it was $20', 20],
    ['refund of 1,250.50 please', 1250.5],
    ['a refund of -5 on INV1001', -5],
    ['a refund for INV-1001', undefined],
  ])('reads the amount in %j as %s', async (message, amount) => {
    const graph = compileTree(parseTree(TREE, 'desk.yaml'), { model: 'offline' });
    const result = await runTurn(graph, { threadId: newThread().threadId, message });
    expect(result.handoffs[0]).toMatchObject({ to: 'billing' });
    expect(result.handoffs[0]?.payload.amount).toBe(amount);
  });
});
