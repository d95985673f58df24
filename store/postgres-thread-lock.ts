/**
 * The thread lock across every worker sharing a PostgreSQL database: an advisory lock per thread,
 * held on its own connection for the turn (PostgreSQL releases it if the worker dies), and a
 * fencing token per thread (`switchboard_thread_fences`) taken with it in the same round trip. The
 * checkpointer and the ledger refuse writes under an older token. The hold is watched: the lock's
 * connection failing, or a heartbeat that gets no answer in time, aborts the lease's signal.
 */
import type { Pool, PoolClient, QueryConfig, QueryResult } from 'pg';
import { ThreadBusyError } from '../errors/thread-busy-error.js';
import { LockLostError } from '../errors/store-error.js';
import { createMemoryThreadLock, DEFAULT_LOCK_WAIT_MS } from './thread-lock.js';
import type { ThreadLease, ThreadLock, ThreadLockOptions, ThreadLockPolicy } from './thread-lock.js';
import type { FenceDomain } from './fences.js';

export interface PostgresThreadLockOptions extends ThreadLockOptions {
  /** The fence family shared with the store's saver and ledger (`openCheckpointer` sets it). */
  fences?: FenceDomain;
  /** The schema of the fence table (the checkpointer's). Default `public`. */
  schema?: string;
  /** How often the lock's connection is checked during a turn. Default 5 s. */
  heartbeatMs?: number;
  /** How long one statement on the lock's connection may take (besides the wait for the lock). Default 5 s. */
  statementTimeoutMs?: number;
}

/** The table of fencing tokens, in `schema`. */
export function fenceTableSql(schema: string, escape: (name: string) => string): string {
  return `CREATE TABLE IF NOT EXISTS ${escape(schema)}.switchboard_thread_fences (thread_id TEXT PRIMARY KEY, fence BIGINT NOT NULL)`;
}

/**
 * Serialises turns per thread across every process using the database. `pool` must be the lock's
 * own pool (not the checkpointer's): each running turn holds one of its connections, and a turn
 * holding a lock must never wait for a connection that another lock holder has. At most
 * `pool.options.max` turns run at once in this process; the others wait here, in order.
 */
export function createPostgresThreadLock(pool: Pool, options: PostgresThreadLockOptions = {}): ThreadLock {
  const policy = options.policy ?? 'wait';
  const waitMs = options.waitMs ?? DEFAULT_LOCK_WAIT_MS;
  const heartbeatMs = options.heartbeatMs ?? 5_000;
  const statementTimeoutMs = options.statementTimeoutMs ?? 5_000;
  const table = `${escapeName(options.schema ?? 'public')}.switchboard_thread_fences`;
  const local = createMemoryThreadLock({ policy, waitMs });
  const slots = createSemaphore((pool.options as { max?: number }).max ?? 10);
  return {
    policy,
    fences: options.fences ?? { store: 'postgres' },
    // The in-process lock first: one connection per thread in this process is enough.
    withLock: (threadId, body) =>
      local.withLock(threadId, () =>
        slots.run(async () => {
          const client = await pool.connect();
          const lost = new AbortController();
          const lose = (cause: unknown) => {
            if (!lost.signal.aborted) lost.abort(new LockLostError(threadId, cause));
          };
          const onError = (error: Error) => lose(error);
          const onEnd = () => lose(new Error('the lock connection closed'));
          client.on('error', onError);
          client.on('end', onEnd);
          let fence: number | undefined;
          let heartbeat: Heartbeat | undefined;
          // Whether the take got its answer. One that failed on this side (no answer in time) may
          // still run on the server later and leave this session holding the lock unknown to us.
          let answered = false;
          try {
            fence = await acquire(client, table, threadId, policy, waitMs, statementTimeoutMs);
            answered = true;
            if (fence === undefined) throw new ThreadBusyError(threadId, policy === 'reject' ? 'busy' : 'timeout');
            heartbeat = startHeartbeat(client, heartbeatMs, statementTimeoutMs, lose);
            const lease: ThreadLease = { threadId, fence, signal: lost.signal };
            return await body(lease);
          } finally {
            await heartbeat?.stop();
            // A connection that died while the lock was held took the lock with it, and one whose take
            // went unanswered may hold it yet: drop either from the pool (closing it ends its locks).
            let broken = lost.signal.aborted || !answered;
            if (fence !== undefined && !broken) await release(client, threadId, policy, statementTimeoutMs).catch(() => (broken = true));
            client.off('error', onError);
            client.off('end', onEnd);
            client.release(broken);
          }
        }),
      ),
  };
}

