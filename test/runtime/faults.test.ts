import { describe, expect, it } from 'vitest';
import type { ToolMessage } from '@langchain/core/messages';
import { tool } from '@langchain/core/tools';
import { z } from 'zod';
import { compileTree } from '../../graphs/compile.js';
import { runTurn } from '../../runtime/turn.js';
import type { SwitchboardEvent } from '../../nodes/events.js';
import { streamTurn } from '../../runtime/turn.js';
import type { SwitchboardState } from '../../state/schema.js';
import { captureLogs } from '../../testing/capture-logs.js';
import type { FakeResponse } from '../../testing/fake-openai-server.js';
import { expectEveryCallAnswered, fakeOpenAIForFile, loadFaultsTree, newThread, user } from '../helpers.js';

const server = await fakeOpenAIForFile();

const toBilling: FakeResponse = { toolCalls: [{ name: 'transfer_to_billing', arguments: { reason: 'billing question' } }] };

async function compileFaults() {
  const { tree, tools, ledger } = await loadFaultsTree();
  const sleeps: number[] = [];
  const logs = captureLogs();
  const graph = compileTree(tree, {
    tools,
    logger: logs.logger,
    model: 'openai',
    env: { OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: server.url },
    sleep: async (ms) => void sleeps.push(ms),
  });
  return { graph, ledger, sleeps, logs };
}

/** Which model each request went to, as `agent:model` (the agent read from its system prompt). */
function requestLog(): string[] {
  return server.requests.map((request) => {
    const system = String(request.messages[0]?.content);
    const agent = system.startsWith('You are billing') ? 'billing' : system.startsWith('You are the backup') ? 'backup_desk' : system.startsWith('You are the manager') ? 'manager' : 'triage';
    return `${agent}:${request.model}`;
  });
}


