import { SwitchboardError } from './switchboard-error.js';

/**
 * Input that can never succeed, whatever is retried: a thread or message id with a NUL, a control
 * character or a lone surrogate, an empty or oversized id. Fix the input; do not send it again.
 */
export class InputError extends SwitchboardError {
  override readonly name = 'InputError';
  constructor(message: string) {
    super('INVALID_INPUT', message);
  }
}
