/**
 * The PostgreSQL of this test run, as the global setup (test/global-setup.ts) provided it: `url` is
 * the run's own database; `server` says how to restart the server under it.
 */
import { inject } from 'vitest';
import { restartPostgres, startPostgresAgain } from './postgres-server.js';
import type { TestPostgres } from './postgres-server.js';

export const TEST_POSTGRES = provided();

function provided(): TestPostgres {
  const postgres = inject('postgres') as TestPostgres | undefined;
  if (!postgres)
    throw new Error(
      'No test PostgreSQL was provided: run the tests with vitest.config.ts (`npm test`, or `npx vitest run <file>`), whose global setup (test/global-setup.ts) provides it.',
    );
  return postgres;
}

/** This run's own database (switchboard_test_<pid>_<random>), on SWITCHBOARD_TEST_PG's server or the embedded one. */
export const PG_URL = TEST_POSTGRES.url;

/** Restarts the server under the tests (fast shutdown, then start). */
export function restartTestPostgres(): Promise<void> {
  return restartPostgres(TEST_POSTGRES.server);
}

/** Starts the server again if a test left it down. */
export function startTestPostgresAgain(): Promise<void> {
  return startPostgresAgain(TEST_POSTGRES.server);
}
