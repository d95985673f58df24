/**
 * Provider replies that are not whole, through the real clients (fake servers): a stream that ends
 * before the reply does is a dropped connection (retried), and a tool call whose arguments are cut
 * off or broken is refused (the model is told), never run with arguments the client made up.
 */
import { describe, expect, it } from 'vitest';
import type { SwitchboardEvent } from '../../nodes/events.js';
import { runTurn, streamTurn } from '../../runtime/turn.js';
import type { TurnResult } from '../../runtime/turn.js';
import type { FakeAnthropicResponse } from '../../testing/fake-anthropic-server.js';
import type { FakeResponse } from '../../testing/fake-openai-server.js';
import { expectEveryCallAnswered, newThread } from '../helpers.js';
import { compileWith, fakeServersForFile } from './anthropic-fixture.js';

const servers = await fakeServersForFile();

/** One agent with a refund tool, on the provider's model. */
const desk = (model: 'gpt' | 'claude') => `
version: 1
name: refunds
root: billing
retry: { attempts: 2, initialDelayMs: 1, maxDelayMs: 100 }
models:
  gpt: { provider: openai, name: gpt-4o-mini, timeoutMs: 20000 }
  claude: { provider: anthropic, name: claude-sonnet-4-5, maxTokens: 1024, timeoutMs: 20000 }
defaults: { model: ${model} }
agents:
  billing: { description: Billing., prompt: You are billing., tools: [issue_refund] }
`;

/** The same scripted replies for either provider: OpenAI's tool arguments are `arguments`, Anthropic's `input`, and their end reasons differ. */
interface Reply {
  content?: string;
  refund?: string | { invoice_id: string; amount: number };
  cut?: boolean;
  stoppedAtMaxTokens?: boolean;
  rawBody?: string;
}
const PROVIDERS = {
  openai: {
    tree: desk('gpt'),
    enqueue: (...replies: Reply[]) =>
      servers.openai.enqueue(
        ...replies.map((reply): FakeResponse => ({
          ...(reply.content !== undefined ? { content: reply.content } : {}),
          ...(reply.refund !== undefined ? { toolCalls: [{ name: 'issue_refund', arguments: reply.refund, id: 'call_0' }] } : {}),
          ...(reply.cut ? { cut: true } : {}),
          ...(reply.stoppedAtMaxTokens ? { finishReason: 'length' } : {}),
          ...(reply.rawBody !== undefined ? { rawBody: reply.rawBody } : {}),
        })),
      ),
    requests: () => servers.openai.requests.length,
  },
  anthropic: {
    tree: desk('claude'),
    enqueue: (...replies: Reply[]) =>
      servers.anthropic.enqueue(
        ...replies.map((reply): FakeAnthropicResponse => ({
          ...(reply.content !== undefined ? { content: reply.content } : {}),
          ...(reply.refund !== undefined ? { toolCalls: [{ name: 'issue_refund', input: reply.refund }] } : {}),
          ...(reply.cut ? { cut: true } : {}),
          ...(reply.stoppedAtMaxTokens ? { stopReason: 'max_tokens' } : {}),
          ...(reply.rawBody !== undefined ? { rawBody: reply.rawBody } : {}),
        })),
      ),
    requests: () => servers.anthropic.requests.length,
  },
};

async function collect(stream: AsyncGenerator<SwitchboardEvent, TurnResult>): Promise<{ events: SwitchboardEvent[]; result: TurnResult }> {
  const events: SwitchboardEvent[] = [];
  let next = await stream.next();
  for (; !next.done; next = await stream.next()) events.push(next.value);
  return { events, result: next.value };
}

const retries = (events: SwitchboardEvent[]) => events.flatMap((event) => (event.type === 'model-retry' ? [event.reason] : []));
const toolMessages = (result: TurnResult) => result.state.messages.flatMap((message) => (message.type === 'tool' ? [message.text] : []));
const refund = { invoice_id: 'INV-7', amount: 20 };

