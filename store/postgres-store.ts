/**
 * The PostgreSQL store behind `openCheckpointer('postgres://…')`: the batched saver, the side-effect
 * ledger, the thread journal and the thread locks on two pools. Loaded by store/checkpointer.ts only for a postgres://
 * URL, so `pg` and `@langchain/langgraph-checkpoint-postgres` stay optional peer dependencies.
 */
import pg from 'pg';
import { FastJsonPlusSerializer } from './serde.js';
import { BatchedPostgresSaver } from './postgres-saver.js';
import { PostgresLedger } from './ledger.js';
import { PostgresJournal } from './postgres-journal.js';
import { createPostgresThreadLock, fenceTableSql } from './postgres-thread-lock.js';
import { POSTGRES_POOL_DEFAULTS, storeUnavailable } from './checkpointer.js';
import { withoutPassword } from './url-password.js';
import type { StoreError } from '../errors/store-error.js';
import type { Checkpointer, OpenCheckpointerOptions } from './checkpointer.js';

/**
 * Opens the PostgreSQL store at `target` (tables created when missing, once, even when many workers
 * start together). A store that cannot be opened (no server answers, no such database or role, the
 * connection closed while the tables were created, twice) is a `STORE_UNAVAILABLE` StoreError that
 * says what to do, and leaves no connection open.
 */
export async function openPostgresStore(target: string, options: OpenCheckpointerOptions): Promise<Checkpointer> {
  const url = parseUrl(target);
  const pool = new pg.Pool({ connectionString: target, ...POSTGRES_POOL_DEFAULTS, ...options.pool });
  // A client that loses its connection (a restart, a killed backend) must not crash the process:
  // idle ones report to the pool, checked-out ones to themselves; the query in flight fails instead.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  const fences = { store: 'postgres' };
  const saver = new BatchedPostgresSaver(pool, new FastJsonPlusSerializer(), { fences });
  const ledger = new PostgresLedger(pool, { fences });
  const journal = new PostgresJournal(pool, { fences });
  try {
    await createTables(pool, async () => {
      await saver.setup();
      await ledger.setup();
      await pool.query(fenceTableSql('public', pg.escapeIdentifier));
      await journal.setup();
    });
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw cannotOpen(target, url, error);
  }
  // Locks get their own connections, so a turn holding one never starves the checkpointer.
  const lockPool = new pg.Pool({ connectionString: target, ...POSTGRES_POOL_DEFAULTS, max: options.lockConnections ?? POSTGRES_POOL_DEFAULTS.max, ...options.pool, ...options.lockPool, statement_timeout: 0 });
  lockPool.on('error', () => undefined);
  lockPool.on('connect', (client) => client.on('error', () => undefined));
  return {
    saver,
    threadLock: createPostgresThreadLock(lockPool, { ...options.lock, fences }),
    ledger,
    journal,
    describe: `postgres:${url.host}${url.pathname}`,
    close: async () => {
      await Promise.all([pool.end(), lockPool.end()]);
    },
  };
}

/**
 * `target` as a URL. One the driver could not read either (a port out of range…) is refused before
 * any connection; the parser's error is left out, as it holds the whole URL, password included.
 */
function parseUrl(target: string): URL {
  try {
    return new URL(target);
  } catch {
    throw storeUnavailable(`Cannot open the store ${withoutPassword(target)}: it is not a valid URL. Write it as postgres://user@host:5432/database (special characters in the user or password percent-encoded).`, undefined);
  }
}

/**
 * Creates the tables (see {@link migrateOnce}), a second time if the connection was closed under
 * the first (a restart, an administrator's pg_terminate_backend). That is safe: every step is
 * idempotent (`CREATE … IF NOT EXISTS`, and each checkpoint migration is recorded only after it ran,
 * so a second run does again at most the one it was in, which is idempotent too).
 */
async function createTables(pool: pg.Pool, migrate: () => Promise<void>): Promise<void> {
  try {
    await migrateOnce(pool, migrate);
  } catch (error) {
    if (!connectionLost(error)) throw error;
    await migrateOnce(pool, migrate);
  }
}

