/**
 * The dev page's view of the store's history: every thread (threads panel), the turns a thread can
 * be taken back to, the state at the end of a turn, a turn's step trace, and forks. Reading never
 * writes; a fork writes only the new thread (see runtime/fork.ts).
 */
import type { BaseCheckpointSaver } from '@langchain/langgraph';
import { z } from 'zod';
import { SwitchboardError } from '../errors/switchboard-error.js';
import type { SwitchboardGraph } from '../graphs/compile.js';
import { forkThread, listTurnCheckpoints, threadAtTurn } from '../runtime/fork.js';
import { MAX_JOURNAL_TURN } from '../store/journal.js';
import type { ThreadJournal } from '../store/journal.js';
import { HttpError } from './http.js';
import { toPageState } from './page-data.js';
import { buildTrace, readTraceEvents, tracedTurns } from './step-trace.js';
import type { StepTrace } from './step-trace.js';
import { listThreadPage } from './thread-list.js';
import { readThread, ThreadIdSchema } from './threads.js';
import { readWholeThread } from './whole-thread.js';

/** A turn number: a cleared or fractional one is refused with one plain reason, not zod's type words. */
const TurnSchema = z.int({ error: 'must be a whole number from 1' }).min(1, { error: 'must be a whole number from 1' });

export const ForkRequestSchema = z.strictObject({
  turn: TurnSchema,
  newThreadId: ThreadIdSchema.optional(),
  fields: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
});

/** HTTP statuses of the mistakes a history (or decision) request can make. */
const STATUS_OF: Readonly<Record<string, number>> = {
  UNKNOWN_THREAD: 404,
  TURN_NOT_KEPT: 404,
  UNKNOWN_TURN: 404,
  THREAD_EXISTS: 409,
  FORK_WAITING: 409,
  TURN_UNFINISHED: 409,
  FORK_STATE_INVALID: 409,
  THREAD_OF_ANOTHER_TREE: 409,
  INVALID_FIELDS: 400,
  INVALID_INPUT: 400,
  // A decision on an approval: nothing waits (or it was decided already), a malformed decision, another turn holds the thread.
  NOTHING_PENDING: 409,
  INVALID_DECISION: 400,
  THREAD_BUSY: 409,
};

export class ThreadHistory {
  constructor(
    private readonly saver: BaseCheckpointSaver,
    private readonly journal: ThreadJournal,
  ) {}

  /**
   * The threads in the store, newest activity first, a page at a time (`limit` from `offset`), and
   * how many there are in all: the page asks for the next page until it has every one.
   */
  async list(search: string | undefined, limitText: string | undefined, offsetText: string | undefined) {
    const limit = limitText === undefined ? 100 : queryNumber('limit', limitText, { min: 1, max: 1000 });
    const offset = offsetText === undefined ? 0 : queryNumber('offset', offsetText, { min: 0, max: Number.MAX_SAFE_INTEGER });
    if (search !== undefined && search.length > 100) throw new HttpError(400, 'search must be at most 100 characters.');
    const page = await listThreadPage(this.saver, { search: search || undefined, limit, offset });
    return { threads: page.rows, total: page.total, offset };
  }

  /** The turns of a thread that can be revisited (checkpoints kept) and that have a trace. */
  async turns(graph: SwitchboardGraph, threadId: string) {
    const kept = await listTurnCheckpoints(graph, threadId);
    return { keptTurns: kept.map((entry) => entry.turn), tracedTurns: await tracedTurns(this.journal, threadId) };
  }

  /** The thread as it was at the end of `turn`: its messages and shared state. */
  async atTurn(graph: SwitchboardGraph, threadId: string, turn: number) {
    const at = await httpErrors(() => threadAtTurn(graph, threadId, turn));
    const whole = await readWholeThread(graph, threadId, at.state, turn);
    return { threadId, turn, checkpointId: at.checkpointId, createdAt: at.createdAt ?? null, ...whole, state: toPageState(threadId, at.state) };
  }

  /** A turn's step trace (default: the thread's latest traced turn). */
  async trace(threadId: string, turnText: string | undefined): Promise<StepTrace> {
    const turn = turnText === undefined ? (await tracedTurns(this.journal, threadId)).at(-1) : turnNumber(turnText);
    if (turn === undefined) return { threadId, turn: 0, items: [] };
    const events = await httpErrors(() => readTraceEvents(this.journal, threadId, turn));
    return buildTrace(threadId, turn, events);
  }

  /** Forks a new thread from the end of a turn, with fields edited; returns the new thread as the page shows threads. */
  async fork(graph: SwitchboardGraph, threadId: string, request: z.output<typeof ForkRequestSchema>) {
    const forked = await httpErrors(() => forkThread(graph, { threadId, ...request }));
    return { from: forked.from, thread: { ...(await readThread(graph, forked.threadId)), ...(await this.turns(graph, forked.threadId)) } };
  }
}

/**
 * The whole number a query parameter gives, from `min` to `max`. Digits only: `Number()` would also
 * take an empty value (as 0), a sign, an exponent, hex or spaces; and a number beyond `max` is
 * refused here, with the range, rather than failing in the store.
 */
function queryNumber(name: string, text: string, range: { min: number; max: number }): number {
  const value = /^[0-9]{1,16}$/.test(text) ? Number(text) : Number.NaN;
  if (!(value >= range.min && value <= range.max))
    throw new HttpError(400, `${name} must be a whole number from ${range.min} to ${range.max} (not "${text.length > 40 ? `${text.slice(0, 40)}…` : text}").`);
  return value;
}

/** The turn a request names (in its query or its path): a whole number from 1 to the largest a journal keeps. */
export function turnNumber(text: string): number {
  return queryNumber('turn', text, { min: 1, max: MAX_JOURNAL_TURN });
}

/** Runs `body`; a Switchboard error that is the request's mistake becomes an HTTP error with its message. */
export async function httpErrors<T>(body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (error) {
    if (error instanceof SwitchboardError && STATUS_OF[error.code] !== undefined) throw new HttpError(STATUS_OF[error.code] ?? 400, `${error.code}: ${error.message}`);
    throw error;
  }
}
