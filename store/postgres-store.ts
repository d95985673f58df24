/**
 * The PostgreSQL store behind `openCheckpointer('postgres://…')`: the batched saver, the side-effect
 * ledger, the thread journal and the thread locks on two pools. Loaded by store/checkpointer.ts only for a postgres://
 * URL, so `pg` and `@langchain/langgraph-checkpoint-postgres` stay optional peer dependencies.
 */
import pg from 'pg';
import { FastJsonPlusSerializer } from './serde.js';
import { BatchedPostgresSaver } from './postgres-saver.js';
import { PostgresLedger } from './ledger.js';
import { PostgresJournal } from './postgres-journal.js';
import { createPostgresThreadLock, fenceTableSql } from './postgres-thread-lock.js';
import { POSTGRES_POOL_DEFAULTS } from './checkpointer.js';
import type { Checkpointer, OpenCheckpointerOptions } from './checkpointer.js';

/** Opens the PostgreSQL store at `target` (tables created when missing, once, even when many workers start together). */
export async function openPostgresStore(target: string, options: OpenCheckpointerOptions): Promise<Checkpointer> {
  const pool = new pg.Pool({ connectionString: target, ...POSTGRES_POOL_DEFAULTS, ...options.pool });
  // A client that loses its connection (a restart, a killed backend) must not crash the process:
  // idle ones report to the pool, checked-out ones to themselves; the query in flight fails instead.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  const fences = { store: 'postgres' };
  const saver = new BatchedPostgresSaver(pool, new FastJsonPlusSerializer(), { fences });
  const ledger = new PostgresLedger(pool, { fences });
  const journal = new PostgresJournal(pool, { fences });
  await migrateOnce(pool, async () => {
    await saver.setup();
    await ledger.setup();
    await pool.query(fenceTableSql('public', pg.escapeIdentifier));
    await journal.setup();
  });
  // Locks get their own connections, so a turn holding one never starves the checkpointer.
  const lockPool = new pg.Pool({ connectionString: target, ...POSTGRES_POOL_DEFAULTS, max: options.lockConnections ?? POSTGRES_POOL_DEFAULTS.max, ...options.pool, ...options.lockPool, statement_timeout: 0 });
  lockPool.on('error', () => undefined);
  lockPool.on('connect', (client) => client.on('error', () => undefined));
  const url = new URL(target);
  return {
    saver,
    threadLock: createPostgresThreadLock(lockPool, { ...options.lock, fences }),
    ledger,
    journal,
    describe: `postgres:${url.host}${url.pathname}`,
    close: async () => {
      await Promise.all([pool.end(), lockPool.end()]);
    },
  };
}

/** Runs `migrate` under a database-wide advisory lock, so concurrent workers migrate one at a time. */
async function migrateOnce(pool: pg.Pool, migrate: () => Promise<void>): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query("SELECT pg_advisory_lock(hashtextextended('switchboard:migrate', 0))");
    await migrate();
  } finally {
    await client.query("SELECT pg_advisory_unlock(hashtextextended('switchboard:migrate', 0))").catch(() => undefined);
    client.release();
  }
}
