import { mkdtempSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { PageSnapshot } from '../../dev/page-data.js';
import { startDevServer } from '../../dev/server.js';
import type { DevServer } from '../../dev/server.js';
import { captureLogs } from '../../testing/capture-logs.js';
import { startFakeOpenAI } from '../../testing/fake-openai-server.js';
import { createExampleTools } from '../../tools/examples.js';
import { examplePath } from '../helpers.js';

const DESK = readFileSync(new URL('../../examples/desk.yaml', import.meta.url), 'utf8');
const servers: DevServer[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function start(text: string): Promise<{ server: DevServer; file: string }> {
  const file = join(mkdtempSync(join(tmpdir(), 'switchboard-dev-')), 'tree.yaml');
  writeFileSync(file, text);
  const server = await startDevServer({ file, tools: createExampleTools(), model: 'offline', logger: captureLogs('warn').logger });
  servers.push(server);
  return { server, file };
}

async function post(
  server: DevServer,
  path: string,
  body: unknown,
): Promise<{
  status: number;
  lines: {
    type: string;
    event?: { type: string; delta?: string };
    result?: Record<string, unknown>;
    error?: { code: string; message: string };
  }[];
  json: unknown;
}> {
  const response = await fetch(new URL(path, server.url), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  const ndjson = response.headers.get('content-type')?.startsWith('application/x-ndjson');
  return {
    status: response.status,
    lines: ndjson
      ? text
          .trim()
          .split('\n')
          .map((line) => JSON.parse(line) as never)
      : [],
    json: ndjson ? undefined : JSON.parse(text),
  };
}

/** Reads Server-Sent Events of one kind from the page's stream, one at a time. */
async function openEvents(server: DevServer): Promise<{ next(): Promise<PageSnapshot>; close(): void }> {
  const controller = new AbortController();
  const response = await fetch(new URL('/api/events', server.url), { signal: controller.signal });
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  return {
    async next() {
      for (;;) {
        const end = buffer.indexOf('\n\n');
        if (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = block.split('\n').find((line) => line.startsWith('data: '));
          if (block.startsWith('event: tree') && data) return JSON.parse(data.slice(6)) as PageSnapshot;
          continue;
        }
        const { value, done } = await reader.read();
        if (done) throw new Error('The event stream ended.');
        buffer += decoder.decode(value, { stream: true });
      }
    },
    close: () => controller.abort(),
  };
}

describe('the dev server API', () => {
  it('describes the tree: its drawing, agents and edges with their SVG ids', async () => {
    const { server, file } = await start(DESK);
    const snapshot = (await (await fetch(new URL('/api/tree', server.url))).json()) as PageSnapshot;
    expect(snapshot).toMatchObject({
      revision: 1,
      file,
      model: 'offline model (--model offline)',
      issues: [],
      broken: false,
      tree: { name: 'desk', root: 'triage', version: 1 },
    });
    expect(snapshot.tree?.agents.map((agent) => [agent.name, agent.role, agent.elementId])).toEqual([
      ['triage', 'root', 'sb-node-0'],
      ['billing', 'specialist', 'sb-node-1'],
      ['person', 'human', 'sb-node-2'],
    ]);
    expect(snapshot.tree?.edges.map((edge) => `${edge.from}>${edge.to}:${edge.kind}`)).toEqual([
      'triage>billing:delegate',
      'billing>triage:handback',
      'billing>person:escalate',
      'person>billing:handback',
      'person>triage:handback',
    ]);
    for (const element of [...snapshot.tree!.agents, ...snapshot.tree!.edges])
      expect(snapshot.tree?.svg).toContain(`id="${element.elementId.replace(/-/g, '&#45;')}"`);
    expect(snapshot.tree?.svg.startsWith('<svg')).toBe(true);
  });

  it('serves the page and its files from the package only, with a strict content policy', async () => {
    const { server } = await start(DESK);
    const page = await fetch(server.url);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    const html = await page.text();
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1]!);
    expect(assets).toEqual(['data:,', '/assets/style.css', '/assets/app.js']);
    for (const name of ['app.js', 'chat.js', 'drawing.js', 'escalations.js', 'style.css'])
      expect((await fetch(new URL(`/assets/${name}`, server.url))).status).toBe(200);
    expect((await fetch(new URL('/assets/../server.ts', server.url))).status).toBe(404);
    expect((await fetch(new URL('/assets/nope.js', server.url))).status).toBe(404);
  });

  it('streams a turn as NDJSON: every event, then the result with the shared state', async () => {
    const { server } = await start(DESK);
    const { status, lines } = await post(server, '/api/chat', { threadId: 't-1', message: 'I was charged twice' });
    expect(status).toBe(200);
    const types = lines.map((line) => (line.type === 'event' ? line.event?.type : line.type));
    expect(types[0]).toBe('turn-start');
    expect(types).toContain('handoff-accept');
    expect(types).toContain('text-delta');
    expect(types.at(-1)).toBe('result');
    expect(lines.at(-1)?.result).toMatchObject({
      agent: 'billing',
      status: 'done',
      state: {
        activeAgent: 'billing',
        handoffs: [{ from: 'triage', to: 'billing', kind: 'delegate', payload: { reason: expect.stringContaining('charged') } }],
      },
    });
    const thread = (await (await fetch(new URL('/api/threads/t-1', server.url))).json()) as {
      messages: { role: string; agent?: string }[];
    };
    expect(thread.messages.map((message) => `${message.role}:${message.agent ?? ''}`)).toEqual(['user:', 'agent:billing']);
    expect(await (await fetch(new URL('/api/threads/never-run', server.url))).json()).toEqual({ threadId: 'never-run', exists: false });
  });

  it('lists a thread waiting for a person and delivers a reply, refusing an impossible hand-back', async () => {
    const { server } = await start(readFileSync(examplePath('support'), 'utf8'));
    await post(server, '/api/chat', { threadId: 't-2', message: 'I was charged twice' });
    await post(server, '/api/chat', { threadId: 't-2', message: 'This is unacceptable, I want a real person now' });
    const waiting = (await (await fetch(new URL('/api/escalations', server.url))).json()) as {
      threadId: string;
      agent: string;
      handBackTargets: string[];
    }[];
    expect(waiting).toEqual([
      expect.objectContaining({
        threadId: 't-2',
        agent: 'human_agent',
        from: 'escalation_manager',
        handBackTargets: ['escalation_manager', 'billing', 'triage'],
      }),
    ]);
    // Billing, on the path that led to the person, is allowed; sales is not.
    const refused = await post(server, '/api/escalations/t-2/reply', { reply: 'Done.', handBackTo: 'sales' });
    expect(refused.lines).toEqual([
      {
        type: 'error',
        error: {
          code: 'INVALID_REPLY',
          message: 'human_agent cannot hand the conversation to "sales". Allowed: escalation_manager, billing, triage.',
        },
      },
    ]);
    const answered = await post(server, '/api/escalations/t-2/reply', {
      reply: 'Refunded the duplicate.',
      handBackTo: 'escalation_manager',
    });
    // The person answered; the manager owns the conversation again.
    expect(answered.lines.at(-1)?.result).toMatchObject({ agent: 'human_agent', state: { activeAgent: 'escalation_manager' } });
    expect(await (await fetch(new URL('/api/escalations', server.url))).json()).toEqual([]);
    const again = await post(server, '/api/escalations/t-2/reply', { reply: 'Hello?' });
    expect(again.lines).toEqual([
      {
        type: 'error',
        error: { code: 'NOTHING_PENDING', message: 'Thread t-2 is not waiting for a person: its last wait for one ended when human_agent (dev page) answered in turn 2; escalation_manager owns the conversation.' },
      },
    ]);
  });

  it('lists a handoff waiting for approval, and approves or denies it', async () => {
    const gated = readFileSync(examplePath('support'), 'utf8').replace('  escalation_manager:\n', '  escalation_manager:\n    approval: required\n');
    expect(gated).toContain('approval: required');
    const { server } = await start(gated);
    for (const threadId of ['a-1', 'a-2']) {
      await post(server, '/api/chat', { threadId, message: 'I was charged twice' });
      await post(server, '/api/chat', { threadId, message: 'This is unacceptable, get me a manager' });
    }
    const waiting = (await (await fetch(new URL('/api/escalations', server.url))).json()) as { threadId: string; type: string; from: string; to: string }[];
    expect(waiting.map(({ threadId, type, from, to }) => ({ threadId, type, from, to })).sort((a, b) => a.threadId.localeCompare(b.threadId))).toEqual([
      { threadId: 'a-1', type: 'approval', from: 'billing', to: 'escalation_manager' },
      { threadId: 'a-2', type: 'approval', from: 'billing', to: 'escalation_manager' },
    ]);
    const approved = await post(server, '/api/escalations/a-1/decision', { approved: true });
    expect(approved.json).toMatchObject({ threadId: 'a-1', status: 'done', agent: 'escalation_manager' });
    const denied = await post(server, '/api/escalations/a-2/decision', { approved: false, reason: 'managers are in a meeting' });
    expect(denied.json).toMatchObject({ threadId: 'a-2', status: 'done', agent: 'billing' });
    expect(await (await fetch(new URL('/api/escalations', server.url))).json()).toEqual([]);
    const again = await post(server, '/api/escalations/a-1/decision', { approved: true });
    expect(again.status).toBeGreaterThanOrEqual(400);
    const malformed = await post(server, '/api/escalations/a-2/decision', { approved: 'yes' });
    expect(malformed.status).toBe(400);

    // A decision naming the request a page showed (its toolCallId): once that request was decided
    // elsewhere and the thread asked again, the late decision is refused, and the new request waits.
    const callOf = async () => ((await (await fetch(new URL('/api/escalations', server.url))).json()) as { threadId: string; toolCallId: string }[]).find((request) => request.threadId === 'a-3')?.toolCallId;
    await post(server, '/api/chat', { threadId: 'a-3', message: 'I was charged twice' });
    await post(server, '/api/chat', { threadId: 'a-3', message: 'This is unacceptable, get me a manager' });
    const shown = await callOf();
    expect(shown).toBeDefined();
    expect((await post(server, '/api/escalations/a-3/decision', { approved: false, toolCallId: shown })).status).toBe(200);
    await post(server, '/api/chat', { threadId: 'a-3', message: 'This is unacceptable, get me a manager now' });
    const next = await callOf();
    expect(next).toBeDefined();
    expect(next).not.toBe(shown);
    const late = await post(server, '/api/escalations/a-3/decision', { approved: true, toolCallId: shown });
    expect(late.status).toBe(409);
    expect(late.json).toMatchObject({ error: expect.stringContaining(`waits for approval of billing → escalation_manager now (toolCallId ${next})`) });
    expect(await callOf()).toBe(next);
    expect((await post(server, '/api/escalations/a-3/decision', { approved: true, toolCallId: next })).json).toMatchObject({ status: 'done', agent: 'escalation_manager' });
  });

  it('pushes a new tree to open pages when the file is saved, and keeps the last good one when it breaks', async () => {
    const { server, file } = await start(DESK);
    const events = await openEvents(server);
    try {
      expect((await events.next()).tree?.version).toBe(1);
      writeFileSync(
        file,
        DESK.replace('children: [billing]', 'children: [billing, sales]').concat(
          '  sales:\n    description: Prices and plans.\n    prompt: You sell.\n',
        ),
      );
      const second = await events.next();
      expect(second).toMatchObject({ revision: 2, broken: false, issues: [], tree: { version: 2 } });
      expect(second.tree?.agents.map((agent) => agent.name)).toEqual(['triage', 'billing', 'person', 'sales']);

      writeFileSync(file, DESK.replace('root: triage', 'root: triag'));
      const broken = await events.next();
      expect(broken).toMatchObject({ revision: 3, broken: true, tree: { version: 2 } });
      expect(broken.issues[0]).toMatchObject({
        severity: 'error',
        line: 4,
        column: 7,
        text: expect.stringMatching(new RegExp(`^${file}:4:7 error UNKNOWN_AGENT "triag" is not an agent`)),
      });
      // The last good tree still runs.
      expect((await post(server, '/api/chat', { threadId: 't-3', message: 'I was charged twice' })).lines.at(-1)?.result).toMatchObject({
        agent: 'billing',
      });

      unlinkSync(file);
      const missing = await events.next();
      expect(missing).toMatchObject({
        broken: true,
        tree: { version: 2 },
        issues: [{ text: `${file}:1:1 error FILE_NOT_FOUND The file does not exist (any more). Save it again to reload.` }],
      });
    } finally {
      events.close();
    }
  });

  it('starts on a broken file, shows why, and refuses to run until it is fixed', async () => {
    const { server, file } = await start(DESK.replace('version: 1', 'version: 2'));
    const snapshot = (await (await fetch(new URL('/api/tree', server.url))).json()) as PageSnapshot;
    expect(snapshot).toMatchObject({ tree: null, broken: true, issues: [{ severity: 'error', line: 2, column: 10 }] });
    expect(snapshot.issues[0]?.text).toContain(`${file}:2:10 error`);
    expect(await post(server, '/api/chat', { threadId: 't-4', message: 'hello' })).toMatchObject({
      status: 409,
      json: { error: 'The tree has not loaded yet: fix the errors shown on the page and save.' },
    });
  });

  it('rejects bad requests with a status and a reason', async () => {
    const { server } = await start(DESK);
    expect(await post(server, '/api/chat', { threadId: 'bad\u0001id', message: '' })).toMatchObject({
      status: 400,
      json: { error: 'threadId must be 1 to 1024 bytes in UTF-8, with no control characters and well-formed text; message must not be empty' },
    });
    const form = await fetch(new URL('/api/chat', server.url), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'threadId=x&message=y',
    });
    expect(form.status).toBe(415);
    const invalid = await fetch(new URL('/api/chat', server.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{nope',
    });
    expect(await invalid.json()).toEqual({ error: 'The body is not valid JSON.' });
    expect((await fetch(new URL('/api/nothing', server.url))).status).toBe(404);
    expect(await requestWithHost(server, 'attacker.example')).toBe(403);
  });

  it('runs a real model when a key is set (here the fake OpenAI server, through the real client)', async () => {
    const openai = await startFakeOpenAI();
    try {
      const file = join(mkdtempSync(join(tmpdir(), 'switchboard-dev-')), 'tree.yaml');
      writeFileSync(file, DESK);
      const server = await startDevServer({
        file,
        model: 'auto',
        env: { OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: openai.url },
        logger: captureLogs('warn').logger,
      });
      servers.push(server);
      expect(((await (await fetch(new URL('/api/tree', server.url))).json()) as PageSnapshot).model).toBe(`OpenAI at ${openai.url}`);
      openai.enqueue(
        { toolCalls: [{ name: 'transfer_to_billing', arguments: { reason: 'double charge' } }] },
        { content: 'I see two charges of $49.' },
      );
      const { lines } = await post(server, '/api/chat', { threadId: 't-5', message: 'I was charged twice' });
      const deltas = lines.flatMap((line) => (line.event?.type === 'text-delta' ? [line.event.delta ?? ''] : []));
      expect(deltas.join('')).toBe('I see two charges of $49.');
      expect(lines.at(-1)?.result).toMatchObject({
        agent: 'billing',
        reply: 'I see two charges of $49.',
        state: { handoffs: [{ payload: { reason: 'double charge' } }] },
      });
      expect(openai.requests).toHaveLength(2);
    } finally {
      await openai.close();
    }
  });

  it('sends model text with its control characters made visible, in events and results', async () => {
    const openai = await startFakeOpenAI();
    try {
      const file = join(mkdtempSync(join(tmpdir(), 'switchboard-dev-')), 'tree.yaml');
      writeFileSync(file, DESK);
      const server = await startDevServer({ file, model: 'auto', env: { OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: openai.url }, logger: captureLogs('warn').logger });
      servers.push(server);
      openai.enqueue({ content: 'Hi \u001b]0;pwned\u0007\u001b[2J\u202e there' });
      const response = await fetch(new URL('/api/chat', server.url), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ threadId: 't-6', message: 'hello' }),
      });
      const text = await response.text();
      // JSON would carry them as \u escapes: none is there, raw or escaped; the visible form is.
      // eslint-disable-next-line no-control-regex -- looking for control characters is the point
      expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]|(?<!\\)\\u/);
      const lines = text.trim().split('\n').map((line) => JSON.parse(line) as { type: string; result?: { reply: string } });
      expect(lines.at(-1)?.result?.reply).toBe('Hi \\x1b]0;pwned\\x07\\x1b[2J\\u202e there');
    } finally {
      await openai.close();
    }
  });

  it('says which port is taken', async () => {
    const { server } = await start(DESK);
    await expect(startDevServer({ file: examplePath('support'), port: server.port, model: 'offline' })).rejects.toMatchObject({
      code: 'PORT_IN_USE',
      message: `Port ${server.port} on 127.0.0.1 is in use: choose another with --port.`,
    });
  });
});

/** A request with a forged Host header (fetch does not allow setting it). */
function requestWithHost(server: DevServer, host: string): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    const request = httpRequest({ host: '127.0.0.1', port: server.port, path: '/api/tree', headers: { host } }, (response) => {
      response.resume();
      resolve(response.statusCode);
    });
    request.on('error', reject);
    request.end();
  });
}
