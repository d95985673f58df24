/**
 * The LangGraph internals Switchboard relies on, where LangGraph has no public API for the job:
 * retention prunes MemorySaver's two maps and the SQLite and PostgreSQL savers' tables; the batched
 * PostgreSQL saver encodes rows with PostgresSaver's protected `_dump*` methods. Each is checked
 * here by what Switchboard needs of it, so a LangGraph release that changes one fails this file with
 * a message naming the internal, not a subtle bug elsewhere. CI runs it at both ends of the
 * supported range (see .ci/run).
 */
import { MemorySaver } from '@langchain/langgraph';
import { emptyCheckpoint } from '@langchain/langgraph-checkpoint';
import { PostgresSaver } from '@langchain/langgraph-checkpoint-postgres';
import { SqliteSaver } from '@langchain/langgraph-checkpoint-sqlite';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { PG_URL } from './workers.js';

const config = (threadId: string) => ({ configurable: { thread_id: threadId, checkpoint_ns: '' } });

async function writeOneCheckpoint(saver: MemorySaver | SqliteSaver | PostgresSaver, threadId: string): Promise<string> {
  const checkpoint = { ...emptyCheckpoint(), channel_values: { greeting: 'hi' }, channel_versions: { greeting: 1 } };
  const saved = await saver.put(config(threadId), checkpoint, { source: 'input', step: -1, parents: {} }, { greeting: 1 });
  await saver.putWrites(saved, [['greeting', 'hello']], 'task-1');
  return checkpoint.id;
}

describe('LangGraph internals used by retention and the batched saver', () => {
  it('MemorySaver keeps checkpoints in storage[thread][namespace][id] (with the parent id third) and writes under JSON keys', async () => {
    const saver = new MemorySaver();
    const id = await writeOneCheckpoint(saver, 't-memory');
    expect(Object.keys(saver.storage['t-memory']?.[''] ?? {}), 'MemorySaver.storage layout changed: retention (store/retention.ts) must follow').toEqual([id]);
    expect(saver.storage['t-memory']?.['']?.[id]?.length, 'MemorySaver.storage entry is no longer [checkpoint, metadata, parentId]').toBe(3);
    expect(Object.keys(saver.writes), 'MemorySaver.writes is no longer keyed by JSON [thread, namespace, checkpoint]').toEqual([JSON.stringify(['t-memory', '', id])]);
  });

  it('SqliteSaver exposes its database as `db` with tables checkpoints and writes keyed by thread, namespace and checkpoint', async () => {
    const saver = new SqliteSaver(new Database(':memory:'));
    const id = await writeOneCheckpoint(saver, 't-sqlite');
    expect(saver.db, 'SqliteSaver.db is gone: retention and the thread lease need the connection').toBeInstanceOf(Database);
    const columns = (table: string) => (saver.db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]).map((column) => column.name);
    expect(columns('checkpoints')).toEqual(expect.arrayContaining(['thread_id', 'checkpoint_ns', 'checkpoint_id', 'parent_checkpoint_id']));
    expect(columns('writes')).toEqual(expect.arrayContaining(['thread_id', 'checkpoint_ns', 'checkpoint_id', 'task_id', 'idx']));
    expect(saver.db.prepare('SELECT checkpoint_id FROM checkpoints WHERE thread_id = ?').pluck().all('t-sqlite')).toEqual([id]);
    expect(saver.db.prepare('SELECT COUNT(*) FROM writes WHERE thread_id = ? AND checkpoint_id = ?').pluck().get('t-sqlite', id)).toBe(1);
  });

  describe('PostgresSaver', () => {
    const pool = new pg.Pool({ connectionString: PG_URL, max: 2 });
    const schema = `internals_${process.pid}`;
    afterAll(async () => {
      await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await pool.end();
    });

    it('keeps `pool` and `options.schema`, the tables retention prunes, and the protected _dump* encoders', async () => {
      const saver = new PostgresSaver(pool, undefined, { schema });
      await saver.setup();
      const internals = saver as unknown as Record<string, unknown> & { options: { schema: string } };
      expect(internals.pool, 'PostgresSaver.pool is gone').toBe(pool);
      expect(internals.options.schema, 'PostgresSaver.options.schema is gone').toBe(schema);
      for (const method of ['_dumpBlobs', '_dumpCheckpoint', '_dumpMetadata', '_dumpWrites']) {
        expect(typeof internals[method], `PostgresSaver.${method} is gone: store/postgres-saver.ts must follow`).toBe('function');
      }
      const id = await writeOneCheckpoint(saver, 't-pg');
      const { rows } = await pool.query<{ table_name: string; column_name: string }>(
        `SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = $1`,
        [schema],
      );
      const columns = (table: string) => rows.filter((row) => row.table_name === table).map((row) => row.column_name);
      expect(columns('checkpoints')).toEqual(expect.arrayContaining(['thread_id', 'checkpoint_ns', 'checkpoint_id', 'parent_checkpoint_id', 'checkpoint', 'metadata']));
      expect(columns('checkpoint_blobs')).toEqual(expect.arrayContaining(['thread_id', 'checkpoint_ns', 'channel', 'version', 'type', 'blob']));
      expect(columns('checkpoint_writes')).toEqual(expect.arrayContaining(['thread_id', 'checkpoint_ns', 'checkpoint_id', 'task_id', 'idx', 'channel', 'type', 'blob']));
      // Retention keeps a blob while a kept checkpoint's channel_versions names its version.
      const stored = await pool.query<{ version: string }>(
        `SELECT c.checkpoint -> 'channel_versions' ->> 'greeting' AS version FROM ${schema}.checkpoints c WHERE thread_id = 't-pg' AND checkpoint_id = $1`,
        [id],
      );
      const blob = await pool.query<{ version: string }>(`SELECT version FROM ${schema}.checkpoint_blobs WHERE thread_id = 't-pg' AND channel = 'greeting'`);
      expect(blob.rows.map((row) => row.version)).toEqual(stored.rows.map((row) => row.version));
    });
  });
});
