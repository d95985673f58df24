import { describe, expect, it } from 'vitest';
import type { SwitchboardEvent } from '../../nodes/events.js';
import { runTurn, streamTurn } from '../../runtime/turn.js';
import type { TurnResult } from '../../runtime/turn.js';
import type { SwitchboardState } from '../../state/schema.js';
import type { FakeAnthropicBlock } from '../../testing/fake-anthropic-server.js';
import { expectEveryCallAnswered, newThread, user } from '../helpers.js';
import { compileWith, fakeServersForFile, TWO_PROVIDERS } from './anthropic-fixture.js';

const servers = await fakeServersForFile();
const { anthropic, openai } = servers;

/** Every agent on Anthropic's Claude, OpenAI as each one's model fallback. */
const CLAUDE_DESK = `
version: 1
name: claude-desk
root: triage
retry: { attempts: 2, initialDelayMs: 1, maxDelayMs: 100 }
models:
  claude: { provider: anthropic, name: claude-sonnet-4-5, maxTokens: 1024, timeoutMs: 20000 }
  gpt: { provider: openai, name: gpt-4o-mini, timeoutMs: 20000 }
defaults: { model: [claude, gpt] }
agents:
  triage: { description: Front desk., prompt: You are the front desk. Route to billing., children: [billing] }
  billing:
    description: Billing.
    prompt: You are billing.
    tools: [lookup_invoice, issue_refund]
    escalate: [person]
    handoff:
      payload:
        reason: { type: string }
        amount: { type: number, required: false }
  person: { kind: human, description: A person. }
`;

async function collect(stream: AsyncGenerator<SwitchboardEvent, TurnResult>): Promise<{ events: SwitchboardEvent[]; result: TurnResult }> {
  const events: SwitchboardEvent[] = [];
  let next = await stream.next();
  for (; !next.done; next = await stream.next()) events.push(next.value);
  return { events, result: next.value };
}

const blocksOf = (content: string | FakeAnthropicBlock[] | undefined): FakeAnthropicBlock[] => (Array.isArray(content) ? content : []);
/** Which agent each Anthropic request came from, read from its system prompt, with its model. */
const anthropicLog = () => anthropic.requests.map((request) => `${request.system.startsWith('You are billing') ? 'billing' : 'triage'}:${request.model}`);

