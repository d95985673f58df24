import { describe, expect, it } from 'vitest';
import { cacheTokensOf } from '../../models/messages.js';
import { costOf, DEFAULT_PRICES } from '../../models/prices.js';
import type { PriceTable } from '../../models/prices.js';
import { runTurn, streamTurn } from '../../runtime/turn.js';
import type { TurnResult } from '../../runtime/turn.js';
import type { FakeAnthropicRequest, FakeAnthropicResponse } from '../../testing/fake-anthropic-server.js';
import type { FakeRequest, FakeResponse } from '../../testing/fake-openai-server.js';
import { newThread } from '../helpers.js';
import { compileWith, fakeServersForFile } from './anthropic-fixture.js';

const servers = await fakeServersForFile();
const { anthropic, openai } = servers;

/** One agent that answers on `model` (`provider`'s), with no fallback. */
const desk = (provider: 'anthropic' | 'openai', model: string) => `
version: 1
name: cache-desk
root: desk
retry: { attempts: 1 }
models:
  main: { provider: ${provider}, name: ${model}, maxTokens: 1024, timeoutMs: 20000 }
defaults: { model: main }
agents:
  desk: { description: The desk., prompt: You are the desk. }
`;

async function settle(stream: AsyncGenerator<unknown, TurnResult>): Promise<TurnResult> {
  let next = await stream.next();
  while (!next.done) next = await stream.next();
  return next.value;
}

/** What Anthropic answers when 2000 input tokens went to the prompt cache and 3000 came from it. */
const ANTHROPIC_USAGE = { input_tokens: 1000, cache_creation_input_tokens: 2000, cache_read_input_tokens: 3000 };

/** Anthropic's answer, streamed (message_start carries the input usage) or whole, as the client asked. */
function anthropicCached(request: FakeAnthropicRequest): FakeAnthropicResponse {
  const message = { id: 'msg_cache', type: 'message', role: 'assistant', model: request.model, stop_sequence: null };
  if (!request.stream) {
    return { rawBody: JSON.stringify({ ...message, content: [{ type: 'text', text: 'Cached.' }], stop_reason: 'end_turn', usage: { ...ANTHROPIC_USAGE, output_tokens: 77 } }) };
  }
  const event = (type: string, data: Record<string, unknown>) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
  const body = [
    // As Anthropic sends it: message_start's output_tokens (1) is added to message_delta's by @langchain/anthropic.
    event('message_start', { message: { ...message, content: [], stop_reason: null, usage: { ...ANTHROPIC_USAGE, output_tokens: 1 } } }),
    event('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
    event('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'Cached.' } }),
    event('content_block_stop', { index: 0 }),
    event('message_delta', { delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 76 } }),
    event('message_stop', {}),
  ].join('');
  return { rawBody: body, headers: { 'content-type': 'text/event-stream' } };
}

/** OpenAI's answer with 1500 of 2000 prompt tokens from its prompt cache, streamed or whole as the client asked. */
function openaiCached(request: FakeRequest): FakeResponse {
  const usage = { prompt_tokens: 2000, completion_tokens: 100, total_tokens: 2100, prompt_tokens_details: { cached_tokens: 1500, audio_tokens: 0 }, completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0 } };
  const base = { id: 'chatcmpl-cache', created: 1_700_000_000, model: request.model };
  if (!request.stream) {
    return { rawBody: JSON.stringify({ ...base, object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: 'Cached.' }, finish_reason: 'stop' }], usage }) };
  }
  const chunk = (data: Record<string, unknown>) => `data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', ...data })}\n\n`;
  const body = [
    chunk({ choices: [{ index: 0, delta: { role: 'assistant', content: 'Cached.' }, finish_reason: null }] }),
    chunk({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] }),
    chunk({ choices: [], usage }),
    'data: [DONE]\n\n',
  ].join('');
  return { rawBody: body, headers: { 'content-type': 'text/event-stream' } };
}

