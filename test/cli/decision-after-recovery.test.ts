/**
 * `switchboard approve|deny|resume` after the run of an earlier decision was cut short (a lost lock,
 * a dead worker): the same decision prints that turn, finished now (exit 0); the other decision is
 * refused (exit 2) after printing it, and `--json` carries it beside the error.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from '@langchain/langgraph';
import { describe, expect, it, vi } from 'vitest';
import { loadTree } from '../../config/load.js';
import { compileTree } from '../../graphs/compile.js';
import { pendingApprovals } from '../../runtime/approval.js';
import { runTurn } from '../../runtime/turn.js';
import { openCheckpointer } from '../../store/checkpointer.js';
import { createExampleTools } from '../../tools/examples.js';
import { runCli } from './run-cli.js';

// Each command is a separate Node process (a few seconds on a busy machine).
vi.setConfig({ testTimeout: 120_000 });

const TREE = 'test/fixtures/trees/gated-desk.yaml';

/** A SQLite file whose thread's handoff to the person was approved by ana, its run then stopped before the person's step (as a worker that died there leaves it). */
async function approvedThenCut(thread: string): Promise<string> {
  const db = join(mkdtempSync(join(tmpdir(), 'switchboard-decision-after-recovery-')), 'threads.sqlite');
  const store = await openCheckpointer(db);
  try {
    const tools = createExampleTools({ ledger: store.ledger });
    const graph = compileTree(await loadTree(TREE, { tools }), { tools, checkpointer: store.saver, threadLock: store.threadLock, model: 'offline' });
    await runTurn(graph, { threadId: thread, message: 'My invoice is wrong' });
    expect((await runTurn(graph, { threadId: thread, message: 'I want a person' })).waitingFor).toMatchObject({ type: 'approval' });
    const [request] = await pendingApprovals(graph, thread);
    await graph.invoke(new Command({ resume: { approved: true, operator: 'ana', toolCallId: request!.toolCallId } }), { configurable: { thread_id: thread }, interruptBefore: ['person'] } as never);
  } finally {
    await store.close();
  }
  return db;
}

const RECOVERED = '↻ recovered: turn 2 was cut short by a failure and is taken in now (it waits for person)';

describe('a decision after its own run was cut short', () => {
  it('approve again prints the finished turn and how to answer it, exit 0', async () => {
    const db = await approvedThenCut('cut-approve');
    const approved = await runCli(['approve', TREE, '--db', db, '--thread', 'cut-approve', '--operator', 'ana']);
    expect(approved).toMatchObject({ code: 0, stderr: '' });
    const lines = approved.stdout.toString().trimEnd().split('\n');
    expect(lines[0]).toBe(RECOVERED);
    expect(lines[1]).toMatch(/^↪ billing → person \(escalate, transfer_to_person\)/);
    expect(lines.slice(2).join('\n')).toContain('waiting for person. Answer as the person with:');
  });

  it('deny prints the finished turn, then refuses saying it was approved, exit 2; --json carries both', async () => {
    const db = await approvedThenCut('cut-deny');
    const denied = await runCli(['deny', TREE, '--db', db, '--thread', 'cut-deny']);
    expect(denied.code).toBe(2);
    expect(denied.stdout.toString().split('\n')[0]).toBe(RECOVERED);
    expect(denied.stderr).toBe(
      "error NOTHING_PENDING: Thread cut-deny is not waiting for an approval: billing → person was approved by ana in turn 2, a decision saved before a failure cut its run short and carried out first. That turn's result is printed above.\n",
    );

    const json = await runCli(['deny', TREE, '--db', await approvedThenCut('cut-json'), '--thread', 'cut-json', '--json']);
    expect(json.code).toBe(2);
    const lines = json.stdout.toString().trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({
      error: { code: 'NOTHING_PENDING', message: expect.stringContaining('billing → person was approved by ana in turn 2') as string },
      recovered: { turn: 2, status: 'waiting', agent: 'person', waitingFor: { type: 'escalation', agent: 'person' } },
    });
  });

  it("--json words the refusal as the CLI does, saying where the recovered turn is, not the library's error's `recovered`", async () => {
    const json = await runCli(['deny', TREE, '--db', await approvedThenCut('cut-words'), '--thread', 'cut-words', '--json']);
    const message =
      "Thread cut-words is not waiting for an approval: billing → person was approved by ana in turn 2, a decision saved before a failure cut its run short and carried out first. That turn's result is the `recovered` printed with this error.";
    expect(json).toMatchObject({ code: 2, stderr: `error NOTHING_PENDING: ${message}\n` });
    expect((JSON.parse(json.stdout.toString()) as { error: unknown }).error).toEqual({ code: 'NOTHING_PENDING', message });
  });
});
