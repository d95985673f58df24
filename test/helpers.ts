/**
 * Shared test setup: example trees compiled against the fake OpenAI server (real ChatOpenAI client)
 * or the offline model, with captured logs.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { loadTree } from '../config/load.js';
import { compileTree } from '../graphs/compile.js';
import type { CompileOptions, SwitchboardGraph } from '../graphs/compile.js';
import { getTranscript } from '../runtime/transcript.js';
import { messageFromJournal } from '../state/journal-message.js';
import { createExampleTools } from '../tools/examples.js';
import { MemoryLedger } from '../store/ledger.js';
import { captureLogs } from '../testing/capture-logs.js';
import { startFakeOpenAI } from '../testing/fake-openai-server.js';
import type { FakeOpenAIServer } from '../testing/fake-openai-server.js';
import { afterAll, beforeEach, expect } from 'vitest';
import type { AIMessage, BaseMessage, ToolMessage } from '@langchain/core/messages';
import { tool } from '@langchain/core/tools';
import { z } from 'zod';

export const EXAMPLES = ['support', 'clinic', 'hybrid', 'after-hours'] as const;

export function examplePath(name: string): string {
  return new URL(`../config/${name}.yaml`, import.meta.url).pathname;
}

/** An example tree compiled with the example tools, a fresh ledger and captured logs. */
export async function compileExample(name: string, options: CompileOptions = {}) {
  const ledger = new MemoryLedger();
  const tools = createExampleTools({ ledger });
  const logs = captureLogs('debug');
  const tree = await loadTree(examplePath(name), { tools });
  const graph = compileTree(tree, { tools, logger: logs.logger, sleep: async () => {}, ...options });
  return { graph, tree, tools, ledger, logs };
}

/** Options that point agents at the fake server through the real OpenAI client. */
export function viaFakeOpenAI(server: FakeOpenAIServer): CompileOptions {
  return { model: 'openai', env: { OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: server.url } };
}

export function newThread(): { threadId: string; config: { configurable: { thread_id: string } } } {
  const threadId = `test-${randomUUID()}`;
  return { threadId, config: { configurable: { thread_id: threadId } } };
}

export function user(content: string) {
  return { messages: [{ role: 'user', content }] };
}

/** A fake OpenAI server for the whole test file (closed after it; requests and fallback cleared before each test). */
export async function fakeOpenAIForFile(): Promise<FakeOpenAIServer> {
  const server = await startFakeOpenAI();
  afterAll(() => server.close());
  beforeEach(() => {
    server.requests.length = 0;
    server.fallback(undefined);
  });
  return server;
}

/** Every tool call in the thread has exactly one ToolMessage, and every ToolMessage answers a call. */
export function expectEveryCallAnswered(messages: BaseMessage[]): void {
  const calls = messages.flatMap((message) => (message.type === 'ai' ? ((message as AIMessage).tool_calls ?? []).map((call) => call.id) : []));
  const answers = messages.filter((message) => message.type === 'tool').map((message) => (message as ToolMessage).tool_call_id);
  expect(answers.sort()).toEqual(calls.sort());
}

/**
 * Every message of a thread, in order, as LangChain messages: the journal's transcript (the
 * checkpoint keeps only the recent window), then whatever of a turn not journaled yet is in the
 * checkpoint. What audits of lost or duplicated messages read.
 */
export async function wholeConversation(graph: SwitchboardGraph, threadId: string): Promise<BaseMessage[]> {
  const messages: BaseMessage[] = [];
  let after: number | undefined;
  do {
    const page = await getTranscript(graph, threadId, { after, limit: 500 });
    messages.push(...page.messages.map((message) => messageFromJournal(message)));
    after = page.next;
  } while (after !== undefined);
  const journaled = new Set(messages.map((message) => message.id));
  const hot = ((await graph.getState({ configurable: { thread_id: threadId } })).values as { messages?: BaseMessage[] }).messages ?? [];
  return [...messages, ...hot.filter((message) => message.id === undefined || !journaled.has(message.id))];
}

/**
 * The fault tree (test/fixtures/trees/faults.yaml), loaded with the example tools on `ledger` and
 * its `explode` tool, which always fails.
 */
export async function loadFaultsTree(ledger = new MemoryLedger()) {
  const explode = tool(
    async () => {
      throw new Error('the invoice service is down');
    },
    { name: 'explode', description: 'Always fails.', schema: z.object({}) },
  );
  const tools = { ...createExampleTools({ ledger }), explode };
  const tree = await loadTree(new URL('./fixtures/trees/faults.yaml', import.meta.url).pathname, { tools });
  return { tree, tools, ledger };
}

/** A port nothing listens on (taken, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
