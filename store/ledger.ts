/**
 * A record of side effects by idempotency key: a replayed tool call (after a crash, a retry or a
 * resume) finds its first record and does not act twice. The ledger `openCheckpointer` returns
 * shares its store's fencing tokens: a record made for a turn carries the turn's fence
 * (`getToolContext(config).fence`) and is refused, with a `LockLostError`, when another worker has
 * taken the thread since, in the same statement or transaction as the insert. A ledger built
 * alone (`new MemoryLedger()`, `new SqliteLedger(db)`, `new PostgresLedger(pool)`) ignores fences.
 * Details are stored as JSON text, so any string a model sends (a NUL, a lone surrogate) is kept
 * exactly, on every store. When the database fails during a record (a dropped or stalled
 * connection), `PostgresLedger` throws a `StoreError`: the record may still land, so the turn stops
 * (it is not told to the model as a failed tool) and the resent message replays the call under its key.
 */
import type { Database } from 'better-sqlite3';
import type { Pool } from 'pg';
import { StoreError } from '../errors/store-error.js';
import { fenceIn, MemoryFences, staleWrite } from './fences.js';
import type { Fence, FenceDomain } from './fences.js';
import { SqliteThreads } from './sqlite-thread-lock.js';

export interface SideEffect {
  key: string;
  kind: string;
  details: Record<string, unknown>;
  at: string;
}

export interface SideEffectLedger {
  /** Records the effect under `key` unless it exists; returns the stored one and whether it is new. */
  record(effect: Omit<SideEffect, 'at'>, fence?: Fence): Promise<{ effect: SideEffect; created: boolean }>;
  list(kind?: string): Promise<SideEffect[]>;
  /** The effect recorded under `key`, if any (optional for ledgers written before it existed). */
  get?(key: string): Promise<SideEffect | undefined>;
}

export class MemoryLedger implements SideEffectLedger {
  private readonly effects = new Map<string, SideEffect>();

  /** `fences`: the memory store's, when the ledger should refuse records of a stale turn. */
  constructor(private readonly fences?: MemoryFences) {}

  record(effect: Omit<SideEffect, 'at'>, fence?: Fence): Promise<{ effect: SideEffect; created: boolean }> {
    return (this.fences ?? UNFENCED).guard(fence, async () => {
      const existing = this.effects.get(effect.key);
      if (existing) return { effect: existing, created: false };
      const stored = { ...effect, details: structuredClone(effect.details), at: new Date().toISOString() };
      this.effects.set(effect.key, stored);
      return { effect: stored, created: true };
    });
  }

  async list(kind?: string): Promise<SideEffect[]> {
    return [...this.effects.values()].filter((effect) => kind === undefined || effect.kind === kind);
  }

  async get(key: string): Promise<SideEffect | undefined> {
    return this.effects.get(key);
  }
}

const UNFENCED = new MemoryFences();

interface Row {
  key: string;
  kind: string;
  details: string;
  at: string | Date;
}

function effectOf(row: Row): SideEffect {
  return { key: row.key, kind: row.kind, details: JSON.parse(row.details) as Record<string, unknown>, at: typeof row.at === 'string' ? row.at : row.at.toISOString() };
}

/** A ledger in a SQLite file (the CLI keeps it next to the threads). */
export class SqliteLedger implements SideEffectLedger {
  private readonly threads: SqliteThreads;
  private readonly fenced: boolean;

  /** A SQLite database, or the store's {@link SqliteThreads} (whose fences the ledger then checks). */
  constructor(db: Database | SqliteThreads) {
    this.fenced = db instanceof SqliteThreads;
    this.threads = db instanceof SqliteThreads ? db : new SqliteThreads(db);
    this.threads.db.exec('CREATE TABLE IF NOT EXISTS switchboard_side_effects (key TEXT PRIMARY KEY, kind TEXT NOT NULL, details TEXT NOT NULL, at TEXT NOT NULL)');
  }

  record(effect: Omit<SideEffect, 'at'>, fence?: Fence): Promise<{ effect: SideEffect; created: boolean }> {
    const db = this.threads.db;
    return this.threads.guard(this.fenced ? fence : undefined, async () => {
      const inserted = db
        .prepare('INSERT INTO switchboard_side_effects (key, kind, details, at) VALUES (?, ?, ?, ?) ON CONFLICT (key) DO NOTHING')
        .run(effect.key, effect.kind, JSON.stringify(effect.details), new Date().toISOString());
      const row = db.prepare('SELECT key, kind, details, at FROM switchboard_side_effects WHERE key = ?').get(effect.key) as Row;
      return { effect: effectOf(row), created: inserted.changes === 1 };
    });
  }

  async list(kind?: string): Promise<SideEffect[]> {
    const db = this.threads.db;
    const rows = (kind === undefined
      ? db.prepare('SELECT key, kind, details, at FROM switchboard_side_effects ORDER BY at').all()
      : db.prepare('SELECT key, kind, details, at FROM switchboard_side_effects WHERE kind = ? ORDER BY at').all(kind)) as Row[];
    return rows.map(effectOf);
  }

