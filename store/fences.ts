/**
 * Fencing: each time a worker takes a thread, the thread's fencing token grows by one, and every
 * write made for a turn carries the token it started under. The store refuses a write whose token
 * is no longer the thread's newest, in the same statement or transaction as the write, so a worker
 * that lost its lock without knowing it (a dead connection, an expired lease, a long pause) can
 * never fork a thread's history or repeat a side effect. The lock keeps workers from running one
 * thread at once; the token makes that safe when the lock fails. (Martin Kleppmann, "How to do
 * distributed locking", 2016.)
 */
import type { RunnableConfig } from '@langchain/core/runnables';
import { LockLostError } from '../errors/store-error.js';

/** The `configurable` key a turn passes its fencing token under, to the checkpointer's writes. */
export const FENCE_KEY = 'switchboard_fence';

/** The `configurable` key under which a turn counts the writes the store accepted for it. */
export const PROGRESS_KEY = 'switchboard_progress';

/** A turn's count of accepted writes: 0 after a failure means nothing of the turn was saved. */
export interface TurnProgress {
  saved: number;
}

/** Notes, for the turn that made it, that the store accepted a write. */
export function markSaved(config: RunnableConfig): void {
  const progress = (config.configurable as Record<string, unknown> | undefined)?.[PROGRESS_KEY] as TurnProgress | undefined;
  if (progress) progress.saved += 1;
}

/**
 * Who hands out a family of tokens: one store's thread lock, and the saver and ledger that check
 * them. A token from another lock (a saver paired with a lock of another store) is not checked.
 */
export interface FenceDomain {
  readonly store: string;
}

/** A turn's hold on a thread, for savers and ledgers: the thread, the token it writes under, and who issued it. */
export interface Fence {
  threadId: string;
  token: number;
  domain: FenceDomain;
}

/** The fence a checkpointer write carries, if a Switchboard turn made it under a lock of `domain`. */
export function fenceOf(config: RunnableConfig, domain?: FenceDomain): Fence | undefined {
  const configurable = config.configurable as Record<string, unknown> | undefined;
  const fence = configurable?.[FENCE_KEY] as { token?: unknown; domain?: FenceDomain } | undefined;
  const threadId = configurable?.thread_id;
  if (typeof fence?.token !== 'number' || fence.domain === undefined || threadId === undefined) return undefined;
  if (domain !== undefined && fence.domain !== domain) return undefined;
  return { threadId: String(threadId), token: fence.token, domain: fence.domain };
}

/** The fence a tool or ledger record carries, if it was issued by `domain`. */
export function fenceIn(fence: Fence | undefined, domain: FenceDomain): Fence | undefined {
  return fence?.domain === domain ? fence : undefined;
}

const pairs = new WeakMap<object, unknown>();

/** Remembers the thread lock that goes with a saver (so compiling with the saver alone uses it). */
export function pairLock<TLock>(saver: object, lock: TLock): void {
  pairs.set(saver, lock);
}

export function pairedLock<TLock>(saver: object | undefined): TLock | undefined {
  return saver ? (pairs.get(saver) as TLock | undefined) : undefined;
}

export function staleWrite(fence: Fence): LockLostError {
  return new LockLostError(fence.threadId, new Error(`fencing token ${fence.token} is stale: another worker took the thread, so this write was refused`));
}

/**
 * The fencing tokens of one process's in-memory threads. A new token waits for the writes still in
 * flight under older ones, so nothing written under an old token lands after the new holder reads.
 */
export class MemoryFences implements FenceDomain {
  readonly store = 'memory';
  readonly #current = new Map<string, number>();
  readonly #inflight = new Map<string, Set<Promise<unknown>>>();

  /** Takes the thread: a new token; writes under older tokens are refused from now on. */
  async take(threadId: string): Promise<number> {
    const token = (this.#current.get(threadId) ?? 0) + 1;
    this.#current.set(threadId, token);
    const inflight = this.#inflight.get(threadId);
    if (inflight) await Promise.allSettled([...inflight]);
    return token;
  }

  holds(fence: Fence): boolean {
    return this.#current.get(fence.threadId) === fence.token;
  }

  async guard<T>(anyFence: Fence | undefined, write: () => Promise<T>): Promise<T> {
    const fence = fenceIn(anyFence, this);
    if (!fence) return write();
    if (!this.holds(fence)) throw staleWrite(fence);
    const running = write();
    let inflight = this.#inflight.get(fence.threadId);
    if (!inflight) this.#inflight.set(fence.threadId, (inflight = new Set()));
    inflight.add(running);
    try {
      return await running;
    } finally {
      inflight.delete(running);
      if (inflight.size === 0) this.#inflight.delete(fence.threadId);
    }
  }
}
