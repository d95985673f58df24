/**
 * A bounded soak: 50 sessions served by two worker processes at once against PostgreSQL, with model
 * faults injected at random. Afterwards every thread must be intact.
 */
import { describe, expect, it } from 'vitest';
import type { AIMessage, BaseMessage, ToolMessage } from '@langchain/core/messages';
import { loadTree } from '../../config/load.js';
import { compileTree } from '../../graphs/compile.js';
import { openCheckpointer } from '../../store/checkpointer.js';
import { createExampleTools } from '../../tools/examples.js';
import { PostgresLedger } from '../../store/ledger.js';
import { examplePath } from '../helpers.js';
import { PG_URL, runWorker, uniqueThread, withPool } from './workers.js';

const SESSIONS = 50;
const TURNS_PER_WORKER = 2;

describe('soak: 50 sessions × 2 worker processes, PostgreSQL, injected model faults', () => {
  it('loses and duplicates no message, leaves no tool call unanswered, and records each side effect once', async () => {
    const tree = examplePath('support');
    const threads = Array.from({ length: SESSIONS }, () => uniqueThread('soak'));
    const started = Date.now();
    const runs = await Promise.all(
      ['A', 'B'].map((worker, index) => runWorker('soak-worker.mjs', { db: PG_URL, tree, threads, turns: TURNS_PER_WORKER, worker, seed: 1000 * (index + 1), faultRate: 0.15 })),
    );
    const seconds = (Date.now() - started) / 1000;
    expect(runs.map((run) => [run.code, run.stderr])).toEqual([
      [0, ''],
      [0, ''],
    ]);
    const sent = runs.flatMap((run) => run.output.sent as { thread: string; message: string }[]);
    expect(sent).toHaveLength(SESSIONS * TURNS_PER_WORKER * 2);

    const store = await openCheckpointer(PG_URL);
    let lost = 0;
    let duplicated = 0;
    let unanswered = 0;
    let refundCalls = 0;
    const refundCallKeys = new Set<string>();
    try {
      const tools = createExampleTools();
      const graph = compileTree(await loadTree(tree, { tools }), { tools, checkpointer: store.saver, model: 'offline' });
      for (const thread of threads) {
        const messages = ((await graph.getState({ configurable: { thread_id: thread } })).values as { messages?: BaseMessage[] }).messages ?? [];
        const humans = messages.filter((message) => message.type === 'human').map((message) => message.text);
        for (const { message } of sent.filter((entry) => entry.thread === thread)) {
          const count = humans.filter((text) => text === message).length;
          if (count === 0) lost += 1;
          if (count > 1) duplicated += count - 1;
        }
        const calls = messages.flatMap((message) => (message.type === 'ai' ? ((message as AIMessage).tool_calls ?? []) : []));
        const answered = new Set(messages.filter((message) => message.type === 'tool').map((message) => (message as ToolMessage).tool_call_id));
        unanswered += calls.filter((call) => !answered.has(call.id ?? '')).length;
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
      `soak: ${SESSIONS} sessions, ${sent.length} messages from 2 workers in ${seconds.toFixed(1)} s; outcomes ${JSON.stringify(outcomes)}; lost ${lost}, duplicated ${duplicated}, unanswered tool calls ${unanswered}; refunds: ${refunds.length} ledger records for ${refundCalls} refund tool results (${refundCallKeys.size} distinct keys)\n`,
    );

    expect({ lost, duplicated, unanswered }).toEqual({ lost: 0, duplicated: 0, unanswered: 0 });
    expect(refundCalls).toBeGreaterThan(0);
    expect(refunds.map((effect) => effect.key).sort()).toEqual([...refundCallKeys].sort());
  }, 300_000);
});
