/**
 * The dev server's answers to requests that are the caller's mistake: a decision on a thread that
 * waits for none (409) or that is not there (404), a reply to a thread that is not there (404), a
 * fork without a turn number (400), time travel to a turn the store no longer keeps (404), a thread
 * id in the path that is malformed percent-encoding or not a thread id (400) — each with a JSON
 * reason and no error in the log.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { startDevServer } from '../../dev/server.js';
import { openCheckpointer } from '../../store/checkpointer.js';
import type { DevServer, DevServerOptions } from '../../dev/server.js';
import { captureLogs } from '../../testing/capture-logs.js';
import type { CapturedLogs } from '../../testing/capture-logs.js';
import { createExampleTools } from '../../tools/examples.js';

const DESK = readFileSync(new URL('../../examples/desk.yaml', import.meta.url), 'utf8');
const servers: DevServer[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function start(options: Partial<DevServerOptions> = {}): Promise<{ server: DevServer; logs: CapturedLogs }> {
  const file = join(mkdtempSync(join(tmpdir(), 'switchboard-dev-errors-')), 'tree.yaml');
  writeFileSync(file, DESK);
  const logs = captureLogs('warn');
  const server = await startDevServer({ file, tools: createExampleTools(), model: 'offline', logger: logs.logger, ...options });
  servers.push(server);
  return { server, logs };
}

async function request(server: DevServer, method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const response = await fetch(`${server.url.replace(/\/$/, '')}${path}`, {
    method,
    ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  return { status: response.status, json: await response.json() };
}

/** Runs a turn of `threadId` and reads its stream to the end. */
async function chat(server: DevServer, threadId: string, message: string): Promise<void> {
  const response = await fetch(new URL('/api/chat', server.url), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ threadId, message }),
  });
  await response.text();
}

describe('dev API: a decision with nothing to decide', () => {
  it('is 409 on a thread that waits for no approval (or was decided already), 404 on a thread that is not there; nothing is logged as an error', async () => {
    const { server, logs } = await start();
    await chat(server, 'd-1', 'I was charged twice');
    expect(await request(server, 'POST', '/api/escalations/d-1/decision', { approved: true })).toEqual({
      status: 409,
      json: { error: 'NOTHING_PENDING: Thread d-1 is not waiting for an approval: no handoff asked for one in its latest turns (turn 1 is its latest; billing owns the conversation).' },
    });
    expect(await request(server, 'POST', '/api/escalations/nobody/decision', { approved: false })).toEqual({
      status: 404,
      json: { error: 'UNKNOWN_THREAD: There is no thread nobody in this store.' },
    });
    expect(logs.records.filter((record) => (record.level as number) >= 50)).toEqual([]);
  });
});

describe("dev API: a person's reply to a thread that is not there", () => {
  it('is 404 with the JSON reason a decision gets, before any stream starts', async () => {
    const { server, logs } = await start();
    expect(await request(server, 'POST', '/api/escalations/nobody/reply', { reply: 'Hello' })).toEqual({
      status: 404,
      json: { error: 'UNKNOWN_THREAD: There is no thread nobody in this store.' },
    });
    expect(logs.records.filter((record) => (record.level as number) >= 50)).toEqual([]);
  });
});

describe('dev API: a fork or time travel that cannot be done', () => {
  it('is 400 for a fork whose turn is missing, not positive or not whole (a cleared field), with one plain reason', async () => {
    const { server } = await start();
    await chat(server, 'f-1', 'I was charged twice');
    for (const turn of [undefined, null, 0, -1, 1.5, '1']) {
      expect(await request(server, 'POST', '/api/threads/f-1/fork', { turn })).toEqual({ status: 400, json: { error: 'turn must be a whole number from 1' } });
    }
  });

  it("is 404 TURN_NOT_KEPT, not 500, for a turn whose checkpoint the store's retention dropped; the thread lists the turns kept", async () => {
    const { server, logs } = await start({ retention: 1 });
    await chat(server, 'k-1', 'I was charged twice');
    await chat(server, 'k-1', 'And I want a refund');
    expect(await request(server, 'GET', '/api/threads/k-1')).toMatchObject({ status: 200, json: { keptTurns: [2] } });
    const notKept = { status: 404, json: { error: expect.stringMatching(/^TURN_NOT_KEPT: The store no longer has the end of turn 1 of thread k-1 \(turns kept: 2\)/) as unknown } };
    expect(await request(server, 'GET', '/api/threads/k-1/turns/1')).toEqual(notKept);
    expect(await request(server, 'POST', '/api/threads/k-1/fork', { turn: 1 })).toEqual(notKept);
    expect(await request(server, 'GET', '/api/threads/k-1/turns/2')).toMatchObject({ status: 200, json: { turn: 2 } });
    expect(logs.records.filter((record) => (record.level as number) >= 50)).toEqual([]);
  });
});