describe('Anthropic through @langchain/anthropic (real client, fake Messages API)', () => {
  it('hands off with a payload from an Anthropic triage to an OpenAI specialist', async () => {
    const { graph } = await compileWith(servers, TWO_PROVIDERS);
    const { config } = newThread();
    anthropic.enqueue({ toolCalls: [{ name: 'transfer_to_billing', input: { reason: 'charged twice in May' } }] });
    openai.enqueue({ content: 'I can see both charges.' });

    const state = (await graph.invoke(user('Why was I charged twice in May?'), config)) as SwitchboardState;

    const [routing] = anthropic.requests;
    expect(routing).toMatchObject({ model: 'claude-haiku-4-5', stream: false, tools: ['transfer_to_billing', 'transfer_to_technical'] });
    expect(routing?.body).toMatchObject({ max_tokens: 512, temperature: 0, messages: [{ role: 'user', content: 'Why was I charged twice in May?' }] });
    expect(routing?.headers['x-api-key']).toBe('sk-ant-test');
    expect(routing?.system).toContain('You are the front desk.');
    expect(openai.requests[0]?.model).toBe('gpt-4o');
    expect(String(openai.requests[0]?.messages[0]?.content)).toContain('"reason":"charged twice in May"');
    expect(openai.requests[0]?.tools).toEqual(expect.arrayContaining(['lookup_invoice', 'issue_refund', 'transfer_to_triage', 'transfer_to_person']));
    expect(state.activeAgent).toBe('billing');
    expect(state.handoffs).toEqual([expect.objectContaining({ from: 'triage', to: 'billing', kind: 'delegate', tool: 'transfer_to_billing', payload: { reason: 'charged twice in May' } })]);
    expect(state.messages.at(-1)?.text).toBe('I can see both charges.');
    expectEveryCallAnswered(state.messages);
  });

  it('an agent that hands off with a few words: the next agent is shown them in its prompt, and its request ends on the user, not on a prefill', async () => {
    const { graph } = await compileWith(servers, CLAUDE_DESK);
    anthropic.enqueue(
      { content: 'Let me transfer you to billing. ', toolCalls: [{ name: 'transfer_to_billing', input: { reason: 'charged twice' } }] },
      { content: 'Billing here: I see both charges.' },
    );

    const result = await runTurn(graph, { threadId: newThread().threadId, message: 'I was charged twice' });

    expect(result).toMatchObject({ status: 'done', agent: 'billing', reply: 'Billing here: I see both charges.' });
    const billing = anthropic.requests[1]!;
    expect(billing.messages.at(-1)).toEqual({ role: 'user', content: 'I was charged twice' });
    expect(billing.system).toContain('## Said to the user since their last message\ntriage: Let me transfer you to billing.');
    // The words stay in the thread: the user saw them.
    expect(result.state.messages.map((message) => message.text)).toContain('Let me transfer you to billing. ');
  });

  it('an agent that spoke, handed off and got the conversation back in the same turn: its request ends on the user, its own words in the prompt', async () => {
    const { graph } = await compileWith(servers, CLAUDE_DESK);
    anthropic.enqueue(
      { content: 'Let me transfer you to billing. ', toolCalls: [{ name: 'transfer_to_billing', input: { reason: 'a question' } }] },
      { toolCalls: [{ name: 'transfer_to_triage', input: {} }] },
      { content: 'Back at the front desk: what else?' },
    );

    const result = await runTurn(graph, { threadId: newThread().threadId, message: 'I have a question' });

    expect(result).toMatchObject({ status: 'done', agent: 'triage', reply: 'Back at the front desk: what else?' });
    const again = anthropic.requests[2]!;
    expect(again.messages.at(-1)).toEqual({ role: 'user', content: 'I have a question' });
    expect(again.system).toContain('## Said to the user since their last message\ntriage (you): Let me transfer you to billing.');
  });

  it('runs function tools: tool_use blocks out, tool_result blocks back with the same ids', async () => {
    const { graph, ledger } = await compileWith(servers, CLAUDE_DESK);
    const { config } = newThread();
    anthropic.enqueue(
      { toolCalls: [{ name: 'transfer_to_billing', input: { reason: 'refund', amount: 20 } }] },
      { content: 'Refunding now.', toolCalls: [{ name: 'issue_refund', input: { invoice_id: 'INV-7', amount: 20 } }] },
      { content: 'Your $20 refund is on its way.' },
    );

    const state = (await graph.invoke(user('refund INV-7 please'), config)) as SwitchboardState;

    expect(await ledger.list('refund')).toHaveLength(1);
    expect(anthropicLog()).toEqual(['triage:claude-sonnet-4-5', 'billing:claude-sonnet-4-5', 'billing:claude-sonnet-4-5']);
    expect(anthropic.requests[1]?.tools).toEqual(['transfer_to_triage', 'transfer_to_person', 'lookup_invoice', 'issue_refund']);
    expect(anthropic.requests[1]?.system).toContain('"amount":20');
    const messages = anthropic.requests[2]?.messages ?? [];
    const toolUse = blocksOf(messages.at(-2)?.content).find((block) => block.type === 'tool_use');
    const toolResult = blocksOf(messages.at(-1)?.content).find((block) => block.type === 'tool_result');
    expect(toolUse).toMatchObject({ name: 'issue_refund', input: { invoice_id: 'INV-7', amount: 20 } });
    expect(toolResult?.tool_use_id).toBe(toolUse?.id);
    expect(JSON.stringify(toolResult?.content)).toMatch(/Refund REF-\w+ of \$20 on INV-7/);
    expect(state.messages.at(-1)?.text).toBe('Your $20 refund is on its way.');
    expectEveryCallAnswered(state.messages);
  });

  it('streams: SSE text_delta and input_json_delta give text-delta events and the same result', async () => {
    const { graph } = await compileWith(servers, CLAUDE_DESK);
    anthropic.enqueue(
      { toolCalls: [{ name: 'transfer_to_billing', input: { reason: 'double charge', amount: 99 } }], usage: { input_tokens: 300, output_tokens: 30 } },
      { content: 'I can see both charges of $99.', usage: { input_tokens: 500, output_tokens: 50 } },
    );

    const { events, result } = await collect(streamTurn(graph, { threadId: newThread().threadId, message: 'charged twice' }));

    expect(anthropic.requests.map((request) => request.stream)).toEqual([true, true]);
    const deltas = events.flatMap((event) => (event.type === 'text-delta' ? [event] : []));
    expect(deltas.map((event) => event.delta).join('')).toBe('I can see both charges of $99.');
    expect(new Set(deltas.map((event) => event.agent))).toEqual(new Set(['billing']));
    expect(result).toMatchObject({ agent: 'billing', reply: 'I can see both charges of $99.', status: 'done' });
    expect(result.handoffs[0]?.payload).toEqual({ reason: 'double charge', amount: 99 });
    // @langchain/anthropic adds message_start's output_tokens (1, as Anthropic sends it) to message_delta's total: 80 + 1 per call.
    expect(result.usage.total).toMatchObject({ modelCalls: 2, inputTokens: 800, outputTokens: 82 });
  });

  it('attributes Anthropic and OpenAI tokens and cost to agents and paths from each provider’s usage and prices', async () => {
    const { graph } = await compileWith(servers, TWO_PROVIDERS);
    const { threadId } = newThread();
    anthropic.enqueue({ toolCalls: [{ name: 'transfer_to_billing', input: { reason: 'x' } }], usage: { input_tokens: 1000, output_tokens: 100 } });
    openai.enqueue({ content: 'Billing answer.', usage: { prompt_tokens: 2000, completion_tokens: 200 } });

    const result = await runTurn(graph, { threadId, message: 'charged twice' });

    // triage: claude-haiku-4-5 ($1 / $5 per million); billing: gpt-4o ($2.50 / $10).
    const triageCost = (1000 * 1 + 100 * 5) / 1e6;
    const billingCost = (2000 * 2.5 + 200 * 10) / 1e6;
    expect(result.usage.total).toMatchObject({ modelCalls: 2, inputTokens: 3000, outputTokens: 300 });
    expect(result.usage.byAgent.triage).toMatchObject({ inputTokens: 1000, outputTokens: 100 });
    expect(result.usage.byAgent.triage?.costUsd).toBeCloseTo(triageCost, 12);
    expect(result.usage.byAgent.billing?.costUsd).toBeCloseTo(billingCost, 12);
    expect(result.usage.total.costUsd).toBeCloseTo(triageCost + billingCost, 12);
    expect(Object.keys(result.usage.byPath)).toEqual(['triage', 'triage→billing']);
  });

  it('reads the key from the model’s own apiKeyEnv and sends it as x-api-key to the baseURL the tree names', async () => {
    const tree = CLAUDE_DESK.replace('maxTokens: 1024,', `maxTokens: 1024, apiKeyEnv: WORK_CLAUDE_API_KEY, baseURL: "${anthropic.url}",`);
    const { graph } = await compileWith(servers, tree, { env: { WORK_CLAUDE_API_KEY: 'sk-ant-work', OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: openai.url } });
    anthropic.enqueue({ content: 'Hello.' });

    const result = await runTurn(graph, { threadId: newThread().threadId, message: 'hi' });

    expect(result.reply).toBe('Hello.');
    expect(anthropic.requests[0]?.headers['x-api-key']).toBe('sk-ant-work');
  });
});

