/**
 * Every thread in the store, for the dev page's threads panel: newest activity first, searchable by
 * id, each with its tree, owner, status, turns and last activity. Read from the checkpoints the
 * store holds (so threads of `switchboard run` and `chat` appear beside the page's own, journal or
 * not), the latest checkpoint of each thread only. Reading never writes: it takes no lock.
 */
import { INTERRUPT } from '@langchain/langgraph';
import type { BaseCheckpointSaver, CheckpointTuple } from '@langchain/langgraph';
import { SqliteSaver } from '@langchain/langgraph-checkpoint-sqlite';
import type pg from 'pg';
import { threadIdMatcher } from '../runtime/threads.js';
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
  /** Only threads whose id contains this text (case-insensitive, NFKC-normalised, in every script: see {@link threadIdMatcher}). */
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

/** A thread and the id of its newest root checkpoint: what SQLite and PostgreSQL tell from their indexes alone. */
interface ThreadHead {
  threadId: string;
  checkpointId: string;
}

/** The threads `saver` holds, newest activity first (the page `options` asks for). */
export async function listThreadRows(saver: BaseCheckpointSaver, options: ListThreadRowsOptions = {}): Promise<ThreadRow[]> {
  return (await listThreadPage(saver, options)).rows;
}

/**
 * {@link listThreadRows}, and how many threads there are in all: the page lists them a page at a
 * time. SQLite and PostgreSQL give every thread's newest checkpoint id in one query, and only the
 * page's checkpoints are read; any other store is scanned. The search is done here, on the ids,
 * the same way for every store (a database's `lower()` may fold ASCII only, SQLite normalises no Unicode).
 */
export async function listThreadPage(saver: BaseCheckpointSaver, options: ListThreadRowsOptions = {}): Promise<ThreadPage> {
  const limit = options.limit ?? 100;
  const offset = options.offset ?? 0;
  const matches = threadIdMatcher(options.search);
  const indexed = indexedStore(saver);
  if (indexed) {
    const found = (await indexed.heads()).filter((head) => matches(head.threadId));
    const rows = await indexed.rows(found.slice(offset, offset + limit));
    return { rows: rows.sort(newestFirst), total: found.length };
  }
  const scanned = await scannedHeads(saver, matches);
  return { rows: scanned.map(toRow).sort(newestFirst).slice(offset, offset + limit), total: scanned.length };
}

function newestFirst(a: ThreadRow, b: ThreadRow): number {
  return (b.lastActivity ?? '').localeCompare(a.lastActivity ?? '');
}

function toRow(tuple: CheckpointTuple): ThreadRow {
  const threadId = String(tuple.config.configurable?.thread_id);
  return rowOf(threadId, tuple.checkpoint.channel_values, tuple.checkpoint.ts ?? null, interrupted(tuple));
}

/** A thread's row from its newest checkpoint: the channels the row shows, when it was written, and whether an interrupt waits beside it. */
function rowOf(threadId: string, values: Partial<Pick<SwitchboardState, RowChannel>>, ts: string | null, interrupt: boolean): ThreadRow {
  const waiting = values.turn?.status === 'waiting' || interrupt;
  return {
    threadId,
    tree: values.tree ?? null,
    owner: values.activeAgent ?? '',
    status: waiting ? 'waiting' : (values.turn?.status ?? 'done'),
    waiting,
    turns: values.turn?.number ?? 0,
    lastActivity: ts,
  };
}

/** The channels of the state a row shows. */
type RowChannel = 'tree' | 'activeAgent' | 'turn';
const ROW_CHANNELS: readonly RowChannel[] = ['tree', 'activeAgent', 'turn'];

/**
 * Whether the checkpoint has an interrupt pending. A handoff waiting for approval pauses inside the
 * agent's step, before the step writes anything, so its checkpoint still says the turn is `running`:
 * only the interrupt LangGraph stored beside it says a person must decide.
 */
function interrupted(tuple: CheckpointTuple): boolean {
  return (tuple.pendingWrites ?? []).some(([, channel]) => channel === INTERRUPT);
}

/**
 * A store that tells every thread's newest root checkpoint id, newest first, from its index alone
 * (checkpoint ids grow with time), and reads the rows of the few threads of a page.
 */
interface IndexedStore {
  heads(): Promise<ThreadHead[]>;
  rows(heads: readonly ThreadHead[]): Promise<ThreadRow[]>;
}

function indexedStore(saver: BaseCheckpointSaver): IndexedStore | undefined {
  if (saver instanceof SqliteSaver) return { heads: async () => sqliteHeads(saver), rows: async (heads) => (await readHeads(saver, heads)).map(toRow) };
  if (isPostgresSaver(saver)) return postgresStore(saver);
  return undefined;
}

/** The checkpoints `heads` name, with their pending writes (a thread deleted since is left out). */
async function readHeads(saver: BaseCheckpointSaver, heads: readonly ThreadHead[]): Promise<CheckpointTuple[]> {
  const tuples = await Promise.all(
    heads.map((head) => saver.getTuple({ configurable: { thread_id: head.threadId, checkpoint_ns: '', checkpoint_id: head.checkpointId } })),
  );
  return tuples.filter((tuple) => tuple !== undefined);
}

