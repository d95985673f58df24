/**
 * The commands that only read threads (`pending`, `trace`, `stats`): a store that is not there is a
 * mistake in the command (a mistyped `--db`, or the wrong folder), refused without making one; an
 * empty file is a store with no threads, left as it is; and they have no options for models or
 * logs, which they never use.
 */
import { existsSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { REPO_ROOT, runCli } from './run-cli.js';

// Each command is a separate Node process (a few seconds on a busy machine).
vi.setConfig({ testTimeout: 120_000 });

const DESK = join(REPO_ROOT, 'examples/desk.yaml');
const READING: string[][] = [['pending'], ['stats'], ['trace', '--thread', 't1']];

function folder(): string {
  return mkdtempSync(join(tmpdir(), 'switchboard-read-only-'));
}

const missing = (store: string, origin: string) =>
  `error USAGE: The store ${store} (from ${origin}) does not exist: this command only reads threads and makes no store. Check the path (the default store is .switchboard/threads.sqlite; run and chat make a new one).\n`;

describe('a command that only reads threads, given a store that does not exist', () => {
  it('refuses a mistyped --db (exit 2) and makes no file nor folder', async () => {
    const cwd = folder();
    for (const [command, ...rest] of READING) {
      const result = await runCli([command!, DESK, ...rest, '--db', 'typo/threads.sqlite'], { cwd });
      expect(result, command).toMatchObject({ code: 2, stderr: missing('typo/threads.sqlite', '--db') });
      expect(result.stdout.toString()).toBe('');
    }
    expect(existsSync(join(cwd, 'typo'))).toBe(false);
    const json = await runCli(['pending', DESK, '--db', 'threds.sqlite', '--json'], { cwd });
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout.toString())).toEqual({ error: { code: 'USAGE', message: missing('threds.sqlite', '--db').slice('error USAGE: '.length, -1) } });
    expect(existsSync(join(cwd, 'threds.sqlite'))).toBe(false);
  });

  it("names where the path came from: the project file's \"db\" or $SWITCHBOARD_DB", async () => {
    const cwd = folder();
    writeFileSync(join(cwd, 'switchboard.config.json'), '{ "db": "store/threads.sqlite" }\n');
    const project = await runCli(['stats', DESK], { cwd });
    expect(project).toMatchObject({ code: 2, stderr: missing('store/threads.sqlite', 'the project file\'s "db"') });
    const env = await runCli(['stats', DESK], { cwd, env: { SWITCHBOARD_DB: 'other.sqlite' } });
    expect(env).toMatchObject({ code: 2, stderr: missing('other.sqlite', '$SWITCHBOARD_DB') });
    expect(existsSync(join(cwd, 'store'))).toBe(false);
    expect(existsSync(join(cwd, 'other.sqlite'))).toBe(false);
  });

  it('refuses the default store in a folder where no turn ran, naming the folder', async () => {
    const cwd = folder();
    const result = await runCli(['pending', DESK], { cwd });
    expect(result).toMatchObject({
      code: 2,
      stderr: `error USAGE: The default store .switchboard/threads.sqlite does not exist in this folder (${cwd}): no turn has run from here. Run the command in the folder the turns ran in, or name their store with --db.\n`,
    });
    expect(existsSync(join(cwd, '.switchboard'))).toBe(false);
  });

  it('reads an empty file (0 bytes) as a store with no threads, and writes nothing to it', async () => {
    const cwd = folder();
    writeFileSync(join(cwd, 'empty.sqlite'), '');
    const pending = await runCli(['pending', DESK, '--db', 'empty.sqlite'], { cwd });
    expect(pending).toMatchObject({ code: 0, stderr: '' });
    expect(pending.stdout.toString()).toBe('No thread is waiting for a person.\n');
    expect((await runCli(['pending', DESK, '--db', 'empty.sqlite', '--json'], { cwd })).stdout.toString()).toBe('[]\n');
    const stats = await runCli(['stats', DESK, '--db', 'empty.sqlite'], { cwd });
    expect(stats).toMatchObject({ code: 0, stderr: '' });
    expect(stats.stdout.toString()).toContain('No turn in the store for this tree.');
    const trace = await runCli(['trace', DESK, '--db', 'sqlite:empty.sqlite', '--thread', 't1'], { cwd });
    expect(trace).toMatchObject({ code: 2, stderr: 'error USAGE: There is no thread t1 in sqlite:empty.sqlite (an empty file). Pass the store its turns ran in with --db.\n' });
    // Still 0 bytes, and SQLite left no journal beside it.
    expect(statSync(join(cwd, 'empty.sqlite')).size).toBe(0);
    expect(readdirSync(cwd)).toEqual(['empty.sqlite']);
  });

  it('reads a store that exists; a command that writes still makes a new store', async () => {
    const cwd = folder();
    const run = await runCli(['run', DESK, '--db', 'new/threads.sqlite', '--thread', 'n1', '-m', 'hi'], { cwd });
    expect(run.code).toBe(0);
    expect(existsSync(join(cwd, 'new/threads.sqlite'))).toBe(true);
    const pending = await runCli(['pending', DESK, '--db', 'new/threads.sqlite'], { cwd });
    expect(pending).toMatchObject({ code: 0, stderr: '' });
    expect(pending.stdout.toString()).toBe('No thread is waiting for a person.\n');
  });
});

describe('the options of a command that only reads threads', () => {
  it('--help lists --db and --tools, not --model, --log-level, --log-format or --hash-thread-ids; run still has them', async () => {
    for (const [command] of READING) {
      const help = (await runCli([command!, '--help'])).stdout.toString();
      expect(help, command).toContain('--db <target>');
      expect(help, command).toContain('--tools <module>');
      for (const option of ['--model', '--log-level', '--log-format', '--hash-thread-ids']) expect(help, `${command} ${option}`).not.toContain(option);
    }
    const run = (await runCli(['run', '--help'])).stdout.toString();
    for (const option of ['--model', '--log-level', '--log-format', '--hash-thread-ids']) expect(run).toContain(option);
  });

  it('refuses them as unknown options (exit 2), before anything is opened', async () => {
    const cwd = folder();
    for (const [command, ...rest] of READING) {
      const result = await runCli([command!, DESK, ...rest, '--db', 'memory', '--model', 'offline'], { cwd });
      expect(result, command).toMatchObject({ code: 2, stderr: `error USAGE: unknown option '--model' (npx switchboard ${command} --help lists the options)\n` });
    }
    const level = await runCli(['stats', DESK, '--log-level', 'debug'], { cwd });
    expect(level).toMatchObject({ code: 2, stderr: "error USAGE: unknown option '--log-level' (npx switchboard stats --help lists the options)\n" });
    expect(existsSync(join(cwd, '.switchboard'))).toBe(false);
  });
});