describe('Anthropic failures through Switchboard’s one retry layer', () => {
  const toBilling = { toolCalls: [{ name: 'transfer_to_billing', input: { reason: 'billing question' } }] };

  it('a 429 is retried after exactly the Retry-After Anthropic sent, one request per attempt (the client retries nothing)', async () => {
    const { graph, sleeps } = await compileWith(servers, CLAUDE_DESK);
    anthropic.enqueue(toBilling, { status: 429, headers: { 'retry-after': '0.05' }, error: { message: 'Number of request tokens has exceeded your per-minute rate limit' } }, { content: 'Answer after the pause.' });

    const result = await runTurn(graph, { threadId: newThread().threadId, message: 'invoice?' });

    expect(anthropicLog()).toEqual(['triage:claude-sonnet-4-5', 'billing:claude-sonnet-4-5', 'billing:claude-sonnet-4-5']);
    expect(sleeps).toEqual([50]);
    expect(result.reply).toBe('Answer after the pause.');
    expect(openai.requests).toHaveLength(0);
  });

  it.each([
    ['529 overloaded_error', { status: 529 }],
    ['500 api_error', { status: 500 }],
  ])('a %s then success is retried once on the same model', async (_name, failure) => {
    const { graph, sleeps, logs } = await compileWith(servers, CLAUDE_DESK);
    anthropic.enqueue(toBilling, failure, { content: 'Fine now.' });

    const result = await runTurn(graph, { threadId: newThread().threadId, message: 'invoice?' });

    expect(anthropicLog()).toEqual(['triage:claude-sonnet-4-5', 'billing:claude-sonnet-4-5', 'billing:claude-sonnet-4-5']);
    expect(sleeps).toHaveLength(1);
    expect(logs.records.filter((record) => record.event === 'model-retry').map((record) => record.reason)).toEqual(['server']);
    expect(result).toMatchObject({ reply: 'Fine now.', status: 'done' });
    expect(result.state.turn.modelCalls).toBe(3);
  });

  it('an overloaded_error event in the middle of a stream is retried like a 529', async () => {
    const { graph } = await compileWith(servers, CLAUDE_DESK);
    anthropic.enqueue(toBilling, { content: 'Half an answer that never ends', streamError: { message: 'Overloaded' } }, { content: 'A whole answer.' });

    const { result } = await collect(streamTurn(graph, { threadId: newThread().threadId, message: 'invoice?' }));

    expect(anthropicLog()).toEqual(['triage:claude-sonnet-4-5', 'billing:claude-sonnet-4-5', 'billing:claude-sonnet-4-5']);
    expect(result).toMatchObject({ agent: 'billing', reply: 'A whole answer.', status: 'done' });
  });

  it('"prompt is too long" is a context-length error: retried once with only the current turn', async () => {
    const { graph } = await compileWith(servers, CLAUDE_DESK);
    const { config } = newThread();
    anthropic.enqueue(toBilling, { content: 'First answer.' });
    await graph.invoke(user('first question'), config);
    anthropic.requests.length = 0;
    anthropic.enqueue({ status: 400, error: { type: 'invalid_request_error', message: 'prompt is too long: 210000 tokens > 200000 maximum' } }, { content: 'Short answer.' });

    const state = (await graph.invoke(user('second question'), config)) as SwitchboardState;

    const userTurns = (index: number) => anthropic.requests[index]?.messages.filter((message) => message.role === 'user' && !blocksOf(message.content).some((block) => block.type === 'tool_result'));
    expect(anthropicLog()).toEqual(['billing:claude-sonnet-4-5', 'billing:claude-sonnet-4-5']);
    expect(userTurns(0)).toHaveLength(2);
    expect(userTurns(1)).toHaveLength(1);
    expect(state.messages.at(-1)?.text).toBe('Short answer.');
  });

  it('an Anthropic model that keeps failing falls back to the OpenAI model', async () => {
    const { graph } = await compileWith(servers, CLAUDE_DESK);
    anthropic.enqueue(toBilling, { status: 529 }, { status: 529 }, { status: 500 });
    openai.enqueue({ content: 'OpenAI backup here.' });

    const { events, result } = await collect(streamTurn(graph, { threadId: newThread().threadId, message: 'invoice?' }));

    expect(anthropicLog()).toEqual(['triage:claude-sonnet-4-5', ...Array.from({ length: 3 }, () => 'billing:claude-sonnet-4-5')]);
    expect(openai.requests.map((request) => request.model)).toEqual(['gpt-4o-mini']);
    expect(String(openai.requests[0]?.messages[0]?.content)).toContain('You are billing.');
    expect(events).toContainEqual(expect.objectContaining({ type: 'model-fallback', agent: 'billing', from: 'claude-sonnet-4-5', to: 'gpt-4o-mini' }));
    expect(result).toMatchObject({ agent: 'billing', reply: 'OpenAI backup here.', status: 'done' });
  });

  it('an OpenAI model that keeps failing falls back to the Anthropic model, on every call of the turn, tools included', async () => {
    const { graph } = await compileWith(servers, TWO_PROVIDERS);
    anthropic.enqueue(
      { toolCalls: [{ name: 'transfer_to_billing', input: { reason: 'invoice' } }] },
      { toolCalls: [{ name: 'lookup_invoice', input: { invoice_id: 'INV-1001' } }] },
      { content: 'Claude backup: INV-1001 is paid.' },
    );
    openai.fallback(() => ({ status: 500 }));

    const result = await runTurn(graph, { threadId: newThread().threadId, message: 'is my invoice paid?' });

    // Each model call starts from the agent's first model: 1 + 2 retries before the tool call, and again after it.
    expect(openai.requests.map((request) => request.model)).toEqual(Array.from({ length: 6 }, () => 'gpt-4o'));
    expect(anthropic.requests.map((request) => request.model)).toEqual(['claude-haiku-4-5', 'claude-sonnet-4-5', 'claude-sonnet-4-5']);
    expect(anthropic.requests[1]?.tools).toEqual(expect.arrayContaining(['lookup_invoice', 'issue_refund']));
    expect(anthropic.requests[1]?.body.max_tokens).toBe(2048);
    expect(result).toMatchObject({ agent: 'billing', reply: 'Claude backup: INV-1001 is paid.', status: 'done' });
    expectEveryCallAnswered(result.state.messages);
  });
});
