import { describe, expect, it } from 'vitest';
import type { ToolMessage } from '@langchain/core/messages';
import { runTurn, streamTurn } from '../../runtime/turn.js';
import type { SwitchboardState } from '../../state/schema.js';
import { compileExample, expectEveryCallAnswered, fakeOpenAIForFile, newThread, user, viaFakeOpenAI } from '../helpers.js';

const server = await fakeOpenAIForFile();


const system = (index: number) => String(server.requests[index]?.messages[0]?.content);

describe('handoffs through the real ChatOpenAI client', () => {
  it('delivers the handoff payload to the receiving agent and into the shared state', async () => {
    const { graph } = await compileExample('support', viaFakeOpenAI(server));
    const { config } = newThread();
    server.enqueue({ toolCalls: [{ name: 'transfer_to_billing', arguments: { reason: 'charged twice in May', priority: 'high', amount: 99 } }] }, { content: 'I can see both charges.' });

    const state = (await graph.invoke(user('Why was I charged $99 twice in May?'), config)) as SwitchboardState;

    expect(state.activeAgent).toBe('billing');
    expect(state.messages.at(-1)?.text).toBe('I can see both charges.');
    expect(state.messages.at(-1)?.name).toBe('billing');
    expect(state.handoffs).toEqual([expect.objectContaining({ from: 'triage', to: 'billing', kind: 'delegate', tool: 'transfer_to_billing', payload: { reason: 'charged twice in May', priority: 'high', amount: 99 }, turn: 1 })]);
    expect(state.fields.priority).toBe('high');
    // The billing model saw the payload, and only billing's tools.
    expect(system(1)).toContain('"reason":"charged twice in May"');
    expect(system(1)).toContain('triage handed this conversation to you');
    expect(server.requests[1]?.tools).toEqual(['transfer_to_triage', 'escalate_to_manager', 'lookup_invoice', 'issue_refund']);
    expect(server.requests[0]?.model).toBe('gpt-4o-mini');
    expect(server.requests[1]?.model).toBe('gpt-4o');
    expectEveryCallAnswered(state.messages);
  });

  it('routes the next turn to the agent that owns the conversation', async () => {
    const { graph } = await compileExample('support', viaFakeOpenAI(server));
    const { config } = newThread();
    server.enqueue({ toolCalls: [{ name: 'transfer_to_technical', arguments: { reason: 'webhook 502', urgency: 'high' } }] }, { content: 'Which call id?' }, { content: 'Thanks, checking call_9.' });
    await graph.invoke(user('My webhook returns 502 every 10 minutes.'), config);
    const state = (await graph.invoke(user('call_9'), config)) as SwitchboardState;

    expect(server.requests).toHaveLength(3);
    expect(server.requests[2]?.tools).toContain('fetch_call_log');
    expect(system(2)).toContain('technical support engineer');
    expect(state.activeAgent).toBe('technical');
    expect(state.turn).toMatchObject({ number: 2, path: ['technical'], status: 'done' });
  });

  it('hands back to the parent, which delegates again', async () => {
    const { graph } = await compileExample('support', viaFakeOpenAI(server));
    const { config } = newThread();
    server.enqueue(
      { toolCalls: [{ name: 'transfer_to_billing', arguments: { reason: 'invoice' } }] },
      { content: 'Invoice fixed.' },
      { toolCalls: [{ name: 'transfer_to_triage', arguments: { reason: 'wants a demo' } }] },
      { toolCalls: [{ name: 'transfer_to_sales', arguments: { interest: 'demo' } }] },
      { content: 'Happy to book a demo.' },
    );
    await graph.invoke(user('My invoice is wrong'), config);
    const state = (await graph.invoke(user('Also, can I get a demo?'), config)) as SwitchboardState;

    expect(state.activeAgent).toBe('sales');
    expect(state.handoffs.filter((record) => record.turn === 2).map((record) => [record.from, record.to, record.kind])).toEqual([
      ['billing', 'triage', 'handback'],
      ['triage', 'sales', 'delegate'],
    ]);
  });

  it('escalates up to a person, pausing the thread with what the operator needs', async () => {
    const { graph } = await compileExample('support', viaFakeOpenAI(server));
    const { threadId } = newThread();
    server.enqueue(
      { toolCalls: [{ name: 'transfer_to_billing', arguments: { reason: 'refund' } }] },
      { toolCalls: [{ name: 'escalate_to_manager', arguments: { reason: 'refund over policy' } }] },
      { toolCalls: [{ name: 'escalate_to_human', arguments: { reason: 'customer insists', summary: 'refund of $900' } }] },
    );
    const result = await runTurn(graph, { threadId, message: 'I want a $900 refund now or a person' });

    expect(result.status).toBe('waiting');
    expect(result.agent).toBe('human_agent');
    expect(result.reply).toBeUndefined();
    expect(result.waitingFor).toMatchObject({ agent: 'human_agent', from: 'escalation_manager', reason: 'customer insists', payload: { summary: 'refund of $900' } });
    expect(result.waitingFor?.transcript).toContain('user: I want a $900 refund now or a person');
    expect(result.handoffs.map((record) => record.kind)).toEqual(['delegate', 'escalate', 'escalate']);
  });

  it('executes a function tool called with a handoff first, then hands off; every call is answered', async () => {
    const { graph, ledger } = await compileExample('support', viaFakeOpenAI(server));
    const { config } = newThread();
    server.enqueue(
      { toolCalls: [{ name: 'transfer_to_billing', arguments: { reason: 'refund' } }] },
      {
        toolCalls: [
          { name: 'issue_refund', arguments: { invoice_id: 'INV-7', amount: 20 } },
          { name: 'escalate_to_manager', arguments: { reason: 'customer also wants compensation' } },
        ],
      },
      { content: 'Manager here.' },
    );
    const state = (await graph.invoke(user('refund please, and I want compensation'), config)) as SwitchboardState;

    expect(await ledger.list('refund')).toHaveLength(1);
    expect(state.activeAgent).toBe('escalation_manager');
    const tools = state.messages.filter((message) => message.type === 'tool').map((message) => message.text);
    expect(tools[1]).toMatch(/^Refund REF-\w+ of \$20 on INV-7/);
    expect(tools[2]).toMatch(/^Transferred to escalation_manager/);
    expectEveryCallAnswered(state.messages);
  });

  it('refuses a second handoff in the same response', async () => {
    const { graph } = await compileExample('support', viaFakeOpenAI(server));
    const { config } = newThread();
    server.enqueue(
      { toolCalls: [{ name: 'transfer_to_billing', arguments: { reason: 'a' } }, { name: 'transfer_to_sales', arguments: { interest: 'b' } }] },
      { content: 'Billing here.' },
    );
    const state = (await graph.invoke(user('billing and sales'), config)) as SwitchboardState;

    expect(state.activeAgent).toBe('billing');
    expect(state.handoffs).toHaveLength(1);
    const refusal = state.messages.find((message) => message.type === 'tool' && (message as ToolMessage).name === 'transfer_to_sales');
    expect(refusal?.text).toBe('Refused: only one handoff per response, and transfer_to_billing (to billing) came first, so transfer_to_sales was not done. Call it again on its own if it is still needed.');
    expectEveryCallAnswered(state.messages);
  });

  it('never moves control to an invented target; the model is told why and retries', async () => {
    const { graph } = await compileExample('support', viaFakeOpenAI(server));
    const { config } = newThread();
    server.enqueue({ toolCalls: [{ name: 'transfer_to_root_admin', arguments: { reason: 'x' } }] }, { toolCalls: [{ name: 'transfer_to_sales', arguments: { interest: 'pricing' } }] }, { content: 'Sales here.' });
    const state = (await graph.invoke(user('pricing'), config)) as SwitchboardState;

    expect(state.activeAgent).toBe('sales');
    const refusal = server.requests[1]?.messages.find((message) => message.role === 'tool');
    expect(refusal?.content).toBe(
      'Refused: there is no tool named transfer_to_root_admin. You can hand off with: transfer_to_billing (to billing), transfer_to_technical (to technical), transfer_to_sales (to sales); your tools are: none.',
    );
    expect(state.turn.modelCalls).toBe(3);
    expectEveryCallAnswered(state.messages);
  });

  it("refuses another agent's tool", async () => {
    const { graph, ledger } = await compileExample('support', viaFakeOpenAI(server));
    const { config } = newThread();
    server.enqueue({ toolCalls: [{ name: 'issue_refund', arguments: { invoice_id: 'INV-1', amount: 400 } }] }, { content: 'Let me route you.' });
    const state = (await graph.invoke(user('refund me'), config)) as SwitchboardState;

    expect(await ledger.list()).toEqual([]);
    const refusal = state.messages.find((message) => message.type === 'tool');
    expect(refusal?.text).toMatch(/^Refused: issue_refund belongs to another agent; triage cannot call it\./);
    expect(state.activeAgent).toBe('triage');
  });

  it('refuses a sideways handoff the tree does not allow', async () => {
    const { graph } = await compileExample('support', viaFakeOpenAI(server));
    const { config } = newThread();
    server.enqueue({ toolCalls: [{ name: 'transfer_to_billing', arguments: { reason: 'x' } }] }, { toolCalls: [{ name: 'transfer_to_sales', arguments: { interest: 'x' } }] }, { content: 'Staying in billing.' });
    const state = (await graph.invoke(user('billing, then sales'), config)) as SwitchboardState;

    expect(state.activeAgent).toBe('billing');
    const refusal = state.messages.find((message) => message.type === 'tool' && (message as ToolMessage).name === 'transfer_to_sales');
    expect(refusal?.text).toMatch(/^Refused: transfer_to_sales is not a handoff you are allowed to make from billing\./);
  });

  it('stops ping-pong and sends the turn to the escalation target', async () => {
    const { graph } = await compileExample('support', viaFakeOpenAI(server));
    const { config } = newThread();
    server.enqueue(
      { toolCalls: [{ name: 'transfer_to_billing', arguments: { reason: '1' } }] },
      { toolCalls: [{ name: 'transfer_to_triage', arguments: { reason: '2' } }] },
      { toolCalls: [{ name: 'transfer_to_billing', arguments: { reason: '3' } }] },
      { content: 'Escalation manager here.' },
    );
    const state = (await graph.invoke(user('loop'), config)) as SwitchboardState;

    expect(state.activeAgent).toBe('escalation_manager');
    expect(state.handoffs.map((record) => `${record.from}>${record.to}:${record.kind}`)).toEqual(['triage>billing:delegate', 'billing>triage:handback', 'triage>escalation_manager:limit']);
    expect(state.handoffs.at(-1)?.reason).toBe('PING_PONG');
    expectEveryCallAnswered(state.messages);
  });

  it('streams: the same turn through streaming responses (SSE) gives the same result', async () => {
    const { graph } = await compileExample('support', viaFakeOpenAI(server));
    const { threadId } = newThread();
    server.enqueue({ toolCalls: [{ name: 'transfer_to_billing', arguments: { reason: 'double charge', priority: 'high' } }] }, { content: 'I can see both charges of $99.' });
    const stream = streamTurn(graph, { threadId, message: 'charged twice' });
    const deltas: string[] = [];
    let next = await stream.next();
    for (; !next.done; next = await stream.next()) if (next.value.type === 'text-delta') deltas.push(next.value.delta);
    const result = next.value;

    expect(server.requests.map((request) => request.stream)).toEqual([true, true]);
    expect(deltas.join('')).toBe('I can see both charges of $99.');
    expect(result).toMatchObject({ agent: 'billing', reply: 'I can see both charges of $99.', status: 'done', turn: 1 });
    expect(result.handoffs[0]?.payload).toEqual({ reason: 'double charge', priority: 'high' });
    expect(result.usage.total).toMatchObject({ modelCalls: 2, inputTokens: 200, outputTokens: 40 });
    expect(Object.keys(result.usage.byPath)).toEqual(['triage', 'triage→billing']);
  });

  it('asks for whole responses when nobody reads the tokens (runTurn), with the same result', async () => {
    const { graph } = await compileExample('support', viaFakeOpenAI(server));
    const { threadId } = newThread();
    server.enqueue({ toolCalls: [{ name: 'transfer_to_billing', arguments: { reason: 'double charge', priority: 'high' } }] }, { content: 'I can see both charges of $99.' });
    const result = await runTurn(graph, { threadId, message: 'charged twice' });

    expect(server.requests.map((request) => Boolean(request.stream))).toEqual([false, false]);
    expect(result).toMatchObject({ agent: 'billing', reply: 'I can see both charges of $99.', status: 'done', turn: 1 });
    expect(result.usage.total).toMatchObject({ modelCalls: 2, inputTokens: 200, outputTokens: 40 });
  });
});
