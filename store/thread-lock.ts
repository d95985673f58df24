/**
 * One turn at a time per thread. Two messages sent at once on one thread would otherwise fork its
 * history and lose one. The policy is one of:
 * - `wait` (default): the second turn waits for the first (up to `waitMs`), then runs on its result;
 * - `reject`: the second turn fails at once with a {@link ThreadBusyError}, writing nothing.
 *
 * Each store has its lock: in memory (one process), SQLite (every process on the file: a lease row
 * in an immediate transaction), PostgreSQL (every worker: an advisory lock on its own connection).
 * Each hold comes with a fencing token (see `fences.ts`) that the store checks on every write, and a
 * signal that aborts when the hold is lost, so the turn stops before its next tool or step.
 */
import { ThreadBusyError } from '../errors/thread-busy-error.js';
import { MemoryFences } from './fences.js';
import type { FenceDomain } from './fences.js';

export type ThreadLockPolicy = 'wait' | 'reject';

export interface ThreadLockOptions {
  policy?: ThreadLockPolicy;
  /** Under `wait`, how long a turn waits for the thread before a ThreadBusyError. Default 30 s. */
  waitMs?: number;
}

/** A turn's hold on a thread. */
export interface ThreadLease {
  readonly threadId: string;
  /** The fencing token: grows each time any worker takes the thread; the store refuses writes under an older one. */
  readonly fence: number;
  /** Aborts (with a `LockLostError` as its reason) when the hold is lost. */
  readonly signal: AbortSignal;
}

export interface ThreadLock {
  readonly policy: ThreadLockPolicy;
  /** The family of fencing tokens this lock hands out (checked by its store's saver and ledger). */
  readonly fences?: FenceDomain;
  /** Runs `body` holding the thread's lock. */
  withLock<T>(threadId: string, body: (lease: ThreadLease) => Promise<T>): Promise<T>;
}

export const DEFAULT_LOCK_WAIT_MS = 30_000;

/** Serialises turns per thread within this process; `fences` are the tokens the memory store checks. */
export function createMemoryThreadLock(options: ThreadLockOptions = {}, fences: MemoryFences = new MemoryFences()): ThreadLock {
  const policy = options.policy ?? 'wait';
  const waitMs = options.waitMs ?? DEFAULT_LOCK_WAIT_MS;
  const tails = new Map<string, Promise<void>>();
  return {
    policy,
    fences,
    async withLock<T>(threadId: string, body: (lease: ThreadLease) => Promise<T>): Promise<T> {
      const previous = tails.get(threadId);
      if (previous && policy === 'reject') throw new ThreadBusyError(threadId, 'busy');
      let release!: () => void;
      const mine = new Promise<void>((resolve) => (release = resolve));
      const tail = (previous ?? Promise.resolve()).then(() => mine);
      tails.set(threadId, tail);
      try {
        if (previous) await waitFor(previous, waitMs, threadId);
        // A signal that never aborts (an in-process hold cannot be lost), one per hold: a signal
        // shared by every hold would gather a listener per turn running at once (Node warns past 10).
        return await body({ threadId, fence: await fences.take(threadId), signal: new AbortController().signal });
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
