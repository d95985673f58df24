/**
 * Where threads persist, from one string: `memory`, a SQLite file path (the CLI's default), or a
 * PostgreSQL URL (when several workers share threads). Each comes with the thread lock and the
 * side-effect ledger that fit it.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { BaseCheckpointSaver } from '@langchain/langgraph';
import Database from 'better-sqlite3';
import type pg from 'pg';
import { FencedMemorySaver, FencedSqliteSaver } from './fenced-savers.js';
import { MemoryFences, pairLock } from './fences.js';
import { MemoryJournal, pairJournal } from './journal.js';
import type { ThreadJournal } from './journal.js';
import { SqliteJournal } from './sqlite-journal.js';
import { MemoryLedger, pairLedger, SqliteLedger } from './ledger.js';
import type { SideEffectLedger } from './ledger.js';
import type { PostgresThreadLockOptions } from './postgres-thread-lock.js';
import { createSqliteThreadLock, SqliteThreads } from './sqlite-thread-lock.js';
import type { SqliteThreadLockOptions } from './sqlite-thread-lock.js';
import { createMemoryThreadLock } from './thread-lock.js';
import { StoreError } from '../errors/store-error.js';
import { SwitchboardError } from '../errors/switchboard-error.js';
import type { ThreadLock } from './thread-lock.js';

/** How long a SQLite statement waits for another process's lock on the file before failing. */
const SQLITE_BUSY_TIMEOUT_MS = 5_000;

/**
 * Puts the file in WAL mode (once per file: a file already in WAL is left as it is). Switching, or
 * recovering the WAL a killed process left, needs the file's lock for a moment, and SQLite reports
 * SQLITE_BUSY there at once rather than waiting: so wait here, up to the busy timeout.
 */
