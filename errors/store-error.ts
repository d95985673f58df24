import { SwitchboardError } from './switchboard-error.js';

/**
 * The thread store (the checkpointer's database) failed during a turn: a dropped connection, a
 * database restart, a full disk. What the turn did after its last saved step is not saved; the
 * thread is left as it was then. Send the message again (or call `recoverThread`) once the store is back.
 */
export class StoreError extends SwitchboardError {
  override readonly name = 'StoreError';
  constructor(threadId: string, cause: unknown) {
    super('STORE_UNAVAILABLE', `The thread store failed during a turn on ${threadId} (${describe(cause)}); the turn was not saved. Send the message again when the store is back.`, { cause });
  }

  /** Whether `error` comes from the database under the checkpointer rather than from Switchboard or a tool. */
  static matches(error: unknown): boolean {
    if (error instanceof SwitchboardError) return false;
    const code = String((error as { code?: unknown } | undefined)?.code ?? '');
    const message = error instanceof Error ? error.message : String(error);
    return (
      /^(08|57P|53|58)/.test(code) ||
      /^(ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|SQLITE_)/.test(code) ||
      /Connection terminated|not queryable|timeout exceeded when trying to connect|terminating connection|database is locked|Cannot use a pool after calling end/i.test(message)
    );
  }
}

function describe(cause: unknown): string {
  const message = cause instanceof Error ? cause.message : String(cause);
  return message.split('\n')[0]?.slice(0, 200) ?? 'unknown error';
}
