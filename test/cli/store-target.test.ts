/**
 * A store that cannot be opened (`--db` a folder, a file that is not SQLite, a PostgreSQL that is
 * not there or has no such database) is one line and a non-zero exit code, never a driver's stack
 * trace; a URL scheme Switchboard has no store for is refused rather than taken for a file path.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
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

  it('--db a file that is not SQLite: a usage error (exit 2) that says so, for every command, and the file is left as it was', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'switchboard-store-')), 'notes.txt');
    const notes = 'these are my notes, not a database\n'.repeat(100);
    writeFileSync(file, notes);
    const reading = `error USAGE: The store ${file} is not a SQLite file (its first bytes are not SQLite's): name the SQLite file the threads are kept in (the default store is .switchboard/threads.sqlite).\n`;
    const writing = reading.replace('kept in (', 'kept in, or a new path for a new store (');
    const commands: [string[], string][] = [
      [['pending', DESK], reading],
      [['stats', DESK], reading],
      [['trace', DESK, '--thread', 't1'], reading],
      [['run', DESK, '-m', 'hi'], writing],
      [['chat', DESK], writing],
      [['resume', DESK, '--thread', 't1', '-r', 'hi'], writing],
      [['approve', DESK, '--thread', 't1'], writing],
      [['deny', DESK, '--thread', 't1'], writing],
      [['dev', DESK, '--port', '0'], writing],
    ];
    for (const [args, stderr] of commands) {
      const result = await runCli([...args, '--db', file], { input: '' });
      expect(result, args[0]).toMatchObject({ code: 2, stderr });
      expectOneLine(result);
    }
    expect(readFileSync(file, 'utf8')).toBe(notes);
    expect(existsSync(`${file}-wal`)).toBe(false);
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
