import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // A test that prints to the console fails: output belongs in assertions or captured logs.
    onConsoleLog: () => {
      throw new Error('A test printed to the console; capture output instead.');
    },
    typecheck: { enabled: true, include: ['test/**/*.test-d.ts'] },
  },
});
