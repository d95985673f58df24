import { describe, expect, it } from 'vitest';
import { ScriptedChatModel } from '../../models/scripted.js';
import type { SwitchboardEvent } from '../../nodes/events.js';
import { streamTurn } from '../../runtime/turn.js';
import { compileExample, newThread } from '../helpers.js';

describe('helper agents called as tools (the hybrid pattern)', () => {
  it('runs the helper on its own prompt and the request only; the specialist keeps the conversation', async () => {
    const model = new ScriptedChatModel([
      { toolCalls: [{ name: 'transfer_to_billing_specialist', args: { reason: 'plan change' } }] },
      { toolCalls: [{ name: 'lookup_account', args: { request: 'account of the current customer' } }, { name: 'calculate_proration', args: { request: 'growth to scale, 15 of 30 days left' } }] },
      'Account: active, plan Growth.',
      'Proration: $50.00 due today.',
      'You are on Growth; moving to Scale costs $50.00 today.',
    ]);
    const { graph } = await compileExample('hybrid', { model });
    const events: SwitchboardEvent[] = [];
    const stream = streamTurn(graph, { threadId: newThread().threadId, message: 'What would upgrading cost me?', fields: { customer_id: 'cus_1' } });
    let next = await stream.next();
    for (; !next.done; next = await stream.next()) events.push(next.value);
    const result = next.value;

    expect(result).toMatchObject({ agent: 'billing_specialist', reply: 'You are on Growth; moving to Scale costs $50.00 today.' });
    expect(result.handoffs.map((record) => record.to)).toEqual(['billing_specialist']);
    // The helpers saw their own prompt and the request, nothing of the conversation.
    const helperRequests = model.requests.slice(2, 4);
    expect(helperRequests.map((request) => request.messages.map((message) => `${message.type}: ${message.text}`))).toEqual([
      [expect.stringMatching(/^system: Look up the customer's account/), 'human: account of the current customer'],
      [expect.stringMatching(/^system: Compute the prorated amount/), 'human: growth to scale, 15 of 30 days left'],
    ]);
    expect(helperRequests.map((request) => request.tools)).toEqual([[], []]);
    // Only the results enter the conversation.
    const tools = result.state.messages.filter((message) => message.type === 'tool').map((message) => message.text);
    expect(tools).toEqual(['Transferred to billing_specialist: billing_specialist now owns the conversation.', 'Account: active, plan Growth.', 'Proration: $50.00 due today.']);
    expect(result.usage.byAgent.account_lookup?.modelCalls).toBe(1);
    expect(result.usage.byAgent.proration?.modelCalls).toBe(1);
    expect(result.state.turn.modelCalls).toBe(5);
    expect(events.filter((event) => event.type === 'tool-result').map((event) => (event as { tool: string }).tool)).toEqual(['lookup_account', 'calculate_proration']);
  });

  it('a helper asked without a usable request is not called: the model is told how to ask, and the turn goes on', async () => {
    const model = new ScriptedChatModel([
      { toolCalls: [{ name: 'transfer_to_billing_specialist', args: { reason: 'plan change' } }] },
      { toolCalls: [{ name: 'lookup_account', args: {} }, { name: 'calculate_proration', args: { request: { plan: 'scale' } } }, { name: 'lookup_account', args: { request: '   ' } }] },
      { toolCalls: [{ name: 'lookup_account', args: { request: 'account of the current customer' } }] },
      '',
      'I could not read your account just now.',
    ]);
    const { graph } = await compileExample('hybrid', { model });
    const stream = streamTurn(graph, { threadId: newThread().threadId, message: 'What would upgrading cost me?', fields: { customer_id: 'cus_1' } });
    let next = await stream.next();
    while (!next.done) next = await stream.next();
    const result = next.value;

    expect(result).toMatchObject({ status: 'done', agent: 'billing_specialist', reply: 'I could not read your account just now.' });
    const answers = result.state.messages.filter((message) => message.type === 'tool').slice(1).map((message) => message.text);
    expect(answers).toEqual([
      expect.stringMatching(/^Refused: lookup_account was not asked \(request: .+\)\. Call it again with \{"request": /),
      expect.stringMatching(/^Refused: calculate_proration was not asked \(request: .+\)/),
      expect.stringMatching(/^Refused: lookup_account was not asked \(request: it is blank\)/),
      // The helper answered nothing: the calling model is told so, not handed an empty result.
      'Error: account_lookup answered nothing. Ask it again with more detail, or go on without it.',
    ]);
    // Only the one valid request reached a helper's model.
    expect(model.requests.filter((request) => request.system.startsWith('Look up the customer')).map((request) => request.messages.at(-1)?.text)).toEqual(['account of the current customer']);
    expect(result.handoffs.map((record) => record.kind)).toEqual(['delegate']);
  });
});
