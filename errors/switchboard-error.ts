/**
 * The base of every error Switchboard throws on purpose. `code` is stable: match on it, not on the
 * message. A `SwitchboardError` that is not a {@link ConfigError} or a turn error is a bug in
 * Switchboard or in the code that calls it.
 */
export class SwitchboardError extends Error {
  override readonly name: string = 'SwitchboardError';
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
