import { SwitchboardError } from './switchboard-error.js';

/** What a failed turn left in the thread, as far as this process knows. */
export type StoreErrorSaved = 'nothing' | 'message';

export interface StoreErrorDetails {
  /** The message id the turn ran under: send the message again with it (it is never added twice). */
  messageId?: string | undefined;
  /** Whether the user message reached the thread before the failure. */
  saved?: StoreErrorSaved | undefined;
  /**
   * What the failed call delivered when it was not a user message: a person's decision on an
   * approval (`approveHandoff`, `denyHandoff`) or a person's reply (`resumeThread`). Their advice is
   * to decide or reply again, not to resend a message the caller never sent.
   */
  answer?: 'decision' | 'reply' | undefined;
  /** The failed call was `recoverThread`: its advice is to call it again, not to resend a message. */
  recovering?: boolean | undefined;
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
    super(code, `${headline(code, threadId, cause)} ${details.answer ? answerAdvice(details.answer, code) : details.recovering ? recoveryAdvice(code) : advice(details)}`, { cause });
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

/**
 * What to do after a decision's or a reply's turn failed. The answer may have been saved before the
 * failure: given again, a saved answer is carried out first (never twice) and that turn is the
 * result; a different answer, or one the thread had already finished, is refused, saying what was
 * taken. A lost lock says nothing of the store (another worker may hold the thread now): no need to
 * wait for it.
 */
function answerAdvice(answer: 'decision' | 'reply', code: 'STORE_UNAVAILABLE' | 'LOCK_LOST'): string {
  const again = answer === 'decision' ? 'Decide again (approveHandoff or denyHandoff; switchboard approve or deny)' : 'Reply again (resumeThread; switchboard resume)';
  const when = code === 'LOCK_LOST' ? '' : ' once the store is back';
  const taken = answer === 'decision' ? 'what was decided' : 'when the person answered';
  return `The ${answer}'s turn was not finished. ${again}${when}: a ${answer} saved before the failure is carried out first, never twice, and that turn is the result; a different ${answer}, or one whose turn had finished, is refused (NOTHING_PENDING) saying ${taken}. The thread's next message, or recoverThread, also finishes that turn.`;
}

/** What to do after `recoverThread` failed: call it again (or send the thread's next message), which finishes the turn. */
function recoveryAdvice(code: 'STORE_UNAVAILABLE' | 'LOCK_LOST'): string {
  const when = code === 'LOCK_LOST' ? '' : ' once the store is back';
  return `The turn it was finishing may not have finished. Call recoverThread again${when}: it finishes the turn if it still is unfinished, replaying its tool calls under their idempotency keys (a side effect is never repeated); the thread's next message does too.`;
}

function describe(cause: unknown): string {
  const message = cause instanceof Error ? cause.message : String(cause);
  return message.split('\n')[0]?.slice(0, 200) ?? 'unknown error';
}
