/**
 * Test setup for the Anthropic path: a fake Anthropic server and a fake OpenAI server for the
 * whole test file, and trees compiled against both through the real clients.
 */
import { afterAll, beforeEach } from 'vitest';
import { loadTree, parseTree } from '../../config/load.js';
import { compileTree } from '../../graphs/compile.js';
import type { CompileOptions } from '../../graphs/compile.js';
import { captureLogs } from '../../testing/capture-logs.js';
import { startFakeAnthropic } from '../../testing/fake-anthropic-server.js';
import type { FakeAnthropicServer } from '../../testing/fake-anthropic-server.js';
import type { FakeOpenAIServer } from '../../testing/fake-openai-server.js';
import { createExampleTools } from '../../tools/examples.js';
import { MemoryLedger } from '../../store/ledger.js';
import { fakeOpenAIForFile } from '../helpers.js';

export const TWO_PROVIDERS = new URL('../../examples/two-providers.yaml', import.meta.url).pathname;

/** A fake Anthropic server for the whole test file (closed after it; requests and fallback cleared before each test). */
export async function fakeAnthropicForFile(): Promise<FakeAnthropicServer> {
  const server = await startFakeAnthropic();
  afterAll(() => server.close());
  beforeEach(() => {
    server.requests.length = 0;
    server.fallback(undefined);
  });
  return server;
}

export async function fakeServersForFile(): Promise<{ anthropic: FakeAnthropicServer; openai: FakeOpenAIServer }> {
  return { anthropic: await fakeAnthropicForFile(), openai: await fakeOpenAIForFile() };
}

/** The environment that points each provider's real client at its fake server. */
export function envFor(servers: { anthropic: FakeAnthropicServer; openai: FakeOpenAIServer }): Record<string, string> {
  return { ANTHROPIC_API_KEY: 'sk-ant-test', ANTHROPIC_BASE_URL: servers.anthropic.url, OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: servers.openai.url };
}

/** A tree (a file path or YAML text) compiled with the example tools against both fake servers, every model online. */
export async function compileWith(servers: { anthropic: FakeAnthropicServer; openai: FakeOpenAIServer }, tree: string, options: CompileOptions = {}) {
  const ledger = new MemoryLedger();
  const tools = createExampleTools({ ledger });
  const logs = captureLogs('debug');
  const sleeps: number[] = [];
  const loaded = tree.includes('\n') ? parseTree(tree, 'inline.yaml', { tools }) : await loadTree(tree, { tools });
  const graph = compileTree(loaded, {
    tools,
    logger: logs.logger,
    model: 'online',
    env: envFor(servers),
    sleep: async (ms) => void sleeps.push(ms),
    ...options,
  });
  return { graph, ledger, logs, sleeps, tree: loaded };
}
