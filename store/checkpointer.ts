/**
 * Where threads persist, from one string: `memory`, a SQLite file path (the CLI's default), or a
 * PostgreSQL URL (when several workers share threads). Each comes with the thread lock and the
 * side-effect ledger that fit it.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { MemorySaver } from '@langchain/langgraph';
import type { BaseCheckpointSaver } from '@langchain/langgraph';
import { SqliteSaver } from '@langchain/langgraph-checkpoint-sqlite';
import Database from 'better-sqlite3';
import pg from 'pg';
import { BatchedPostgresSaver } from './postgres-saver.js';
import { MemoryLedger, PostgresLedger, SqliteLedger } from './ledger.js';
import type { SideEffectLedger } from './ledger.js';
import { createMemoryThreadLock, createPostgresThreadLock } from './thread-lock.js';
import type { ThreadLock, ThreadLockOptions } from './thread-lock.js';

/** The CLI keeps threads here unless told otherwise. */
export const DEFAULT_SQLITE_PATH = '.switchboard/threads.sqlite';

/**
 * PostgreSQL pool defaults. A worker opens two pools: one for checkpoints and side effects, one for
 * thread locks (each running turn holds one lock connection, so its size bounds the turns a worker
 * runs at once; further turns wait in the worker, in order).
 */
export const POSTGRES_POOL_DEFAULTS = {
  /** Connections per worker process. */
  max: 10,
  /** Give up connecting after this long (a database that is down fails the turn clearly). */
  connectionTimeoutMillis: 5_000,
  /** Close idle connections after this long. */
  idleTimeoutMillis: 30_000,
  /** No single statement may run longer than this. */
  statement_timeout: 15_000,
} as const;

export interface Checkpointer {
  saver: BaseCheckpointSaver;
  /** One turn at a time per thread (across processes with PostgreSQL). */
  threadLock: ThreadLock;
  /** Where tools record side effects by idempotency key, in the same store. */
  ledger: SideEffectLedger;
  /** What it is, for messages: `memory`, `sqlite:<path>` or `postgres:<host/db>`. */
  describe: string;
  close(): Promise<void>;
}

export interface OpenCheckpointerOptions {
  lock?: ThreadLockOptions;
  /** PostgreSQL pool settings over {@link POSTGRES_POOL_DEFAULTS} (for both pools). */
  pool?: pg.PoolConfig;
  /** Connections of the lock pool: how many turns one worker runs at once (default 10). */
  lockConnections?: number;
}

export function isPostgresUrl(target: string): boolean {
  return /^postgres(ql)?:\/\//.test(target);
}

/** Opens the store `target` names. PostgreSQL tables are created when missing, once, even when many workers start together. */
export async function openCheckpointer(target: string = DEFAULT_SQLITE_PATH, options: OpenCheckpointerOptions = {}): Promise<Checkpointer> {
  if (target === 'memory') {
    return { saver: new MemorySaver(), threadLock: createMemoryThreadLock(options.lock), ledger: new MemoryLedger(), describe: 'memory', close: async () => {} };
  }
  if (isPostgresUrl(target)) {
    const pool = new pg.Pool({ connectionString: target, ...POSTGRES_POOL_DEFAULTS, ...options.pool });
    // A client that loses its connection (a restart, a killed backend) must not crash the process:
    // idle ones report to the pool, checked-out ones to themselves; the query in flight fails instead.
    pool.on('error', () => undefined);
    pool.on('connect', (client) => client.on('error', () => undefined));
    const saver = new BatchedPostgresSaver(pool);
    const ledger = new PostgresLedger(pool);
    await migrateOnce(pool, async () => {
      await saver.setup();
      await ledger.setup();
    });
    // Locks get their own connections, so a turn holding one never starves the checkpointer.
    const lockPool = new pg.Pool({ connectionString: target, ...POSTGRES_POOL_DEFAULTS, max: options.lockConnections ?? POSTGRES_POOL_DEFAULTS.max, ...options.pool, statement_timeout: 0 });
    lockPool.on('error', () => undefined);
    lockPool.on('connect', (client) => client.on('error', () => undefined));
    const url = new URL(target);
    return {
      saver,
      threadLock: createPostgresThreadLock(lockPool, options.lock),
      ledger,
      describe: `postgres:${url.host}${url.pathname}`,
      close: async () => {
        await Promise.all([pool.end(), lockPool.end()]);
      },
    };
  }
  const path = target.replace(/^sqlite:/, '');
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 5000');
  const saver = new SqliteSaver(db);
  return { saver, threadLock: createMemoryThreadLock(options.lock), ledger: new SqliteLedger(db), describe: `sqlite:${path}`, close: async () => void db.close() };
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
