/**
 * `resume` exits as `run`, `approve` and `deny` do: 1 when its turn fails, with the error line on
 * stderr (and, with --json, the error object on stdout); nothing of the reply is kept, so the same
 * command answers the thread once the cause is gone.
 *
 * A person's reply runs no model (a hand-back only names the next owner; the agent answers the
 * user's next message), so what fails a resumed turn is the store under it: here another connection
 * holds the SQLite file's write lock for longer than the store waits for it (its busy timeout, 5 s).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it, vi } from 'vitest';
import { runCli } from './run-cli.js';

// Each command is a separate Node process (a few seconds on a busy machine).
vi.setConfig({ testTimeout: 120_000 });

const DESK = 'examples/desk.yaml';

/** A thread waiting for the person, reached offline. */
async function waitingThread(db: string, thread: string): Promise<void> {
  await runCli(['run', DESK, '--db', db, '--thread', thread, '-m', 'I was charged twice on my invoice']);
  const paused = await runCli(['run', DESK, '--db', db, '--thread', thread, '--json', '-m', 'I want to talk to a person']);
  expect(JSON.parse(paused.stdout.toString())).toMatchObject({ status: 'waiting', waitingFor: { type: 'escalation', agent: 'person' } });
}

/** Runs `body` while another connection holds the SQLite file's write lock (as a process stuck mid-write would). */
async function whileWriteLocked<T>(db: string, body: () => Promise<T>): Promise<T> {
  const holder = new Database(db);
  holder.exec('BEGIN IMMEDIATE');
  try {
    return await body();
  } finally {
    holder.exec('ROLLBACK');
    holder.close();
  }
}

describe('switchboard resume when its turn fails', () => {
  it('exits 1 with the turn error, as run does, and the thread still waits for the same answer', async () => {
    const db = join(mkdtempSync(join(tmpdir(), 'switchboard-resume-')), 'threads.sqlite');
    await Promise.all([waitingThread(db, 'r1'), waitingThread(db, 'r2')]);
    const reply = ['--reply', 'Hi, Dana here.', '--hand-back-to', 'billing'];

    const [text, json] = await whileWriteLocked(db, () =>
      Promise.all([
        runCli(['resume', DESK, '--db', db, '--thread', 'r1', ...reply]),
        runCli(['resume', DESK, '--db', db, '--thread', 'r2', '--json', ...reply]),
      ]),
    );
    const failure = (thread: string) =>
      `error STORE_UNAVAILABLE: The thread store failed during a turn on ${thread} (database is locked). The reply's turn was not finished. Reply again (npx switchboard resume) once the store is back: a reply saved before the failure is carried out first, never twice, and that turn is the result; a different reply, or one whose turn had finished, is refused (NOTHING_PENDING) saying when the person answered. The thread's next message also finishes that turn.\n`;
    expect(text).toMatchObject({ code: 1, stderr: failure('r1') });
    expect(text.stdout.toString()).toBe('');
    expect(json).toMatchObject({ code: 1, stderr: failure('r2') });
    expect(JSON.parse(json.stdout.toString())).toEqual({ error: { code: 'STORE_UNAVAILABLE', message: failure('r2').slice('error STORE_UNAVAILABLE: '.length, -1) } });

    // Nothing of the reply was kept: the thread still waits, and the same command answers it.
    const again = await runCli(['resume', DESK, '--db', db, '--thread', 'r1', ...reply]);
    expect(again).toMatchObject({ code: 0, stderr: '' });
    expect(again.stdout.toString()).toBe('person: Hi, Dana here.\n↪ person → billing (resume) {}\n');
  });
});
