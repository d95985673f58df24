/**
 * Every thread in the store, for the dev page's threads panel: newest activity first, searchable by
 * id, each with its tree, owner, status, turns and last activity. Read from the checkpoints the
 * store holds (so threads of `switchboard run` and `chat` appear beside the page's own, journal or
 * not), the latest checkpoint of each thread only. Reading never writes: it takes no lock.
 */
import { INTERRUPT } from '@langchain/langgraph';
import type { BaseCheckpointSaver, CheckpointTuple } from '@langchain/langgraph';
import { SqliteSaver } from '@langchain/langgraph-checkpoint-sqlite';
import type { SwitchboardState, Turn } from '../state/schema.js';

export interface ThreadRow {
  threadId: string;
  /** The tree the thread belongs to (null for threads from before trees were recorded). */
  tree: string | null;
  /** The agent that owns the conversation. */
  owner: string;
  status: Turn['status'];
  /** True when the thread waits for a person. */
  waiting: boolean;
  /** User turns so far. */
  turns: number;
  /** When its latest checkpoint was written (ISO time). */
  lastActivity: string | null;
}

export interface ListThreadRowsOptions {
  /** Only threads whose id contains this text (case-insensitive). */
  search?: string | undefined;
  /** At most this many (default 100). */
  limit?: number | undefined;
  /** Skip this many of the newest first (default 0): the next page starts where the last ended. */
  offset?: number | undefined;
}

/** One page of the threads, and how many there are in all (with the search). */
export interface ThreadPage {
  rows: ThreadRow[];
  total: number;
}

/** The threads `saver` holds, newest activity first (the page `options` asks for). */
export async function listThreadRows(saver: BaseCheckpointSaver, options: ListThreadRowsOptions = {}): Promise<ThreadRow[]> {
  return (await listThreadPage(saver, options)).rows;
}

/** {@link listThreadRows}, and how many threads there are in all: the page lists them a page at a time. */
export async function listThreadPage(saver: BaseCheckpointSaver, options: ListThreadRowsOptions = {}): Promise<ThreadPage> {
  const limit = options.limit ?? 100;
  const offset = options.offset ?? 0;
  const search = options.search?.toLowerCase() ?? '';
  if (saver instanceof SqliteSaver) {
    const rows = (await sqliteHeads(saver, search, limit, offset)).map(toRow);
    return { rows: rows.sort(newestFirst), total: sqliteCount(saver, search) };
  }
  const heads = await scannedHeads(saver, search);
  return { rows: heads.map(toRow).sort(newestFirst).slice(offset, offset + limit), total: heads.length };
}

function newestFirst(a: ThreadRow, b: ThreadRow): number {
  return (b.lastActivity ?? '').localeCompare(a.lastActivity ?? '');
}

function toRow(tuple: CheckpointTuple): ThreadRow {
  const values = tuple.checkpoint.channel_values as Partial<SwitchboardState>;
  const waiting = values.turn?.status === 'waiting' || interrupted(tuple);
  return {
    threadId: String(tuple.config.configurable?.thread_id),
    tree: values.tree ?? null,
    owner: values.activeAgent ?? '',
    status: waiting ? 'waiting' : (values.turn?.status ?? 'done'),
    waiting,
    turns: values.turn?.number ?? 0,
    lastActivity: tuple.checkpoint.ts ?? null,
  };
}

/**
 * Whether the checkpoint has an interrupt pending. A handoff waiting for approval pauses inside the
 * agent's step, before the step writes anything, so its checkpoint still says the turn is `running`:
 * only the interrupt LangGraph stored beside it says a person must decide.
 */
function interrupted(tuple: CheckpointTuple): boolean {
  return (tuple.pendingWrites ?? []).some(([, channel]) => channel === INTERRUPT);
}

/**
 * SQLite: the newest checkpoint id of each thread in one query (checkpoint ids grow with time), then
 * only the checkpoints of the page's `limit` threads are read.
 */
async function sqliteHeads(saver: SqliteSaver, search: string, limit: number, offset: number): Promise<CheckpointTuple[]> {
  const rows = saver.db
    .prepare(
      `SELECT thread_id AS threadId, MAX(checkpoint_id) AS newest FROM checkpoints
       WHERE checkpoint_ns = '' AND instr(lower(thread_id), ?) > 0
       GROUP BY thread_id ORDER BY newest DESC LIMIT ? OFFSET ?`,
    )
    .all(search, limit, offset) as { threadId: string; newest: string }[];
  const tuples: CheckpointTuple[] = [];
  for (const row of rows) {
    const tuple = await saver.getTuple({ configurable: { thread_id: row.threadId, checkpoint_ns: '', checkpoint_id: row.newest } });
    if (tuple) tuples.push(tuple);
  }
  return tuples;
}

/** SQLite: how many threads match, without reading their checkpoints. */
function sqliteCount(saver: SqliteSaver, search: string): number {
  const row = saver.db
    .prepare(`SELECT COUNT(DISTINCT thread_id) AS total FROM checkpoints WHERE checkpoint_ns = '' AND instr(lower(thread_id), ?) > 0`)
    .get(search) as { total: number };
  return row.total;
}

/** Any other store: every checkpoint listed, newest first within a thread, the first of each thread kept. */
async function scannedHeads(saver: BaseCheckpointSaver, search: string): Promise<CheckpointTuple[]> {
  const heads = new Map<string, CheckpointTuple>();
  for await (const tuple of saver.list({})) {
    const threadId = tuple.config.configurable?.thread_id;
    if (typeof threadId !== 'string' || heads.has(threadId)) continue;
    if ((tuple.config.configurable?.checkpoint_ns ?? '') !== '') continue;
    if (search !== '' && !threadId.toLowerCase().includes(search)) continue;
    heads.set(threadId, tuple);
  }
  return [...heads.values()];
}
