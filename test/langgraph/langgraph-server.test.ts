import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Client } from '@langchain/langgraph-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTree } from '../../config/load.js';
import { listEdges } from '../../config/edges.js';
import { REPO_ROOT } from '../cli/run-cli.js';
import { writeNetGuard } from './net-guard.js';

/** The graphs langgraph.json serves, and their trees. */
const GRAPHS: Record<string, string> = {
  support: 'config/support.yaml',
  clinic: 'config/clinic.yaml',
  hybrid: 'config/hybrid.yaml',
  'after-hours': 'config/after-hours.yaml',
  desk: 'examples/desk.yaml',
};
const NOT_COPIED = new Set(['node_modules', '.git', 'coverage', '.switchboard', '.langgraph_api', 'tmp']);

let root: string;
let project: string;
let server: ChildProcess;
let output = '';
let client: Client;
let netLog: string;

beforeAll(async () => {
  // A copy of the project (node_modules linked), so the CLI's own files stay out of the repository.
  root = mkdtempSync(join(tmpdir(), 'switchboard-langgraph-'));
  project = join(root, 'project');
  cpSync(REPO_ROOT, project, { recursive: true, filter: (source) => !NOT_COPIED.has(basename(source)) || source === REPO_ROOT });
  symlinkSync(realpathSync(join(REPO_ROOT, 'node_modules')), join(project, 'node_modules'));
  const guard = writeNetGuard(root);
  netLog = guard.log;
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    LANGGRAPH_CLI_NO_ANALYTICS: '1',
    BROWSER: 'none',
    // npx runs the installed CLI; never the registry.
    npm_config_offline: 'true',
    npm_config_update_notifier: 'false',
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} ${guard.nodeOption}`.trim(),
    SWITCHBOARD_NET_LOG: guard.log,
  };
  for (const name of ['OPENAI_API_KEY', 'OPENAI_BASE_URL', 'LANGSMITH_TRACING', 'LANGCHAIN_TRACING_V2', 'LANGSMITH_API_KEY'])
    delete env[name];
  // Its own process group (detached), so the whole tree of processes can be stopped at once.
  server = spawn('npx', ['--no', '@langchain/langgraph-cli', 'dev', '--no-browser', '--host', '127.0.0.1', '--port', String(port)], {
    cwd: project,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  server.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  server.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const apiUrl = `http://127.0.0.1:${port}`;
  await waitUntilReady(apiUrl, server);
  client = new Client({ apiUrl });
}, 120_000);

afterAll(async () => {
  if (server?.pid !== undefined) await stopProcessGroup(server.pid);
  if (root) rmSync(root, { recursive: true, force: true });
}, 30_000);

