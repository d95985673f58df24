/**
 * A thread journal in the PostgreSQL database of the checkpoints, shared by every worker. An append
 * is one statement: it locks the thread's fence row (FOR SHARE, as the checkpoint writes do) and
 * inserts only while the turn's token is the thread's newest, so a worker that lost the thread
 * appends nothing (`LockLostError`). Keys are unique per thread (`ON CONFLICT DO NOTHING`). Data
 * is JSON text (JSONB refuses NUL and lone surrogates; JSON text escapes them).
 */
import pg from 'pg';
import type { Pool } from 'pg';
import { StoreError } from '../errors/store-error.js';
import { fenceIn, staleWrite } from './fences.js';
import type { Fence, FenceDomain } from './fences.js';
import type { JournalEntry, JournalEntryInput, JournalKind, JournalPage, JournalThread, ListJournalThreadsOptions, ReadJournalOptions, ScanJournalOptions, ThreadJournal } from './journal.js';
import { checkReadOptions, checkThreadsOptions, jsonText } from './journal.js';

interface EntryRow {
  seq: string;
  thread_id: string;
  kind: string;
  turn: number;
  key: string;
  data: string;
  at: Date;
}

const COLUMNS = 'seq, thread_id, kind, turn, key, data, at';
const SCAN_BATCH = 500;

/** The journal's tables in `schema` (idempotent). */
export function postgresJournalSchemaSql(schema = 'public'): string {
  const prefix = pg.escapeIdentifier(schema);
  return `
    CREATE TABLE IF NOT EXISTS ${prefix}.switchboard_journal (
      seq BIGSERIAL PRIMARY KEY,
      thread_id TEXT NOT NULL,
      kind TEXT NOT NULL,
      turn INTEGER NOT NULL,
      key TEXT NOT NULL,
      data TEXT NOT NULL,
      at TIMESTAMPTZ NOT NULL DEFAULT now(),
      UNIQUE (thread_id, key)
    );
    CREATE INDEX IF NOT EXISTS switchboard_journal_thread ON ${prefix}.switchboard_journal (thread_id, seq);
    CREATE INDEX IF NOT EXISTS switchboard_journal_thread_kind ON ${prefix}.switchboard_journal (thread_id, kind, seq);
    CREATE INDEX IF NOT EXISTS switchboard_journal_thread_turn ON ${prefix}.switchboard_journal (thread_id, turn, seq);
    CREATE INDEX IF NOT EXISTS switchboard_journal_at ON ${prefix}.switchboard_journal (at);
    CREATE TABLE IF NOT EXISTS ${prefix}.switchboard_journal_threads (
      thread_id TEXT PRIMARY KEY,
      last_at TIMESTAMPTZ NOT NULL,
      last_seq BIGINT NOT NULL,
      turns INTEGER NOT NULL,
      last_turn_seq BIGINT
    );
    CREATE INDEX IF NOT EXISTS switchboard_journal_threads_recent ON ${prefix}.switchboard_journal_threads (last_at DESC, last_seq DESC);
    CREATE TABLE IF NOT EXISTS ${prefix}.switchboard_thread_fences (thread_id TEXT PRIMARY KEY, fence BIGINT NOT NULL);`;
}

export interface PostgresJournalOptions {
  /** The fence family of the store's thread lock (as `openCheckpointer` sets it); none: appends are not fenced. */
  fences?: FenceDomain;
  /** The schema of the tables (the checkpointer's). Default `public`. */
  schema?: string;
}

export class PostgresJournal implements ThreadJournal {
  private ready: Promise<unknown> | undefined;
  readonly #table: string;
  readonly #threads: string;
  readonly #append: { name: string; text: string };

