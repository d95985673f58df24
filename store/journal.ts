/**
 * A thread's journal: what a thread said and did, kept append-only beside its checkpoints, in the
 * same store. The checkpoint (hot state) holds what the next turn needs; the journal holds the rest:
 * - `message`: every message of the conversation, in order (the transcript);
 * - `turn`: one summary per finished turn (owner, status, handoffs, usage…), read by thread lists
 *   and routing analytics;
 * - `event`: the step trace of a turn (model calls with what each model was sent, tool calls,
 *   handoffs), when tracing is on.
 * The store keeps entries as JSON; their shapes belong to the layers that write them. An entry
 * carries a key unique in its thread, so a turn finished again after a crash appends nothing twice.
 */
import { InputError } from '../errors/input-error.js';
import type { Fence } from './fences.js';

export type JournalKind = 'message' | 'turn' | 'event';

export interface JournalEntryInput {
  kind: JournalKind;
  /** The user turn it belongs to (1-based). */
  turn: number;
  /** Unique within the thread: an entry whose key is already there is not appended again. */
  key: string;
  /** A JSON value. */
  data: unknown;
}

export interface JournalEntry extends JournalEntryInput {
  threadId: string;
  /** Order within the thread (ascending, not necessarily contiguous). */
  seq: number;
  /** When it was appended (ISO time). */
  at: string;
}

export interface ReadJournalOptions {
  /** Only these kinds (default: all). */
  kinds?: readonly JournalKind[] | undefined;
  /** Only this turn. */
  turn?: number | undefined;
  /** Entries after this `seq` (the `next` of the previous page). */
  after?: number | undefined;
  /** At most this many (default 100). */
  limit?: number | undefined;
}

export interface JournalPage {
  entries: JournalEntry[];
  /** Pass as `after` for the next page; undefined on the last page. */
  next: number | undefined;
}

export interface ScanJournalOptions {
  kinds: readonly JournalKind[];
  /** Entries appended at or after this time (ISO). */
  since?: string | undefined;
  /** Entries appended before this time (ISO). */
  until?: string | undefined;
}

export interface JournalThread {
  threadId: string;
  /** The thread's latest `turn` entry (undefined while it has none). */
  lastTurn: JournalEntry | undefined;
  /** How many `turn` entries it has. */
  turns: number;
  /** When its latest entry was appended (ISO). */
  lastAt: string;
}

export interface ListJournalThreadsOptions {
  /** Only threads whose id contains this text. */
  search?: string | undefined;
  /** At most this many, newest activity first (default 100). */
  limit?: number | undefined;
  /** Skip this many of the newest first (default 0): the next page is at `offset + limit`. */
  offset?: number | undefined;
}

export interface ThreadJournal {
  /**
   * Appends entries in order. With a fence, refused (`LockLostError`) unless the fence is still
   * the thread's newest, in the same transaction as the write.
   */
  append(threadId: string, entries: readonly JournalEntryInput[], fence?: Fence): Promise<void>;
  /** The thread's entry with this key, if any (for example `message:<id>`, to tell a message seen before). */
  get(threadId: string, key: string): Promise<JournalEntry | undefined>;
  /** One thread's entries, oldest first, a page at a time. */
  read(threadId: string, options?: ReadJournalOptions): Promise<JournalPage>;
  /** Every thread's entries of some kinds, in append order (for analytics). */
  scan(options: ScanJournalOptions): AsyncIterable<JournalEntry>;
  /** The threads with entries, newest activity first. */
  threads(options?: ListJournalThreadsOptions): Promise<JournalThread[]>;
}

export const DEFAULT_JOURNAL_PAGE = 100;

/** The entry's data as JSON text; a value JSON cannot hold (undefined, a function, a cycle, a BigInt) is refused by name. */
export function jsonText(data: unknown, key: string): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(data);
  } catch (error) {
    throw new TypeError(`The journal entry ${key} cannot be stored as JSON: ${(error as Error).message}.`, { cause: error });
  }
  if (text === undefined) throw new TypeError(`The journal entry ${key} has no JSON value (its data is ${typeof data}).`);
  return text;
}

/** A page size: a positive whole number, at most what one read can sensibly return (every journal checks it alike). */
export function pageLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_JOURNAL_PAGE;
  if (!Number.isInteger(limit) || limit < 1) throw new InputError(`A journal page limit must be a whole number of at least 1 (got ${shownValue(limit)}).`);
  return Math.min(limit, 10_000);
}

/** The largest turn number a journal stores (PostgreSQL keeps turns as a 4-byte integer). */
export const MAX_JOURNAL_TURN = 2_147_483_647;

/**
 * A read's options, checked before any store is asked, alike on every journal: `after` a whole
 * number from 0 (a page's `next`), `turn` a whole number from 1, `limit` as {@link pageLimit}.
 * Anything else is `INVALID_INPUT` naming the option (a database would refuse it with its own error,
 * memory would quietly read something else).
 */
export function checkReadOptions(options: ReadJournalOptions): number {
  if (options.after !== undefined && !isWhole(options.after, 0, Number.MAX_SAFE_INTEGER))
    throw new InputError(`A journal page's \`after\` must be a whole number from 0 (a page's \`next\`; got ${shownValue(options.after)}).`);
  if (options.turn !== undefined) checkTurnNumber(options.turn);
  if (options.kinds !== undefined && (!Array.isArray(options.kinds) || options.kinds.some((kind) => typeof kind !== 'string')))
    throw new InputError(`A journal read's \`kinds\` must be a list of kinds (got ${shownValue(options.kinds)}).`);
  return pageLimit(options.limit);
}

