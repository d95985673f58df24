/**
 * One turn at a time per thread. Two messages sent at once on one thread would otherwise fork its
 * history and lose one. The policy is one of:
 * - `wait` (default): the second turn waits for the first (up to `waitMs`), then runs on its result;
 * - `reject`: the second turn fails at once with a {@link ThreadBusyError}, writing nothing.
 *
 * The in-memory lock serialises turns within one process; the PostgreSQL lock (an advisory lock per
 * thread, held on its own connection for the turn) serialises them across every worker sharing the
 * database, and is released by PostgreSQL if the worker dies.
 */
import type { Pool, PoolClient } from 'pg';
import { ThreadBusyError } from '../errors/thread-busy-error.js';

export type ThreadLockPolicy = 'wait' | 'reject';

export interface ThreadLockOptions {
  policy?: ThreadLockPolicy;
  /** Under `wait`, how long a turn waits for the thread before a ThreadBusyError. Default 30 s. */
  waitMs?: number;
}

export interface ThreadLock {
  readonly policy: ThreadLockPolicy;
  /** Runs `body` holding the thread's lock. */
  withLock<T>(threadId: string, body: () => Promise<T>): Promise<T>;
}

export const DEFAULT_LOCK_WAIT_MS = 30_000;

/** Serialises turns per thread within this process. */
export function createMemoryThreadLock(options: ThreadLockOptions = {}): ThreadLock {
  const policy = options.policy ?? 'wait';
  const waitMs = options.waitMs ?? DEFAULT_LOCK_WAIT_MS;
  const tails = new Map<string, Promise<void>>();
  return {
    policy,
    async withLock<T>(threadId: string, body: () => Promise<T>): Promise<T> {
      const previous = tails.get(threadId);
      if (previous && policy === 'reject') throw new ThreadBusyError(threadId, 'busy');
      let release!: () => void;
      const mine = new Promise<void>((resolve) => (release = resolve));
      const tail = (previous ?? Promise.resolve()).then(() => mine);
      tails.set(threadId, tail);
      try {
        if (previous) await waitFor(previous, waitMs, threadId);
        return await body();
      } finally {
        release();
        if (tails.get(threadId) === tail) tails.delete(threadId);
      }
    },
  };
}

async function waitFor(previous: Promise<void>, waitMs: number, threadId: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      previous,
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new ThreadBusyError(threadId, 'timeout')), waitMs))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Serialises turns per thread across every process using the database. `pool` must be the lock's
 * own pool (not the checkpointer's): each running turn holds one of its connections, and a turn
 * holding a lock must never wait for a connection that another lock holder has. At most
 * `pool.options.max` turns run at once in this process; the others wait here, in order.
 */
export function createPostgresThreadLock(pool: Pool, options: ThreadLockOptions = {}): ThreadLock {
  const policy = options.policy ?? 'wait';
  const waitMs = options.waitMs ?? DEFAULT_LOCK_WAIT_MS;
  const local = createMemoryThreadLock({ policy, waitMs });
  const slots = createSemaphore((pool.options as { max?: number }).max ?? 10);
  return {
    policy,
    // The in-process lock first: one connection per thread in this process is enough.
    withLock: (threadId, body) =>
      local.withLock(threadId, () =>
        slots.run(async () => {
          const client = await pool.connect();
          // The client sits idle while the turn runs: a dropped connection would otherwise be an unhandled 'error'.
          const onError = () => (broken = true);
          client.on('error', onError);
          let held = false;
          let broken = false;
          try {
            held = await acquire(client, threadId, policy, waitMs);
            if (!held) throw new ThreadBusyError(threadId, policy === 'reject' ? 'busy' : 'timeout');
            return await body();
          } finally {
            // A connection that died while the lock was held took the lock with it; drop it from the pool.
            if (held) await release(client, threadId, policy).catch(() => (broken = true));
            client.off('error', onError);
            client.release(broken);
          }
        }),
      ),
  };
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

/** The lock's key as an SQL literal (thread ids come from users: escaped, never pasted). */
function lockKey(client: PoolClient, threadId: string): string {
  return `hashtextextended(${client.escapeLiteral(`switchboard:thread:${threadId}`)}, 0)`;
}

/**
 * Takes the thread's advisory lock in one round trip. Under `wait`, the session's lock and
 * statement timeouts are lifted to the wait for the lock statement: the three statements run as
 * one implicit transaction, so a wait that times out leaves the session's settings as they were.
 */
async function acquire(client: PoolClient, threadId: string, policy: ThreadLockPolicy, waitMs: number): Promise<boolean> {
  if (policy === 'reject') {
    const result = await client.query<{ locked: boolean }>(`SELECT pg_try_advisory_lock(${lockKey(client, threadId)}) AS locked`);
    return result.rows[0]?.locked === true;
  }
  const ms = Math.max(1, Math.round(waitMs));
  try {
    await client.query(`SET lock_timeout = ${ms}; SET statement_timeout = ${ms + 1000}; SELECT pg_advisory_lock(${lockKey(client, threadId)})`);
    return true;
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === '55P03' || code === '57014') return false; // lock_not_available, query_canceled
    throw error;
  }
}

/** Releases the lock, and under `wait` restores the session's timeouts, in one round trip. */
async function release(client: PoolClient, threadId: string, policy: ThreadLockPolicy): Promise<void> {
  const reset = policy === 'wait' ? '; RESET lock_timeout; RESET statement_timeout' : '';
  await client.query(`SELECT pg_advisory_unlock(${lockKey(client, threadId)})${reset}`);
}