  async get(key: string): Promise<SideEffect | undefined> {
    const row = this.threads.db.prepare('SELECT key, kind, details, at FROM switchboard_side_effects WHERE key = ?').get(key) as Row | undefined;
    return row ? effectOf(row) : undefined;
  }
}

/** A ledger in PostgreSQL, shared by every worker. */
export class PostgresLedger implements SideEffectLedger {
  private ready: Promise<unknown> | undefined;

  /** `options.fences`: the fence family of the store's thread lock (as `openCheckpointer` sets it). */
  constructor(
    private readonly pool: Pool,
    private readonly options: { fences?: FenceDomain } = {},
  ) {}

  /**
   * Creates the table if missing (idempotent, safe from several workers at once); a table from an
   * earlier version, with JSONB details (which refuse NUL and lone surrogates), becomes text.
   */
  setup(): Promise<unknown> {
    this.ready ??= this.pool.query(
      `SELECT pg_advisory_xact_lock(hashtextextended('switchboard:ledger-setup', 0));
       CREATE TABLE IF NOT EXISTS switchboard_side_effects (key TEXT PRIMARY KEY, kind TEXT NOT NULL, details TEXT NOT NULL, at TIMESTAMPTZ NOT NULL DEFAULT now());
       CREATE TABLE IF NOT EXISTS switchboard_thread_fences (thread_id TEXT PRIMARY KEY, fence BIGINT NOT NULL);
       DO $$ BEGIN
         IF (SELECT data_type FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'switchboard_side_effects' AND column_name = 'details') = 'jsonb' THEN
           ALTER TABLE switchboard_side_effects ALTER COLUMN details TYPE TEXT USING details::text;
         END IF;
       END $$`,
    ).catch((error: unknown) => {
      // A setup that failed (the database was down) is tried again by the next call, not kept.
      this.ready = undefined;
      throw error;
    });
    return this.ready;
  }

  async record(effect: Omit<SideEffect, 'at'>, fence?: Fence): Promise<{ effect: SideEffect; created: boolean }> {
    try {
      return await this.insert(effect, fence);
    } catch (error) {
      // Whether the record landed is unknown (a timed-out insert may still run): not a tool failure
      // for the model to work around (it could try again under a new key), but a store failure.
      if (error instanceof StoreError || !StoreError.matches(error)) throw error;
      throw new StoreError(fence?.threadId ?? effect.key, error);
    }
  }

  private async insert(effect: Omit<SideEffect, 'at'>, fence?: Fence): Promise<{ effect: SideEffect; created: boolean }> {
    await this.setup();
    fence = this.options.fences ? fenceIn(fence, this.options.fences) : undefined;
    const details = JSON.stringify(effect.details);
    // One statement: the fence row is locked (FOR SHARE) while the record is written, and the
    // stored record is returned whether it was inserted now or before.
    const { rows } = await this.pool.query<Row & { created: boolean; held: boolean }>(
      `WITH fence AS (SELECT 1 FROM switchboard_thread_fences WHERE thread_id = $4 AND fence = $5 FOR SHARE),
            held AS (SELECT ($4::text IS NULL OR EXISTS (SELECT 1 FROM fence)) AS held),
            inserted AS (
              INSERT INTO switchboard_side_effects (key, kind, details) SELECT $1, $2, $3 FROM held WHERE held.held
              ON CONFLICT (key) DO NOTHING RETURNING key, kind, details, at)
       SELECT i.key, i.kind, i.details, i.at, true AS created, h.held FROM inserted i, held h
       UNION ALL
       SELECT e.key, e.kind, e.details, e.at, false AS created, h.held FROM switchboard_side_effects e, held h WHERE e.key = $1 AND NOT EXISTS (SELECT 1 FROM inserted)`,
      [effect.key, effect.kind, details, fence?.threadId ?? null, fence?.token ?? null],
    );
    const row = rows[0];
    if (fence && rows.every((candidate) => !candidate.held)) throw staleWrite(fence);
    if (!row) throw new Error(`The side effect ${effect.key} was neither inserted nor found.`);
    return { effect: effectOf(row), created: row.created };
  }

  async list(kind?: string): Promise<SideEffect[]> {
    await this.setup();
    const { rows } = await this.pool.query<Row>(
      kind === undefined ? 'SELECT key, kind, details, at FROM switchboard_side_effects ORDER BY at' : 'SELECT key, kind, details, at FROM switchboard_side_effects WHERE kind = $1 ORDER BY at',
      kind === undefined ? [] : [kind],
    );
    return rows.map(effectOf);
  }

  async get(key: string): Promise<SideEffect | undefined> {
    await this.setup();
    const { rows } = await this.pool.query<Row>('SELECT key, kind, details, at FROM switchboard_side_effects WHERE key = $1', [key]);
    return rows[0] ? effectOf(rows[0]) : undefined;
  }
}

const ledgers = new WeakMap<object, SideEffectLedger>();

/** Remembers the ledger that goes with a saver (so compiling with the saver alone records hook outcomes there). */
export function pairLedger(saver: object, ledger: SideEffectLedger): void {
  ledgers.set(saver, ledger);
}

export function pairedLedger(saver: object | undefined): SideEffectLedger | undefined {
  return saver ? ledgers.get(saver) : undefined;
}
