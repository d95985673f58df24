/**
 * The threads of a store a page at a time, with how many there are: every thread can be reached,
 * whether the store is SQLite or PostgreSQL (each thread's newest checkpoint found with a query)
 * or another (scanned); and the search finds an id whatever its script and case, on every store.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { MemorySaver } from '@langchain/langgraph';
import type { BaseCheckpointSaver } from '@langchain/langgraph';
import pg from 'pg';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { listThreadPage } from '../../dev/thread-list.js';
import type { ThreadRow } from '../../dev/thread-list.js';
import { openCheckpointer } from '../../store/checkpointer.js';
import { BatchedPostgresSaver } from '../../store/postgres-saver.js';
import { FastJsonPlusSerializer } from '../../store/serde.js';
import { PG_URL } from '../postgres-url.js';
import { writeCheckpoint, writeThreads } from './thread-pages.js';

async function openStore(kind: 'sqlite' | 'memory') {
  const store = kind === 'sqlite' ? await openCheckpointer(join(mkdtempSync(join(tmpdir(), 'switchboard-threads-')), 'threads.sqlite')) : undefined;
  return { saver: store?.saver ?? new MemorySaver(), close: async () => store?.close() };
}

/** `saver` seen through `list` alone, as a store the threads panel knows nothing of: it is scanned. */
function scannedOnly(saver: BaseCheckpointSaver): BaseCheckpointSaver {
  return { list: (config: Parameters<BaseCheckpointSaver['list']>[0], options?: Parameters<BaseCheckpointSaver['list']>[1]) => saver.list(config, options) } as unknown as BaseCheckpointSaver;
}

/** Every page of `limit` threads, one after another. */
async function allPages(saver: BaseCheckpointSaver, limit: number): Promise<ThreadRow[]> {
  const rows: ThreadRow[] = [];
  for (let offset = 0; ; offset += limit) {
    const page = await listThreadPage(saver, { limit, offset });
    rows.push(...page.rows);
    if (page.rows.length < limit) return rows;
  }
}

const NAMES = ['Émile-Ωmega', 'straße-7', 'ΟΔΥΣΣΕΑΣ', 'plain-ascii'];

/** Ids in several scripts, some with letters whose cases differ in length (ß, SS) or by place (σ, ς). */
async function writeNamedThreads(saver: BaseCheckpointSaver, prefix = '', start = Date.parse('2024-02-01T00:00:00Z')): Promise<void> {
  for (const [index, name] of NAMES.entries()) await writeCheckpoint(saver, `${prefix}${name}`, new Date(start + index * 1000));
}

/** What a search finds, by id. */
async function found(saver: BaseCheckpointSaver, search: string): Promise<string[]> {
  return (await listThreadPage(saver, { search })).rows.map((row) => row.threadId).sort();
}

describe('listThreadPage()', () => {
  it.each(['sqlite', 'memory'] as const)(
    'gives every thread of a %s store, a page at a time, newest first, and how many there are',
    async (kind) => {
      const { saver, close } = await openStore(kind);
      try {
        await writeThreads(saver, 150);
        const first = await listThreadPage(saver, { limit: 100 });
        const second = await listThreadPage(saver, { limit: 100, offset: 100 });
        expect(first.total).toBe(150);
        expect(second.total).toBe(150);
        expect(first.rows.map((row) => row.threadId).slice(0, 2)).toEqual(['bulk-150', 'bulk-149']);
        expect(second.rows.map((row) => row.threadId).at(-1)).toBe('bulk-1');
        const all = [...first.rows, ...second.rows].map((row) => row.threadId);
        expect(new Set(all).size).toBe(150);
        // A search counts what it finds: bulk-1, bulk-10…bulk-19, bulk-100…bulk-150 contain "bulk-1".
        const searched = await listThreadPage(saver, { search: 'BULK-1', limit: 10 });
        expect({ rows: searched.rows.length, total: searched.total }).toEqual({ rows: 10, total: 62 });
      } finally {
        await close();
      }
    },
  );

  it.each(['sqlite', 'memory'] as const)('finds an id in any script whatever the case of the search, on a %s store', async (kind) => {
    const { saver, close } = await openStore(kind);
    try {
      await writeNamedThreads(saver);
      for (const search of ['Émile', 'émile', 'ÉMILE', 'é', 'ωmega', 'ΩMEGA']) expect(await found(saver, search), search).toEqual(['Émile-Ωmega']);
      expect(await found(saver, 'STRASSE')).toEqual(['straße-7']);
      expect(await found(saver, 'οδυσσεας')).toEqual(['ΟΔΥΣΣΕΑΣ']);
      expect(await found(saver, 'ς')).toEqual(['ΟΔΥΣΣΕΑΣ']);
      // An accent written as its own character finds the letter written whole.
      expect(await found(saver, 'e\u0301mile')).toEqual(['Émile-Ωmega']);
      expect((await listThreadPage(saver, { search: 'É' })).total).toBe(1);
      expect(await found(saver, 'Ascii')).toEqual(['plain-ascii']);
    } finally {
      await close();
    }
  });
});