describe('the fault matrix (real ChatOpenAI client, fake server)', () => {
  it('a timeout moves to the model fallback without retrying the same model', async () => {
    const { graph } = await compileFaults();
    server.enqueue(toBilling, { content: 'too late', delayMs: 10_000 }, { content: 'Backup model here.' });
    const state = (await graph.invoke(user('invoice?'), newThread().config)) as SwitchboardState;

    expect(requestLog()).toEqual(['triage:gpt-4o-mini', 'billing:gpt-4o-mini', 'billing:gpt-4.1-mini']);
    expect(state.activeAgent).toBe('billing');
    expect(state.messages.at(-1)?.text).toBe('Backup model here.');
    expect(state.turn.modelCalls).toBe(3);
  });

  it('a 429 is retried after exactly the Retry-After the server sent', async () => {
    const { graph, sleeps } = await compileFaults();
    server.enqueue(toBilling, { status: 429, headers: { 'retry-after': '0.05' } }, { content: 'Answer after the pause.' });
    const state = (await graph.invoke(user('invoice?'), newThread().config)) as SwitchboardState;

    expect(requestLog()).toEqual(['triage:gpt-4o-mini', 'billing:gpt-4o-mini', 'billing:gpt-4o-mini']);
    expect(sleeps).toEqual([50]);
    expect(state.messages.at(-1)?.text).toBe('Answer after the pause.');
  });

  it('a negative Retry-After is ignored: the usual backoff applies, never a retry at once', async () => {
    const { graph, sleeps } = await compileFaults();
    server.enqueue(toBilling, { status: 429, headers: { 'retry-after': '-1' } }, { status: 429, headers: { 'retry-after-ms': '-500' } }, { content: 'Answer after the pause.' });
    const state = (await graph.invoke(user('invoice?'), newThread().config)) as SwitchboardState;

    expect(state.messages.at(-1)?.text).toBe('Answer after the pause.');
    expect(sleeps).toHaveLength(2);
    for (const ms of sleeps) expect(ms).toBeGreaterThan(0);
  });

  it('a 200 whose body is not JSON (a proxy page, a body cut short) is a server failure: retried, then named as such', async () => {
    const { graph, sleeps } = await compileFaults();
    server.enqueue(toBilling, { rawBody: '<html>502 Bad Gateway</html>' }, { content: 'Fine now.' });
    const state = (await graph.invoke(user('invoice?'), newThread().config)) as SwitchboardState;
    expect(requestLog()).toEqual(['triage:gpt-4o-mini', 'billing:gpt-4o-mini', 'billing:gpt-4o-mini']);
    expect(sleeps).toHaveLength(1);
    expect(state.messages.at(-1)?.text).toBe('Fine now.');

    server.enqueue(toBilling, ...Array.from({ length: 6 }, () => ({ rawBody: '{"id":"x","choices":[{"message' })));
    const failed = await runTurn(graph, { threadId: newThread().threadId, message: 'invoice?' });
    // Both of billing's models tried three times each; the agent fallback is told why.
    expect(failed.handoffs.find((move) => move.kind === 'fallback')?.payload.reason).toMatch(/^the model failed \(server\) after 6 attempt\(s\): the server's answer was not valid JSON/);
  });

  it('a 429 asking for a longer pause than the tree allows goes to the model fallback', async () => {
    const { graph, sleeps } = await compileFaults();
    server.enqueue(toBilling, { status: 429, headers: { 'retry-after': '30' } }, { content: 'Backup model here.' });
    const state = (await graph.invoke(user('invoice?'), newThread().config)) as SwitchboardState;

    expect(requestLog()).toEqual(['triage:gpt-4o-mini', 'billing:gpt-4o-mini', 'billing:gpt-4.1-mini']);
    expect(sleeps).toEqual([]);
    expect(state.messages.at(-1)?.text).toBe('Backup model here.');
  });

  it('a 429 asking for a longer pause than the tree allows, with no fallback left, ends the turn saying why it was not retried', async () => {
    const { graph, sleeps } = await compileFaults();
    server.enqueue({ status: 429, headers: { 'retry-after': '30' } });
    const result = await runTurn(graph, { threadId: newThread().threadId, message: 'hello' });

    expect(sleeps).toEqual([]);
    expect(result.status).toBe('error');
    expect(result.error).toEqual({
      code: 'MODEL_FAILED',
      message: 'the model failed (rate-limit) after 1 attempt(s): 429 fake error 429 (the server asked to wait 30000 ms, longer than retry.maxDelayMs: 100 ms)',
    });
  });

  it('a 500 then success is retried once on the same model', async () => {
    const { graph, sleeps } = await compileFaults();
    server.enqueue(toBilling, { status: 500 }, { content: 'Fine now.' });
    const state = (await graph.invoke(user('invoice?'), newThread().config)) as SwitchboardState;

    expect(requestLog()).toEqual(['triage:gpt-4o-mini', 'billing:gpt-4o-mini', 'billing:gpt-4o-mini']);
    expect(sleeps).toHaveLength(1);
    expect(state.messages.at(-1)?.text).toBe('Fine now.');
    expect(state.turn.modelCalls).toBe(3);
  });

  it('a 500 forever: each model is tried 1 + 2 retries times, then the agent fallback takes over', async () => {
    const { graph } = await compileFaults();
    server.enqueue(toBilling, ...Array.from({ length: 6 }, () => ({ status: 500 })), { content: 'Backup desk here.' });
    const result = await runTurn(graph, { threadId: newThread().threadId, message: 'invoice?' });

    expect(requestLog()).toEqual([
      'triage:gpt-4o-mini',
      ...Array.from({ length: 3 }, () => 'billing:gpt-4o-mini'),
      ...Array.from({ length: 3 }, () => 'billing:gpt-4.1-mini'),
      'backup_desk:gpt-4o-mini',
    ]);
    expect(result).toMatchObject({ agent: 'backup_desk', reply: 'Backup desk here.', status: 'done' });
    expect(result.handoffs.at(-1)).toMatchObject({ from: 'billing', to: 'backup_desk', kind: 'fallback', reason: 'MODEL_FAILED' });
    expect(result.state.turn.modelCalls).toBe(8);
  });

  it('malformed tool-call JSON is answered with a refusal and the model retries', async () => {
    const { graph, ledger } = await compileFaults();
    server.enqueue(toBilling, { toolCalls: [{ name: 'issue_refund', arguments: '{"invoice_id": "INV-1", "amount": ' }] }, { toolCalls: [{ name: 'issue_refund', arguments: { invoice_id: 'INV-1', amount: 10 } }] }, { content: 'Refunded.' });
    const state = (await graph.invoke(user('refund'), newThread().config)) as SwitchboardState;

    expect(requestLog()).toEqual(['triage:gpt-4o-mini', 'billing:gpt-4o-mini', 'billing:gpt-4o-mini', 'billing:gpt-4o-mini']);
    expect(server.requests[2]?.messages.find((message) => message.role === 'tool')?.content).toMatch(/^Refused: the arguments of issue_refund are not valid JSON/);
    expect(await ledger.list('refund')).toHaveLength(1);
    expectEveryCallAnswered(state.messages);
  });

  it('an unknown tool is refused and the model retries', async () => {
    const { graph } = await compileFaults();
    server.enqueue(toBilling, { toolCalls: [{ name: 'delete_account', arguments: {} }] }, { content: 'I cannot do that.' });
    const state = (await graph.invoke(user('delete my account'), newThread().config)) as SwitchboardState;

    expect(requestLog()).toEqual(['triage:gpt-4o-mini', 'billing:gpt-4o-mini', 'billing:gpt-4o-mini']);
    expect(state.messages.find((message) => message.type === 'tool' && (message as ToolMessage).name === 'delete_account')?.text).toMatch(/^Refused: there is no tool named delete_account\./);
    expectEveryCallAnswered(state.messages);
  });

  it('an invented handoff target is refused; control stays', async () => {
    const { graph } = await compileFaults();
    server.enqueue(toBilling, { toolCalls: [{ name: 'transfer_to_admin', arguments: {} }] }, { content: 'Still billing.' });
    const state = (await graph.invoke(user('admin please'), newThread().config)) as SwitchboardState;

    expect(requestLog()).toHaveLength(3);
    expect(state.activeAgent).toBe('billing');
    expect(state.handoffs).toHaveLength(1);
  });

  it('two handoffs: the first wins, the second is refused', async () => {
    const { graph } = await compileFaults();
    server.enqueue(
      toBilling,
      { toolCalls: [{ name: 'transfer_to_manager', arguments: {} }, { name: 'transfer_to_triage', arguments: {} }] },
      { content: 'Manager here.' },
    );
    const state = (await graph.invoke(user('manager'), newThread().config)) as SwitchboardState;

    expect(requestLog()).toEqual(['triage:gpt-4o-mini', 'billing:gpt-4o-mini', 'manager:gpt-4o-mini']);
    expect(state.activeAgent).toBe('manager');
    expectEveryCallAnswered(state.messages);
  });

  it('a handoff mixed with a tool call: the tool runs, then control moves', async () => {
    const { graph, ledger } = await compileFaults();
    server.enqueue(toBilling, { toolCalls: [{ name: 'issue_refund', arguments: { invoice_id: 'INV-3', amount: 5 } }, { name: 'transfer_to_manager', arguments: {} }] }, { content: 'Manager here.' });
    const state = (await graph.invoke(user('refund then manager'), newThread().config)) as SwitchboardState;

    expect(requestLog()).toEqual(['triage:gpt-4o-mini', 'billing:gpt-4o-mini', 'manager:gpt-4o-mini']);
    expect(await ledger.list('refund')).toHaveLength(1);
    expect(state.activeAgent).toBe('manager');
    expectEveryCallAnswered(state.messages);
  });

  it('an empty reply: the model is told once (not persisted) and answers', async () => {
    const { graph } = await compileFaults();
    server.enqueue(toBilling, { content: '' }, { content: 'Sorry — here is the answer.' });
    const state = (await graph.invoke(user('invoice?'), newThread().config)) as SwitchboardState;

    expect(requestLog()).toHaveLength(3);
    expect(server.requests[2]?.messages.at(-1)).toMatchObject({ role: 'system', content: 'Your last reply was empty. Answer the user, call one of your tools, or hand off.' });
    expect(state.messages.at(-1)?.text).toBe('Sorry — here is the answer.');
    expect(state.messages.some((message) => message.text.startsWith('Your last reply was empty'))).toBe(false);
  });

  it('an empty reply from the fallback model: asked again of that model, not of the one that just timed out', async () => {
    const { graph } = await compileFaults();
    server.enqueue(toBilling, { content: 'too late', delayMs: 10_000 }, { content: '' }, { content: 'Backup model, second try.' });
    const state = (await graph.invoke(user('invoice?'), newThread().config)) as SwitchboardState;

    expect(requestLog()).toEqual(['triage:gpt-4o-mini', 'billing:gpt-4o-mini', 'billing:gpt-4.1-mini', 'billing:gpt-4.1-mini']);
    expect(server.requests[3]?.messages.at(-1)).toMatchObject({ role: 'system', content: 'Your last reply was empty. Answer the user, call one of your tools, or hand off.' });
    expect(state.messages.at(-1)?.text).toBe('Backup model, second try.');
  });

  it('words said beside a tool call end as a message before the tool runs: a model retry later discards nothing of them', async () => {
    const { graph } = await compileFaults();
    server.enqueue(
      toBilling,
      { content: 'Let me look that up. ', toolCalls: [{ name: 'lookup_invoice', arguments: { invoice_id: 'INV-1001' } }] },
      { status: 500 },
      { content: 'It was charged once.' },
    );
    const events: SwitchboardEvent[] = [];
    const stream = streamTurn(graph, { threadId: newThread().threadId, message: 'invoice?' });
    for (let next = await stream.next(); !next.done; next = await stream.next()) events.push(next.value);

    const shown = events.filter((event) => ['message-end', 'tool-call', 'model-retry'].includes(event.type)).map((event) => (event.type === 'message-end' ? `${event.agent}: ${event.text}` : event.type));
    expect(shown).toEqual(['billing: Let me look that up. ', 'tool-call', 'model-retry', 'billing: It was charged once.']);
  });

  it('two empty replies: the agent fallback takes over', async () => {
    const { graph } = await compileFaults();
    server.enqueue(toBilling, { content: '' }, { content: '' }, { content: 'Backup desk here.' });
    const result = await runTurn(graph, { threadId: newThread().threadId, message: 'invoice?' });

    expect(requestLog()).toEqual(['triage:gpt-4o-mini', 'billing:gpt-4o-mini', 'billing:gpt-4o-mini', 'backup_desk:gpt-4o-mini']);
    expect(result.handoffs.at(-1)).toMatchObject({ kind: 'fallback', reason: 'EMPTY_REPLY' });
  });

  it('a context-length error is retried once with only the current turn', async () => {
    const { graph } = await compileFaults();
    const { config } = newThread();
    server.enqueue(toBilling, { content: 'First answer.' });
    await graph.invoke(user('first question'), config);
    server.requests.length = 0;
    server.enqueue({ status: 400, error: { message: "This model's maximum context length is 128000 tokens.", type: 'invalid_request_error', code: 'context_length_exceeded' } }, { content: 'Short answer.' });
    const state = (await graph.invoke(user('second question'), config)) as SwitchboardState;

    expect(requestLog()).toEqual(['billing:gpt-4o-mini', 'billing:gpt-4o-mini']);
    expect(server.requests[0]?.messages.filter((message) => message.role === 'user')).toHaveLength(2);
    expect(server.requests[1]?.messages.filter((message) => message.role === 'user')).toHaveLength(1);
    expect(state.turn).toMatchObject({ status: 'done' });
    expect(state.messages.at(-1)?.text).toBe('Short answer.');
  });

  it('a refusal hands the conversation to the agent fallback', async () => {
    const { graph } = await compileFaults();
    server.enqueue(toBilling, { refusal: "I can't help with that." }, { content: 'Backup desk here.' });
    const result = await runTurn(graph, { threadId: newThread().threadId, message: 'invoice?' });

    expect(result.handoffs.at(-1)).toMatchObject({ from: 'billing', to: 'backup_desk', kind: 'fallback', reason: 'REFUSED' });
    expect(result.reply).toBe('Backup desk here.');
  });

  it('a streamed refusal with no fallback is the reply, in the text stream too', async () => {
    const { graph } = await compileFaults();
    server.enqueue({ refusal: "I can't help with that." });
    const events: SwitchboardEvent[] = [];
    const stream = streamTurn(graph, { threadId: newThread().threadId, message: 'something odd' });
    let next = await stream.next();
    for (; !next.done; next = await stream.next()) events.push(next.value);
    expect(next.value).toMatchObject({ status: 'done', agent: 'triage', reply: "I can't help with that." });
    // What a reader printing text deltas shows is the reply.
    const streamed = events.flatMap((event) => (event.type === 'text-delta' ? [event.delta] : [])).join('');
    expect(streamed).toBe("I can't help with that.");
    expect(events.find((event) => event.type === 'message-end')).toMatchObject({ agent: 'triage', text: "I can't help with that." });
  });

  it('a tool that fails hands the conversation to the agent fallback, the failed call answered', async () => {
    const { graph } = await compileFaults();
    server.enqueue(toBilling, { toolCalls: [{ name: 'explode', arguments: {} }] }, { content: 'Backup desk here.' });
    const events: SwitchboardEvent[] = [];
    const stream = streamTurn(graph, { threadId: newThread().threadId, message: 'invoice?' });
    let next = await stream.next();
    while (!next.done) {
      events.push(next.value);
      next = await stream.next();
    }
    const result = next.value;

    expect(result.agent).toBe('backup_desk');
    expect(events.filter((event) => event.type === 'fallback-start')).toEqual([{ type: 'fallback-start', from: 'billing', to: 'backup_desk', reason: 'TOOL_FAILED' }]);
    const failed = result.state.messages.find((message) => message.type === 'tool' && (message as ToolMessage).name === 'explode');
    expect(failed?.text).toBe('Error: explode failed: the invoice service is down');
    expectEveryCallAnswered(result.state.messages);
  });

  it('a tool that throws a value that cannot be printed fails as a tool, never ending the turn', async () => {
    const circular: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
    circular.self = circular;
    const numbered = Object.assign(new Error('x'), { message: 42 as unknown as string });
    for (const [thrown, said] of [[circular, 'a value that cannot be printed'], [numbered, '42']] as const) {
      const { tree, tools } = await loadFaultsTree();
      // eslint-disable-next-line @typescript-eslint/only-throw-error -- the point: a tool may throw anything
      const explode = tool(async () => { throw thrown; }, { name: 'explode', description: 'Fails.', schema: z.object({}) });
      const graph = compileTree(tree, { tools: { ...tools, explode }, logger: captureLogs().logger, model: 'openai', env: { OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: server.url }, sleep: async () => {} });
      server.enqueue(toBilling, { toolCalls: [{ name: 'explode', arguments: {} }] }, { content: 'Backup desk here.' });
      const result = await runTurn(graph, { threadId: newThread().threadId, message: 'invoice?' });
      expect(result).toMatchObject({ status: 'done', agent: 'backup_desk' });
      const failed = result.state.messages.find((message) => message.type === 'tool' && (message as ToolMessage).name === 'explode');
      expect(failed?.text).toBe(`Error: explode failed: ${said}`);
    }
  });

  it('a tool that ran and returned what JSON cannot write (a circular object, a BigInt) answered: it is not reported as failed', async () => {
    const circular: Record<string, unknown> = { ok: true };
    circular.self = circular;
    for (const [returned, said] of [[circular, '[object Object]'], [{ refunded: 10n }, '{"refunded":"10"}']] as const) {
      const { tree, tools } = await loadFaultsTree();
      const explode = tool(async () => returned, { name: 'explode', description: 'Answers.', schema: z.object({}) });
      const graph = compileTree(tree, { tools: { ...tools, explode }, logger: captureLogs().logger, model: 'openai', env: { OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: server.url }, sleep: async () => {} });
      server.enqueue(toBilling, { toolCalls: [{ name: 'explode', arguments: {} }] }, { content: 'Billing here.' });
      const result = await runTurn(graph, { threadId: newThread().threadId, message: 'invoice?' });
      expect(result).toMatchObject({ status: 'done', agent: 'billing', reply: 'Billing here.' });
      expect(result.state.messages.find((message) => message.type === 'tool' && (message as ToolMessage).name === 'explode')?.text).toBe(said);
    }
  });

  it('with no fallback left, a failing model ends the turn with a clear error', async () => {
    const { graph } = await compileFaults();
    server.enqueue(...Array.from({ length: 3 }, () => ({ status: 503 })));
    const result = await runTurn(graph, { threadId: newThread().threadId, message: 'hello' });

    expect(requestLog()).toEqual(['triage:gpt-4o-mini', 'triage:gpt-4o-mini', 'triage:gpt-4o-mini']);
    expect(result.status).toBe('error');
    expect(result.error?.code).toBe('MODEL_FAILED');
    expect(result.error?.message).toMatch(/^the model failed \(server\) after 3 attempt\(s\)/);
    expect(result.reply).toBeUndefined();
    // The failed attempts are model calls in every count: the turn's, its usage and the session's.
    expect(result.state.turn.modelCalls).toBe(3);
    expect(result.usage.total).toMatchObject({ modelCalls: 3, inputTokens: 0, outputTokens: 0, costUsd: 0 });
    expect(result.sessionUsage.total.modelCalls).toBe(3);
  });
});

describe('provider quirks', () => {
  it('a provider that repeats response ids never overwrites earlier messages', async () => {
    const { graph } = await compileFaults();
    const { config } = newThread();
    server.enqueue({ ...toBilling, id: 'chatcmpl-same' }, { content: 'First answer.', id: 'chatcmpl-same' }, { content: 'Second answer.', id: 'chatcmpl-same' });
    await graph.invoke(user('first'), config);
    const state = (await graph.invoke(user('second'), config)) as SwitchboardState;

    expect(state.messages.map((message) => message.text)).toEqual(['first', '', 'Transferred to billing: billing now owns the conversation.', 'First answer.', 'second', 'Second answer.']);
  });
});
