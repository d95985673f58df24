import { SwitchboardError } from './switchboard-error.js';

/**
 * Another turn holds the thread: thrown under the `reject` policy at once, and under `wait` when
 * the wait times out. Nothing of the rejected message was written.
 */
export class ThreadBusyError extends SwitchboardError {
  override readonly name = 'ThreadBusyError';
  constructor(
    readonly threadId: string,
    reason: 'busy' | 'timeout',
  ) {
    super('THREAD_BUSY', reason === 'busy' ? `Thread ${threadId} is handling another message; try again when it is done.` : `Thread ${threadId} stayed busy past the wait limit; try again later.`);
  }
}
