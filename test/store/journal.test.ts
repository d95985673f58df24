/**
 * The thread journal on each store (memory, a SQLite file, real PostgreSQL): keyed appends land
 * once, pages come oldest first with `next`, kinds and turns filter, scans cross threads by time,
 * the thread list is newest activity first with its latest turn entry, odd text survives, a stale
 * fence appends nothing, and a reopened SQLite file still has everything.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openCheckpointer } from '../../store/checkpointer.js';
import type { Checkpointer } from '../../store/checkpointer.js';
import { pairedJournal } from '../../store/journal.js';
import type { JournalEntry, JournalEntryInput } from '../../store/journal.js';
import { storeKinds, withStore } from './stores.js';

const dir = mkdtempSync(join(tmpdir(), 'switchboard-journal-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const STORES = storeKinds(dir);


const message = (turn: number, id: string, content: unknown): JournalEntryInput => ({ kind: 'message', turn, key: `message:${id}`, data: { type: 'human', id, content } });
const keysOf = (entries: JournalEntry[]) => entries.map((entry) => entry.key);

async function readAll(store: Checkpointer, threadId: string, options: { kinds?: JournalEntry['kind'][]; limit?: number } = {}): Promise<JournalEntry[]> {
  const all: JournalEntry[] = [];
  let after: number | undefined;
  do {
    const page = await store.journal.read(threadId, { ...options, after });
    all.push(...page.entries);
    after = page.next;
  } while (after !== undefined);
  return all;
}

describe.each(Object.keys(STORES) as (keyof typeof STORES)[])('journal on %s', (kind) => {
  it('appends each key once, in order, and pages oldest first', async () => {
    await withStore(STORES[kind], async (store) => {
      expect(pairedJournal(store.saver)).toBe(store.journal);
      const threadId = `journal-${randomUUID()}`;
      await store.journal.append(threadId, [message(1, 'a', 'one'), message(1, 'b', 'two'), { kind: 'turn', turn: 1, key: 'turn:1', data: { turn: 1 } }]);
      // Appended again (a turn finished twice), with one new entry: only the new one lands.
      await store.journal.append(threadId, [message(1, 'a', 'changed'), message(1, 'b', 'two'), message(2, 'c', 'three'), message(2, 'c', 'three again')]);
      await store.journal.append(threadId, [{ kind: 'event', turn: 2, key: 'event:2:0', data: { type: 'tool-call' } }, { kind: 'turn', turn: 2, key: 'turn:2', data: { turn: 2 } }]);

      const all = await readAll(store, threadId, { limit: 2 });
      expect(keysOf(all)).toEqual(['message:a', 'message:b', 'turn:1', 'message:c', 'event:2:0', 'turn:2']);
      expect(all.map((entry) => entry.seq)).toEqual([...all.map((entry) => entry.seq)].sort((a, b) => a - b));
      expect(all[0]).toMatchObject({ threadId, kind: 'message', turn: 1, data: { type: 'human', id: 'a', content: 'one' } });
      expect(typeof all[0]!.at).toBe('string');
      expect(new Date(all[0]!.at).toISOString()).toBe(all[0]!.at);

      const first = await store.journal.read(threadId, { limit: 2 });
      expect(keysOf(first.entries)).toEqual(['message:a', 'message:b']);
      expect(first.next).toBe(first.entries[1]!.seq);
      const last = await store.journal.read(threadId, { after: all[3]!.seq });
      expect(keysOf(last.entries)).toEqual(['event:2:0', 'turn:2']);
      expect(last.next).toBeUndefined();

      expect(keysOf((await store.journal.read(threadId, { kinds: ['message'] })).entries)).toEqual(['message:a', 'message:b', 'message:c']);
      expect(keysOf((await store.journal.read(threadId, { kinds: ['turn', 'event'], turn: 2 })).entries)).toEqual(['event:2:0', 'turn:2']);
      expect((await store.journal.read(threadId, { kinds: [] })).entries).toEqual([]);
      expect(await store.journal.get(threadId, 'message:c')).toMatchObject({ kind: 'message', turn: 2, data: { content: 'three' } });
      expect(await store.journal.get(threadId, 'message:zzz')).toBeUndefined();
      expect(await store.journal.get(`other-${threadId}`, 'message:a')).toBeUndefined();
      expect((await store.journal.read(`nobody-${threadId}`)).entries).toEqual([]);
    });
  });

  it('keeps a NUL, lone surrogates, emoji and nested JSON exactly', async () => {
    await withStore(STORES[kind], async (store) => {
      const threadId = `journal-unicode-${randomUUID()}`;
      const data = { text: 'a\u0000b', lone: '\ud800x\udc00', emoji: '🧾', bidi: '\u202eevil', quote: '"\'\\', nested: [{ n: 1.5, ok: true, none: null }] };
      await store.journal.append(threadId, [{ kind: 'message', turn: 1, key: 'message:\u202e🧾', data }]);
      const [entry] = (await store.journal.read(threadId)).entries;
      expect(entry).toMatchObject({ key: 'message:\u202e🧾', data });
      expect((await store.journal.get(threadId, 'message:\u202e🧾'))?.data).toEqual(data);
    });
  });

  it('refuses an append under a stale fence, in the same transaction as the insert', async () => {
    await withStore(STORES[kind], async (store) => {
      const threadId = `journal-fence-${randomUUID()}`;
      const domain = store.threadLock.fences!;
      const stale = await store.threadLock.withLock(threadId, async (lease) => lease.fence);
      await store.threadLock.withLock(threadId, async (lease) => {
        await expect(store.journal.append(threadId, [message(1, 'stale', 'from a worker that lost the thread')], { threadId, token: stale, domain })).rejects.toMatchObject({
          name: 'LockLostError',
          code: 'LOCK_LOST',
        });
        await store.journal.append(threadId, [message(1, 'fresh', 'from the holder')], { threadId, token: lease.fence, domain });
      });
      expect(keysOf((await store.journal.read(threadId)).entries)).toEqual(['message:fresh']);
      expect((await store.journal.threads({ search: threadId })).map((thread) => thread.threadId)).toEqual([threadId]);
    });
  });

  it('lists threads newest activity first with their latest turn entry, and scans entries across threads by time', async () => {
    await withStore(STORES[kind], async (store) => {
      const tag = randomUUID();
      const older = `list-${tag}-older`;
      const newer = `list-${tag}-newer`;
      const quiet = `list-${tag}-quiet`;
      const before = new Date(Date.now() - 1).toISOString();
      await store.journal.append(older, [message(1, 'o1', 'x'), { kind: 'turn', turn: 1, key: 'turn:1', data: { n: 1 } }]);
      await new Promise((resolve) => setTimeout(resolve, 5));
      await store.journal.append(quiet, [message(1, 'q1', 'no turn yet')]);
      await new Promise((resolve) => setTimeout(resolve, 5));
      await store.journal.append(newer, [message(1, 'n1', 'y'), { kind: 'turn', turn: 1, key: 'turn:1', data: { n: 1 } }]);
      await store.journal.append(newer, [message(2, 'n2', 'z'), { kind: 'turn', turn: 2, key: 'turn:2', data: { n: 2 } }]);
      await new Promise((resolve) => setTimeout(resolve, 5));
      const middle = new Date().toISOString();
      await new Promise((resolve) => setTimeout(resolve, 5));
      // Activity on the older thread makes it the newest again; a duplicate changes nothing.
      await store.journal.append(older, [message(2, 'o2', 'again')]);
      await store.journal.append(newer, [message(2, 'n2', 'z')]);

      const listed = await store.journal.threads({ search: tag });
      expect(listed.map((thread) => thread.threadId)).toEqual([older, newer, quiet]);
      expect(listed[0]).toMatchObject({ turns: 1, lastTurn: { key: 'turn:1', data: { n: 1 } } });
      expect(listed[1]).toMatchObject({ turns: 2, lastTurn: { key: 'turn:2', turn: 2, data: { n: 2 } } });
      expect(listed[2]).toMatchObject({ turns: 0, lastTurn: undefined });
      expect(listed[0]!.lastAt >= listed[1]!.lastAt).toBe(true);
      expect(await store.journal.threads({ search: tag, limit: 1 })).toHaveLength(1);
      expect(await store.journal.threads({ search: `${tag}-nothing` })).toEqual([]);

      const scanned: JournalEntry[] = [];
      for await (const entry of store.journal.scan({ kinds: ['turn'], since: before })) if (entry.threadId.includes(tag)) scanned.push(entry);
      expect(scanned.map((entry) => `${entry.threadId}/${entry.key}`)).toEqual([`${older}/turn:1`, `${newer}/turn:1`, `${newer}/turn:2`]);
      const late: string[] = [];
      for await (const entry of store.journal.scan({ kinds: ['message'], since: middle })) if (entry.threadId.includes(tag)) late.push(entry.key);
      expect(late).toEqual(['message:o2']);
      const early: string[] = [];
      for await (const entry of store.journal.scan({ kinds: ['message'], since: before, until: middle })) if (entry.threadId.includes(tag)) early.push(entry.key);
      expect(early).toEqual(['message:o1', 'message:q1', 'message:n1', 'message:n2']);
    });
  });

  it('refuses a value JSON cannot hold, and a page limit that is not a positive whole number, by name', async () => {
    await withStore(STORES[kind], async (store) => {
      const threadId = `journal-bad-${randomUUID()}`;
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      await expect(store.journal.append(threadId, [{ kind: 'event', turn: 1, key: 'event:1:0', data: cyclic }])).rejects.toThrow(/event:1:0 cannot be stored as JSON/);
      await expect(store.journal.append(threadId, [{ kind: 'event', turn: 1, key: 'event:1:1', data: undefined }])).rejects.toThrow(/event:1:1 has no JSON value/);
      // Every store alike: a limit that would read nothing (or a fraction of an entry) is refused, never an empty page.
      for (const limit of [0, -1, 2.5, Number.NaN]) await expect(store.journal.read(threadId, { limit })).rejects.toThrow(/whole number of at least 1/);
      await expect(store.journal.read(threadId, { limit: '5' as unknown as number })).rejects.toThrow(/\(got "5"\)/);
      await expect(store.journal.threads({ limit: 0 })).rejects.toThrow(/whole number of at least 1/);
      expect((await store.journal.read(threadId)).entries).toEqual([]);
    });
  });
});

describe('journal on a SQLite file', () => {
  it('has every entry after the file is closed and opened again (a process restart)', async () => {
    const path = join(dir, `restart-${randomUUID()}.sqlite`);
    const threadId = `restart-${randomUUID()}`;
    const first = await openCheckpointer(path);
    await first.journal.append(threadId, [message(1, 'a', 'before the restart'), { kind: 'turn', turn: 1, key: 'turn:1', data: { turn: 1 } }]);
    await first.close();
    const second = await openCheckpointer(path);
    try {
      await second.journal.append(threadId, [message(1, 'a', 'duplicate'), message(2, 'b', 'after the restart')]);
      const entries = (await second.journal.read(threadId)).entries;
      expect(entries.map((entry) => [entry.key, (entry.data as { content: string }).content ?? null])).toEqual([
        ['message:a', 'before the restart'],
        ['turn:1', null],
        ['message:b', 'after the restart'],
      ]);
      expect(await second.journal.threads({ search: threadId })).toMatchObject([{ threadId, turns: 1, lastTurn: { key: 'turn:1' } }]);
    } finally {
      await second.close();
    }
  });
});
