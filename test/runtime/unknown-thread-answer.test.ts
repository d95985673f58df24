/**
 * An answer (a decision, a reply) or a recovery on a thread that was never written is refused, or
 * is nothing to do, without taking the thread's lock: the lock leaves the thread's fence behind (a
 * row in the store's lease table), so every mistyped or made-up thread id added a row for good.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { parseTree } from '../../config/load.js';
import { compileTree } from '../../graphs/compile.js';
import { approveHandoff, denyHandoff, resolveApproval } from '../../runtime/approval.js';
import { recoverThread, resumeThread, runTurn } from '../../runtime/turn.js';
import { openCheckpointer } from '../../store/checkpointer.js';
import type { Checkpointer } from '../../store/checkpointer.js';
import { fakeOpenAIForFile, newThread, viaFakeOpenAI } from '../helpers.js';
import { PG_URL } from '../postgres-url.js';

const server = await fakeOpenAIForFile();
const dir = mkdtempSync(join(tmpdir(), 'switchboard-unknown-thread-'));
const DESK = `
version: 1
name: desk
root: triage
agents:
  triage: { description: Front desk., prompt: Answer. }
`;

const stores: Checkpointer[] = [];
afterAll(async () => {
  for (const store of stores) await store.close();
});

const sqliteFile = join(dir, 'threads.sqlite');
const stored = {
  sqlite: {
    open: () => openCheckpointer(sqliteFile),
    fenced: async (threadId: string) => {
      const db = new Database(sqliteFile, { readonly: true });
      try {
        return (db.prepare('SELECT count(*) AS n FROM switchboard_thread_leases WHERE thread_id = ?').get(threadId) as { n: number }).n > 0;
      } finally {
        db.close();
      }
    },
  },
  postgres: {
    open: () => openCheckpointer(PG_URL),
    fenced: async (threadId: string) => {
      const client = new pg.Client({ connectionString: PG_URL });
      await client.connect();
      try {
        return (await client.query('SELECT 1 FROM switchboard_thread_fences WHERE thread_id = $1', [threadId])).rowCount! > 0;
      } finally {
        await client.end();
      }
    },
  },
};

describe.each(Object.entries(stored))('answers on a thread never written (%s)', (_name, { open, fenced }) => {
  it('are refused as before and leave no fence behind; a thread written still gets one', async () => {
    const store = await open();
    stores.push(store);
    const graph = compileTree(parseTree(DESK, 'desk.yaml'), { ...viaFakeOpenAI(server), checkpointer: store.saver, threadLock: store.threadLock, journal: store.journal });
    const unknown = newThread().threadId;
    const refusals = [
      () => approveHandoff(graph, unknown),
      () => denyHandoff(graph, unknown, { reason: 'no' }),
      () => resolveApproval(graph, unknown, { approved: true }),
      () => resumeThread(graph, unknown, { reply: 'hello' }),
    ];
    for (const refused of refusals) await expect(refused()).rejects.toMatchObject({ code: 'NOTHING_PENDING', message: expect.stringContaining('no thread of that id') });
    await expect(recoverThread(graph, unknown)).resolves.toBeUndefined();
    expect(await fenced(unknown)).toBe(false);

    const written = newThread().threadId;
    await runTurn(graph, { threadId: written, message: 'hi' });
    expect(await fenced(written)).toBe(true);
    // An answer on a thread that exists but waits for nothing is refused under its lock, as before.
    await expect(approveHandoff(graph, written)).rejects.toMatchObject({ code: 'NOTHING_PENDING' });
  });
});

describe('answers when the store fails before the lock is taken (PostgreSQL closed)', () => {
  it('are StoreError STORE_UNAVAILABLE with the advice for a decision or a reply, on a thread written or not', async () => {
    const store = await openCheckpointer(PG_URL);
    const graph = compileTree(parseTree(DESK, 'desk.yaml'), { ...viaFakeOpenAI(server), checkpointer: store.saver, threadLock: store.threadLock, journal: store.journal });
    const written = newThread().threadId;
    await runTurn(graph, { threadId: written, message: 'hi' });
    await store.close();
    for (const threadId of [written, newThread().threadId]) {
      await expect(approveHandoff(graph, threadId)).rejects.toMatchObject({ name: 'StoreError', code: 'STORE_UNAVAILABLE', message: expect.stringContaining('Decide again') });
      await expect(resumeThread(graph, threadId, { reply: 'hello' })).rejects.toMatchObject({ name: 'StoreError', code: 'STORE_UNAVAILABLE', message: expect.stringContaining('Reply again') });
    }
  });
});
