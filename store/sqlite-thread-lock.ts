/**
 * The thread lock across every process on one SQLite file: a lease row per thread, taken in an
 * immediate transaction (SQLite's own write lock makes the check and the take one step), renewed
 * while the turn runs, with a fencing token that grows at each take. Every write of a turn runs in
 * an immediate transaction that first checks the token ({@link SqliteThreads.guard}), so a process
 * that paused past its lease, or lost it, cannot write over the process that took the thread.
 * A lease whose holder is a process of this machine that no longer runs is taken at once; another
 * waits for the lease to expire.
 */
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { Database } from 'better-sqlite3';
import { ThreadBusyError } from '../errors/thread-busy-error.js';
import { LockLostError } from '../errors/store-error.js';
import { fenceIn, staleWrite } from './fences.js';
import type { Fence, FenceDomain } from './fences.js';
import { createMemoryThreadLock, DEFAULT_LOCK_WAIT_MS } from './thread-lock.js';
import type { ThreadLease, ThreadLock, ThreadLockOptions } from './thread-lock.js';

export interface SqliteThreadLockOptions extends ThreadLockOptions {
  /** How long a lease lasts unless renewed (it is renewed every third of it). Default 15 s. */
  leaseMs?: number;
}

interface LeaseRow {
  fence: number;
  holder: string | null;
  expires_at: number;
}

/**
 * One SQLite connection's threads: the lease table, and one queue for every write transaction on
 * the connection (better-sqlite3 has one connection per Database; a transaction left open across
 * an `await` would otherwise take in another turn's writes).
 */
export class SqliteThreads implements FenceDomain {
  readonly store = 'sqlite';
  readonly holder = `${hostname()}:${process.pid}:${randomUUID()}`;
  #queue: Promise<unknown> = Promise.resolve();
  readonly #select;
  readonly #take;
  readonly #renew;
  readonly #release;

  constructor(readonly db: Database) {
    db.exec('CREATE TABLE IF NOT EXISTS switchboard_thread_leases (thread_id TEXT PRIMARY KEY, fence INTEGER NOT NULL, holder TEXT, expires_at INTEGER NOT NULL)');
    this.#select = db.prepare<[string], LeaseRow>('SELECT fence, holder, expires_at FROM switchboard_thread_leases WHERE thread_id = ?');
    this.#take = db.prepare<[string, string, number]>(
      `INSERT INTO switchboard_thread_leases (thread_id, fence, holder, expires_at) VALUES (?, 1, ?, ?)
       ON CONFLICT (thread_id) DO UPDATE SET fence = fence + 1, holder = excluded.holder, expires_at = excluded.expires_at`,
    );
    this.#renew = db.prepare<[number, string, number]>('UPDATE switchboard_thread_leases SET expires_at = ? WHERE thread_id = ? AND fence = ?');
    this.#release = db.prepare<[string, number]>('UPDATE switchboard_thread_leases SET holder = NULL, expires_at = 0 WHERE thread_id = ? AND fence = ?');
  }

  /** Runs `body` alone among this connection's writes. */
  exclusive<T>(body: () => Promise<T> | T): Promise<T> {
    const run = this.#queue.then(body, body);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Runs `write` in an immediate transaction that first checks `fence` is the thread's newest token
   * (refused with a LockLostError otherwise); without a fence, in the queue alone.
   */
  guard<T>(anyFence: Fence | undefined, write: () => Promise<T>): Promise<T> {
    const fence = fenceIn(anyFence, this);
    if (!fence) return this.exclusive(write);
    return this.exclusive(async () => {
      this.db.exec('BEGIN IMMEDIATE');
      try {
        if (this.#select.get(fence.threadId)?.fence !== fence.token) throw staleWrite(fence);
        const result = await write();
        this.db.exec('COMMIT');
        return result;
      } catch (error) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw error;
      }
    });
  }

  /** Takes the thread if nobody holds it (or its holder's lease ran out): the new token, else undefined. */
  tryTake(threadId: string, leaseMs: number): Promise<number | undefined> {
    return this.exclusive(() =>
      this.db.transaction(() => {
        const row = this.#select.get(threadId);
        const now = Date.now();
        if (row?.holder && row.expires_at > now && !holderIsGone(row.holder)) return undefined;
        this.#take.run(threadId, this.holder, now + leaseMs);
        return this.#select.get(threadId)?.fence;
      }).immediate(),
    );
  }

  /** Extends the lease; false when the thread was taken by someone else meanwhile. */
  renew(threadId: string, fence: number, leaseMs: number): Promise<boolean> {
    return this.exclusive(() => this.#renew.run(Date.now() + leaseMs, threadId, fence).changes === 1);
  }

  release(threadId: string, fence: number): Promise<void> {
    return this.exclusive(() => void this.#release.run(threadId, fence));
  }
}

/** A holder on this machine whose process is gone (crashed, killed): its lease can be taken now. */
function holderIsGone(holder: string): boolean {
  const [host, pid] = holder.split(':');
  if (host !== hostname() || pid === undefined || Number(pid) === process.pid) return false;
  try {
    process.kill(Number(pid), 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** Serialises turns per thread across every process on the SQLite file of `threads`. */
export function createSqliteThreadLock(threads: SqliteThreads, options: SqliteThreadLockOptions = {}): ThreadLock {
  const policy = options.policy ?? 'wait';
  const waitMs = options.waitMs ?? DEFAULT_LOCK_WAIT_MS;
  const leaseMs = options.leaseMs ?? 15_000;
  const local = createMemoryThreadLock({ policy, waitMs });
  return {
    policy,
    fences: threads,
    withLock: (threadId, body) =>
      local.withLock(threadId, async () => {
        const fence = await take(threads, threadId, policy === 'reject' ? 0 : waitMs, leaseMs);
        const lost = new AbortController();
        const lose = (cause: unknown) => {
          if (!lost.signal.aborted) lost.abort(new LockLostError(threadId, cause));
        };
        let renewing: Promise<unknown> = Promise.resolve();
        const timer = setInterval(() => {
          renewing = threads
            .renew(threadId, fence, leaseMs)
            .then((held) => held || lose(new Error('the lease was taken by another process')))
            .catch((error: unknown) => lose(error));
        }, Math.max(10, Math.floor(leaseMs / 3)));
        timer.unref();
        try {
          const lease: ThreadLease = { threadId, fence, signal: lost.signal };
          return await body(lease);
        } finally {
          clearInterval(timer);
          await renewing;
          await threads.release(threadId, fence).catch(() => undefined);
        }
      }),
  };
}

/** Takes the thread, polling until `waitMs` runs out; a ThreadBusyError then. */
async function take(threads: SqliteThreads, threadId: string, waitMs: number, leaseMs: number): Promise<number> {
  const deadline = Date.now() + waitMs;
  for (let pause = 5; ; pause = Math.min(pause * 2, 100)) {
    const fence = await threads.tryTake(threadId, leaseMs);
    if (fence !== undefined) return fence;
    if (Date.now() + pause > deadline) throw new ThreadBusyError(threadId, waitMs === 0 ? 'busy' : 'timeout');
    await new Promise((resolve) => setTimeout(resolve, pause * (0.5 + Math.random())));
  }
}