describe.each(Object.entries(PROVIDERS))('%s replies that are not whole (streamed)', (_provider, provider) => {
  it('a stream that ends part-way through the text is retried as a dropped connection, not taken as the reply', async () => {
    const { graph } = await compileWith(servers, provider.tree);
    provider.enqueue({ content: 'Your refund of $20 was refused.', cut: true }, { content: 'Your refund of $20 is on its way.' });

    const { events, result } = await collect(streamTurn(graph, { threadId: newThread().threadId, message: 'refund INV-7?' }));

    expect(provider.requests()).toBe(2);
    expect(retries(events)).toEqual(['connection']);
    expect(result).toMatchObject({ status: 'done', reply: 'Your refund of $20 is on its way.' });
  });

  it('a tool call whose stream ends part-way through its arguments is not run', async () => {
    const { graph, ledger } = await compileWith(servers, provider.tree);
    provider.enqueue({ refund, cut: true }, { refund }, { content: 'Refunded $20.' });

    const { events, result } = await collect(streamTurn(graph, { threadId: newThread().threadId, message: 'refund INV-7' }));

    expect(retries(events)).toEqual(['connection']);
    expect((await ledger.list('refund')).map((effect) => effect.details)).toEqual([expect.objectContaining(refund)]);
    expect(result).toMatchObject({ status: 'done', reply: 'Refunded $20.' });
  });

  it('a tool call stopped at max tokens (its JSON cut off) is refused as invalid JSON, not run with the arguments completed, and the model may call again', async () => {
    const { graph, ledger } = await compileWith(servers, provider.tree);
    provider.enqueue({ refund: '{"invoice_id":"INV-7","amount":2', stoppedAtMaxTokens: true }, { refund }, { content: 'Refunded $20.' });

    const { result } = await collect(streamTurn(graph, { threadId: newThread().threadId, message: 'refund INV-7' }));

    expect(toolMessages(result)[0]).toMatch(/^Refused: the arguments of issue_refund are not valid JSON \(.+\)\. Call it again with a JSON object\.$/);
    expect((await ledger.list('refund')).map((effect) => effect.details)).toEqual([expect.objectContaining(refund)]);
    expect(result).toMatchObject({ status: 'done', reply: 'Refunded $20.' });
    expectEveryCallAnswered(result.state.messages);
  });

  it('a 200 whose body is not a stream is retried like one that is not JSON', async () => {
    const { graph } = await compileWith(servers, provider.tree);
    provider.enqueue({ rawBody: '<html>502 Bad Gateway</html>' }, { content: 'Fine now.' });

    const { events, result } = await collect(streamTurn(graph, { threadId: newThread().threadId, message: 'hello' }));

    expect(retries(events)).toEqual(['connection']);
    expect(result).toMatchObject({ status: 'done', reply: 'Fine now.' });
  });
});

/** A raw OpenAI stream of the given chunk deltas (what a server sends, byte for byte). */
function openAIStream(deltas: Record<string, unknown>[], { finish = 'tool_calls', usage = true } = {}): FakeResponse {
  const chunk = (fields: Record<string, unknown>) => `data: ${JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o-mini', ...fields })}\n\n`;
  const body = [
    ...deltas.map((delta, index) => chunk({ choices: [{ index: 0, delta, finish_reason: index === deltas.length - 1 ? finish : null }] })),
    ...(usage ? [chunk({ choices: [], usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 } })] : []),
  ].join('');
  return { rawBody: `${body}data: [DONE]\n\n`, headers: { 'content-type': 'text/event-stream' } };
}

describe('OpenAI-compatible streams of tool calls as some servers send them', () => {
  const call = (index: number, id: string | undefined, args: string) => ({ tool_calls: [{ index, ...(id ? { id, type: 'function' } : {}), function: { ...(id ? { name: 'issue_refund' } : {}), arguments: args } }] });

  it('two calls both at index 0 (as Ollama sends parallel calls) are two calls, each run and answered', async () => {
    const { graph, ledger } = await compileWith(servers, PROVIDERS.openai.tree);
    servers.openai.enqueue(
      openAIStream([{ role: 'assistant', content: null }, call(0, 'call_a', '{"invoice_id":"INV-1",'), call(0, undefined, '"amount":5}'), call(0, 'call_b', '{"invoice_id":"INV-2","amount":7}')]),
      { content: 'Both refunded.' },
    );
    const { result } = await collect(streamTurn(graph, { threadId: newThread().threadId, message: 'refund INV-1 and INV-2' }));
    expect(result).toMatchObject({ status: 'done', reply: 'Both refunded.' });
    expect((await ledger.list('refund')).map((effect) => effect.details)).toEqual([expect.objectContaining({ invoice_id: 'INV-1', amount: 5 }), expect.objectContaining({ invoice_id: 'INV-2', amount: 7 })]);
    expectEveryCallAnswered(result.state.messages);
  });

  it('a call streamed without an id is still run (Switchboard gives every call its own id)', async () => {
    const { graph, ledger } = await compileWith(servers, PROVIDERS.openai.tree);
    const noId = { tool_calls: [{ index: 0, type: 'function', function: { name: 'issue_refund', arguments: '{"invoice_id":"INV-7","amount":20}' } }] };
    servers.openai.enqueue(openAIStream([{ role: 'assistant', content: null }, noId]), { content: 'Refunded $20.' });
    const { result } = await collect(streamTurn(graph, { threadId: newThread().threadId, message: 'refund INV-7' }));
    expect(result).toMatchObject({ status: 'done', reply: 'Refunded $20.' });
    expect((await ledger.list('refund')).map((effect) => effect.details)).toEqual([expect.objectContaining(refund)]);
    expect(toolMessages(result)).toHaveLength(1);
    expectEveryCallAnswered(result.state.messages);
  });
});