interface Heartbeat {
  stop(): Promise<void>;
}

/** Every `everyMs`, a `SELECT 1` on the lock's connection; no answer within `timeoutMs` is a lost lock. */
function startHeartbeat(client: PoolClient, everyMs: number, timeoutMs: number, lose: (cause: unknown) => void): Heartbeat {
  let running: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    running = timed(client, 'SELECT 1', timeoutMs).catch((error: unknown) => lose(error));
  }, everyMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}

/** A statement that fails on this side when no answer comes within `timeoutMs` (a stalled connection). */
function timed(client: PoolClient, text: string, timeoutMs: number): Promise<QueryResult> {
  const config: QueryConfig & { query_timeout: number } = { text, query_timeout: timeoutMs };
  return client.query(config);
}

/** At most `size` bodies at once; the rest wait in arrival order. */
function createSemaphore(size: number): { run<T>(body: () => Promise<T>): Promise<T> } {
  let free = size;
  const waiting: (() => void)[] = [];
  return {
    async run<T>(body: () => Promise<T>): Promise<T> {
      if (free > 0) free -= 1;
      else await new Promise<void>((resolve) => waiting.push(resolve));
      try {
        return await body();
      } finally {
        const next = waiting.shift();
        if (next) next();
        else free += 1;
      }
    },
  };
}

function escapeName(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** The lock's key as an SQL literal (thread ids come from users: escaped, never pasted). */
function lockKey(client: PoolClient, threadId: string): string {
  return `hashtextextended(${client.escapeLiteral(`switchboard:thread:${threadId}`)}, 0)`;
}

/** Takes the next fencing token of the thread, if `locked` (an SQL boolean) holds. */
function takeFence(client: PoolClient, table: string, threadId: string, locked: string): string {
  return `INSERT INTO ${table} AS f (thread_id, fence) SELECT ${client.escapeLiteral(threadId)}, 1 WHERE ${locked}
    ON CONFLICT (thread_id) DO UPDATE SET fence = f.fence + 1 RETURNING fence`;
}

/**
 * Takes the thread's advisory lock and its next fencing token in one round trip; undefined when
 * the thread is busy. Under `wait`, the session's lock and statement timeouts are lifted to the
 * wait for the lock statement: the statements run as one implicit transaction, so a wait that times
 * out leaves the session's settings (and the token) as they were.
 */
async function acquire(client: PoolClient, table: string, threadId: string, policy: ThreadLockPolicy, waitMs: number, timeoutMs: number): Promise<number | undefined> {
  if (policy === 'reject') {
    const text = takeFence(client, table, threadId, `pg_try_advisory_lock(${lockKey(client, threadId)})`);
    const result = (await timed(client, text, timeoutMs)) as QueryResult<{ fence: string }>;
    return result.rows[0] ? Number(result.rows[0].fence) : undefined;
  }
  const ms = Math.max(1, Math.round(waitMs));
  try {
    const text = `SET lock_timeout = ${ms}; SET statement_timeout = ${ms + 1000}; SELECT pg_advisory_lock(${lockKey(client, threadId)}); ${takeFence(client, table, threadId, 'true')}`;
    const results = (await timed(client, text, ms + timeoutMs)) as unknown as QueryResult<{ fence?: string }>[];
    const fence = results.at(-1)?.rows[0]?.fence;
    if (fence === undefined) throw new Error('The fencing token was not returned.');
    return Number(fence);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === '55P03' || code === '57014') return undefined; // lock_not_available, query_canceled
    throw error;
  }
}

/** Releases the lock, and under `wait` restores the session's timeouts, in one round trip. */
async function release(client: PoolClient, threadId: string, policy: ThreadLockPolicy, timeoutMs: number): Promise<void> {
  const reset = policy === 'wait' ? '; RESET lock_timeout; RESET statement_timeout' : '';
  await timed(client, `SELECT pg_advisory_unlock(${lockKey(client, threadId)})${reset}`, timeoutMs);
}
