/**
 * A bounded soak: 50 sessions served by two worker processes at once against PostgreSQL, with model
 * faults injected at random, and lock loss: while they run, the test kills the database sessions
 * that hold the workers' thread locks. A turn that fails is sent again with its message id.
 * Afterwards every thread must be intact: no message lost or duplicated, every side effect once.
 */
import { describe, expect, it } from 'vitest';
import type { AIMessage, ToolMessage } from '@langchain/core/messages';
import { loadTree } from '../../config/load.js';
import { compileTree } from '../../graphs/compile.js';
import { openCheckpointer } from '../../store/checkpointer.js';
import { recoverThread } from '../../runtime/turn.js';
import { createExampleTools } from '../../tools/examples.js';
import { PostgresLedger } from '../../store/ledger.js';
import { wholeConversation, examplePath } from '../helpers.js';
import { PG_URL, runWorker, uniqueThread, withPool } from './workers.js';

const SESSIONS = 50;
const TURNS_PER_WORKER = 2;

/** Kills, every `everyMs`, one database session of `applicationName` that holds an advisory (thread) lock. */
function killLockSessions(applicationName: string, everyMs: number): { stop(): Promise<number> } {
  let killed = 0;
  let stopped = false;
  const running = withPool(async (pool) => {
    while (!stopped) {
      await new Promise((resolve) => setTimeout(resolve, everyMs));
      const { rows } = await pool.query<{ killed: boolean }>(
        `SELECT pg_terminate_backend(a.pid) AS killed FROM pg_stat_activity a
         WHERE a.application_name = $1 AND EXISTS (SELECT 1 FROM pg_locks l WHERE l.pid = a.pid AND l.locktype = 'advisory' AND l.granted)
         LIMIT 1`,
        [applicationName],
      );
      killed += rows.filter((row) => row.killed).length;
    }
  });
  return {
    async stop() {
      stopped = true;
      await running;
      return killed;
    },
  };
}

describe('soak: 50 sessions × 2 worker processes, PostgreSQL, injected model faults and lock loss', () => {
  it('loses and duplicates no message, leaves no tool call unanswered, and records each side effect once', async () => {
    const tree = examplePath('support');
    const threads = Array.from({ length: SESSIONS }, () => uniqueThread('soak'));
    const applicationName = uniqueThread('soak').slice(0, 40);
    const started = Date.now();
    const chaos = killLockSessions(applicationName, 150);
    const runs = await Promise.all(
      ['A', 'B'].map((worker, index) =>
        runWorker('soak-worker.mjs', { db: PG_URL, tree, threads, turns: TURNS_PER_WORKER, worker, seed: 1000 * (index + 1), faultRate: 0.15, applicationName }),
      ),
    );
    const lockSessionsKilled = await chaos.stop();
    const seconds = (Date.now() - started) / 1000;
    expect(runs.map((run) => [run.code, run.stderr])).toEqual([
      [0, ''],
      [0, ''],
    ]);
    const sent = runs.flatMap((run) => run.output.sent as { thread: string; message: string }[]);
    const resends = runs.reduce((total, run) => total + Number(run.output.resends ?? 0), 0);
    expect(sent).toHaveLength(SESSIONS * TURNS_PER_WORKER * 2);

    const store = await openCheckpointer(PG_URL);
    let lost = 0;
    let duplicated = 0;
    let unanswered = 0;
    let recovered = 0;
    let refundCalls = 0;
    const refundCallKeys = new Set<string>();
    try {
      const tools = createExampleTools();
      const graph = compileTree(await loadTree(tree, { tools }), { tools, checkpointer: store.saver, model: 'offline' });
      for (const thread of threads) {
        // A caller that gave up on a message leaves its turn unfinished: the sweep an operator runs
        // (or the thread's next message) finishes it.
        if (await recoverThread(graph, thread)) recovered += 1;
        const messages = await wholeConversation(graph, thread);
        const humans = messages.filter((message) => message.type === 'human').map((message) => message.text);
        for (const { message } of sent.filter((entry) => entry.thread === thread)) {
          const count = humans.filter((text) => text === message).length;
          if (count === 0) lost += 1;
          if (count > 1) duplicated += count - 1;
        }
        const calls = messages.flatMap((message) => (message.type === 'ai' ? ((message as AIMessage).tool_calls ?? []) : []));
        const answered = new Set(messages.filter((message) => message.type === 'tool').map((message) => (message as ToolMessage).tool_call_id));
        const missing = calls.filter((call) => !answered.has(call.id ?? ''));
        unanswered += missing.length;
        for (const message of messages) {
          if (message.type === 'tool' && (message as ToolMessage).name === 'issue_refund' && (message as ToolMessage).status !== 'error') {
            refundCalls += 1;
            refundCallKeys.add(`${thread}:${(message as ToolMessage).tool_call_id}`);
          }
        }
      }
    } finally {
      await store.close();
    }
    const refunds = (await withPool((pool) => new PostgresLedger(pool).list('refund'))).filter((effect) => threads.some((thread) => effect.key.startsWith(`${thread}:`)));
    const outcomes = runs.map((run) => run.output.outcomes);
    process.stderr.write(
      `soak: ${SESSIONS} sessions, ${sent.length} messages from 2 workers in ${seconds.toFixed(1)} s; lock sessions killed ${lockSessionsKilled}, resends ${resends}; outcomes ${JSON.stringify(outcomes)}; unfinished turns recovered afterwards ${recovered}; lost ${lost}, duplicated ${duplicated}, unanswered tool calls ${unanswered}; refunds: ${refunds.length} ledger records for ${refundCalls} refund tool results (${refundCallKeys.size} distinct keys)\n`,
    );

    expect({ lost, duplicated, unanswered }).toEqual({ lost: 0, duplicated: 0, unanswered: 0 });
    expect(refundCalls).toBeGreaterThan(0);
    expect(lockSessionsKilled).toBeGreaterThan(0);
    expect(refunds.map((effect) => effect.key).sort()).toEqual([...refundCallKeys].sort());
  }, 300_000);
});
