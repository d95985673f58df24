/**
 * The offline model's guesses at payload values: a number the user wrote, never the digits of an id;
 * and its handoff after the tools a message asked for.
 */
import { describe, expect, it } from 'vitest';
import type { AIMessage, BaseMessage } from '@langchain/core/messages';
import { parseTree } from '../../config/load.js';
import { compileTree } from '../../graphs/compile.js';
import { runTurn } from '../../runtime/turn.js';
import { denyHandoff } from '../../runtime/approval.js';
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

const HELPED_TREE = `
version: 1
name: helped
root: triage
agents:
  triage:
    description: Front desk.
    prompt: Route.
    children: [sales, support]
    helpers: [faq]
  sales:
    description: Plans and pricing.
    prompt: Sell.
    helpers: [faq]
    offline: { keywords: [price, plan] }
  support:
    description: Technical support.
    prompt: Support.
    offline: { keywords: [error, broken] }
  faq:
    kind: helper
    description: Answers common questions.
    prompt: FAQ.
    handoff: { tool: search_faq }
    offline: { keywords: [how do i, error], reply: 'FAQ: see KB-1.' }
`;

describe('the offline model with a helper', () => {
  const callsOf = (messages: BaseMessage[], tool: string) =>
    messages.flatMap((message) => (message as AIMessage).tool_calls ?? []).filter((call) => call.name === tool);

  it('hands off after the helper when a target matches the message too, with the payload it has without the helper', async () => {
    const message = "I get an error, it's broken";
    const graph = compileTree(parseTree(HELPED_TREE, 'helped.yaml'), { model: 'offline' });
    const result = await runTurn(graph, { threadId: newThread().threadId, message });
    const unhelped = compileTree(
      parseTree(HELPED_TREE.replace('[sales, support]\n    helpers: [faq]', '[sales, support]'), 'helped.yaml'),
      { model: 'offline' },
    );
    const expected = await runTurn(unhelped, { threadId: newThread().threadId, message });

    expect(result.handoffs).toMatchObject([{ from: 'triage', to: 'support' }]);
    expect(expected.handoffs).toMatchObject([{ from: 'triage', to: 'support' }]);
    expect(result.handoffs[0]?.payload).toEqual(expected.handoffs[0]?.payload);
    expect(result.agent).toBe('support');
    expect(callsOf(result.state.messages, 'search_faq')).toHaveLength(1);
  });

  it("answers with the helper's result when no target matches", async () => {
    const graph = compileTree(parseTree(HELPED_TREE, 'helped.yaml'), { model: 'offline' });
    const result = await runTurn(graph, { threadId: newThread().threadId, message: 'how do I reset my password?' });
    expect(result.handoffs).toEqual([]);
    expect(result.agent).toBe('triage');
    expect(result.reply).toContain('Tool results: search_faq: [offline] FAQ: see KB-1.');
    expect(callsOf(result.state.messages, 'search_faq')).toHaveLength(1);
  });

  it("answers with the helper's result, without a second handoff or call, when the handoff is denied", async () => {
    const gated = HELPED_TREE.replace('    prompt: Support.\n', '    prompt: Support.\n    approval: required\n');
    const graph = compileTree(parseTree(gated, 'helped.yaml'), { model: 'offline' });
    const { threadId } = newThread();
    const waiting = await runTurn(graph, { threadId, message: "I get an error, it's broken" });
    expect(waiting.waitingFor).toMatchObject({ to: 'support' });

    const result = await denyHandoff(graph, threadId, { reason: 'not now' });
    expect(result.handoffs).toEqual([]);
    expect(result.agent).toBe('triage');
    expect(result.reply).toContain('Tool results: search_faq: [offline] FAQ: see KB-1.');
    expect(callsOf(result.state.messages, 'search_faq')).toHaveLength(1);
    expect(callsOf(result.state.messages, 'transfer_to_support')).toHaveLength(1);
  });
});
