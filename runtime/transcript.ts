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
import { checkReadOptions, checkThreadsOptions, checkTurnNumber } from '../store/journal.js';
import type { JournalThread, ThreadJournal } from '../store/journal.js';
import { checkId } from './turn.js';
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
  /** Messages after this place (a previous page's `next`): a whole number from 0. */
  after?: number | undefined;
  /** At most this many messages (default 100): a whole number from 1 (more than 10,000 reads 10,000). */
  limit?: number | undefined;
}

export interface ListThreadsOptions {
  /** Only threads whose id contains this text (case-sensitive). */
  search?: string | undefined;
  /** At most this many threads (default 100): a whole number from 1 (more than 10,000 lists 10,000). */
  limit?: number | undefined;
  /** Skip this many of the tree's threads, newest activity first (default 0): the next page is at `offset + limit`. */
  offset?: number | undefined;
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
  checkId(threadId, 'threadId');
  const { after, limit } = optionsObject(options, 'getTranscript', '{ after?, limit? }');
  const read = { kinds: ['message'] as const, after, limit };
  // Checked here too: a journal of the caller's own may not check them.
  checkReadOptions(read);
  const page = await journalOf(graph).read(threadId, read);
  // A message a fork copied carries its time in the source thread (see `forkThread`).
  return { messages: page.entries.map((entry) => ({ ...(entry.data as JournalMessage), turn: entry.turn, at: (entry.data as { at?: string }).at ?? entry.at, seq: entry.seq })), next: page.next };
}

/** A function's options as plain JavaScript may pass them: `null` is none, as `undefined` is; anything else but an object is an input error. */
function optionsObject<T extends object>(options: T | null | undefined, fn: string, shape: string): Partial<T> {
  if (options === null || options === undefined) return {};
  if (typeof options !== 'object') throw new InputError(`The options of ${fn} must be an object (${shape}).`);
  return options;
}

/** The summary of each turn of the thread, oldest first (for a turn that waited for a person and went on, the final one). */
export async function getTurnSummaries(graph: SwitchboardGraph, threadId: string): Promise<TurnSummary[]> {
  checkId(threadId, 'threadId');
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
  checkId(threadId, 'threadId');
  checkTurnNumber(turn);
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
 * summary, a page at a time: `limit` threads (default 100) after skipping `offset` (default 0), so
 * the next page is at `offset + limit`, and a page with fewer than `limit` is the last. `search`:
 * only thread ids containing this text. Threads of other trees in the same store are left out (and
 * not counted by `offset`).
 */
export async function listThreads(graph: SwitchboardGraph, given: ListThreadsOptions = {}): Promise<ThreadListing[]> {
  const options = optionsObject(given, 'listThreads', '{ limit?, offset?, search? }');
  const { limit, offset } = checkThreadsOptions(options);
  const search = options.search;
  // Ids hold no control character and no lone surrogate (see checkId): text with one matches none.
  if (search !== undefined && search !== '') checkSearch(search);
  const tree = runtimeOf(graph).tree.name;
  const journal = journalOf(graph);
  const listed: ThreadListing[] = [];
  let skip = offset;
  // The store's threads are read in batches, those of other trees dropped, until the page is full.
  const batch = Math.min(10_000, Math.max(100, offset + limit));
  for (let from = 0; ; from += batch) {
    const threads = await journal.threads({ search, limit: batch, offset: from });
    for (const thread of threads) {
      const listing = listingOf(thread);
      if (listing.lastTurn !== undefined && listing.lastTurn.tree !== tree) continue;
      if (skip > 0) skip -= 1;
      else listed.push(listing);
      if (listed.length === limit) return listed;
    }
    if (threads.length < batch) return listed;
  }
}

function listingOf(thread: JournalThread): ThreadListing {
  const lastTurn = thread.lastTurn?.data as TurnSummary | undefined;
  // Turns are numbered from 1, and a turn's entries land after those of every turn before it.
  return { threadId: thread.threadId, lastTurn, turns: lastTurn?.turn ?? 0, lastAt: thread.lastAt };
}

/** A search text no thread id could contain (a control character, a lone surrogate: see checkId) is refused, as such an id is. */
function checkSearch(search: string): void {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f]/.test(search)) throw new InputError('The search text contains a control character (such as NUL); thread ids hold none.');
  if (/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(search)) throw new InputError('The search text contains a lone surrogate (malformed UTF-16); thread ids hold none.');
}

/** The journal of `graph`, or a NO_JOURNAL error saying how to get one. */
export function journalOf(graph: SwitchboardGraph): ThreadJournal {
  const journal = runtimeOf(graph).journal;
  if (!journal) {
    throw new SwitchboardError('NO_JOURNAL', 'This graph keeps no journal (compiled with `journal: false`, or with a checkpointer that has none): compile it with the checkpointer openCheckpointer returns, or pass `journal`.');
  }
  return journal;
}
