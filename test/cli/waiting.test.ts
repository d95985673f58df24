/**
 * A message sent while the thread waits for a person: the turn reported is the new one, with no
 * handoff of an earlier turn, and `pending` shows the person's thread as it is now.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { runCli } from './run-cli.js';

// Each command is a separate Node process (a few seconds on a busy machine).
vi.setConfig({ testTimeout: 120_000 });

const DESK = 'examples/desk.yaml';

interface TurnJson {
  turn: number;
  status: string;
  agent: string;
  handoffs: { from: string; to: string }[];
  waitingFor: { agent: string; from: string; turn: number } | null;
}

describe('switchboard run --json on a thread waiting for a person', () => {
  it('reports the new turn, without the earlier escalation, and pending no longer names the agent that escalated', async () => {
    const db = join(mkdtempSync(join(tmpdir(), 'switchboard-waiting-')), 'threads.sqlite');
    const run = async (message: string) =>
      JSON.parse((await runCli(['run', DESK, '--db', db, '--thread', 'w1', '--json', '-m', message])).stdout.toString()) as TurnJson;
    await run('I was charged twice on my invoice');
    const escalated = await run('I want to talk to a person');
    expect(escalated).toMatchObject({
      turn: 2,
      status: 'waiting',
      agent: 'person',
      handoffs: [{ from: 'billing', to: 'person' }],
      waitingFor: { turn: 2, from: 'billing' },
    });

    const again = await run('Hello? Is anyone there?');
    expect(again).toMatchObject({ turn: 3, status: 'waiting', agent: 'person', handoffs: [] });
    expect(again.waitingFor?.turn).toBe(again.turn);
    expect(again.waitingFor?.from).not.toBe('billing');

    const pending = await runCli(['pending', DESK, '--db', db, '--json']);
    const [request] = JSON.parse(pending.stdout.toString()) as { threadId: string; from: string; turn: number }[];
    expect(request).toMatchObject({ threadId: 'w1', turn: 3 });
    expect(request?.from).not.toBe('billing');
    const text = await runCli(['pending', DESK, '--db', db]);
    expect(text.stdout.toString()).not.toContain('from billing');
  });
});
