/**
 * `approve` and `deny` exit as `run` does: 1 when the turn that follows the decision fails (here the
 * model the next agent answers with cannot be reached), with the turn's error line; 0 otherwise; 2
 * for a decision the command cannot make (a --reason or --operator over its limit), as for any
 * mistake in the command.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { runCli } from './run-cli.js';

// Each command is a separate Node process (a few seconds on a busy machine).
vi.setConfig({ testTimeout: 120_000 });

/** Every agent runs offline until $BROKEN_API_KEY is set; then billing and lead call a model nothing serves. */
const TREE = 'test/cli/fixtures/gated-broken-model.yaml';
const BROKEN = { BROKEN_API_KEY: 'sk-test' };

/** A thread waiting for a person to approve billing → lead, reached offline. */
async function waitingThread(db: string, thread: string): Promise<void> {
  await runCli(['run', TREE, '--db', db, '--thread', thread, '-m', 'I was charged twice on my invoice']);
  const paused = await runCli(['run', TREE, '--db', db, '--thread', thread, '--json', '-m', 'I want the manager']);
  expect(JSON.parse(paused.stdout.toString())).toMatchObject({ status: 'waiting', waitingFor: { type: 'approval', from: 'billing', to: 'lead' } });
}

describe('approve and deny when the turn after the decision fails', () => {
  it('exit 1 with the turn error, as run does', async () => {
    const db = join(mkdtempSync(join(tmpdir(), 'switchboard-decision-')), 'threads.sqlite');
    await waitingThread(db, 'd1');
    const approved = await runCli(['approve', TREE, '--db', db, '--thread', 'd1'], { env: BROKEN });
    expect(approved.stdout.toString()).toMatch(/^error MODEL_FAILED: /m);
    expect(approved.code).toBe(1);

    await waitingThread(db, 'd2');
    const denied = await runCli(['deny', TREE, '--db', db, '--thread', 'd2', '--reason', 'no', '--json'], { env: BROKEN });
    expect(JSON.parse(denied.stdout.toString())).toMatchObject({ status: 'error', error: { code: 'MODEL_FAILED' } });
    expect(denied.code).toBe(1);

    // The same message through run fails the same way.
    const run = await runCli(['run', TREE, '--db', db, '--thread', 'd2', '-m', 'my invoice again'], { env: BROKEN });
    expect(run.code).toBe(1);
  });

  it('exit 0 when it does not', async () => {
    const db = join(mkdtempSync(join(tmpdir(), 'switchboard-decision-')), 'threads.sqlite');
    await waitingThread(db, 'd3');
    const approved = await runCli(['approve', TREE, '--db', db, '--thread', 'd3']);
    expect(approved.stdout.toString()).toContain('lead: [offline] Lead here.');
    expect(approved.code).toBe(0);
  });
});

describe('approve and deny with a --reason or --operator over its limit', () => {
  it("exit 2 with the limit in the command's terms, before any turn, and the thread still waits", async () => {
    const db = join(mkdtempSync(join(tmpdir(), 'switchboard-decision-')), 'threads.sqlite');
    await waitingThread(db, 'd4');
    const denied = await runCli(['deny', TREE, '--db', db, '--thread', 'd4', '--reason', 'x'.repeat(2_001)]);
    expect(denied).toMatchObject({
      code: 2,
      stderr: 'error INVALID_DECISION: --reason has 2001 characters; the limit is 2000. Shorten it and run deny again.\n',
    });
    expect(denied.stdout.toString()).toBe('');

    const approved = await runCli(['approve', TREE, '--db', db, '--thread', 'd4', '--operator', 'o'.repeat(201), '--json']);
    expect(approved.code).toBe(2);
    expect(JSON.parse(approved.stdout.toString())).toEqual({
      error: { code: 'INVALID_DECISION', message: '--operator has 201 characters; the limit is 200. Shorten it and run approve again.' },
    });

    const decided = await runCli(['approve', TREE, '--db', db, '--thread', 'd4', '--operator', 'Dana']);
    expect(decided.stdout.toString()).toContain('lead: [offline] Lead here.');
    expect(decided.code).toBe(0);
  });
});
