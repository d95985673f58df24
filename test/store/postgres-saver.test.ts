/**
 * The batched PostgreSQL saver against LangGraph's own, on the real database: the same calls must
 * leave the same rows (so either saver reads what the other wrote), in one statement each.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HumanMessage } from '@langchain/core/messages';
import type { RunnableConfig } from '@langchain/core/runnables';
import type { ChannelVersions, Checkpoint, CheckpointMetadata, PendingWrite } from '@langchain/langgraph-checkpoint';
import { PostgresSaver } from '@langchain/langgraph-checkpoint-postgres';
import type { BaseCheckpointSaver } from '@langchain/langgraph';
import pg from 'pg';
import { openCheckpointer } from '../../store/checkpointer.js';
import { BatchedPostgresSaver } from '../../store/postgres-saver.js';
import { runTurn } from '../../runtime/turn.js';
import { compileExample } from '../helpers.js';
import { PG_URL, uniqueThread } from './workers.js';

// A channel name with what a PostgreSQL array literal must quote. (Not a backslash: LangGraph's
// own reads cast channel names to bytea, where a backslash is an escape.)
const ODD = 'we"ird,{chan} \'x\'';

let pool: pg.Pool;
let stock: PostgresSaver;
let batched: BatchedPostgresSaver;
const threads: string[] = [];

beforeAll(async () => {
  pool = new pg.Pool({ connectionString: PG_URL, max: 4 });
  stock = new PostgresSaver(pool);
  batched = new BatchedPostgresSaver(pool);
  await stock.setup();
});
afterAll(async () => {
  for (const table of ['checkpoints', 'checkpoint_blobs', 'checkpoint_writes']) await pool.query(`DELETE FROM ${table} WHERE thread_id = ANY($1)`, [threads]);
  await pool.end();
});

function thread(prefix: string): string {
  const id = uniqueThread(prefix);
  threads.push(id);
  return id;
}

function checkpoint(id: string, values: Record<string, unknown>, versions: ChannelVersions): Checkpoint {
  return { v: 4, id, ts: '2026-11-21T10:00:00.000Z', channel_values: values, channel_versions: versions, versions_seen: { agent: { messages: 1 } } };
}

const metadata = (step: number): CheckpointMetadata => ({ source: 'loop', step, parents: {} });
const at = (threadId: string, checkpointId?: string): RunnableConfig => ({ configurable: { thread_id: threadId, checkpoint_ns: '', checkpoint_id: checkpointId } });

/** A conversation's worth of calls, with the edge cases: an empty channel, repeated special writes, re-put checkpoints. */
async function script(saver: BaseCheckpointSaver, threadId: string): Promise<void> {
  const first = checkpoint('c1', { messages: [new HumanMessage({ content: 'I was charged twice', id: 'm1' })], [ODD]: 'odd value' }, { messages: 1, [ODD]: 1, gone: 1 });
  // `gone` has a version but no value: stored as an empty blob.
  await saver.put(at(threadId), first, metadata(-1), { messages: 1, [ODD]: 1, gone: 1 });
  const c1 = at(threadId, 'c1');
  await saver.putWrites(c1, [['messages', [new HumanMessage('hello')]], [ODD, 'y']], 'task-1');
  // Special channels only: replaced, and of two in one batch the last is kept.
  await saver.putWrites(c1, [['__error__', { message: 'a' }], ['__error__', { message: 'b' }]], 'task-2');
  // Mixed: kept as first written, and of two interrupts in one batch the first.
  await saver.putWrites(c1, [['messages', 'first'], ['__interrupt__', 'i1'], ['__interrupt__', 'i2']], 'task-3');
  await saver.putWrites(c1, [['__error__', { message: 'before' }]], 'task-5');
  await saver.putWrites(c1, [['__error__', { message: 'replaced' }]], 'task-5');
  await saver.putWrites(c1, [['messages', 'second']], 'task-1');
  await saver.putWrites(c1, [] as PendingWrite[], 'task-4');
  // The same checkpoint again: its metadata is replaced.
  await saver.put(at(threadId), first, { ...metadata(-1), source: 'input' }, { messages: 1 });
  const second = checkpoint('c2', { messages: [new HumanMessage({ content: 'I was charged twice', id: 'm1' }), new HumanMessage('again')], [ODD]: 'odd value' }, { messages: 2, [ODD]: 1, gone: 1 });
  await saver.put(c1, second, metadata(0), { messages: 2 });
}

type Row = Record<string, unknown>;

async function rows(threadId: string): Promise<{ checkpoints: Row[]; blobs: Row[]; writes: Row[] }> {
  const read = async (table: string, order: string) =>
    (await pool.query<Row>(`SELECT * FROM ${table} WHERE thread_id = $1 ORDER BY ${order}`, [threadId])).rows.map(({ thread_id: _thread, ...row }) => row);
  return {
    checkpoints: await read('checkpoints', 'checkpoint_id'),
    blobs: await read('checkpoint_blobs', 'channel, version'),
    writes: await read('checkpoint_writes', 'checkpoint_id, task_id, idx'),
  };
}

