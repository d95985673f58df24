/**
 * A store that cannot be opened (`--db` a folder, a file that is not SQLite, a PostgreSQL that is
 * not there or has no such database) is one line and a non-zero exit code, never a driver's stack
 * trace; a URL scheme Switchboard has no store for is refused rather than taken for a file path.
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { PG_URL } from '../postgres-url.js';
import { REPO_ROOT, runCli } from './run-cli.js';
import { closedPort } from '../helpers.js';

// Each command is a separate Node process (a few seconds on a busy machine).
vi.setConfig({ testTimeout: 120_000 });

const DESK = 'examples/desk.yaml';


function expectOneLine(result: { stderr: string; stdout: Buffer }): void {
  expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(result.stderr).not.toMatch(/\n\s+at /);
  expect(result.stdout.toString()).toBe('');
}

describe('a store that cannot be opened', () => {
  it('--db a folder: a usage error (exit 2) that says to name a file', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'switchboard-store-'));
    const result = await runCli(['run', DESK, '--db', folder, '-m', 'hi']);
    expect(result).toMatchObject({
      code: 2,
      stderr: `error USAGE: The store ${folder} is a folder, not a SQLite file: name a file, e.g. --db ${join(folder, 'threads.sqlite')}.\n`,
    });
    expectOneLine(result);
  });

  it('--db a file that is not SQLite: STORE_UNAVAILABLE (exit 1)', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'switchboard-store-')), 'notes.txt');
    writeFileSync(file, 'these are my notes, not a database\n'.repeat(100));
    const result = await runCli(['pending', DESK, '--db', file]);
    expect(result).toMatchObject({ code: 1, stderr: expect.stringMatching(new RegExp(`^error STORE_UNAVAILABLE: Cannot open the store ${file}: file is not a database\\. `)) as string });
    expectOneLine(result);
  });

  it('a PostgreSQL that does not answer, or has no such database: STORE_UNAVAILABLE (exit 1)', async () => {
    const port = await closedPort();
    const down = await runCli(['run', DESK, '--db', `postgres://postgres@127.0.0.1:${port}/test`, '-m', 'hi']);
    expect(down).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(new RegExp(`^error STORE_UNAVAILABLE: Cannot open the store postgres://postgres@127\\.0\\.0\\.1:${port}/test: connect ECONNREFUSED`)) as string,
    });
    expectOneLine(down);
    const url = new URL(PG_URL);
    url.pathname = '/switchboard_no_such_database';
    const missing = await runCli(['run', DESK, '--db', url.toString(), '-m', 'hi']);
    expect(missing).toMatchObject({ code: 1, stderr: expect.stringContaining('error STORE_UNAVAILABLE: Cannot open the store postgres://') as string });
    expect(missing.stderr).toContain('database "switchboard_no_such_database" does not exist');
    expectOneLine(missing);
  });

  it('dev says it the same way', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'switchboard-store-'));
    const result = await runCli(['dev', DESK, '--port', '0', '--db', folder]);
    expect(result).toMatchObject({ code: 2, stderr: expect.stringContaining(`error USAGE: The store ${folder} is a folder, not a SQLite file`) as string });
    expectOneLine(result);
  });
});

describe('a store URL of another scheme', () => {
  it('is refused (exit 2) and creates nothing, from --db or from the project file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchboard-store-'));
    const flag = await runCli(['run', join(REPO_ROOT, DESK), '--db', 'mysql://x', '-m', 'hi'], { cwd: dir });
    expect(flag).toMatchObject({
      code: 2,
      stderr: 'error USAGE: The store mysql://x is not one Switchboard can open: use memory, a SQLite file path or a postgres:// URL (not mysql://).\n',
    });
    expect(existsSync(join(dir, 'mysql:'))).toBe(false);
    writeFileSync(join(dir, 'switchboard.config.json'), '{ "db": "mysql://x" }\n');
    const project = await runCli(['run', join(REPO_ROOT, DESK), '-m', 'hi'], { cwd: dir });
    expect(project).toMatchObject({
      code: 2,
      stderr: 'switchboard.config.json:1:9 error INVALID_PROJECT_FILE "db" must be memory, a SQLite file path or a postgres:// URL (not mysql://).\n1 error\n',
    });
    expect(existsSync(join(dir, 'mysql:'))).toBe(false);
  });
});