async function useWal(db: Database.Database): Promise<void> {
  const deadline = Date.now() + SQLITE_BUSY_TIMEOUT_MS;
  for (;;) {
    try {
      if (db.pragma('journal_mode', { simple: true }) !== 'wal') db.pragma('journal_mode = WAL');
      return;
    } catch (error) {
      const busy = String((error as { code?: unknown }).code ?? '').startsWith('SQLITE_BUSY');
      if (!busy || Date.now() >= deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

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
  /** No single statement may run longer than this (on the server). */
  statement_timeout: 15_000,
  /** Nor wait longer than this for an answer (on this side: a stalled connection fails the turn). */
  query_timeout: 15_000,
  /** TCP keepalive, so a dead peer is noticed. */
  keepAlive: true,
} as const;

export interface Checkpointer {
  saver: BaseCheckpointSaver;
  /** One turn at a time per thread (across processes with PostgreSQL). */
  threadLock: ThreadLock;
  /** Where tools record side effects by idempotency key, in the same store. */
  ledger: SideEffectLedger;
  /** The threads' transcripts, turn summaries and traces, in the same store, fenced like the checkpoints. */
  journal: ThreadJournal;
  /** What it is, for messages: `memory`, `sqlite:<path>` or `postgres:<host/db>`. */
  describe: string;
  close(): Promise<void>;
}

export interface OpenCheckpointerOptions {
  /** The thread lock: policy and wait for every store; the lease (SQLite) and heartbeat (PostgreSQL) where they apply. */
  lock?: SqliteThreadLockOptions & PostgresThreadLockOptions;
  /** PostgreSQL pool settings over {@link POSTGRES_POOL_DEFAULTS} (for both pools). */
  pool?: pg.PoolConfig;
  /** Connections of the lock pool: how many turns one worker runs at once (default 10). */
  lockConnections?: number;
  /**
   * Settings of the lock pool alone, over `pool`: e.g. its own `application_name`, or session
   * options (`options: '-c …'`) that must not reach the checkpointer's connections.
   */
  lockPool?: pg.PoolConfig;
}

export function isPostgresUrl(target: string): boolean {
  return /^postgres(ql)?:\/\//.test(target);
}

/** Opens the store `target` names. PostgreSQL tables are created when missing, once, even when many workers start together. */
export async function openCheckpointer(target: string = DEFAULT_SQLITE_PATH, options: OpenCheckpointerOptions = {}): Promise<Checkpointer> {
  if (target === 'memory') {
    const fences = new MemoryFences();
    return paired({ saver: new FencedMemorySaver(fences), threadLock: createMemoryThreadLock(options.lock, fences), ledger: new MemoryLedger(fences), journal: new MemoryJournal((fence, write) => fences.guard(fence, write)), describe: 'memory', close: async () => {} });
  }
  if (isPostgresUrl(target)) return paired(await (await loadPostgresStore()).openPostgresStore(target, options));
  const path = target.replace(/^sqlite:/, '');
  const { db, threads } = await openSqlite(path);
  const threadLock = heldUntilClose(createSqliteThreadLock(threads, options.lock));
  return paired({
    saver: new FencedSqliteSaver(threads),
    threadLock,
    ledger: new SqliteLedger(threads),
    journal: new SqliteJournal(threads),
    describe: `sqlite:${path}`,
    close: async () => {
      // A thread still held (a stopped turn's tool or hook still running holds it until it ends) is
      // let go first: its lease row would otherwise stay in the file until it expired.
      await threadLock.released();
      await threads.exclusive(() => undefined);
      db.close();
    },
  });
}

/** `lock`, counting the holds in progress; `released()` resolves once none is. */
function heldUntilClose(lock: ThreadLock): ThreadLock & { released(): Promise<void> } {
  const holds = new Set<Promise<unknown>>();
  return {
    ...lock,
    withLock(threadId, body) {
      const hold = lock.withLock(threadId, body);
      const settled = hold.then(
        () => undefined,
        () => undefined,
      );
      holds.add(settled);
      void settled.then(() => holds.delete(settled));
      return hold;
    },
    async released() {
      while (holds.size > 0) await Promise.all(holds);
    },
  };
}

/**
 * The SQLite file at `path`, in WAL mode, with Switchboard's tables. A file that cannot be opened
 * (not a database, corrupt, not writable) is a `STORE_UNAVAILABLE` {@link StoreError} in one line,
 * and leaves no handle open.
 */
async function openSqlite(path: string): Promise<{ db: Database.Database; threads: SqliteThreads }> {
  let db: Database.Database | undefined;
  try {
    if (path !== ':memory:') makeDirectory(dirname(path));
    db = new Database(path, { timeout: SQLITE_BUSY_TIMEOUT_MS });
    await useWal(db);
    return { db, threads: new SqliteThreads(db) };
  } catch (error) {
    db?.close();
    const reason = (error instanceof Error ? error.message : String(error)).split('\n')[0]?.replace(/\.$/, '') || 'unknown error';
    throw storeUnavailable(`Cannot open the store ${path}: ${reason}. Check that the path names a SQLite file (or a new one) you can write.`, error);
  }
}

/**
 * The error of a store that could not be opened: a {@link StoreError} with code `STORE_UNAVAILABLE`,
 * like the store's failures during a turn, so one `catch` handles both whatever the backend. It
 * names no thread (`threadId` is empty); `message` says what failed and what to do, `cause` is the
 * driver's error.
 */
export function storeUnavailable(message: string, cause: unknown): StoreError {
  const error = new StoreError('', cause);
  error.message = message;
  // The stack's first line was written with StoreError's own message (a turn's): write it again.
  Error.captureStackTrace(error, storeUnavailable);
  return error;
}

/**
 * Makes `dir` and the folders above it that are missing, one at a time: Node's recursive
 * `mkdirSync` never returns on a path under a folder that refuses new entries without saying
 * EACCES (`/proc`, `/sys`); one level at a time, the refusal is an error.
 */
function makeDirectory(dir: string): void {
  const missing: string[] = [];
  for (let at = dir; !existsSync(at); at = dirname(at)) {
    if (dirname(at) === at) break;
    missing.unshift(at);
  }
  for (const folder of missing) mkdirSync(folder);
}

/** The store, with its saver paired to its lock, journal and ledger (compiling with the saver alone then uses them). */
function paired(store: Checkpointer): Checkpointer {
  pairLock(store.saver, store.threadLock);
  pairJournal(store.saver, store.journal);
  pairLedger(store.saver, store.ledger);
  return store;
}

/** The PostgreSQL store's module, loaded on first use: its packages are optional peer dependencies. */
async function loadPostgresStore(): Promise<typeof import('./postgres-store.js')> {
  try {
    return await import('./postgres-store.js');
  } catch (error) {
    const missing = /Cannot find (?:package|module) '(pg|@langchain\/langgraph-checkpoint-postgres)'/.exec(String((error as Error | undefined)?.message));
    if ((error as NodeJS.ErrnoException | undefined)?.code !== 'ERR_MODULE_NOT_FOUND' || !missing) throw error;
    throw new SwitchboardError(
      'STORE_PACKAGE_MISSING',
      `A postgres:// store needs the packages pg and @langchain/langgraph-checkpoint-postgres (${missing[1]} is not installed): npm install pg @langchain/langgraph-checkpoint-postgres`,
      { cause: error },
    );
  }
}