describe('BatchedPostgresSaver', () => {
  it('leaves exactly the rows LangGraph’s PostgresSaver leaves for the same calls', async () => {
    const [a, b] = [thread('stock'), thread('batched')];
    await script(stock, a);
    await script(batched, b);
    const [expected, actual] = [await rows(a), await rows(b)];
    expect(actual).toEqual(expected);
    // The script reached every case it means to.
    expect(expected.checkpoints).toHaveLength(2);
    expect(expected.blobs.map((row) => [row.channel, row.type])).toContainEqual(['gone', 'empty']);
    const written = (task: string, channel: string) =>
      expected.writes.filter((row) => row.task_id === task && row.channel === channel).map((row) => JSON.parse(Buffer.from(row.blob as Buffer).toString()) as unknown);
    expect(written('task-2', '__error__')).toEqual([{ message: 'b' }]);
    expect(written('task-5', '__error__')).toEqual([{ message: 'replaced' }]);
    expect(written('task-3', '__interrupt__')).toEqual(['i1']);
    expect(written('task-1', 'messages')).toHaveLength(1);
  });

  it('reads back through either saver', async () => {
    const id = thread('cross');
    await script(batched, id);
    const [byStock, byBatched] = [await stock.getTuple(at(id)), await batched.getTuple(at(id))];
    expect(byStock?.checkpoint.id).toBe('c2');
    expect(byStock?.checkpoint.channel_values[ODD]).toBe('odd value');
    expect((byStock?.checkpoint.channel_values.messages as HumanMessage[]).map((message) => message.content)).toEqual(['I was charged twice', 'again']);
    expect(byBatched).toEqual(byStock);
    const history = [];
    for await (const tuple of stock.list({ configurable: { thread_id: id } })) history.push([tuple.checkpoint.id, tuple.metadata?.source, tuple.pendingWrites?.length ?? 0]);
    expect(history).toEqual([
      ['c2', 'loop', 0],
      ['c1', 'input', 6],
    ]);
  });

  it('writes a checkpoint whole or not at all', async () => {
    const id = thread('atomic');
    // PostgreSQL text cannot hold NUL: the second channel's row fails, and the first must not stay.
    const broken = checkpoint('c1', { fine: 'a', 'bad\u0000': 'b' }, { fine: 1, 'bad\u0000': 1 });
    await expect(batched.put(at(id), broken, metadata(-1), { fine: 1, 'bad\u0000': 1 })).rejects.toThrow();
    expect(await rows(id)).toEqual({ checkpoints: [], blobs: [], writes: [] });
    await expect(batched.putWrites(at(id, 'c1'), [['fine', 'a'], ['bad\u0000', 'b']], 'task-1')).rejects.toThrow();
    expect((await rows(id)).writes).toEqual([]);
  });

  it('refuses a config without a thread or checkpoint id, before sending anything', async () => {
    const one = checkpoint('c1', { a: 1 }, { a: 1 });
    await expect(batched.put({ configurable: {} }, one, metadata(-1), { a: 1 })).rejects.toThrow('Cannot store a checkpoint: the config has no configurable.thread_id.');
    await expect(batched.putWrites({}, [['a', 1]], 'task-1')).rejects.toThrow('Cannot store writes: the config has no configurable.thread_id.');
    await expect(batched.putWrites(at(thread('no-checkpoint')), [['a', 1]], 'task-1')).rejects.toThrow('Cannot store writes: the config has no configurable.checkpoint_id.');
  });

  it('sends each checkpoint and each batch of writes as one statement', async () => {
    // Every statement any connection of this pool sends is counted.
    const counting = new pg.Pool({ connectionString: PG_URL, max: 2 });
    let statements = 0;
    counting.on('connect', (client) => {
      const query = client.query.bind(client) as (...args: unknown[]) => unknown;
      client.query = ((...args: unknown[]) => {
        statements += 1;
        return query(...args);
      }) as typeof client.query;
    });
    try {
      const count = async (body: () => Promise<unknown>) => {
        statements = 0;
        await body();
        return statements;
      };
      const three = checkpoint('c1', { a: 1, b: 2, c: 3 }, { a: 1, b: 1, c: 1 });
      const writes: PendingWrite[] = [['a', 1], ['b', 2], ['c', 3]];
      const [forStock, forBatched] = [new PostgresSaver(counting), new BatchedPostgresSaver(counting)];
      const [a, b] = [thread('trips-stock'), thread('trips-batched')];
      // LangGraph's saver: BEGIN, one INSERT per channel, the checkpoint, COMMIT.
      expect(await count(() => forStock.put(at(a), three, metadata(-1), { a: 1, b: 1, c: 1 }))).toBe(6);
      expect(await count(() => forBatched.put(at(b), three, metadata(-1), { a: 1, b: 1, c: 1 }))).toBe(1);
      expect(await count(() => forStock.putWrites(at(a, 'c1'), writes, 'task-1'))).toBe(5);
      expect(await count(() => forBatched.putWrites(at(b, 'c1'), writes, 'task-1'))).toBe(1);
      expect(await rows(b)).toEqual(await rows(a));
    } finally {
      await counting.end();
    }
  });

  it('is the store openCheckpointer opens, and LangGraph’s saver continues its threads', async () => {
    const id = thread('switch');
    const store = await openCheckpointer(PG_URL);
    try {
      expect(store.saver).toBeInstanceOf(BatchedPostgresSaver);
      const { graph } = await compileExample('support', { checkpointer: store.saver, threadLock: store.threadLock, model: 'offline' });
      const first = await runTurn(graph, { threadId: id, message: 'I was charged twice on my invoice' });
      expect([first.status, first.agent]).toEqual(['done', 'billing']);
      // The same thread on LangGraph's own saver: same state, and the next turn goes to the owner.
      const { graph: onStock } = await compileExample('support', { checkpointer: stock, model: 'offline' });
      const config = { configurable: { thread_id: id } };
      expect((await onStock.getState(config)).values).toEqual((await graph.getState(config)).values);
      const second = await runTurn(onStock, { threadId: id, message: 'and the refund?' });
      expect([second.status, second.agent, second.turn]).toEqual(['done', 'billing', 2]);
    } finally {
      await store.close();
    }
  });
});
