/**
 * The threads panel's search finds an id without regard to case or to how its text is encoded
 * (NFKC: a letter and its accent apart or whole, full-width letters, ligatures), the same on every
 * store, and pages what it finds.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { MemorySaver } from '@langchain/langgraph';
import type { BaseCheckpointSaver } from '@langchain/langgraph';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { listThreadPage } from '../../dev/thread-list.js';
import { openCheckpointer } from '../../store/checkpointer.js';
import { BatchedPostgresSaver } from '../../store/postgres-saver.js';
import { FastJsonPlusSerializer } from '../../store/serde.js';
import { PG_URL } from '../postgres-url.js';
import { writeCheckpoint } from './thread-pages.js';

/** Ids written in several forms: `Müller` composed and decomposed, `REFUND` in capitals and full width, a ligature, a sharp s. */
const IDS = ['Müller-REFUND-1', 'Mu\u0308ller-2', 'ＲＥＦＵＮＤ-3', 'oﬃce-4', 'plain-5', 'Straße-6'];

async function writeIds(saver: BaseCheckpointSaver): Promise<void> {
  const start = Date.parse('2024-05-01T00:00:00Z');
  for (const [index, id] of IDS.entries()) await writeCheckpoint(saver, id, new Date(start + index * 1000));
}

/** What a search finds, by id. */
async function found(saver: BaseCheckpointSaver, search: string): Promise<string[]> {
  return (await listThreadPage(saver, { search })).rows.map((row) => row.threadId).sort();
}

async function expectSearches(saver: BaseCheckpointSaver): Promise<void> {
  const millers = ['Mu\u0308ller-2', 'Müller-REFUND-1'].sort();
  for (const search of ['Müller', 'mu\u0308ller', 'MÜLLER', 'MU\u0308LLER']) expect(await found(saver, search), search).toEqual(millers);
  const refunds = ['Müller-REFUND-1', 'ＲＥＦＵＮＤ-3'].sort();
  for (const search of ['refund', 'REFUND', 'Refund', 'ｒｅｆｕｎｄ', 'ＲＥＦＵＮＤ']) expect(await found(saver, search), search).toEqual(refunds);
  for (const search of ['office', 'OFFICE', 'ffi', 'ﬃ']) expect(await found(saver, search), search).toEqual(['oﬃce-4']);
  for (const search of ['STRASSE', 'STRAẞE', 'straße']) expect(await found(saver, search), search).toEqual(['Straße-6']);
  expect(await found(saver, 'nothing-like-it')).toEqual([]);
  // Paged: each match once, and the total counts them all.
  const first = await listThreadPage(saver, { search: 'REFUND', limit: 1 });
  const second = await listThreadPage(saver, { search: 'REFUND', limit: 1, offset: 1 });
  expect([first.total, second.total]).toEqual([2, 2]);
  expect([...first.rows, ...second.rows].map((row) => row.threadId).sort()).toEqual(refunds);
}

describe('listThreadPage() search', () => {
  it.each(['sqlite', 'memory'] as const)('finds ids whatever their case and Unicode form, on a %s store', async (kind) => {
    const store = kind === 'sqlite' ? await openCheckpointer(join(mkdtempSync(join(tmpdir(), 'switchboard-search-')), 'threads.sqlite')) : undefined;
    const saver = store?.saver ?? new MemorySaver();
    try {
      await writeIds(saver);
      await expectSearches(saver);
    } finally {
      await store?.close();
    }
  });

  describe('on PostgreSQL', () => {
    // A schema of its own: other test files write threads into the run's database at the same time.
    const pool = new pg.Pool({ connectionString: PG_URL, max: 4 });
    const schema = `thread_search_${randomUUID().slice(0, 8)}`;
    afterAll(async () => {
      await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await pool.end();
    });

    it('finds ids whatever their case and Unicode form', async () => {
      const saver = new BatchedPostgresSaver(pool, new FastJsonPlusSerializer(), { schema });
      await saver.setup();
      await writeIds(saver);
      await expectSearches(saver);
    });
  });
});
