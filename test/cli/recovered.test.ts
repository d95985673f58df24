/**
 * A turn a dead worker left unfinished: the next `run` or `chat` on the thread finishes it first
 * and shows its reply, marked as recovered, before the new message's turn; `--json` carries it.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { runWorker } from '../store/workers.js';
import { REPO_ROOT, runCli } from './run-cli.js';

// Each command is a separate Node process (a few seconds on a busy machine).
vi.setConfig({ testTimeout: 120_000 });

const SUPPORT = 'config/support.yaml';

/** A SQLite thread whose first turn died (SIGKILL) right after billing's invoice lookup ran. */
async function threadCutShort(thread: string): Promise<string> {
  const db = join(mkdtempSync(join(tmpdir(), 'switchboard-recovered-')), 'threads.sqlite');
  const crashed = await runWorker('turn-worker.mjs', {
    db,
    tree: join(REPO_ROOT, SUPPORT),
    thread,
    crashAfter: 'lookup_invoice',
    messages: ['I was charged twice on my invoice'],
  });
  expect(crashed.signal).toBe('SIGKILL');
  return db;
}

describe('a turn cut short by a dead worker', () => {
  it('run prints its reply, marked as recovered, before the new turn', async () => {
    const db = await threadCutShort('cut-text');
    const { code, stdout } = await runCli(['run', SUPPORT, '--db', db, '--thread', 'cut-text', '-m', 'Are you still there?']);
    expect(code).toBe(0);
    const lines = stdout.toString().trimEnd().split('\n');
    expect(lines[0]).toBe('↻ recovered: turn 1 was cut short by a failure and is finished now');
    expect(lines[1]).toMatch(/^↪ triage → billing \(delegate, transfer_to_billing\) /);
    expect(lines[2]).toMatch(
      /^billing: \[offline\] billing here — .* You said: “I was charged twice on my invoice”\. Tool results: lookup_invoice: /,
    );
    expect(lines).toHaveLength(4);
    expect(lines.at(-1)).toMatch(/^billing: \[offline\] billing here — .* You said: “Are you still there\?”\.$/);
  });

  it('run --json carries it as `recovered`', async () => {
    const db = await threadCutShort('cut-json');
    const { stdout } = await runCli(['run', SUPPORT, '--db', db, '--thread', 'cut-json', '--json', '-m', 'Are you still there?']);
    const result = JSON.parse(stdout.toString()) as {
      turn: number;
      reply: string;
      recovered: { turn: number; agent: string; reply: string; status: string } | null;
    };
    expect(result.turn).toBe(2);
    expect(result.reply).toContain('You said: “Are you still there?”');
    expect(result.recovered).toMatchObject({
      turn: 1,
      agent: 'billing',
      status: 'done',
      reply: expect.stringContaining('You said: “I was charged twice on my invoice”') as string,
    });
  });

  it('chat prints it before the first message', async () => {
    const db = await threadCutShort('cut-chat');
    const { stdout } = await runCli(['chat', SUPPORT, '--db', db, '--thread', 'cut-chat'], { input: 'Are you still there?\n/quit\n' });
    const text = stdout.toString();
    const recovered = text.indexOf('↻ recovered: turn 1 was cut short by a failure and is finished now\n↪ triage → billing');
    expect(recovered).toBeGreaterThan(-1);
    expect(text.indexOf('You said: “I was charged twice on my invoice”')).toBeGreaterThan(recovered);
    expect(text.indexOf('You said: “Are you still there?”')).toBeGreaterThan(text.indexOf('You said: “I was charged twice on my invoice”'));
  });
});
