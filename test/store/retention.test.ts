import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BaseCheckpointSaver, MemorySaver } from '@langchain/langgraph';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { loadTree } from '../../config/load.js';
import { SwitchboardError } from '../../errors/switchboard-error.js';
import { compileTree } from '../../graphs/compile.js';
import type { CompileOptions } from '../../graphs/compile.js';
import { openCheckpointer } from '../../store/checkpointer.js';
import { pendingEscalations, resumeThread, runTurn } from '../../runtime/turn.js';
import { captureLogs } from '../../testing/capture-logs.js';
import { newThread } from '../helpers.js';
import { OtherSaver } from './stores.js';
import { PG_URL, withPool } from './workers.js';

const DESK = new URL('../../examples/desk.yaml', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'switchboard-retention-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The offline desk: "charged" goes to billing, "person" from billing to a person. */
async function desk(options: CompileOptions = {}) {
  const logs = captureLogs('debug');
  return { graph: compileTree(await loadTree(DESK), { env: {}, logger: logs.logger, ...options }), logs };
}

async function checkpointCount(saver: BaseCheckpointSaver, threadId: string): Promise<number> {
  let count = 0;
  for await (const _ of saver.list({ configurable: { thread_id: threadId } })) count += 1;
  return count;
}

async function threeTurns(graph: Awaited<ReturnType<typeof desk>>['graph'], threadId: string) {
  await runTurn(graph, { threadId, message: 'I was charged twice' });
  await runTurn(graph, { threadId, message: 'and my invoice is wrong' });
  return runTurn(graph, { threadId, message: 'the refund is for May' });
}

describe('checkpoint retention', () => {
  it('keeps only the newest checkpoint by default, and the thread goes on whole', async () => {
    const saver = new MemorySaver();
    const { graph } = await desk({ checkpointer: saver });
    const { threadId, config } = newThread();
    const result = await threeTurns(graph, threadId);

    expect(result).toMatchObject({ status: 'done', agent: 'billing', turn: 3 });
    expect(result.state.turn.path).toEqual(['billing']);
    expect(await checkpointCount(saver, threadId)).toBe(1);
    // Pending writes of dropped checkpoints go with them.
    const kept = Object.keys(saver.storage[threadId]?.[''] ?? {});
    const writeIds = Object.keys(saver.writes)
      .map((key) => JSON.parse(key) as string[])
      .filter(([thread]) => thread === threadId)
      .map(([, , checkpointId]) => checkpointId);
    // At most the first message's input, written against the new thread's empty checkpoint (never
    // stored, so nothing names it): a constant, not a growth.
    expect(writeIds.filter((id) => !kept.includes(id as string)).length).toBeLessThanOrEqual(1);
    const state = await graph.getState(config);
    expect(state.values.messages.filter((message: { type: string }) => message.type === 'human')).toHaveLength(3);
    expect(state.values.usage.total.modelCalls).toBe(result.sessionUsage.total.modelCalls);
  });

  it("keeps LangGraph's whole history with retention 'all', and a given number otherwise", async () => {
    const all = new MemorySaver();
    const three = new MemorySaver();
    const { threadId } = newThread();
    await threeTurns((await desk({ checkpointer: all, retention: 'all' })).graph, threadId);
    await threeTurns((await desk({ checkpointer: three, retention: 3 })).graph, threadId);

    expect(await checkpointCount(all, threadId)).toBeGreaterThanOrEqual(7);
    expect(await checkpointCount(three, threadId)).toBe(3);
  });

  it('prunes one thread without touching another', async () => {
    const saver = new MemorySaver();
    const { graph } = await desk({ checkpointer: saver });
    const first = newThread().threadId;
    const second = newThread().threadId;
    await runTurn(graph, { threadId: first, message: 'I was charged twice' });
    await runTurn(graph, { threadId: second, message: 'I was charged twice' });
    await runTurn(graph, { threadId: first, message: 'and my invoice is wrong' });

    expect(await checkpointCount(saver, first)).toBe(1);
    expect(await checkpointCount(saver, second)).toBe(1);
    expect((await graph.getState({ configurable: { thread_id: second } })).values.activeAgent).toBe('billing');
  });

  it('keeps an escalation waiting for a person answerable', async () => {
    const saver = new MemorySaver();
    const { graph } = await desk({ checkpointer: saver });
    const { threadId } = newThread();
    await runTurn(graph, { threadId, message: 'I was charged twice' });
    const waiting = await runTurn(graph, { threadId, message: 'I want a person' });
    expect(waiting).toMatchObject({ status: 'waiting', agent: 'person' });
    expect(await checkpointCount(saver, threadId)).toBe(1);
    expect(await pendingEscalations(graph, threadId)).toHaveLength(1);

    const resumed = await resumeThread(graph, threadId, { reply: 'Refunded the second charge.', handBackTo: 'billing' });
    expect(resumed).toMatchObject({ status: 'done', reply: 'Refunded the second charge.' });
    const next = await runTurn(graph, { threadId, message: 'thanks, and my invoice?' });
    expect(next.state.turn.path[0]).toBe('billing');
    expect(await checkpointCount(saver, threadId)).toBe(1);
  });

  it('sees a change made to the thread outside runTurn since its last turn', async () => {
    const { graph } = await desk();
    const { threadId, config } = newThread();
    await runTurn(graph, { threadId, message: 'I was charged twice' });
    // Backend code moves the conversation by hand (LangGraph's own API, not a Switchboard turn).
    await graph.updateState(config, { activeAgent: 'triage' });

    const next = await runTurn(graph, { threadId, message: 'hello again' });
    expect(next.state.turn.path[0]).toBe('triage');
  });

  it('rejects a retention it cannot honour', async () => {
    const tree = await loadTree(DESK);
    for (const retention of [0, -1, 1.5]) {
      expect(() => compileTree(tree, { env: {}, retention })).toThrow(SwitchboardError);
    }
    expect(() => compileTree(tree, { env: {}, retention: 2, checkpointer: new OtherSaver() })).toThrow(/MemorySaver, SqliteSaver or PostgresSaver.*retention: 'all'/);
  });

  it('keeps everything with a checkpointer it does not know, unless told otherwise', async () => {
    const saver = new OtherSaver();
    const { graph } = await desk({ checkpointer: saver });
    const { threadId } = newThread();
    const result = await threeTurns(graph, threadId);
    expect(result).toMatchObject({ status: 'done', agent: 'billing' });
    expect(await checkpointCount(saver, threadId)).toBeGreaterThanOrEqual(7);
  });

  it('prunes SQLite rows of the thread only', async () => {
    const file = join(dir, 'threads.sqlite');
    const store = await openCheckpointer(file);
    const { graph } = await desk({ checkpointer: store.saver, threadLock: store.threadLock });
    const kept = newThread().threadId;
    const { threadId } = newThread();
    await runTurn((await desk({ checkpointer: store.saver, retention: 'all' })).graph, { threadId: kept, message: 'I was charged twice' });
    const result = await threeTurns(graph, threadId);
    await store.close();

    expect(result).toMatchObject({ status: 'done', agent: 'billing', turn: 3 });
    const db = new Database(file, { readonly: true });
    const count = (sql: string, id: string) => (db.prepare(sql).get(id) as { n: number }).n;
    expect(count('SELECT COUNT(*) AS n FROM checkpoints WHERE thread_id = ?', threadId)).toBe(1);
    expect(count('SELECT COUNT(*) AS n FROM writes WHERE thread_id = ? AND checkpoint_id NOT IN (SELECT checkpoint_id FROM checkpoints WHERE thread_id = writes.thread_id)', threadId)).toBe(0);
    expect(count('SELECT COUNT(*) AS n FROM checkpoints WHERE thread_id = ?', kept)).toBeGreaterThan(1);
    db.close();
  });

  it('prunes PostgreSQL checkpoints, writes and blobs, and another worker continues the thread', async () => {
    const store = await openCheckpointer(PG_URL);
    const { threadId } = newThread();
    try {
      const { graph } = await desk({ checkpointer: store.saver, threadLock: store.threadLock });
      await threeTurns(graph, threadId);
      const rows = await withPool(async (pool) => {
        const count = async (sql: string) => Number((await pool.query<{ n: string }>(sql, [threadId])).rows[0]?.n);
        return {
          checkpoints: await count('SELECT COUNT(*) AS n FROM checkpoints WHERE thread_id = $1'),
          strayWrites: await count('SELECT COUNT(*) AS n FROM checkpoint_writes w WHERE thread_id = $1 AND NOT EXISTS (SELECT 1 FROM checkpoints c WHERE c.thread_id = w.thread_id AND c.checkpoint_id = w.checkpoint_id)'),
          blobs: await count('SELECT COUNT(*) AS n FROM checkpoint_blobs WHERE thread_id = $1'),
          channels: await count("SELECT COUNT(*) AS n FROM checkpoints c, jsonb_object_keys(c.checkpoint -> 'channel_versions') WHERE thread_id = $1"),
        };
      });
      expect(rows.checkpoints).toBe(1);
      expect(rows.strayWrites).toBe(0);
      // One blob at most per channel of the kept checkpoint (some values live inline).
      expect(rows.blobs).toBeGreaterThan(0);
      expect(rows.blobs).toBeLessThanOrEqual(rows.channels);

      // A second worker (its own compiled graph, nothing cached) reads the pruned thread whole.
      const other = await desk({ checkpointer: store.saver, threadLock: store.threadLock });
      const next = await runTurn(other.graph, { threadId, message: 'one more thing about the refund' });
      expect(next).toMatchObject({ status: 'done', agent: 'billing', turn: 4 });
      expect(next.state.messages.filter((message) => message.type === 'human')).toHaveLength(4);
    } finally {
      await store.close();
    }
  });
});

