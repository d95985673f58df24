/**
 * What a step writes to the `turn` channel: the turn's counters and status whole (a few numbers),
 * and of its moves and model calls only what the step added. The channel adds them up, so a step's
 * write stays the size of the step, not of the turn. The step that settles the turn (an answer, an
 * error, a wait for a person) hands the moves to `handoffs` and the usage to `usage`, and the turn
 * keeps only its counters. Code that writes a whole `Turn` (a person's reply, a fork) replaces the
 * turn as before.
 */
import type { CallUsage, HandoffRecord, Turn } from './schema.js';
import { addCalls } from './turn-usage.js';

export interface TurnWrite {
  /** The turn's counters and status, without its moves and calls. */
  step: Omit<Turn, 'moves' | 'calls' | 'usage'>;
  /** The moves the step made. */
  moves?: HandoffRecord[];
  /** The model calls the step made (see `CallUsage`). */
  calls?: CallUsage[];
}

/**
 * The next turn, written by the runtime before the graph runs when a person owns the conversation
 * (a person's node cannot write before it waits): numbered after the thread's latest turn.
 */
export interface NextTurnWrite {
  next: Omit<Turn, 'number'>;
}

function isTurnWrite(value: Turn | TurnWrite | NextTurnWrite): value is TurnWrite {
  return typeof (value as Partial<TurnWrite>).step === 'object';
}

/** The `turn` reducer: a whole turn replaces it; a step's write adds to the same turn, or starts the next one. */
export function applyTurnWrite(current: Turn, write: Turn | TurnWrite | NextTurnWrite): Turn {
  if ('next' in write) return { ...write.next, number: current.number + 1 };
  if (!isTurnWrite(write)) return write;
  // A settled turn's moves and usage are in `handoffs` and `usage`.
  if (write.step.status !== 'running') return write.step;
  const same = current.number === write.step.number;
  const moves = same && current.moves ? [...current.moves, ...(write.moves ?? [])] : (write.moves ?? []);
  const calls = same && current.calls ? addCalls(current.calls, write.calls ?? []) : (write.calls ?? []);
  return { ...write.step, ...(moves.length ? { moves } : {}), ...(calls.length ? { calls } : {}) };
}

/** The write of a step that began with the turn `before` and ends with `after`, having made the model calls `calls`. */
export function turnWriteOf(before: Turn | undefined, after: Turn, calls: readonly CallUsage[]): TurnWrite {
  const { moves = [], calls: _all, usage: _legacy, ...step } = after;
  if (step.status !== 'running') return { step };
  const earlier = before?.number === after.number ? (before.moves?.length ?? 0) : 0;
  return { step, ...(moves.length > earlier ? { moves: moves.slice(earlier) } : {}), ...(calls.length ? { calls: [...calls] } : {}) };
}
