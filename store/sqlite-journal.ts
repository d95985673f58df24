/**
 * A thread journal in the SQLite file of the checkpoints. Appends made for a turn carry the turn's
 * fence and run in the immediate transaction {@link SqliteThreads.guard} opens after checking the
 * thread's lease row, so a worker that lost the thread appends nothing. Data is JSON text, so a NUL
 * or a lone surrogate a model wrote is kept exactly (JSON escapes them).
 */
import type { Database, Statement } from 'better-sqlite3';
import type { JournalEntry, JournalEntryInput, JournalKind, JournalPage, JournalThread, ListJournalThreadsOptions, ReadJournalOptions, ScanJournalOptions, ThreadJournal } from './journal.js';
import type { Fence } from './fences.js';
import { checkReadOptions, checkThreadsOptions, jsonText } from './journal.js';
import { SqliteThreads } from './sqlite-thread-lock.js';

interface EntryRow {
  seq: number;
  thread_id: string;
  kind: string;
  turn: number;
  key: string;
  data: string;
  at: string;
}

interface ThreadRow {
  thread_id: string;
  last_at: string;
  turns: number;
  last_turn_seq: number | null;
}

const COLUMNS = 'seq, thread_id, kind, turn, key, data, at';
/** Rows a scan reads at a time. */
const SCAN_BATCH = 500;

export const SQLITE_JOURNAL_SCHEMA = `
  CREATE TABLE IF NOT EXISTS switchboard_journal (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    thread_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    turn INTEGER NOT NULL,
    key TEXT NOT NULL,
    data TEXT NOT NULL,
    at TEXT NOT NULL,
    UNIQUE (thread_id, key)
  );
  CREATE INDEX IF NOT EXISTS switchboard_journal_thread ON switchboard_journal (thread_id, seq);
  CREATE INDEX IF NOT EXISTS switchboard_journal_thread_kind ON switchboard_journal (thread_id, kind, seq);
  CREATE INDEX IF NOT EXISTS switchboard_journal_thread_turn ON switchboard_journal (thread_id, turn, seq);
  CREATE INDEX IF NOT EXISTS switchboard_journal_at ON switchboard_journal (at);
  CREATE TABLE IF NOT EXISTS switchboard_journal_threads (
    thread_id TEXT PRIMARY KEY,
    last_at TEXT NOT NULL,
    last_seq INTEGER NOT NULL,
    turns INTEGER NOT NULL,
    last_turn_seq INTEGER
  );
  CREATE INDEX IF NOT EXISTS switchboard_journal_threads_recent ON switchboard_journal_threads (last_at, last_seq);
`;

export class SqliteJournal implements ThreadJournal {
  private readonly store: SqliteThreads;
  private readonly fenced: boolean;
  readonly #insert: Statement<[string, string, number, string, string, string]>;
  readonly #touch: Statement<[string, string, number, number, number | null]>;
  readonly #get: Statement<[string, string], EntryRow>;
  readonly #bySeq: Statement<[number], EntryRow>;