describe('listThreadPage() on PostgreSQL', () => {
  // A schema of its own: other test files write threads into the run's database at the same time.
  const pool = new pg.Pool({ connectionString: PG_URL, max: 4 });
  const schema = `thread_list_${randomUUID().slice(0, 8)}`;
  const saver = new BatchedPostgresSaver(pool, new FastJsonPlusSerializer(), { schema });
  afterAll(async () => {
    await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await pool.end();
  });

  it('lists from the newest checkpoint of each thread, found by a query, what a scan of every checkpoint lists: same threads, order, owners, statuses', async () => {
    await saver.setup();
    const start = Date.parse('2024-03-01T00:00:00Z');
    let second = 0;
    const next = () => new Date(start + (second += 1) * 1000);
    // Every thread's first turn, then later turns of some (their newest checkpoints move them up,
    // with another owner and status), a few waiting for a person or for an approval.
    for (let index = 1; index <= 30; index += 1) await writeCheckpoint(saver, `pg-${index}`, next());
    for (let index = 3; index <= 30; index += 4) {
      await writeCheckpoint(saver, `pg-${index}`, next(), { owner: 'billing', turn: 2, status: 'running' });
      await writeCheckpoint(saver, `pg-${index}`, next(), { owner: index % 8 === 3 ? 'manager' : 'billing', turn: 2, status: index % 8 === 3 ? 'waiting' : 'done' });
    }
    await writeCheckpoint(saver, 'pg-5', next(), { owner: 'technical', turn: 2, status: 'running', interrupted: true });
    await writeCheckpoint(saver, 'pg-9', next(), { owner: 'technical', turn: 3, status: 'error' });
    await writeNamedThreads(saver, 'pg-', next().getTime());

    const scanned = await allPages(scannedOnly(saver), 1000);
    const list = vi.spyOn(saver, 'list');
    const indexed = await listThreadPage(saver, { limit: 1000 });
    expect(list, 'the threads panel read every checkpoint of the store').not.toHaveBeenCalled();
    expect(indexed).toEqual({ rows: scanned, total: 34 });
    expect(await allPages(saver, 7)).toEqual(scanned);
    // The later turns show: the newest checkpoint of each thread, not its first.
    expect(indexed.rows.find((row) => row.threadId === 'pg-5')).toMatchObject({ owner: 'technical', status: 'waiting', waiting: true, turns: 2 });
    expect(indexed.rows.find((row) => row.threadId === 'pg-9')).toMatchObject({ owner: 'technical', status: 'error', turns: 3 });
    expect(indexed.rows.find((row) => row.threadId === 'pg-11')).toMatchObject({ owner: 'manager', status: 'waiting' });
    expect(indexed.rows.slice(0, 3).map((row) => row.threadId)).toEqual(['pg-plain-ascii', 'pg-ΟΔΥΣΣΕΑΣ', 'pg-straße-7']);
    for (const search of ['Émile', 'é', 'ωmega']) expect(await found(saver, search), search).toEqual(['pg-Émile-Ωmega']);
    expect(await found(saver, 'STRASSE')).toEqual(['pg-straße-7']);
    list.mockRestore();
  });
});
