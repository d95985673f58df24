/**
 * The CLI's logs on stderr: JSON lines when stderr is not a terminal, never broken by the CLI's own
 * lines, and thread ids hashed when asked.
 */
import { describe, expect, it } from 'vitest';
import { hashThreadId } from '../../nodes/events.js';
import { runCli } from './run-cli.js';

const KEY = '0123456789abcdef0123456789abcdef';
const THREAD = 'jane.doe@example.com';

describe('switchboard logs', () => {
  it('--hash-thread-ids logs every thread id as its keyed hash, and every stderr line is whole', async () => {
    const { code, stderr } = await runCli(
      ['run', 'config/support.yaml', '--db', 'memory', '--thread', THREAD, '--log-level', 'debug', '--hash-thread-ids', '-m', 'I was charged twice'],
      { env: { SWITCHBOARD_LOG_HASH_KEY: KEY } },
    );
    expect(code).toBe(0);
    const lines = stderr.trimEnd().split('\n');
    // The one line for people names the thread; the rest are whole JSON records without it.
    expect(lines[0]).toMatch(/^thread jane\.doe@example\.com · offline model/);
    const records = lines.slice(1).map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records.length).toBeGreaterThan(5);
    expect(records.filter((record) => 'thread_id' in record).map((record) => record.thread_id)).toEqual(
      expect.arrayContaining([hashThreadId(THREAD, KEY)]),
    );
    expect(lines.slice(1).join('\n')).not.toContain('jane');
  });

  it('setting $SWITCHBOARD_LOG_HASH_KEY alone turns hashing on', async () => {
    const { stderr } = await runCli(['run', 'config/support.yaml', '--db', 'memory', '--json', '--thread', THREAD, '--log-level', 'info', '-m', 'hi'], {
      env: { SWITCHBOARD_LOG_HASH_KEY: KEY },
    });
    expect(stderr).toContain(`"thread_id":"${hashThreadId(THREAD, KEY)}"`);
    expect(stderr).not.toContain('jane');
  });

  it('--hash-thread-ids without a key, or with a short one, is a usage error that says how to make one', async () => {
    const missing = await runCli(['run', 'config/support.yaml', '--db', 'memory', '--hash-thread-ids', '-m', 'hi']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(
      'error USAGE: --hash-thread-ids needs a secret key in $SWITCHBOARD_LOG_HASH_KEY (16 bytes or more, e.g. from `openssl rand -hex 32`).\n',
    );
    const short = await runCli(['run', 'config/support.yaml', '--db', 'memory', '-m', 'hi'], { env: { SWITCHBOARD_LOG_HASH_KEY: 'short' } });
    expect(short.code).toBe(2);
    expect(short.stderr).toContain('$SWITCHBOARD_LOG_HASH_KEY must be at least 16 bytes long');
  });

  it('an unknown --log-level is a usage error with the levels and the nearest one, never a pino stack trace (run, dev, eval)', async () => {
    const line = 'error USAGE: --log-level must be one of fatal, error, warn, info, debug, trace, silent (not "warning"). Did you mean "warn"?\n';
    const run = await runCli(['run', 'config/support.yaml', '--db', 'memory', '--log-level', 'warning', '-m', 'hi']);
    expect(run).toMatchObject({ code: 2, stderr: line });
    const dev = await runCli(['dev', 'config/support.yaml', '--port', '0', '--db', 'memory', '--log-level', 'warning']);
    expect(dev).toMatchObject({ code: 2, stderr: line });
    const evaluated = await runCli(['eval', 'config/support.yaml', '--dataset', 'eval/datasets/support.yaml', '--log-level', 'warning']);
    expect(evaluated).toMatchObject({ code: 2, stderr: line });
  }, 120_000);
});
