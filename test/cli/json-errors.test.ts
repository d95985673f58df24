/**
 * With `--json`, an error is also an object on stdout (`{"error":{"code","message"}}`), beside its
 * one line on stderr and with the same exit code: a program reading stdout never gets nothing.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { runCli } from './run-cli.js';

// Each command is a separate Node process (a few seconds on a busy machine).
vi.setConfig({ testTimeout: 120_000 });

const SUPPORT = 'config/support.yaml';
const GATED = 'test/fixtures/trees/gated-desk.yaml';

interface JsonError {
  error: { code: string; message: string; issues?: { code: string }[] };
}

/** The one JSON object stdout holds. */
function stdoutObject(result: { stdout: Buffer }): JsonError {
  const lines = result.stdout.toString().trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  return JSON.parse(lines[0]!) as JsonError;
}

describe('--json errors', () => {
  it('resume, approve and deny with nothing pending: the error as JSON on stdout, the line on stderr, exit 2', async () => {
    const db = join(mkdtempSync(join(tmpdir(), 'switchboard-json-errors-')), 'threads.sqlite');
    const resume = await runCli(['resume', SUPPORT, '--db', db, '--thread', 'j1', '--reply', 'hi', '--json']);
    const noPerson = 'Thread j1 is not waiting for a person: it has no turns (no thread of that id on this store).';
    expect(resume).toMatchObject({ code: 2, stderr: `error NOTHING_PENDING: ${noPerson}\n` });
    expect(stdoutObject(resume)).toEqual({ error: { code: 'NOTHING_PENDING', message: noPerson } });
    for (const command of ['approve', 'deny']) {
      const decided = await runCli([command, GATED, '--db', db, '--thread', 'j1', '--json']);
      expect(decided.code).toBe(2);
      expect(stdoutObject(decided)).toEqual({ error: { code: 'NOTHING_PENDING', message: 'Thread j1 is not waiting for an approval: it has no turns (no thread of that id on this store).' } });
    }
  });

  it('trace, pending and stats', async () => {
    const trace = await runCli(['trace', SUPPORT, '--db', 'memory', '--thread', 'nope', '--json']);
    expect(trace.code).toBe(2);
    expect(stdoutObject(trace).error).toMatchObject({ code: 'USAGE', message: expect.stringContaining('There is no thread nope in memory.') as string });
    const pending = await runCli(['pending', 'config/nope.yaml', '--db', 'memory', '--json']);
    expect(pending.code).toBe(2);
    expect(stdoutObject(pending).error).toMatchObject({ code: 'CONFIG_INVALID', issues: [expect.objectContaining({ code: 'FILE_NOT_FOUND' })] });
    const stats = await runCli(['stats', SUPPORT, '--db', 'memory', '--since', 'yesterday', '--json']);
    expect(stats.code).toBe(2);
    expect(stdoutObject(stats).error.code).toBe('USAGE');
  });

  it('run: a bad flag, an unknown option and a broken project file', async () => {
    const model = await runCli(['run', SUPPORT, '--db', 'memory', '--model', 'gpt5', '--json', '-m', 'hi']);
    expect(model).toMatchObject({ code: 2, stderr: 'error USAGE: --model must be auto, online or offline (not "gpt5").\n' });
    expect(stdoutObject(model)).toEqual({ error: { code: 'USAGE', message: '--model must be auto, online or offline (not "gpt5").' } });
    const option = await runCli(['run', SUPPORT, '--db', 'memory', '--bogus', '--json', '-m', 'hi']);
    expect(option.code).toBe(2);
    expect(stdoutObject(option).error).toMatchObject({ code: 'USAGE', message: expect.stringContaining("unknown option '--bogus'") as string });
    const dir = mkdtempSync(join(tmpdir(), 'switchboard-json-errors-'));
    writeFileSync(join(dir, 'switchboard.config.json'), '{ "tols": "x" }\n');
    const project = await runCli(['run', '--json', '-m', 'hi'], { cwd: dir });
    expect(project.code).toBe(2);
    expect(stdoutObject(project).error).toMatchObject({ code: 'INVALID_PROJECT_FILE', message: expect.stringContaining('"tols" is not a setting') as string });
  });

  it('run: a --message-id sent again with a different text is MESSAGE_ID_REUSED, exit 2; the same text replays', async () => {
    const db = join(mkdtempSync(join(tmpdir(), 'switchboard-json-errors-')), 'threads.sqlite');
    const first = await runCli(['run', SUPPORT, '--db', db, '--thread', 'r1', '--message-id', 'm1', '--json', '-m', 'hello']);
    expect(first.code).toBe(0);
    const reused = await runCli(['run', SUPPORT, '--db', db, '--thread', 'r1', '--message-id', 'm1', '--json', '-m', 'goodbye']);
    expect(reused.code).toBe(2);
    expect(stdoutObject(reused).error).toMatchObject({ code: 'MESSAGE_ID_REUSED', message: expect.stringContaining('Message m1 was sent on thread r1 before, with a different text') as string });
    const again = await runCli(['run', SUPPORT, '--db', db, '--thread', 'r1', '--message-id', 'm1', '--json', '-m', 'hello']);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout.toString())).toMatchObject({ replayed: true, turn: 1 });
  });

  it('without --json, stdout stays empty', async () => {
    const result = await runCli(['resume', SUPPORT, '--db', 'memory', '--thread', 'j2', '--reply', 'hi']);
    expect(result).toMatchObject({ code: 2, stderr: 'error NOTHING_PENDING: Thread j2 is not waiting for a person: it has no turns (no thread of that id on this store).\n' });
    expect(result.stdout.toString()).toBe('');
  });
});
