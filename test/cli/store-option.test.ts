/**
 * A store option that names no store is refused instead of leaving threads in SQLite's temporary
 * database: an empty `--db`, `memory:` or `:memory:` (on the command line, in $SWITCHBOARD_DB or in
 * the project file) is a usage error; an empty $SWITCHBOARD_DB counts as unset, as the project file
 * reads it.
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { REPO_ROOT, runCli } from './run-cli.js';

vi.setConfig({ testTimeout: 120_000 });

const DESK = join(REPO_ROOT, 'examples/desk.yaml');

function folder(): string {
  return mkdtempSync(join(tmpdir(), 'switchboard-store-option-'));
}

describe('the store option', () => {
  it('--db "" is a usage error, before anything runs', async () => {
    const cwd = folder();
    const result = await runCli(['run', DESK, '--db', '', '-m', 'hi'], { cwd });
    expect(result).toMatchObject({
      code: 2,
      stderr: 'error USAGE: --db is empty: name a SQLite file, "memory" or a postgres:// URL (leave --db out for .switchboard/threads.sqlite).\n',
    });
    expect(result.stdout.toString()).toBe('');
    const sqlite = await runCli(['pending', DESK, '--db', 'sqlite:'], { cwd });
    expect(sqlite).toMatchObject({ code: 2 });
    expect(sqlite.stderr).toContain('error USAGE: --db is empty');
  });

  it('an empty $SWITCHBOARD_DB counts as unset: the default store', async () => {
    const cwd = folder();
    const result = await runCli(['run', DESK, '-m', 'hi', '--thread', 'e1'], { cwd, env: { SWITCHBOARD_DB: '' } });
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(' · sqlite:.switchboard/threads.sqlite\n');
    expect(existsSync(join(cwd, '.switchboard/threads.sqlite'))).toBe(true);
  });

  it('memory: and :memory: are refused with the name that works, and no file is made', async () => {
    const cwd = folder();
    for (const db of ['memory:', ':memory:']) {
      const result = await runCli(['run', DESK, '--db', db, '-m', 'hi'], { cwd });
      expect(result).toMatchObject({
        code: 2,
        stderr: `error USAGE: --db "${db}" is not a store Switchboard knows: write memory (threads kept only while the command runs), a SQLite file path or a postgres:// URL.\n`,
      });
      expect(existsSync(join(cwd, db))).toBe(false);
    }
    const env = await runCli(['run', DESK, '-m', 'hi'], { cwd, env: { SWITCHBOARD_DB: ':memory:' } });
    expect(env).toMatchObject({ code: 2 });
    expect(env.stderr).toContain('error USAGE: $SWITCHBOARD_DB ":memory:" is not a store');
    // The documented name still works.
    expect((await runCli(['run', DESK, '--db', 'memory', '-m', 'hi'], { cwd })).code).toBe(0);
  });

  it('the project file\'s "db" is held to the same rule', async () => {
    const cwd = folder();
    writeFileSync(join(cwd, 'switchboard.config.json'), `{\n  "tree": ${JSON.stringify(DESK)},\n  "db": "memory:"\n}\n`);
    const result = await runCli(['run', '-m', 'hi'], { cwd });
    expect(result).toMatchObject({
      code: 2,
      stderr:
        'switchboard.config.json:3:9 error INVALID_PROJECT_FILE "db" must be memory, a SQLite file path or a postgres:// URL (not "memory:"). Write "memory" to keep threads only while a command runs.\n1 error\n',
    });
    expect(existsSync(join(cwd, 'memory:'))).toBe(false);
  });
});