describe('an OpenAI-compatible server that sends no usage (ignores stream_options.include_usage)', () => {
  it('has its tokens estimated from the characters, said so, and held to tokensPerSession', async () => {
    const tree = PROVIDERS.openai.tree.replace('retry:', 'limits: { tokensPerSession: 60 }\nretry:');
    const { graph } = await compileWith(servers, tree);
    const reply = 'Your refund request is noted; it will be checked today.';
    const { threadId } = newThread();
    const turns: TurnResult[] = [];
    const events: SwitchboardEvent[] = [];
    servers.openai.fallback(() => openAIStream([{ role: 'assistant', content: '' }, { content: reply }], { finish: 'stop', usage: false }));
    try {
      for (let turn = 1; turn <= 4; turn += 1) {
        const ran = await collect(streamTurn(graph, { threadId, message: `refund INV-7, please: message ${turn} of mine` }));
        turns.push(ran.result);
        events.push(...ran.events);
      }
    } finally {
      servers.openai.fallback(undefined);
    }
    const first = turns[0]!.usage.total;
    // About four characters a token: what was sent (prompt and message), and the reply.
    expect(first.outputTokens).toBe(Math.ceil(reply.length / 4));
    expect(first.inputTokens).toBeGreaterThan(10);
    expect(events.filter((event) => event.type === 'usage').every((event) => event.type === 'usage' && event.estimated === true)).toBe(true);
    // Counted as 0, the session would never reach its ceiling.
    expect(turns.map((turn) => turn.error?.code ?? turn.status)).toContain('TOKEN_LIMIT');
  });
});

describe('OpenAI answers with no reply in them', () => {
  const chunk = (delta: Record<string, unknown>) => `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o-mini', choices: [{ index: 0, delta, finish_reason: null }] })}\n\n`;

  it.each([
    ['a 200 with choices: [] (not streamed)', JSON.stringify({ id: 'c', object: 'chat.completion', created: 1, model: 'gpt-4o-mini', choices: [] }), false],
    ['a 200 whose body is null (not streamed)', 'null', false],
    ['a server_error event in the middle of a stream', `${chunk({ role: 'assistant', content: '' })}${chunk({ content: 'Half ' })}data: ${JSON.stringify({ error: { message: 'The server had an error', type: 'server_error' } })}\n\n`, true],
  ])('%s is the server failing: retried, and the retry answers', async (_what, rawBody, stream) => {
    const { graph } = await compileWith(servers, PROVIDERS.openai.tree);
    servers.openai.enqueue({ rawBody, ...(stream ? { headers: { 'content-type': 'text/event-stream' } } : {}) }, { content: 'Fine now.' });

    const before = servers.openai.requests.length;
    const input = { threadId: newThread().threadId, message: 'hello' };
    const result = stream ? (await collect(streamTurn(graph, input))).result : await runTurn(graph, input);

    expect(servers.openai.requests.length - before).toBe(2);
    expect(result).toMatchObject({ status: 'done', reply: 'Fine now.' });
  });
});

describe('a streamed Anthropic reply shown to an OpenAI model', () => {
  const claudeThenGpt = desk('claude').replace('defaults: { model: claude }', 'defaults: { model: [claude, gpt] }').replace('retry: { attempts: 2,', 'retry: { attempts: 0,');

  it('is sent as Chat Completions takes it: text parts only (no stream indexes, no tool input deltas), its tool calls as tool_calls', async () => {
    const { graph, ledger } = await compileWith(servers, claudeThenGpt);
    // Claude calls the tool (streamed), then fails: its model fallback, OpenAI, continues the same activation.
    servers.anthropic.enqueue({ content: 'Refunding now.', toolCalls: [{ name: 'issue_refund', input: refund }] }, { status: 529 });
    servers.openai.enqueue({ content: 'Your $20 refund is on its way.' });

    const { result } = await collect(streamTurn(graph, { threadId: newThread().threadId, message: 'refund INV-7' }));

    expect(result).toMatchObject({ status: 'done', reply: 'Your $20 refund is on its way.' });
    const assistant = servers.openai.requests[0]?.messages.find((message) => message.role === 'assistant');
    expect(assistant?.content).toEqual([{ type: 'text', text: 'Refunding now.' }]);
    expect(assistant?.tool_calls?.map((call) => [call.function.name, JSON.parse(call.function.arguments)])).toEqual([['issue_refund', refund]]);
    expect(await ledger.list('refund')).toHaveLength(1);
  });
});
