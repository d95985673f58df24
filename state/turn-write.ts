/**
 * What a step writes to the `turn` channel: the turn's counters and status whole (a few numbers),
 * and of its moves and usage only what the step added. The channel adds them up, so a step's
 * write stays the size of the step, not of the turn. Code that writes a whole `Turn` (a person's
 * reply, a fork) replaces the turn as before.
 */
import { addUsage } from './schema.js';
import type { HandoffRecord, Turn, Usage } from './schema.js';

export interface TurnWrite {
  /** The turn's counters and status, without its moves and usage. */
  step: Omit<Turn, 'moves' | 'usage'>;
  /** The moves the step made. */
  moves?: HandoffRecord[];
  /** The usage of each model call the step made, in order. */
  usage?: Usage[];
}

function isTurnWrite(value: Turn | TurnWrite): value is TurnWrite {
  return typeof (value as Partial<TurnWrite>).step === 'object';
}

/** The `turn` reducer: a whole turn replaces it; a step's write adds to the same turn, or starts the next one. */
export function applyTurnWrite(current: Turn, write: Turn | TurnWrite): Turn {
  if (!isTurnWrite(write)) return write;
  const same = current.number === write.step.number;
  const moves = same && current.moves ? [...current.moves, ...(write.moves ?? [])] : (write.moves ?? []);
  let usage = same ? current.usage : undefined;
  for (const added of write.usage ?? []) usage = usage ? addUsage(usage, added) : added;
  return { ...write.step, ...(moves.length ? { moves } : {}), ...(usage ? { usage } : {}) };
}

/** The write of a step that began with the turn `before` and ends with `after`, having made the model calls of `usage`. */
export function turnWriteOf(before: Turn | undefined, after: Turn, usage: readonly Usage[]): TurnWrite {
  const { moves = [], usage: _total, ...step } = after;
  const earlier = before?.number === after.number ? (before.moves?.length ?? 0) : 0;
  return { step, ...(moves.length > earlier ? { moves: moves.slice(earlier) } : {}), ...(usage.length ? { usage: [...usage] } : {}) };
}
