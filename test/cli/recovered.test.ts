/**
 * A turn a dead worker left unfinished: the next `run` or `chat` on the thread finishes it first
 * and shows its reply, marked as recovered, before the new message's turn; `--json` carries it.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { runWorker } from '../store/workers.js';
import { SessionWorker } from '../store/session-workers.js';
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

  it('run after a message to a waiting person that a dead worker left unsaved: it is taken in, and how to answer is said once', async () => {
    const db = join(mkdtempSync(join(tmpdir(), 'switchboard-recovered-')), 'threads.sqlite');
    const desk = join(REPO_ROOT, 'examples/desk.yaml');
    for (const message of ['My invoice is wrong', 'I want a person']) expect((await runCli(['run', desk, '--db', db, '--thread', 'cut-wait', '-m', message])).code).toBe(0);
    // The worker dies once the message's input is saved, before the checkpoint that takes it in.
    const doomed = await SessionWorker.start({ db, tree: desk });
    try {
      const killed = doomed.turn({ thread: 'cut-wait', message: 'hello? anyone there?', messageId: 'm3', crashAfterWrite: 1 });
      expect((await doomed.nextEvent()).event).toBe('crashing');
      await expect(killed).rejects.toThrow(/exited/);
    } finally {
      await doomed.close();
    }
    const { code, stdout } = await runCli(['run', desk, '--db', db, '--thread', 'cut-wait', '-m', 'still waiting']);
    expect(code).toBe(0);
    const lines = stdout.toString().trimEnd().split('\n');
    expect(lines[0]).toBe('↻ recovered: turn 3 was cut short by a failure and is taken in now (it waits for person)');
    expect(lines.filter((line) => line.startsWith('waiting for person.'))).toHaveLength(1);
  });
});
