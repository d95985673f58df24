/**
 * The journal's paging on each store (memory, a SQLite file, real PostgreSQL): read options that
 * are not whole numbers are `INVALID_INPUT` before the store is asked (PostgreSQL refused them with
 * its own errors, memory and SQLite read something else), the thread list pages with `offset`, and
 * threads last active in the same millisecond come newest first on every store.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { MemoryJournal } from '../../store/journal.js';
import type { JournalEntryInput } from '../../store/journal.js';
import { storeKinds, withStore } from './stores.js';

const dir = mkdtempSync(join(tmpdir(), 'switchboard-journal-paging-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.useRealTimers());

const STORES = storeKinds(dir);


const message = (turn: number, id: string): JournalEntryInput => ({ kind: 'message', turn, key: `message:${id}`, data: { type: 'human', id, content: id } });
const INVALID = { code: 'INVALID_INPUT', name: 'InputError' };

describe.each(Object.keys(STORES) as (keyof typeof STORES)[])('journal paging on %s', (kind) => {
  it('refuses read options that are not whole numbers, by name, before reading', async () => {
    await withStore(STORES[kind], async (store) => {
      const threadId = `paging-${randomUUID()}`;
      await store.journal.append(threadId, [message(1, 'a'), message(1, 'b'), message(2, 'c')]);
      for (const after of [1.5, Number.NaN, -1, 2 ** 64, '3']) {
        await expect(store.journal.read(threadId, { after: after as number }), `after ${String(after)}`).rejects.toMatchObject({ ...INVALID, message: expect.stringMatching(/`after`/) });
      }
      for (const turn of [0, 1.5, Number.NaN, 2 ** 31]) await expect(store.journal.read(threadId, { turn }), `turn ${turn}`).rejects.toMatchObject(INVALID);
      for (const limit of [0, 2.5]) await expect(store.journal.read(threadId, { limit }), `limit ${limit}`).rejects.toMatchObject({ ...INVALID, message: expect.stringMatching(/whole number of at least 1/) });
      for (const offset of [-1, 0.5, Number.NaN]) {
        await expect(store.journal.threads({ offset }), `offset ${offset}`).rejects.toMatchObject({ ...INVALID, message: expect.stringMatching(/`offset`/) });
      }
      expect((await store.journal.read(threadId, { after: 0, turn: 2 ** 31 - 1 })).entries).toEqual([]);
      expect((await store.journal.read(threadId, { turn: 2 })).entries.map((entry) => entry.key)).toEqual(['message:c']);
    });
  });

  it('reads no entry of a thread id with a NUL, and lists none for a search with one (PostgreSQL text holds no NUL)', async () => {
    await withStore(STORES[kind], async (store) => {
      expect(await store.journal.read(`nul-${randomUUID()}\u0000`)).toEqual({ entries: [], next: undefined });
      expect(await store.journal.get(`nul-${randomUUID()}\u0000`, 'message:a')).toBeUndefined();
      expect(await store.journal.threads({ search: `${randomUUID()}\u0000` })).toEqual([]);
    });
  });

  it('pages the thread list with offset, newest activity first, each thread once', async () => {
    await withStore(STORES[kind], async (store) => {
      const tag = randomUUID();
      const threads = Array.from({ length: 5 }, (_, index) => `offset-${tag}-${index}`);
      for (const threadId of threads) {
        await store.journal.append(threadId, [message(1, 'a')]);
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      const newestFirst = [...threads].reverse();
      expect((await store.journal.threads({ search: tag })).map((thread) => thread.threadId)).toEqual(newestFirst);
      const pages: string[][] = [];
      for (let offset = 0; offset < 6; offset += 2) pages.push((await store.journal.threads({ search: tag, limit: 2, offset })).map((thread) => thread.threadId));
      expect(pages).toEqual([newestFirst.slice(0, 2), newestFirst.slice(2, 4), newestFirst.slice(4)]);
      expect(await store.journal.threads({ search: tag, offset: 5 })).toEqual([]);
    });
  });
});

describe('threads last active in the same millisecond', () => {
  // PostgreSQL stamps appends with the database's clock; memory and SQLite with this process's, which a test can stop.
  it.each(['memory', 'sqlite'] as const)('come latest append first on %s, as on SQLite and PostgreSQL (ORDER BY last_at DESC, last_seq DESC)', async (kind) => {
    await withStore(STORES[kind], async (store) => {
      const tag = randomUUID();
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(new Date('2030-01-01T00:00:00.000Z'));
      for (const name of ['first', 'second', 'third']) await store.journal.append(`${tag}-${name}`, [message(1, 'a')]);
      const listed = await store.journal.threads({ search: tag });
      expect(new Set(listed.map((thread) => thread.lastAt))).toEqual(new Set(['2030-01-01T00:00:00.000Z']));
      expect(listed.map((thread) => thread.threadId)).toEqual([`${tag}-third`, `${tag}-second`, `${tag}-first`]);
      // New activity on the oldest makes it the newest, in the same millisecond too.
      await store.journal.append(`${tag}-first`, [message(1, 'b')]);
      expect((await store.journal.threads({ search: tag })).map((thread) => thread.threadId)).toEqual([`${tag}-first`, `${tag}-third`, `${tag}-second`]);
    });
  });

  it('come latest append first in a MemoryJournal of its own', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2030-01-01T00:00:00.000Z'));
    const journal = new MemoryJournal();
    for (const threadId of ['first', 'second', 'third']) await journal.append(threadId, [message(1, 'a')]);
    expect((await journal.threads()).map((thread) => thread.threadId)).toEqual(['third', 'second', 'first']);
    expect((await journal.threads({ limit: 1, offset: 1 })).map((thread) => thread.threadId)).toEqual(['second']);
  });
});