/** The options of a thread list, checked alike on every journal; returns the limit and the offset. */
export function checkThreadsOptions(options: ListJournalThreadsOptions): { limit: number; offset: number } {
  if (options.search !== undefined && typeof options.search !== 'string') throw new InputError(`A thread list's \`search\` must be text (got ${shownValue(options.search)}).`);
  if (options.offset !== undefined && !isWhole(options.offset, 0, Number.MAX_SAFE_INTEGER))
    throw new InputError(`A thread list's \`offset\` must be a whole number from 0 (got ${shownValue(options.offset)}).`);
  return { limit: pageLimit(options.limit), offset: options.offset ?? 0 };
}

/** A turn number: a whole number from 1 (turns are numbered from 1), at most {@link MAX_JOURNAL_TURN}. */
export function checkTurnNumber(turn: unknown): void {
  if (!isWhole(turn, 1, MAX_JOURNAL_TURN)) throw new InputError(`The turn must be a whole number from 1 (got ${shownValue(turn)}).`);
}

function isWhole(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

/**
 * A value as an error message shows it: a number as itself, a BigInt as itself with its `n`,
 * anything else as JSON (so "1", the text, is told from 1), or as an object when JSON cannot hold
 * it (a cycle, a BigInt inside): showing what was wrong must not fail in turn.
 */
export function shownValue(value: unknown): string {
  if (typeof value === 'number') return String(value);
  if (typeof value === 'bigint') return `${value}n`;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return 'an object JSON cannot hold';
  }
}

/** An entry as the memory journal keeps it: its data as JSON text, as the databases keep it. */
type StoredEntry = Omit<JournalEntry, 'data'> & { json: string };

/**
 * A journal in this process's memory (tests, `memory` stores). Data is kept as JSON text, as the
 * SQLite and PostgreSQL journals keep it: what is read back is what they would give (a copy,
 * `undefined` fields dropped, dates as strings), and no caller can change a stored entry.
 */
export class MemoryJournal implements ThreadJournal {
  readonly #threads = new Map<string, { entries: StoredEntry[]; keys: Map<string, StoredEntry> }>();
  #seq = 0;

  constructor(private readonly guard: <T>(fence: Fence | undefined, write: () => Promise<T>) => Promise<T> = (_fence, write) => write()) {}

  async append(threadId: string, entries: readonly JournalEntryInput[], fence?: Fence): Promise<void> {
    await this.guard(fence, async () => {
      let thread = this.#threads.get(threadId);
      if (!thread) this.#threads.set(threadId, (thread = { entries: [], keys: new Map() }));
      const at = new Date().toISOString();
      for (const { data, ...entry } of entries) {
        if (thread.keys.has(entry.key)) continue;
        const stored: StoredEntry = { ...entry, json: jsonText(data, entry.key), threadId, seq: ++this.#seq, at };
        thread.keys.set(entry.key, stored);
        thread.entries.push(stored);
      }
    });
  }

  async get(threadId: string, key: string): Promise<JournalEntry | undefined> {
    const entry = this.#threads.get(threadId)?.keys.get(key);
    return entry && entryOf(entry);
  }

  async read(threadId: string, options: ReadJournalOptions = {}): Promise<JournalPage> {
    const limit = checkReadOptions(options);
    const matching = (this.#threads.get(threadId)?.entries ?? []).filter(
      (entry) => entry.seq > (options.after ?? 0) && (!options.kinds || options.kinds.includes(entry.kind)) && (options.turn === undefined || entry.turn === options.turn),
    );
    const entries = matching.slice(0, limit).map(entryOf);
    return { entries, next: matching.length > limit ? entries.at(-1)?.seq : undefined };
  }

  async *scan(options: ScanJournalOptions): AsyncIterable<JournalEntry> {
    const all = [...this.#threads.values()].flatMap((thread) => thread.entries).sort((a, b) => a.seq - b.seq);
    for (const entry of all) {
      if (!options.kinds.includes(entry.kind)) continue;
      if (options.since !== undefined && entry.at < options.since) continue;
      if (options.until !== undefined && entry.at >= options.until) continue;
      yield entryOf(entry);
    }
  }

  async threads(options: ListJournalThreadsOptions = {}): Promise<JournalThread[]> {
    const { limit, offset } = checkThreadsOptions(options);
    const rows: (JournalThread & { lastSeq: number })[] = [];
    for (const [threadId, thread] of this.#threads) {
      if (options.search !== undefined && !threadId.includes(options.search)) continue;
      const turns = thread.entries.filter((entry) => entry.kind === 'turn');
      const last = thread.entries.at(-1);
      if (!last) continue;
      const lastTurn = turns.at(-1);
      rows.push({ threadId, lastTurn: lastTurn && entryOf(lastTurn), turns: turns.length, lastAt: last.at, lastSeq: last.seq });
    }
    // Newest activity first; threads last active in the same millisecond, the latest append first (as SQLite and PostgreSQL order them).
    rows.sort((a, b) => (a.lastAt < b.lastAt ? 1 : a.lastAt > b.lastAt ? -1 : b.lastSeq - a.lastSeq));
    return rows.slice(offset, offset + limit).map(({ lastSeq: _lastSeq, ...thread }) => thread);
  }
}

function entryOf({ json, ...entry }: StoredEntry): JournalEntry {
  return { ...entry, data: JSON.parse(json) as unknown };
}

const journals = new WeakMap<object, ThreadJournal>();

/** Remembers the journal that goes with a saver (so compiling with the saver alone uses it). */
export function pairJournal(saver: object, journal: ThreadJournal): void {
  journals.set(saver, journal);
}

export function pairedJournal(saver: object | undefined): ThreadJournal | undefined {
  return saver ? journals.get(saver) : undefined;
}