  /** A SQLite database, or the store's {@link SqliteThreads} (whose fences the journal then checks). */
  constructor(db: Database | SqliteThreads) {
    this.fenced = db instanceof SqliteThreads;
    this.store = db instanceof SqliteThreads ? db : new SqliteThreads(db);
    const database = this.store.db;
    database.exec(SQLITE_JOURNAL_SCHEMA);
    this.#insert = database.prepare(`INSERT INTO switchboard_journal (thread_id, kind, turn, key, data, at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (thread_id, key) DO NOTHING`);
    this.#touch = database.prepare(
      `INSERT INTO switchboard_journal_threads (thread_id, last_at, last_seq, turns, last_turn_seq) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (thread_id) DO UPDATE SET last_at = excluded.last_at, last_seq = excluded.last_seq,
         turns = switchboard_journal_threads.turns + excluded.turns, last_turn_seq = coalesce(excluded.last_turn_seq, switchboard_journal_threads.last_turn_seq)`,
    );
    this.#get = database.prepare(`SELECT ${COLUMNS} FROM switchboard_journal WHERE thread_id = ? AND key = ?`);
    this.#bySeq = database.prepare(`SELECT ${COLUMNS} FROM switchboard_journal WHERE seq = ?`);
  }

  async append(threadId: string, entries: readonly JournalEntryInput[], fence?: Fence): Promise<void> {
    // Serialised before the write transaction opens: a value JSON cannot hold fails here, alone.
    const rows = entries.map((entry) => ({ ...entry, text: jsonText(entry.data, entry.key) }));
    await this.store.guard(this.fenced ? fence : undefined, async () => {
      this.store.db.transaction(() => {
        const at = new Date().toISOString();
        let lastSeq: number | undefined;
        let lastTurnSeq: number | null = null;
        let turns = 0;
        for (const row of rows) {
          const inserted = this.#insert.run(threadId, row.kind, row.turn, row.key, row.text, at);
          if (inserted.changes !== 1) continue;
          lastSeq = Number(inserted.lastInsertRowid);
          if (row.kind === 'turn') {
            turns += 1;
            lastTurnSeq = lastSeq;
          }
        }
        if (lastSeq !== undefined) this.#touch.run(threadId, at, lastSeq, turns, lastTurnSeq);
      })();
    });
  }

  async get(threadId: string, key: string): Promise<JournalEntry | undefined> {
    const row = this.#get.get(threadId, key);
    return row && entryOf(row);
  }

  async read(threadId: string, options: ReadJournalOptions = {}): Promise<JournalPage> {
    const limit = checkReadOptions(options);
    const where = ['thread_id = ?', 'seq > ?'];
    const values: (string | number)[] = [threadId, options.after ?? 0];
    if (options.kinds) {
      where.push(`kind IN (${options.kinds.map(() => '?').join(', ') || 'NULL'})`);
      values.push(...options.kinds);
    }
    if (options.turn !== undefined) {
      where.push('turn = ?');
      values.push(options.turn);
    }
    const rows = this.store.db.prepare(`SELECT ${COLUMNS} FROM switchboard_journal WHERE ${where.join(' AND ')} ORDER BY seq LIMIT ?`).all(...values, limit + 1) as EntryRow[];
    const entries = rows.slice(0, limit).map(entryOf);
    return { entries, next: rows.length > limit ? entries.at(-1)?.seq : undefined };
  }

  async *scan(options: ScanJournalOptions): AsyncIterable<JournalEntry> {
    if (options.kinds.length === 0) return;
    const where = [`kind IN (${options.kinds.map(() => '?').join(', ')})`, 'seq > ?'];
    const values: (string | number)[] = [...options.kinds];
    if (options.since !== undefined) {
      where.push('at >= ?');
      values.push(options.since);
    }
    if (options.until !== undefined) {
      where.push('at < ?');
      values.push(options.until);
    }
    const statement = this.store.db.prepare(`SELECT ${COLUMNS} FROM switchboard_journal WHERE ${where.join(' AND ')} ORDER BY seq LIMIT ${SCAN_BATCH}`);
    let after = 0;
    for (;;) {
      // seq is the second parameter: after the kinds.
      const parameters = [...values.slice(0, options.kinds.length), after, ...values.slice(options.kinds.length)];
      const rows = statement.all(...parameters) as EntryRow[];
      for (const row of rows) yield entryOf(row);
      if (rows.length < SCAN_BATCH) return;
      after = (rows.at(-1) as EntryRow).seq;
    }
  }

  async threads(options: ListJournalThreadsOptions = {}): Promise<JournalThread[]> {
    const { limit, offset } = checkThreadsOptions(options);
    const search = options.search;
    const rows = this.store.db
      .prepare(
        `SELECT thread_id, last_at, turns, last_turn_seq FROM switchboard_journal_threads
         ${search === undefined ? '' : 'WHERE instr(thread_id, ?) > 0'} ORDER BY last_at DESC, last_seq DESC LIMIT ? OFFSET ?`,
      )
      .all(...(search === undefined ? [] : [search]), limit, offset) as ThreadRow[];
    return rows.map((row) => {
      const last = row.last_turn_seq === null ? undefined : this.#bySeq.get(row.last_turn_seq);
      return { threadId: row.thread_id, lastTurn: last && entryOf(last), turns: row.turns, lastAt: row.last_at };
    });
  }
}

function entryOf(row: EntryRow): JournalEntry {
  return { threadId: row.thread_id, seq: row.seq, kind: row.kind as JournalKind, turn: row.turn, key: row.key, data: JSON.parse(row.data) as unknown, at: row.at };
}