/** Runs `migrate` under a database-wide advisory lock, so concurrent workers migrate one at a time. */
async function migrateOnce(pool: pg.Pool, migrate: () => Promise<void>): Promise<void> {
  const client = await pool.connect();
  let failure: Error | undefined;
  try {
    await client.query("SELECT pg_advisory_lock(hashtextextended('switchboard:migrate', 0))");
    await migrate();
    await client.query("SELECT pg_advisory_unlock(hashtextextended('switchboard:migrate', 0))");
  } catch (error) {
    failure = error instanceof Error ? error : new Error(String(error));
    throw error;
  } finally {
    // After a failure the connection is closed, not unlocked: the server frees the lock with the
    // session (an unlock sent on a connection being closed could wait for its query timeout).
    client.release(failure);
  }
}

/** Whether `error` is an open connection closing under a query (not a connection that could not be made). */
function connectionLost(error: unknown): boolean {
  const code = String((error as { code?: unknown } | undefined)?.code ?? '');
  const message = error instanceof Error ? error.message : '';
  return /^(57P01|57P02|08000|08003|08006|ECONNRESET|EPIPE)$/.test(code) || /Connection terminated unexpectedly|not queryable/i.test(message);
}

/**
 * The StoreError of a store that could not be opened: the driver's reason in one line, then what to
 * do about it. Said the way the CLI says a store it cannot open (`Cannot open the store <url>: …`),
 * with the URL's password left out.
 */
function cannotOpen(target: string, url: URL, error: unknown): StoreError {
  return storeUnavailable(`Cannot open the store ${withoutPassword(target)}: ${firstLine(error)}. ${adviceFor(url, error)}`, error);
}

/** What to do about `error`, by its PostgreSQL SQLSTATE or Node's socket error code. */
function adviceFor(url: URL, error: unknown): string {
  const { code, address, port } = (error ?? {}) as { code?: unknown; address?: unknown; port?: unknown };
  const server = typeof address === 'string' ? (port === undefined ? address : `${address}:${String(port)}`) : `${url.hostname || 'localhost'}:${url.port || '5432'}`;
  const user = decoded(url.username);
  // With no user in the URL, the driver logs in as $PGUSER, else as the operating-system user.
  const role = user ? `the role ${pg.escapeIdentifier(user)}` : `the default role (${process.env.PGUSER ? `$PGUSER, ${pg.escapeIdentifier(process.env.PGUSER)}` : 'your operating-system user, as no user is in the URL or $PGUSER'})`;
  const database = decoded(url.pathname.slice(1)) || user;
  switch (code) {
    case 'ECONNREFUSED':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'ETIMEDOUT':
      return `No PostgreSQL server answers at ${server}: start it, or correct the host and port in the URL.`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `The host ${url.hostname} is not known here: correct the host in the URL.`;
    case '3D000':
      return `Create it (CREATE DATABASE ${database ? pg.escapeIdentifier(database) : '<name>'}, or createdb), or name an existing database in the URL.`;
    case '28000':
    case '28P01':
      return `The server refused ${role}: check the user and password in the URL (or $PGPASSWORD), that the role exists and may log in, and that pg_hba.conf lets it connect.`;
    case '42501':
      return `${role[0]!.toUpperCase()}${role.slice(1)} lacks a privilege Switchboard needs (to connect, and on first use to create its tables): grant it (e.g. GRANT CREATE ON SCHEMA public TO ${user ? pg.escapeIdentifier(user) : '<role>'}), or open the store once as the database's owner.`;
    case '53300':
      return 'The server has no connection free: raise its max_connections, or lower the pool sizes (pool.max, lockConnections) of the workers.';
    case '57P03':
      return 'The server is starting up or shutting down: open the store again once it is up.';
  }
  if (connectionLost(error)) return 'The connection was closed while Switchboard created its tables, twice: the server log says why (a restart, a pg_terminate_backend); open the store again once it is settled.';
  if (/timeout exceeded when trying to connect|connection timeout/i.test(firstLine(error)))
    return `No PostgreSQL server answered at ${server} in time: check that it is running and reachable there, or raise pool.connectionTimeoutMillis.`;
  if (/password|SASL|SCRAM/i.test(firstLine(error))) return `The server wants a password for ${role}: put it in the URL or in $PGPASSWORD.`;
  return 'Check that PostgreSQL is running there and the URL names an existing database.';
}

/** A part of the URL as the driver reads it (percent-decoded); as written when it is not valid percent-encoding. */
function decoded(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

/** The first line of the driver's message, without its final period (the code when it has no message). */
function firstLine(error: unknown): string {
  const message = (error instanceof Error ? error.message : String(error)).split('\n')[0]?.replace(/\.$/, '');
  return message || String((error as { code?: unknown } | undefined)?.code ?? 'unknown error');
}