/** Every thread's newest root checkpoint id, newest first (`checkpoints` names the table). */
function headsQuery(checkpoints: string): string {
  return `SELECT thread_id AS "threadId", MAX(checkpoint_id) AS "checkpointId" FROM ${checkpoints}
    WHERE checkpoint_ns = '' GROUP BY thread_id ORDER BY "checkpointId" DESC`;
}

function sqliteHeads(saver: SqliteSaver): ThreadHead[] {
  // The saver makes its tables on first use: a store nobody wrote yet has none.
  (saver as unknown as { setup(): void }).setup();
  return saver.db.prepare(headsQuery('checkpoints')).all() as ThreadHead[];
}

/**
 * PostgreSQL, on the saver's own pool and schema (the fields LangGraph's saver keeps them in, as
 * store/retention.ts reads them): the heads in one query, and a page's rows in one more, which
 * reads only the channels a row shows and whether an interrupt waits, not the whole checkpoints
 * (a hundred of those, messages and all, took half a second).
 */
function postgresStore(saver: BaseCheckpointSaver): IndexedStore {
  const { pool, options } = saver as unknown as { pool: pg.Pool; options: { schema: string } };
  const schema = `"${options.schema.replaceAll('"', '""')}"`;
  const rowsQuery = `SELECT cp.thread_id AS "threadId", cp.checkpoint ->> 'ts' AS ts, v.channel, bl.type, bl.blob,
      EXISTS (SELECT 1 FROM ${schema}.checkpoint_writes AS w
        WHERE w.thread_id = cp.thread_id AND w.checkpoint_ns = '' AND w.checkpoint_id = cp.checkpoint_id AND w.channel = $3) AS interrupted
    FROM unnest($1::text[], $2::text[]) AS page(thread_id, checkpoint_id)
    JOIN ${schema}.checkpoints AS cp ON cp.thread_id = page.thread_id AND cp.checkpoint_ns = '' AND cp.checkpoint_id = page.checkpoint_id
    LEFT JOIN LATERAL jsonb_each_text(cp.checkpoint -> 'channel_versions') AS v(channel, version) ON v.channel = ANY($4::text[])
    LEFT JOIN ${schema}.checkpoint_blobs AS bl
      ON bl.thread_id = cp.thread_id AND bl.checkpoint_ns = '' AND bl.channel = v.channel AND bl.version = v.version`;
  return {
    heads: async () => (await pool.query<ThreadHead>(headsQuery(`${schema}.checkpoints`))).rows,
    rows: async (heads) => {
      const result = await pool.query<PostgresRowPart>(rowsQuery, [heads.map((head) => head.threadId), heads.map((head) => head.checkpointId), INTERRUPT, ROW_CHANNELS]);
      return postgresRows(saver, result.rows);
    },
  };
}

/** A line of the PostgreSQL page query: one channel of one thread's newest checkpoint (none when it has no row channel). */
interface PostgresRowPart {
  threadId: string;
  ts: string | null;
  channel: RowChannel | null;
  type: string | null;
  blob: Buffer | null;
  interrupted: boolean;
}

/** The rows of the page query's lines, each channel decoded as the saver decodes it (its serializer; `empty`: no value). */
async function postgresRows(saver: BaseCheckpointSaver, parts: readonly PostgresRowPart[]): Promise<ThreadRow[]> {
  const threads = new Map<string, { ts: string | null; interrupted: boolean; values: Partial<Pick<SwitchboardState, RowChannel>> }>();
  for (const part of parts) {
    const thread = threads.get(part.threadId) ?? { ts: part.ts, interrupted: part.interrupted, values: {} };
    threads.set(part.threadId, thread);
    if (part.channel !== null && part.type !== null && part.type !== 'empty' && part.blob !== null)
      thread.values[part.channel] = (await saver.serde.loadsTyped(part.type, part.blob)) as never;
  }
  return [...threads].map(([threadId, thread]) => rowOf(threadId, thread.values, thread.ts, thread.interrupted));
}

/**
 * Whether `saver` is LangGraph's PostgresSaver (or extends it, as Switchboard's batched saver does),
 * told by its class names: the PostgreSQL packages are optional peer dependencies, so this module
 * cannot import the class to compare with (as store/retention.ts).
 */
function isPostgresSaver(saver: BaseCheckpointSaver): boolean {
  for (let prototype: unknown = Object.getPrototypeOf(saver); prototype; prototype = Object.getPrototypeOf(prototype))
    if ((prototype as { constructor?: { name?: string } }).constructor?.name === 'PostgresSaver') return true;
  return false;
}

/** Any other store: every checkpoint listed, newest first within a thread, the first of each thread kept. */
async function scannedHeads(saver: BaseCheckpointSaver, matches: (threadId: string) => boolean): Promise<CheckpointTuple[]> {
  const heads = new Map<string, CheckpointTuple>();
  for await (const tuple of saver.list({})) {
    const threadId = tuple.config.configurable?.thread_id;
    if (typeof threadId !== 'string' || heads.has(threadId)) continue;
    if ((tuple.config.configurable?.checkpoint_ns ?? '') !== '') continue;
    if (!matches(threadId)) continue;
    heads.set(threadId, tuple);
  }
  return [...heads.values()];
}
