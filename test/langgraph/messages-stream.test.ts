/**
 * LangGraph's `messages` stream mode (what LangGraph's server and its `useStream` client read): each
 * model message arrives once, as its chunks, under the id the thread stores it with — not a second
 * time, whole, under another id when the node returns it.
 */
import { describe, expect, it } from 'vitest';
import { AIMessageChunk, isAIMessage } from '@langchain/core/messages';
import type { BaseMessage } from '@langchain/core/messages';
import { compileTree } from '../../graphs/compile.js';
import type { SwitchboardState } from '../../state/schema.js';
import { fakeOpenAIForFile, loadFaultsTree, newThread, user } from '../helpers.js';
import { loadTree } from '../../config/load.js';
import { ScriptedChatModel } from '../../models/scripted.js';

const server = await fakeOpenAIForFile();

/** The AI text the stream carried, by message id (chunks joined; a whole message as it is). */
async function streamedText(stream: AsyncIterable<[BaseMessage, Record<string, unknown>]>): Promise<Map<string, string>> {
  const byId = new Map<string, string>();
  for await (const [message] of stream) {
    if (!isAIMessage(message) && !(message instanceof AIMessageChunk)) continue;
    const id = String(message.id);
    byId.set(id, (byId.get(id) ?? '') + message.text);
  }
  return byId;
}

describe("LangGraph's messages stream mode", () => {
  it('the real OpenAI client, streamed: every AI message once, under its stored id', async () => {
    const { tree, tools } = await loadFaultsTree();
    const graph = compileTree(tree, { tools, model: 'openai', env: { OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: server.url } });
    server.enqueue({ content: 'Let me pass you on.', toolCalls: [{ name: 'transfer_to_billing', arguments: { reason: 'invoice' } }] }, { content: 'Billing here, about your invoice.' });
    const { config } = newThread();

    const byId = await streamedText(await graph.stream(user('invoice?'), { ...config, streamMode: 'messages' }));
    const state = (await graph.getState(config)).values as SwitchboardState;
    const stored = state.messages.filter(isAIMessage);

    expect(stored.map((message) => message.text)).toEqual(['Let me pass you on.', 'Billing here, about your invoice.']);
    expect([...byId.keys()].sort()).toEqual(stored.map((message) => String(message.id)).sort());
    for (const message of stored) expect(byId.get(String(message.id))).toBe(message.text);
    // The provider's own id is still kept, for tracing a message back to the provider's logs.
    expect(stored[1]?.response_metadata.provider_message_id).toMatch(/^chatcmpl-/);
    expect(stored[1]?.response_metadata.provider_message_id).not.toBe(stored[1]?.id);
  });

  it('the offline model (streamed word by word): every AI message once, under its stored id', async () => {
    const tree = await loadTree(new URL('../../examples/desk.yaml', import.meta.url).pathname);
    const graph = compileTree(tree, { model: 'offline' });
    const { config } = newThread();

    const byId = await streamedText(await graph.stream(user('I was charged twice on my invoice'), { ...config, streamMode: 'messages' }));
    const stored = ((await graph.getState(config)).values as SwitchboardState).messages.filter(isAIMessage);

    expect(stored.length).toBeGreaterThan(0);
    expect([...byId.keys()].sort()).toEqual(stored.map((message) => String(message.id)).sort());
    for (const message of stored) expect(byId.get(String(message.id))).toBe(message.text);
  });

  it('a model that does not stream (the scripted test model): the message once, under its stored id', async () => {
    const tree = await loadTree(new URL('../../examples/desk.yaml', import.meta.url).pathname);
    const model = new ScriptedChatModel([{ toolCalls: [{ name: 'transfer_to_billing', args: { reason: 'invoice' } }] }, 'Billing here.']);
    const graph = compileTree(tree, { model });
    const { config } = newThread();

    const byId = await streamedText(await graph.stream(user('invoice?'), { ...config, streamMode: 'messages' }));
    const stored = ((await graph.getState(config)).values as SwitchboardState).messages.filter(isAIMessage);

    expect(stored.map((message) => message.text)).toEqual(['', 'Billing here.']);
    expect([...byId.keys()].sort()).toEqual(stored.map((message) => String(message.id)).sort());
    for (const message of stored) expect(byId.get(String(message.id))).toBe(message.text);
  });
});