  constructor(
    private readonly pool: Pool,
    private readonly options: PostgresJournalOptions = {},
  ) {
    const schema = options.schema ?? 'public';
    const prefix = pg.escapeIdentifier(schema);
    this.#table = `${prefix}.switchboard_journal`;
    this.#threads = `${prefix}.switchboard_journal_threads`;
    // One statement: the fence row is locked while the entries are written; entries whose key is
    // there already are skipped; the thread's row (last activity, turn count) follows what landed.
    this.#append = {
      name: `switchboard:journal-append:${schema}`,
      text: `WITH fence AS (SELECT 1 FROM ${prefix}.switchboard_thread_fences WHERE thread_id = $1 AND fence = $6 FOR SHARE),
            held AS (SELECT ($6::bigint IS NULL OR EXISTS (SELECT 1 FROM fence)) AS held),
            inserted AS (
              INSERT INTO ${this.#table} (thread_id, kind, turn, key, data)
              SELECT $1, e.kind, e.turn, e.key, e.data
              FROM unnest($2::text[], $3::int[], $4::text[], $5::text[]) WITH ORDINALITY AS e(kind, turn, key, data, position), held
              WHERE held.held ORDER BY e.position
              ON CONFLICT (thread_id, key) DO NOTHING RETURNING seq, kind, at),
            landed AS (SELECT max(seq) AS last_seq, max(at) AS last_at, count(*) FILTER (WHERE kind = 'turn') AS turns, max(seq) FILTER (WHERE kind = 'turn') AS last_turn_seq FROM inserted),
            touched AS (
              INSERT INTO ${this.#threads} AS t (thread_id, last_at, last_seq, turns, last_turn_seq)
              SELECT $1, l.last_at, l.last_seq, l.turns, l.last_turn_seq FROM landed l WHERE l.last_seq IS NOT NULL
              ON CONFLICT (thread_id) DO UPDATE SET last_at = EXCLUDED.last_at, last_seq = EXCLUDED.last_seq,
                turns = t.turns + EXCLUDED.turns, last_turn_seq = coalesce(EXCLUDED.last_turn_seq, t.last_turn_seq))
       SELECT held FROM held`,
    };
  }

  /** Creates the tables if missing (idempotent, safe from several workers at once). */
  setup(): Promise<unknown> {
    this.ready ??= this.pool.query(`SELECT pg_advisory_xact_lock(hashtextextended('switchboard:journal-setup', 0)); ${postgresJournalSchemaSql(this.options.schema)}`).catch((error: unknown) => {
      // A setup that failed (the database was down) is tried again by the next call, not kept.
      this.ready = undefined;
      throw error;
    });
    return this.ready;
  }

  async append(threadId: string, entries: readonly JournalEntryInput[], anyFence?: Fence): Promise<void> {
    const fence = this.options.fences ? fenceIn(anyFence, this.options.fences) : undefined;
    const texts = entries.map((entry) => jsonText(entry.data, entry.key));
    if (entries.length === 0 && !fence) return;
    const { rows } = await this.query<{ held: boolean }>(
      threadId,
      this.#append,
      [threadId, entries.map((entry) => entry.kind), entries.map((entry) => entry.turn), entries.map((entry) => entry.key), texts, fence?.token ?? null],
    );
    if (fence && !rows[0]?.held) throw staleWrite(fence);
  }

  async get(threadId: string, key: string): Promise<JournalEntry | undefined> {
    // PostgreSQL text holds no NUL: no thread or key here has one.
    if (threadId.includes('\u0000') || key.includes('\u0000')) return undefined;
    const { rows } = await this.query<EntryRow>(threadId, { text: `SELECT ${COLUMNS} FROM ${this.#table} WHERE thread_id = $1 AND key = $2` }, [threadId, key]);
    return rows[0] && entryOf(rows[0]);
  }

  async read(threadId: string, options: ReadJournalOptions = {}): Promise<JournalPage> {
    const limit = checkReadOptions(options);
    // PostgreSQL text holds no NUL: no thread has such an id here (the query would fail on it).
    if (threadId.includes('\u0000')) return { entries: [], next: undefined };
    const { rows } = await this.query<EntryRow>(
      threadId,
      {
        text: `SELECT ${COLUMNS} FROM ${this.#table} WHERE thread_id = $1 AND seq > $2
               AND ($3::text[] IS NULL OR kind = ANY($3::text[])) AND ($4::int IS NULL OR turn = $4) ORDER BY seq LIMIT $5`,
      },
      [threadId, options.after ?? 0, options.kinds ? [...options.kinds] : null, options.turn ?? null, limit + 1],
    );
    const entries = rows.slice(0, limit).map(entryOf);
    return { entries, next: rows.length > limit ? entries.at(-1)?.seq : undefined };
  }

  async *scan(options: ScanJournalOptions): AsyncIterable<JournalEntry> {
    let after = 0;
    for (;;) {
      const { rows } = await this.query<EntryRow>(
        '-',
        {
          text: `SELECT ${COLUMNS} FROM ${this.#table} WHERE kind = ANY($1::text[]) AND seq > $2
                 AND ($3::timestamptz IS NULL OR at >= $3) AND ($4::timestamptz IS NULL OR at < $4) ORDER BY seq LIMIT ${SCAN_BATCH}`,
        },
        [[...options.kinds], after, options.since ?? null, options.until ?? null],
      );
      for (const row of rows) yield entryOf(row);
      if (rows.length < SCAN_BATCH) return;
      after = Number((rows.at(-1) as EntryRow).seq);
    }
  }

  async threads(options: ListJournalThreadsOptions = {}): Promise<JournalThread[]> {
    const { limit, offset } = checkThreadsOptions(options);
    // PostgreSQL text holds no NUL: no thread id contains one.
    if (options.search?.includes('\u0000')) return [];
    const { rows } = await this.query<EntryRow & { last_at: Date; turns: number; has_turn: boolean }>(
      '-',
      {
        text: `SELECT t.thread_id, t.last_at, t.turns, j.seq IS NOT NULL AS has_turn, j.seq, j.kind, j.turn, j.key, j.data, j.at
               FROM ${this.#threads} t LEFT JOIN ${this.#table} j ON j.seq = t.last_turn_seq
               WHERE ($1::text IS NULL OR strpos(t.thread_id, $1) > 0) ORDER BY t.last_at DESC, t.last_seq DESC LIMIT $2 OFFSET $3`,
      },
      [options.search ?? null, limit, offset],
    );
    return rows.map((row) => ({ threadId: row.thread_id, lastTurn: row.has_turn ? entryOf(row) : undefined, turns: row.turns, lastAt: row.last_at.toISOString() }));
  }

  /** Runs a statement after the setup; a database failure is a {@link StoreError} naming the thread. */
  private async query<TRow extends pg.QueryResultRow>(threadId: string, statement: { name?: string; text: string }, values: unknown[]): Promise<pg.QueryResult<TRow>> {
    try {
      await this.setup();
      return await this.pool.query<TRow>({ ...statement, values });
    } catch (error) {
      if (error instanceof StoreError || !StoreError.matches(error)) throw error;
      throw new StoreError(threadId, error);
    }
  }
}

function entryOf(row: EntryRow): JournalEntry {
  return { threadId: row.thread_id, seq: Number(row.seq), kind: row.kind as JournalKind, turn: row.turn, key: row.key, data: JSON.parse(row.data) as unknown, at: row.at.toISOString() };
}