describe('dev API: numbers in the query', () => {
  it('are whole numbers in their range: an empty, signed, exponent or out-of-range one is 400 with the range, not 500 "datatype mismatch"', async () => {
    // SQLite: the store that refused an offset beyond its integers with a 500 "datatype mismatch".
    const store = await openCheckpointer(join(mkdtempSync(join(tmpdir(), 'switchboard-dev-numbers-')), 'threads.sqlite'));
    onTestFinished(() => store.close());
    const { server, logs } = await start({ checkpointer: store.saver, threadLock: store.threadLock });
    await chat(server, 'n-1', 'I was charged twice');
    const refused = (name: string, range: string, text: string) => ({ status: 400, json: { error: `${name} must be a whole number from ${range} (not "${text}").` } });
    for (const offset of ['1e20', '9223372036854775807', '', '-1', '1.5', ' 1', '0x10']) {
      expect(await request(server, 'GET', `/api/threads?offset=${encodeURIComponent(offset)}`), `offset=${offset}`).toEqual(refused('offset', '0 to 9007199254740991', offset));
    }
    for (const limit of ['', '0', '1001', '1e2']) {
      expect(await request(server, 'GET', `/api/threads?limit=${encodeURIComponent(limit)}`), `limit=${limit}`).toEqual(refused('limit', '1 to 1000', limit));
    }
    expect(await request(server, 'GET', '/api/threads?offset=9007199254740991')).toEqual({ status: 200, json: { threads: [], total: 1, offset: 9007199254740991 } });
    expect(await request(server, 'GET', '/api/threads?offset=0&limit=1000')).toMatchObject({ status: 200, json: { total: 1, offset: 0 } });
    for (const turn of ['9999999999999999999', '2147483648', '', '0', '1e3']) {
      expect(await request(server, 'GET', `/api/thread/trace?id=n-1&turn=${encodeURIComponent(turn)}`), `turn=${turn}`).toEqual(refused('turn', '1 to 2147483647', turn));
    }
    expect(await request(server, 'GET', '/api/thread/trace?id=n-1&turn=2147483647')).toEqual({ status: 200, json: { threadId: 'n-1', turn: 2147483647, items: [] } });
    for (const turn of ['99999999999999999999', '0']) expect(await request(server, 'GET', `/api/threads/n-1/turns/${turn}`), `turns/${turn}`).toEqual(refused('turn', '1 to 2147483647', turn));
    expect(await request(server, 'GET', '/api/threads/n-1/turns/2')).toEqual({ status: 404, json: { error: 'UNKNOWN_TURN: Thread n-1 has one turn: there is no turn 2.' } });
    expect(logs.records.filter((record) => (record.level as number) >= 50)).toEqual([]);
  });
});

describe('dev API: a thread id in the path', () => {
  it('that is malformed percent-encoding is 400 with a reason, not 500 "URI malformed"', async () => {
    const { server, logs } = await start();
    for (const [method, path] of [
      ['GET', '/api/threads/%E0'],
      ['GET', '/api/threads/%E0/trace'],
      ['POST', '/api/escalations/%E0/decision'],
    ] as const) {
      expect(await request(server, method, path, method === 'POST' ? { approved: true } : undefined)).toEqual({
        status: 400,
        json: { error: 'The thread id in the path is not valid percent-encoding: %E0.' },
      });
    }
    expect(logs.records.filter((record) => (record.level as number) >= 50)).toEqual([]);
  });

  it('takes every thread id runTurn and the CLI take: a phone number, an e-mail address, a path, spaces, emoji', async () => {
    const { server } = await start();
    for (const threadId of ['+15551234', 'dana@example.com', 'a/b?c#d', ' lead space', 'ünï😀']) {
      const chat = await fetch(new URL('/api/chat', server.url), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ threadId, message: 'I was charged twice on my invoice' }) });
      expect(await chat.text()).toContain('"type":"result"');
      expect(await request(server, 'GET', `/api/threads/${encodeURIComponent(threadId)}`)).toMatchObject({ status: 200, json: { threadId, exists: true } });
    }
  });

  it('that is not a thread id is described as the thread id, not as the body', async () => {
    const { server } = await start();
    expect(await request(server, 'GET', '/api/threads/bad%01id')).toEqual({
      status: 400,
      json: { error: 'the thread id in the path must be 1 to 1024 bytes in UTF-8, with no control characters and well-formed text' },
    });
  });
});
