import { SwitchboardError } from './switchboard-error.js';

/** What a failed turn left in the thread, as far as this process knows. */
export type StoreErrorSaved = 'nothing' | 'message';

export interface StoreErrorDetails {
  /** The message id the turn ran under: send the message again with it (it is never added twice). */
  messageId?: string | undefined;
  /** Whether the user message reached the thread before the failure. */
  saved?: StoreErrorSaved | undefined;
}

/**
 * The thread store (the checkpointer's database, or the thread's lock) failed during a turn: a
 * dropped or stalled connection, a database restart, a full disk. The thread is left as its last
 * saved step had it; nothing after that step happened twice. Send the message again with the same
 * `messageId` once the store is back: a message already saved is not added again, and its
 * unfinished turn is finished instead (tool calls replay under their idempotency keys).
 */
export class StoreError extends SwitchboardError {
  override readonly name: string = 'StoreError';
  readonly threadId: string;
  readonly messageId: string | undefined;
  readonly saved: StoreErrorSaved | undefined;

  constructor(threadId: string, cause: unknown, details: StoreErrorDetails = {}, code: 'STORE_UNAVAILABLE' | 'LOCK_LOST' = 'STORE_UNAVAILABLE') {
    super(code, `${headline(code, threadId, cause)} ${advice(details)}`, { cause });
    this.threadId = threadId;
    this.messageId = details.messageId;
    this.saved = details.saved;
  }

  /** Whether `error` comes from the database under the checkpointer rather than from Switchboard or a tool. */
  static matches(error: unknown): boolean {
    if (error instanceof StoreError) return true;
    if (error instanceof SwitchboardError) return false;
    const code = String((error as { code?: unknown } | undefined)?.code ?? '');
    const message = error instanceof Error ? error.message : String(error);
    return (
      /^(08|57P|53|58)/.test(code) ||
      /^(ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|SQLITE_)/.test(code) ||
      /Connection terminated|not queryable|timeout exceeded when trying to connect|Query read timeout|terminating connection|database is locked|Cannot use a pool after calling end|Client has encountered a connection error/i.test(message)
    );
  }
}

/**
 * The turn lost its hold on the thread (the lock's connection died, or its lease expired) and
 * stopped before running another tool or writing another step; another worker may now own the
 * thread. Whatever this worker still tried to write was refused by the store (fencing).
 */
export class LockLostError extends StoreError {
  override readonly name = 'LockLostError';
  constructor(threadId: string, cause: unknown, details: StoreErrorDetails = {}) {
    super(threadId, cause, details, 'LOCK_LOST');
  }
}

function headline(code: string, threadId: string, cause: unknown): string {
  return code === 'LOCK_LOST'
    ? `The turn on ${threadId} lost the thread's lock (${describe(cause)}) and stopped.`
    : `The thread store failed during a turn on ${threadId} (${describe(cause)}).`;
}

function advice({ messageId, saved }: StoreErrorDetails): string {
  const what =
    saved === 'message'
      ? 'The message was saved; its turn did not finish.'
      : saved === 'nothing'
        ? 'Nothing of this turn was saved.'
        : 'The turn was not finished.';
  const resend = messageId === undefined ? 'Send the message again once the store is back.' : `Send the message again with the same messageId (${messageId}) once the store is back: it is never added twice, and an unfinished turn is finished.`;
  return `${what} ${resend}`;
}

function describe(cause: unknown): string {
  const message = cause instanceof Error ? cause.message : String(cause);
  return message.split('\n')[0]?.slice(0, 200) ?? 'unknown error';
}