describe('LangGraph’s own server (langgraph-cli dev) with the official SDK client', () => {
  it('runs a thread: a run that hands off, its state, and a second message that goes to the owning agent', async () => {
    const assistant = await assistantOf('support');
    const thread = await client.threads.create();

    const first = await collect(
      client.runs.stream(thread.thread_id, assistant, {
        input: { messages: [{ role: 'user', content: 'I was charged twice on my invoice' }] },
        streamMode: ['custom', 'updates'],
      }),
    );
    expect(first.filter((chunk) => chunk.event === 'custom').map((chunk) => chunk.data)).toContainEqual(
      expect.objectContaining({ type: 'handoff-accept', from: 'triage', to: 'billing', kind: 'delegate', tool: 'transfer_to_billing' }),
    );
    expect(first.filter((chunk) => chunk.event === 'updates').flatMap((chunk) => Object.keys(chunk.data as object))).toEqual(
      expect.arrayContaining(['triage', 'billing']),
    );

    const state = await client.threads.getState<{
      activeAgent: string;
      handoffs: { from: string; to: string; payload: Record<string, unknown> }[];
      messages: { type: string; name?: string }[];
    }>(thread.thread_id);
    expect(state.values.activeAgent).toBe('billing');
    expect(state.values.handoffs).toEqual([
      expect.objectContaining({
        from: 'triage',
        to: 'billing',
        payload: expect.objectContaining({ reason: expect.stringContaining('charged') }),
      }),
    ]);
    expect(state.values.messages.at(-1)).toMatchObject({ type: 'ai', name: 'billing' });

    const second = await collect(
      client.runs.stream(thread.thread_id, assistant, {
        input: { messages: [{ role: 'user', content: 'Thanks, how long will that take?' }] },
        streamMode: ['custom'],
      }),
    );
    const events = second.filter((chunk) => chunk.event === 'custom').map((chunk) => chunk.data as { type: string; agent?: string });
    expect(events[0]).toMatchObject({ type: 'turn-start', agent: 'billing' });
    expect(events.filter((event) => event.type === 'handoff-accept')).toEqual([]);
    const after = await client.threads.getState<{
      activeAgent: string;
      handoffs: unknown[];
      messages: { type: string; name?: string; content: string }[];
    }>(thread.thread_id);
    expect(after.values.activeAgent).toBe('billing');
    expect(after.values.handoffs).toHaveLength(1);
    expect(after.values.messages.at(-1)).toMatchObject({
      type: 'ai',
      name: 'billing',
      content: expect.stringContaining('Thanks, how long will that take?'),
    });
  });

  it.each(Object.entries(GRAPHS))('returns the edges of %s from assistants.getGraph', async (graphId, treeFile) => {
    const tree = await loadTree(join(project, treeFile));
    const drawn = await client.assistants.getGraph(await assistantOf(graphId));
    const agents = Object.entries(tree.spec.agents)
      .filter(([, agent]) => agent.kind !== 'helper')
      .map(([name]) => name);
    expect(drawn.nodes.map((node) => node.id).sort()).toEqual(['__start__', '__end__', ...agents].sort());
    const edges = drawn.edges
      .filter((edge) => !String(edge.source).startsWith('__') && !String(edge.target).startsWith('__'))
      .map((edge) => `${edge.source} → ${edge.target}`);
    const defined = listEdges(tree.spec)
      .filter((edge) => edge.kind !== 'helper')
      .map((edge) => `${edge.from} → ${edge.to}`);
    expect(edges.sort()).toEqual(defined.sort());
  });

  it('shows a broken YAML to the client with its file:line:col errors, for the graph and for a run', async () => {
    const file = join(project, 'config/clinic.yaml');
    const original = readFileSync(file, 'utf8');
    const broken = original.replace('children: [clinical_lead, ops_lead]', 'children: [clinical_lead, ops_leed]');
    expect(broken).not.toBe(original);
    const lines = broken.split('\n');
    const line = lines.findIndex((text) => text.includes('ops_leed'));
    const position = `config/clinic.yaml:${line + 1}:${(lines[line] ?? '').indexOf('ops_leed') + 1}`;
    const expected = `The tree has 1 error:\n${position} error UNKNOWN_AGENT "ops_leed" is not an agent. Did you mean "ops_lead"?`;
    writeFileSync(file, broken);
    try {
      const assistant = await assistantOf('clinic');
      // 422, not a bare 500: the SDK does not retry it, and its message is the positioned errors.
      const error: unknown = await client.assistants.getGraph(assistant).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(error).toMatchObject({ status: 422, message: expect.stringContaining(`HTTP 422: ${expected}`) });

      const thread = await client.threads.create();
      const chunks = await collect(
        client.runs.stream(thread.thread_id, assistant, { input: { messages: [{ role: 'user', content: 'I need an appointment' }] } }),
      );
      expect(chunks.at(-1)).toMatchObject({ event: 'error', data: { error: 'ConfigError', message: expect.stringContaining(expected) } });
    } finally {
      writeFileSync(file, original);
    }
    expect((await client.assistants.getGraph(await assistantOf('clinic'))).nodes.length).toBeGreaterThan(2);
  }, 60_000);

  it('pauses a thread for a person and resumes it with the reply as `command: { resume }`', async () => {
    const assistant = await assistantOf('support');
    const thread = await client.threads.create();
    const first = await collect(
      client.runs.stream(thread.thread_id, assistant, {
        input: { messages: [{ role: 'user', content: 'I need to speak to a real person' }] },
        streamMode: ['updates'],
      }),
    );
    // The interrupt carries what the person needs: who escalated, why, the message, who to hand back to.
    expect(first.filter((chunk) => chunk.event === 'updates').map((chunk) => chunk.data)).toContainEqual({
      __interrupt__: [
        expect.objectContaining({
          value: expect.objectContaining({ type: 'escalation', agent: 'human_agent', message: 'I need to speak to a real person' }),
        }),
      ],
    });
    const paused = await client.threads.get(thread.thread_id);
    expect(paused.status).toBe('interrupted');
    const [interrupt] = Object.values(paused.interrupts ?? {}).flat();
    const request = interrupt?.value as { handBackTargets: string[] };
    expect(request.handBackTargets).toContain('triage');

    await client.runs.wait(thread.thread_id, assistant, {
      command: { resume: { reply: 'Hi, Dana here. I have refunded the double charge.', handBackTo: 'triage', operator: 'dana' } },
    });
    const state = await client.threads.getState<{
      activeAgent: string;
      handoffs: { from: string; to: string; kind: string }[];
      messages: { type: string; name?: string; content: string }[];
    }>(thread.thread_id);
    expect(state.values.activeAgent).toBe('triage');
    expect(state.values.handoffs.at(-1)).toMatchObject({ from: 'human_agent', to: 'triage', kind: 'resume' });
    expect(state.values.messages.at(-1)).toMatchObject({
      type: 'ai',
      name: 'human_agent',
      content: 'Hi, Dana here. I have refunded the double charge.',
    });
    expect((await client.threads.get(thread.thread_id)).status).toBe('idle');
  });

  it('reads the YAML on every call: a saved edit shows at once, without a restart', async () => {
    const file = join(project, 'config/support.yaml');
    const original = readFileSync(file, 'utf8');
    writeFileSync(
      file,
      `${original.replace('children: [billing, technical, sales]', 'children: [billing, technical, sales, retention]')}
  retention:
    description: Keeps customers who want to cancel.
    prompt: Understand why the customer wants to cancel and offer what fits.
    offline:
      keywords: [cancel, cancellation, leave]
`,
    );
    const assistant = await assistantOf('support');
    const drawn = await client.assistants.getGraph(assistant);
    expect(drawn.edges.map((edge) => `${edge.source} → ${edge.target}`)).toEqual(
      expect.arrayContaining(['triage → retention', 'retention → triage']),
    );
    const thread = await client.threads.create();
    await collect(
      client.runs.stream(thread.thread_id, assistant, {
        input: { messages: [{ role: 'user', content: 'Cancellation please, I am going to leave' }] },
      }),
    );
    expect((await client.threads.getState<{ activeAgent: string }>(thread.thread_id)).values.activeAgent).toBe('retention');
  });

  it('made no connection outside this machine (analytics off, nothing downloaded)', () => {
    expect(output).toContain('Registering graph with id');
    expect(readFileSync(netLog, 'utf8')).toBe('');
  });
});