describe('prompt-cache tokens are priced at the cache rates', () => {
  // claude-haiku-4-5: $1 input, $5 output a million; cache writes 1.25×, cache reads 0.1× the input price.
  const anthropicCost = (1000 * 1 + 2000 * 1.25 + 3000 * 0.1 + 77 * 5) / 1e6;

  it('Anthropic, streamed: cache writes at 1.25× and reads at 0.1× the input price; the input tokens still count them all', async () => {
    const { graph } = await compileWith(servers, desk('anthropic', 'claude-haiku-4-5'));
    anthropic.enqueue(anthropicCached);

    const result = await settle(streamTurn(graph, { threadId: newThread().threadId, message: 'hello' }));

    expect(anthropic.requests.map((request) => request.stream)).toEqual([true]);
    expect(result).toMatchObject({ status: 'done', reply: 'Cached.' });
    expect(result.usage.total).toMatchObject({ modelCalls: 1, inputTokens: 6000, outputTokens: 77 });
    expect(result.usage.total.costUsd).toBeCloseTo(anthropicCost, 12);
    expect(result.usage.total.costUsd).toBeCloseTo(0.004185, 12);
  });

  it('Anthropic, not streamed: the same', async () => {
    const { graph } = await compileWith(servers, desk('anthropic', 'claude-haiku-4-5'));
    anthropic.enqueue(anthropicCached);

    const result = await runTurn(graph, { threadId: newThread().threadId, message: 'hello' });

    expect(anthropic.requests.map((request) => request.stream)).toEqual([false]);
    expect(result.usage.total).toMatchObject({ modelCalls: 1, inputTokens: 6000, outputTokens: 77 });
    expect(result.usage.total.costUsd).toBeCloseTo(anthropicCost, 12);
  });

  // gpt-4o: $2.50 input, $1.25 cached input, $10 output a million.
  const openaiCost = (500 * 2.5 + 1500 * 1.25 + 100 * 10) / 1e6;

  it('OpenAI, streamed: prompt_tokens_details.cached_tokens at the cached-input price', async () => {
    const { graph } = await compileWith(servers, desk('openai', 'gpt-4o'));
    openai.enqueue(openaiCached);

    const result = await settle(streamTurn(graph, { threadId: newThread().threadId, message: 'hello' }));

    expect(openai.requests.map((request) => request.stream)).toEqual([true]);
    expect(result).toMatchObject({ status: 'done', reply: 'Cached.' });
    expect(result.usage.total).toMatchObject({ modelCalls: 1, inputTokens: 2000, outputTokens: 100 });
    expect(result.usage.total.costUsd).toBeCloseTo(openaiCost, 12);
  });

  it('OpenAI, not streamed: the same', async () => {
    const { graph } = await compileWith(servers, desk('openai', 'gpt-4o'));
    openai.enqueue(openaiCached);

    const result = await runTurn(graph, { threadId: newThread().threadId, message: 'hello' });

    expect(openai.requests.map((request) => request.stream)).toEqual([false]);
    expect(result.usage.total).toMatchObject({ modelCalls: 1, inputTokens: 2000, outputTokens: 100 });
    expect(result.usage.total.costUsd).toBeCloseTo(openaiCost, 12);
  });

  it('a price with no cache rates (a tree’s `prices:`) charges cached tokens at its input price', async () => {
    const tree = `${desk('anthropic', 'claude-haiku-4-5')}prices:\n  claude-haiku-4-5: { input: 2, output: 10 }\n`;
    const { graph } = await compileWith(servers, tree);
    anthropic.enqueue(anthropicCached);

    const result = await runTurn(graph, { threadId: newThread().threadId, message: 'hello' });

    expect(result.usage.total.costUsd).toBeCloseTo((6000 * 2 + 77 * 10) / 1e6, 12);
  });
});

describe('costOf with cache tokens', () => {
  it('prices cache reads and writes at their own rates, and at the input price where a price has none', () => {
    expect(costOf('claude-haiku-4-5', 6000, 77, DEFAULT_PRICES, { read: 3000, write: 2000 })).toBe(0.004185);
    expect(costOf('gpt-4.1', 2000, 0, DEFAULT_PRICES, { read: 1000, write: 0 })).toBe((1000 * 2 + 1000 * 0.5) / 1e6);
    const mine: PriceTable = { mine: { input: 1, output: 2 }, cheap: { input: 1, output: 2, cacheRead: 0.5 } };
    expect(costOf('mine', 6000, 0, mine, { read: 3000, write: 2000 })).toBe(0.006);
    expect(costOf('cheap', 6000, 0, mine, { read: 3000, write: 2000 })).toBe((1000 + 3000 * 0.5 + 2000) / 1e6);
  });

  it('never counts more cached tokens than input tokens', () => {
    expect(costOf('claude-haiku-4-5', 100, 0, DEFAULT_PRICES, { read: 500, write: 500 })).toBe((100 * 0.1) / 1e6);
    expect(costOf('claude-haiku-4-5', 100, 0, DEFAULT_PRICES)).toBe(100 / 1e6);
  });

  it('every built-in Claude price has cache rates of 0.1× and 1.25× its input price; every OpenAI price a cached-input rate below its input price', () => {
    for (const [model, price] of Object.entries(DEFAULT_PRICES)) {
      if (model.startsWith('claude-')) {
        expect(price.cacheRead, model).toBeCloseTo(price.input * 0.1, 10);
        expect(price.cacheWrite, model).toBeCloseTo(price.input * 1.25, 10);
      } else if (model !== 'offline') {
        expect(price.cacheRead, model).toBeLessThan(price.input);
      }
    }
  });

  it('reads the cache counts of LangChain’s usage, a missing or null count as 0', () => {
    expect(cacheTokensOf({ input_tokens: 10, output_tokens: 1, total_tokens: 11, input_token_details: { cache_read: 4, cache_creation: 3 } })).toEqual({ read: 4, write: 3 });
    expect(cacheTokensOf({ input_tokens: 10, output_tokens: 1, total_tokens: 11 })).toEqual({ read: 0, write: 0 });
    const nulls = { input_tokens: 10, output_tokens: 1, total_tokens: 11, input_token_details: { cache_read: null as unknown as number } };
    expect(cacheTokensOf(nulls)).toEqual({ read: 0, write: 0 });
  });
});
