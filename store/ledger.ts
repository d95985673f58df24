/**
 * A record of side effects by idempotency key: a replayed tool call (after a crash, a retry or a
 * resume) finds its first record and does not act twice.
 */
export interface SideEffect {
  key: string;
  kind: string;
  details: Record<string, unknown>;
  at: string;
}

export interface SideEffectLedger {
  /** Records the effect under `key` unless it exists; returns the stored one and whether it is new. */
  record(effect: Omit<SideEffect, 'at'>): Promise<{ effect: SideEffect; created: boolean }>;
  list(kind?: string): Promise<SideEffect[]>;
}

export class MemoryLedger implements SideEffectLedger {
  private readonly effects = new Map<string, SideEffect>();

  async record(effect: Omit<SideEffect, 'at'>): Promise<{ effect: SideEffect; created: boolean }> {
    const existing = this.effects.get(effect.key);
    if (existing) return { effect: existing, created: false };
    const stored = { ...effect, at: new Date().toISOString() };
    this.effects.set(effect.key, stored);
    return { effect: stored, created: true };
  }

  async list(kind?: string): Promise<SideEffect[]> {
    return [...this.effects.values()].filter((effect) => kind === undefined || effect.kind === kind);
  }
}

/** A ledger in a SQLite file (the CLI keeps it next to the threads). */
export class SqliteLedger implements SideEffectLedger {
  private readonly db: import('better-sqlite3').Database;

  constructor(db: import('better-sqlite3').Database) {
    this.db = db;
    this.db.exec('CREATE TABLE IF NOT EXISTS switchboard_side_effects (key TEXT PRIMARY KEY, kind TEXT NOT NULL, details TEXT NOT NULL, at TEXT NOT NULL)');
  }

  async record(effect: Omit<SideEffect, 'at'>): Promise<{ effect: SideEffect; created: boolean }> {
    const at = new Date().toISOString();
    const inserted = this.db
      .prepare('INSERT INTO switchboard_side_effects (key, kind, details, at) VALUES (?, ?, ?, ?) ON CONFLICT (key) DO NOTHING')
      .run(effect.key, effect.kind, JSON.stringify(effect.details), at);
    const row = this.db.prepare('SELECT key, kind, details, at FROM switchboard_side_effects WHERE key = ?').get(effect.key) as { key: string; kind: string; details: string; at: string };
    return { effect: { key: row.key, kind: row.kind, details: JSON.parse(row.details) as Record<string, unknown>, at: row.at }, created: inserted.changes === 1 };
  }

  async list(kind?: string): Promise<SideEffect[]> {
    const rows = (kind === undefined
      ? this.db.prepare('SELECT key, kind, details, at FROM switchboard_side_effects ORDER BY at').all()
      : this.db.prepare('SELECT key, kind, details, at FROM switchboard_side_effects WHERE kind = ? ORDER BY at').all(kind)) as { key: string; kind: string; details: string; at: string }[];
    return rows.map((row) => ({ ...row, details: JSON.parse(row.details) as Record<string, unknown> }));
  }
}

/** A ledger in PostgreSQL, shared by every worker. */
export class PostgresLedger implements SideEffectLedger {
  private ready: Promise<unknown> | undefined;

  constructor(private readonly pool: import('pg').Pool) {}

  /** Creates the table if missing (idempotent, safe from several workers at once). */
  setup(): Promise<unknown> {
    this.ready ??= this.pool.query(
      "SELECT pg_advisory_xact_lock(hashtextextended('switchboard:ledger-setup', 0)); CREATE TABLE IF NOT EXISTS switchboard_side_effects (key TEXT PRIMARY KEY, kind TEXT NOT NULL, details JSONB NOT NULL, at TIMESTAMPTZ NOT NULL DEFAULT now())",
    );
    return this.ready;
  }

  async record(effect: Omit<SideEffect, 'at'>): Promise<{ effect: SideEffect; created: boolean }> {
    await this.setup();
    const inserted = await this.pool.query('INSERT INTO switchboard_side_effects (key, kind, details) VALUES ($1, $2, $3) ON CONFLICT (key) DO NOTHING', [effect.key, effect.kind, JSON.stringify(effect.details)]);
    const { rows } = await this.pool.query<{ key: string; kind: string; details: Record<string, unknown>; at: Date }>('SELECT key, kind, details, at FROM switchboard_side_effects WHERE key = $1', [effect.key]);
    const row = rows[0];
    if (!row) throw new Error(`The side effect ${effect.key} was neither inserted nor found.`);
    return { effect: { key: row.key, kind: row.kind, details: row.details, at: row.at.toISOString() }, created: inserted.rowCount === 1 };
  }

  async list(kind?: string): Promise<SideEffect[]> {
    await this.setup();
    const { rows } = await this.pool.query<{ key: string; kind: string; details: Record<string, unknown>; at: Date }>(
      kind === undefined ? 'SELECT key, kind, details, at FROM switchboard_side_effects ORDER BY at' : 'SELECT key, kind, details, at FROM switchboard_side_effects WHERE kind = $1 ORDER BY at',
      kind === undefined ? [] : [kind],
    );
    return rows.map((row) => ({ key: row.key, kind: row.kind, details: row.details, at: row.at.toISOString() }));
  }
}