async function assistantOf(graphId: string): Promise<string> {
  const [assistant] = await client.assistants.search({ graphId });
  if (!assistant) throw new Error(`No assistant for graph ${graphId}.`);
  return assistant.assistant_id;
}

async function collect<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const chunks: T[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Polls the server's health route until it answers; fails at once if the process exits first. */
async function waitUntilReady(apiUrl: string, child: ChildProcess): Promise<void> {
  let exited = false;
  child.once('exit', () => (exited = true));
  for (;;) {
    if (exited) throw new Error(`langgraph-cli dev exited before it served:\n${output}`);
    try {
      const response = await fetch(`${apiUrl}/ok`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Stops every process of the group (npx, the CLI, tsx watch, the server), then checks none is left. */
async function stopProcessGroup(pid: number): Promise<void> {
  const alive = () => {
    try {
      process.kill(-pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  process.kill(-pid, 'SIGTERM');
  for (let waited = 0; alive() && waited < 10_000; waited += 100) await new Promise((resolve) => setTimeout(resolve, 100));
  if (alive()) process.kill(-pid, 'SIGKILL');
  for (let waited = 0; alive() && waited < 5_000; waited += 100) await new Promise((resolve) => setTimeout(resolve, 100));
  expect(alive()).toBe(false);
}
