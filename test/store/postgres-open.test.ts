/**
 * A PostgreSQL store that cannot be opened (no server answers, no such database or role, a role
 * that may not create the tables, the connection closed while the tables are created) is a
 * STORE_UNAVAILABLE StoreError that says what to do, shows the URL without its password, keeps the
 * driver's error as `cause`, and leaves no connection open. A connection closed once during the
 * setup is survived: the setup runs again.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreError } from '../../errors/store-error.js';
import { openCheckpointer } from '../../store/checkpointer.js';
import { PG_URL, withPool } from './workers.js';
import { closedPort } from '../helpers.js';

const suffix = randomBytes(4).toString('hex');
/** A database of this file's own: its tests hold the migration lock, which must not hold up other files' stores. */
const DATABASE = `sb_open_${suffix}`;
const ROLE = `sb_open_role_${suffix}`;
const ROLE_PASSWORD = `pw_${suffix}`;

function urlWith(change: (url: URL) => void): string {
  const url = new URL(PG_URL);
  change(url);
  return url.toString();
}

const STORE_URL = urlWith((url) => (url.pathname = `/${DATABASE}`));

beforeAll(async () => {
  await withPool(async (pool) => {
    await pool.query(`CREATE DATABASE ${DATABASE}`);
    await pool.query(`CREATE ROLE ${ROLE} LOGIN PASSWORD '${ROLE_PASSWORD}'`);
  });
});
afterAll(async () => {
  await withPool(async (pool) => {
    await pool.query(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`);
    await pool.query(`DROP ROLE IF EXISTS ${ROLE}`);
  });
});


/** A name for the store's connections, so the test can find them on the server. */
function applicationName(): string {
  return `sb_open_${randomBytes(4).toString('hex')}`;
}

/** Asks `query` again until `done` holds for its rows (a few seconds at most); returns those rows. */
async function pollUntil<T extends pg.QueryResultRow>(sql: string, values: unknown[], done: (rows: T[]) => boolean): Promise<T[]> {
  return withPool(async (pool) => {
    for (let attempt = 0; ; attempt += 1) {
      const { rows } = await pool.query<T>(sql, values);
      if (done(rows) || attempt === 200) return rows;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  });
}

/** The server's connections named `name` (their backends end a moment after the client closes them). */
function connectionsLeft(name: string): Promise<unknown[]> {
  return pollUntil('SELECT pid FROM pg_stat_activity WHERE application_name = $1', [name], (rows) => rows.length === 0);
}

/** The store's connection waiting for the migration lock, other than `not`'s. */
async function waitingForMigrationLock(name: string, not?: number): Promise<number> {
  const rows = await pollUntil<{ pid: number }>(
    "SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock' AND wait_event = 'advisory' AND pid <> $2",
    [name, not ?? 0],
    (found) => found.length > 0,
  );
  if (!rows[0]) throw new Error(`no connection of ${name} waits for the migration lock`);
  return rows[0].pid;
}

/** Holds the migration lock in the store's database, as a worker creating the tables would. */
async function holdMigrationLock(): Promise<pg.Client> {
  const holder = new pg.Client({ connectionString: STORE_URL });
  await holder.connect();
  await holder.query("SELECT pg_advisory_lock(hashtextextended('switchboard:migrate', 0))");
  return holder;
}

async function terminate(pid: number): Promise<void> {
  await withPool((pool) => pool.query('SELECT pg_terminate_backend($1)', [pid]));
}

describe('openCheckpointer() on a PostgreSQL it cannot open', () => {
  it('no server answering: says no server answers at host:port, without the password', async () => {
    const port = await closedPort();
    const opening = openCheckpointer(`postgres://postgres:s3cret@127.0.0.1:${port}/switchboard`);
    await expect(opening).rejects.toBeInstanceOf(StoreError);
    const error = (await opening.catch((caught: unknown) => caught)) as StoreError;
    expect(error).toMatchObject({ name: 'StoreError', code: 'STORE_UNAVAILABLE', cause: { code: 'ECONNREFUSED' } });
    expect(error.message).toBe(
      `Cannot open the store postgres://postgres@127.0.0.1:${port}/switchboard: connect ECONNREFUSED 127.0.0.1:${port}. No PostgreSQL server answers at 127.0.0.1:${port}: start it, or correct the host and port in the URL.`,
    );
    expect(error.stack).toMatch(/^StoreError: Cannot open the store /);
  });

  it('no such database: says to create it', async () => {
    const url = urlWith((url) => (url.pathname = '/switchboard_no_such_database'));
    const opening = openCheckpointer(url);
    await expect(opening).rejects.toBeInstanceOf(StoreError);
    await expect(opening).rejects.toMatchObject({
      code: 'STORE_UNAVAILABLE',
      cause: { code: '3D000' },
      message: `Cannot open the store ${url}: database "switchboard_no_such_database" does not exist. Create it (CREATE DATABASE "switchboard_no_such_database", or createdb), or name an existing database in the URL.`,
    });
  });

  it('no such role: says the server refused the role', async () => {
    const url = urlWith((url) => {
      url.username = 'switchboard_no_such_role';
      url.password = 'hunter2';
    });
    const opening = openCheckpointer(url);
    await expect(opening).rejects.toBeInstanceOf(StoreError);
    const error = (await opening.catch((caught: unknown) => caught)) as StoreError;
    expect(error).toMatchObject({ code: 'STORE_UNAVAILABLE', cause: { code: expect.stringMatching(/^28(000|P01)$/) as string } });
    expect(error.message).toMatch(/^Cannot open the store postgres:\/\/switchboard_no_such_role@[^ ]+: .+\. The server refused the role "switchboard_no_such_role": check the user and password in the URL/);
    expect(error.message).not.toContain('hunter2');
  });

  it('no user in the URL: names the default role the driver logged in as', async () => {
    const url = urlWith((url) => (url.username = ''));
    const before = process.env.PGUSER;
    process.env.PGUSER = 'switchboard_no_such_default_role';
    try {
      const error = (await openCheckpointer(url).catch((caught: unknown) => caught)) as StoreError;
      expect(error).toMatchObject({ code: 'STORE_UNAVAILABLE', cause: { code: expect.stringMatching(/^28(000|P01)$/) as string } });
      expect(error.message).toContain('. The server refused the default role ($PGUSER, "switchboard_no_such_default_role"): check the user and password in the URL');
    } finally {
      if (before === undefined) delete process.env.PGUSER;
      else process.env.PGUSER = before;
    }
  });

  it('a role that may not create the tables: says which privilege, and closes the connections it made', async () => {
    const name = applicationName();
    const url = urlWith((url) => {
      url.pathname = `/${DATABASE}`;
      url.username = ROLE;
      url.password = ROLE_PASSWORD;
    });
    const opening = openCheckpointer(url, { pool: { application_name: name } });
    await expect(opening).rejects.toBeInstanceOf(StoreError);
    const error = (await opening.catch((caught: unknown) => caught)) as StoreError;
    expect(error).toMatchObject({ code: 'STORE_UNAVAILABLE', cause: { code: '42501' } });
    expect(error.message).toMatch(new RegExp(`^Cannot open the store postgres://${ROLE}@[^ ]+: permission denied [^.]+\\. The role "${ROLE}" lacks a privilege Switchboard needs`));
    expect(error.message).not.toContain(ROLE_PASSWORD);
    expect(await connectionsLeft(name)).toEqual([]);
  });
});

describe('openCheckpointer() when the connection is closed while the tables are created', () => {
  it('creates them again, once, and opens', async () => {
    const holder = await holdMigrationLock();
    const name = applicationName();
    try {
      const opening = openCheckpointer(STORE_URL, { pool: { application_name: name } });
      opening.catch(() => undefined);
      await terminate(await waitingForMigrationLock(name));
      // Without a second try, the open fails with the closed connection's error here.
      await holder.query("SELECT pg_advisory_unlock(hashtextextended('switchboard:migrate', 0))");
      const store = await opening;
      await store.close();
    } finally {
      await holder.end();
    }
  });

  it('closed a second time: a StoreError that says so, and no connection left open', async () => {
    const holder = await holdMigrationLock();
    const name = applicationName();
    try {
      const opening = openCheckpointer(STORE_URL, { pool: { application_name: name } });
      let settled = false;
      const outcome = opening.then(
        () => undefined,
        (error: unknown) => error,
      ).finally(() => (settled = true));
      // Each connection that comes to wait for the lock is closed, until the open gives up.
      const killed: number[] = [];
      while (!settled) {
        const pid = await waitingForMigrationLock(name, killed.at(-1)).catch(() => undefined);
        if (pid !== undefined && !settled) {
          await terminate(pid);
          killed.push(pid);
        }
      }
      const error = (await outcome) as StoreError;
      expect(error).toBeInstanceOf(StoreError);
      expect(killed).toHaveLength(2);
      expect(error).toMatchObject({
        code: 'STORE_UNAVAILABLE',
        cause: { code: '57P01' },
        message: `Cannot open the store ${STORE_URL}: terminating connection due to administrator command. The connection was closed while Switchboard created its tables, twice: the server log says why (a restart, a pg_terminate_backend); open the store again once it is settled.`,
      });
      expect(await connectionsLeft(name)).toEqual([]);
    } finally {
      await holder.end();
    }
  });
});
