/**
 * Reading a thread's journal: its transcript page by page, its turn summaries, a turn's step trace,
 * and the threads with their latest turn. Every message of every turn the runtime ran is there, in
 * order, whatever the checkpoint still holds.
 */
import type { SwitchboardGraph } from '../graphs/compile.js';
import { runtimeOf } from '../graphs/compile.js';
import { SwitchboardError } from '../errors/switchboard-error.js';
import { InputError } from '../errors/input-error.js';
import type { JournalMessage } from '../state/journal-message.js';
import type { ThreadJournal } from '../store/journal.js';
import type { TraceEvent } from './turn-journal.js';
import type { TurnSummary } from './turn-summary.js';

/** A message of the transcript: its plain JSON form, with its turn and when it was journaled. */
export interface TranscriptMessage extends JournalMessage {
  /** The user turn it belongs to (1-based). */
  turn: number;
  /** When it was journaled (ISO time: the end of its turn). */
  at: string;
  /** Its place in the thread's journal (pass a page's `next` as `after`). */
  seq: number;
}

export interface TranscriptPage {
  messages: TranscriptMessage[];
  /** Pass as `after` for the next page; undefined on the last page. */
  next: number | undefined;
}

export interface TranscriptOptions {
  /** Messages after this place (a previous page's `next`). */
  after?: number | undefined;
  /** At most this many messages (default 100). */
  limit?: number | undefined;
}

/** One event of a turn's step trace, as journaled, with when it happened (epoch ms). */
export type TraceEntry = TraceEvent & { at: number };

export interface ThreadListing {
  threadId: string;
  /** Its latest turn's summary (undefined while no turn is over). */
  lastTurn: TurnSummary | undefined;
  /** How many turns it has had (its latest turn's number; a turn that waited counts once). */
  turns: number;
  /** When its journal last grew (ISO). */
  lastAt: string;
}

/**
 * A page of the thread's transcript, oldest first: user messages, agents' answers and tool calls,
 * tool results, people's replies. Plain JSON (`type`, `id`, `name` = the agent, `content`,
 * `tool_calls`, `tool_call_id`, `usage`), ready to send to a browser; `messageFromJournal` makes
 * LangChain messages of them. Only turns run by `runTurn`, `streamTurn`, `resumeThread` and
 * `recoverThread` are journaled (not a plain `graph.invoke`).
 */
export async function getTranscript(graph: SwitchboardGraph, threadId: string, options: TranscriptOptions = {}): Promise<TranscriptPage> {
  const page = await journalOf(graph).read(threadId, { kinds: ['message'], after: options.after, limit: options.limit });
  return { messages: page.entries.map((entry) => ({ ...(entry.data as JournalMessage), turn: entry.turn, at: entry.at, seq: entry.seq })), next: page.next };
}

/** The summary of each turn of the thread, oldest first (for a turn that waited for a person and went on, the final one). */
export async function getTurnSummaries(graph: SwitchboardGraph, threadId: string): Promise<TurnSummary[]> {
  const journal = journalOf(graph);
  const byTurn = new Map<number, TurnSummary>();
  let after: number | undefined;
  do {
    const page = await journal.read(threadId, { kinds: ['turn'], after, limit: 1000 });
    for (const entry of page.entries) {
      const summary = entry.data as TurnSummary;
      // The summary of a turn that is over replaces those written while it waited; a later wait, an earlier one.
      if (summary.status === 'waiting' && byTurn.has(entry.turn) && byTurn.get(entry.turn)?.status !== 'waiting') continue;
      byTurn.set(entry.turn, summary);
    }
    after = page.next;
  } while (after !== undefined);
  return [...byTurn.values()].sort((a, b) => a.turn - b.turn);
}

/**
 * The step trace of one turn, in order: agent steps, each model call with exactly the messages the
 * model was sent and its answer, tool calls and results, handoffs, limits, usage. Empty unless the
 * graph was compiled with `trace: true` when the turn ran.
 */
export async function getTrace(graph: SwitchboardGraph, threadId: string, turn: number): Promise<TraceEntry[]> {
  if (!Number.isInteger(turn) || turn < 1) throw new InputError(`The turn must be a whole number from 1 (got ${String(turn)}).`);
  const journal = journalOf(graph);
  const events: { index: number; event: TraceEntry }[] = [];
  let after: number | undefined;
  do {
    const page = await journal.read(threadId, { kinds: ['event'], turn, after, limit: 1000 });
    for (const entry of page.entries) events.push({ index: Number(entry.key.split(':').at(-1)), event: entry.data as TraceEntry });
    after = page.next;
  } while (after !== undefined);
  return events.sort((a, b) => a.index - b.index).map(({ event }) => event);
}

/**
 * The threads of this graph's tree with a journal, newest activity first, with their latest turn's
 * summary. `search`: only thread ids containing this text. Threads of other trees in the same store
 * are left out (so a page may hold fewer than `limit`).
 */
export async function listThreads(graph: SwitchboardGraph, options: { search?: string | undefined; limit?: number | undefined } = {}): Promise<ThreadListing[]> {
  const tree = runtimeOf(graph).tree.name;
  const threads = await journalOf(graph).threads(options);
  return threads
    .map((thread) => {
      const lastTurn = thread.lastTurn?.data as TurnSummary | undefined;
      // Turns are numbered from 1, and a turn's entries land after those of every turn before it.
      return { threadId: thread.threadId, lastTurn, turns: lastTurn?.turn ?? 0, lastAt: thread.lastAt };
    })
    .filter((thread) => thread.lastTurn === undefined || thread.lastTurn.tree === tree);
}

/** The journal of `graph`, or a NO_JOURNAL error saying how to get one. */
export function journalOf(graph: SwitchboardGraph): ThreadJournal {
  const journal = runtimeOf(graph).journal;
  if (!journal) {
    throw new SwitchboardError('NO_JOURNAL', 'This graph keeps no journal (compiled with `journal: false`, or with a checkpointer that has none): compile it with the checkpointer openCheckpointer returns, or pass `journal`.');
  }
  return journal;
}
