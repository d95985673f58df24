/**
 * Many workers, one PostgreSQL: real worker processes (the built code) against the real database.
 * These tests fail — they do not skip — when PostgreSQL is not running (CI starts it).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AIMessage, BaseMessage, ToolMessage } from '@langchain/core/messages';
import { loadTree } from '../../config/load.js';
import { compileTree } from '../../graphs/compile.js';
import pg from 'pg';
import { openCheckpointer } from '../../store/checkpointer.js';
import { createPostgresThreadLock } from '../../store/postgres-thread-lock.js';
import { runTurn } from '../../runtime/turn.js';
import { startFakeOpenAI } from '../../testing/fake-openai-server.js';
import type { FakeOpenAIServer } from '../../testing/fake-openai-server.js';
import { createExampleTools } from '../../tools/examples.js';
import { PostgresLedger } from '../../store/ledger.js';
import { wholeConversation, examplePath } from '../helpers.js';
import { startTcpProxy } from './tcp-proxy.js';
import { PG_URL, runWorker, uniqueThread, withPool } from './workers.js';

const SUPPORT = examplePath('support');

let server: FakeOpenAIServer;
beforeAll(async () => {
  server = await startFakeOpenAI();
});
afterAll(async () => {
  await server.close();
});

async function threadMessages(thread: string): Promise<BaseMessage[]> {
  const store = await openCheckpointer(PG_URL);
  try {
    const tools = createExampleTools();
    const graph = compileTree(await loadTree(SUPPORT, { tools }), { tools, checkpointer: store.saver, model: 'offline' });
    return await wholeConversation(graph, thread);
  } finally {
    await store.close();
  }
}

describe('PostgreSQL: many workers, one database', () => {
  it('runs its migrations once when several workers start at the same time', async () => {
    const database = `sb_setup_${Date.now()}`;
    await withPool((pool) => pool.query(`CREATE DATABASE ${database}`));
    const url = PG_URL.replace(/\/[^/]*$/, `/${database}`);
    try {
      const runs = await Promise.all(Array.from({ length: 4 }, () => runWorker('turn-worker.mjs', { db: url, tree: SUPPORT, thread: 'none', messages: [] })));
      expect(runs.map((run) => [run.code, run.stderr])).toEqual(Array.from({ length: 4 }, () => [0, '']));
      const versions = await withPool(async (pool) => (await pool.query<{ v: number }>('SELECT v FROM checkpoint_migrations ORDER BY v')).rows.map((row) => row.v), url);
      expect(versions).toEqual([...new Set(versions)]);
      expect(versions.length).toBeGreaterThan(0);
    } finally {
      await withPool((pool) => pool.query(`DROP DATABASE ${database} WITH (FORCE)`));
    }
  });

  it('lets another worker continue a thread; the next turn goes to the owning agent', async () => {
    const thread = uniqueThread('continue');
    const first = await runWorker('turn-worker.mjs', { db: PG_URL, tree: SUPPORT, thread, messages: ['My webhook returns 502 every 10 minutes'] });
    const second = await runWorker('turn-worker.mjs', { db: PG_URL, tree: SUPPORT, thread, messages: ['it is still failing'] });
    expect(first.output.results?.[0]).toMatchObject({ agent: 'technical', status: 'done' });
    expect(second.output.results?.[0]).toMatchObject({ agent: 'technical', status: 'done' });
  });

  it('a worker killed (SIGKILL) after a refund ran: another worker finishes the turn and the refund happens once', async () => {
    const thread = uniqueThread('crash');
    server.enqueue(
      { toolCalls: [{ name: 'transfer_to_billing', arguments: { reason: 'refund' } }] },
      { toolCalls: [{ name: 'issue_refund', arguments: { invoice_id: 'INV-CRASH', amount: 42 } }] },
      { content: 'Your $42 refund is on its way.' },
    );
    const crashed = await runWorker('turn-worker.mjs', { db: PG_URL, tree: SUPPORT, thread, model: 'openai', baseURL: server.url, crashAfter: 'issue_refund', messages: ['Refund my $42 please'] });
    expect(crashed.signal).toBe('SIGKILL');
    const key = (JSON.parse(crashed.stdout.split('\n')[0] ?? '{}') as { key?: string }).key;
    expect(key).toMatch(new RegExp(`^${thread}:call_`));

    const recovered = await runWorker('turn-worker.mjs', { db: PG_URL, tree: SUPPORT, thread, model: 'openai', baseURL: server.url, recover: true, messages: [] });
    expect(recovered.code).toBe(0);
    const recovery = recovered.output.results?.[0]?.recovered as { reply: string; agent: string } | null;
    expect(recovery).toMatchObject({ agent: 'billing', reply: 'Your $42 refund is on its way.' });

    const ledger = await withPool(async (pool) => new PostgresLedger(pool).list('refund'));
    expect(ledger.filter((effect) => effect.key.startsWith(`${thread}:`)).map((effect) => effect.key)).toEqual([key]);
    const messages = await threadMessages(thread);
    const refunds = messages.filter((message) => message.type === 'tool' && (message as ToolMessage).name === 'issue_refund');
    expect(refunds).toHaveLength(1);
    expect(refunds[0]?.text).toContain('(already recorded; not repeated)');
    expect(messages.at(-1)?.text).toBe('Your $42 refund is on its way.');
  });

  it('serialises messages sent at once to one thread from two processes: no message lost or duplicated, one linear history', async () => {
    const thread = uniqueThread('concurrent');
    const texts = (worker: string) => Array.from({ length: 12 }, (_, index) => `hello ${index} from ${worker}`);
    const runs = await Promise.all([
      runWorker('turn-worker.mjs', { db: PG_URL, tree: SUPPORT, thread, messages: texts('A') }),
      runWorker('turn-worker.mjs', { db: PG_URL, tree: SUPPORT, thread, messages: texts('B') }),
    ]);
    expect(runs.map((run) => run.code)).toEqual([0, 0]);
    expect(runs.flatMap((run) => run.output.results ?? []).every((result) => result.status === 'done')).toBe(true);

    const messages = await threadMessages(thread);
    const humans = messages.filter((message) => message.type === 'human').map((message) => message.text);
    expect([...humans].sort()).toEqual([...texts('A'), ...texts('B')].sort());
    // Linear: every user message is followed by its own answer before the next user message.
    expect(messages.map((message) => message.type)).toEqual(Array.from({ length: 24 }, () => ['human', 'ai']).flat());
    messages.forEach((message, index) => {
      if (message.type === 'ai') expect(message.text).toContain(`You said: “${messages[index - 1]?.text}”`);
    });
  });

  it('under the reject policy, a concurrent message fails with THREAD_BUSY and leaves no trace', async () => {
    const thread = uniqueThread('reject');
    const texts = (worker: string) => Array.from({ length: 10 }, (_, index) => `ping ${index} from ${worker}`);
    const runs = await Promise.all(['A', 'B'].map((worker) => runWorker('turn-worker.mjs', { db: PG_URL, tree: SUPPORT, thread, lock: 'reject', messages: texts(worker) })));
    const results = runs.flatMap((run) => run.output.results ?? []);
    const accepted = results.filter((result) => result.status === 'done').map((result) => result.message);
    const rejected = results.filter((result) => result.thrown === 'THREAD_BUSY').map((result) => result.message);
    expect(accepted.length + rejected.length).toBe(20);

    const humans = (await threadMessages(thread)).filter((message) => message.type === 'human').map((message) => message.text);
    expect([...humans].sort()).toEqual([...accepted].sort());
    for (const message of rejected) expect(humans).not.toContain(message);
  });

  it('the advisory lock: a second worker waits, times out with THREAD_BUSY, and leaves every session setting as it was', async () => {
    // Two workers' lock pools of one connection each, so the test reads the very sessions that locked.
    const pools = [0, 1].map(() => new pg.Pool({ connectionString: PG_URL, max: 1, statement_timeout: 15_000 }));
    const [first, second] = pools.map((pool) => createPostgresThreadLock(pool, { waitMs: 300 })) as [ReturnType<typeof createPostgresThreadLock>, ReturnType<typeof createPostgresThreadLock>];
    const settings = async (pool: pg.Pool) => (await pool.query<{ lock: string; statement: string }>('SELECT current_setting($1) AS lock, current_setting($2) AS statement', ['lock_timeout', 'statement_timeout'])).rows[0];
    // A hostile thread id is a literal, never SQL.
    const thread = `${uniqueThread('lock')}'); SELECT pg_sleep(5); --`;
    try {
      const before = await settings(pools[1]!);
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      let entered!: () => void;
      const inside = new Promise<void>((resolve) => (entered = resolve));
      const holding = first.withLock(thread, async () => {
        entered();
        await held;
        return 'first';
      });
      await inside;
      await expect(second.withLock(thread, async () => 'second')).rejects.toMatchObject({ name: 'ThreadBusyError', code: 'THREAD_BUSY' });
      expect(await settings(pools[1]!)).toEqual(before);

      // While the first turn runs, its lock is held in the database, under the thread's key.
      const locks = await pools[1]!.query<{ count: string }>(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND ((classid::bigint << 32) | objid::bigint) = hashtextextended($1, 0)",
        [`switchboard:thread:${thread}`],
      );
      expect(locks.rows[0]?.count).toBe('1');
      release();
      expect(await holding).toBe('first');
      expect(await settings(pools[0]!)).toEqual(before);
      // Released: the second worker gets the thread at once, and its settings are restored after.
      expect(await second.withLock(thread, async () => 'second')).toBe('second');
      expect(await settings(pools[1]!)).toEqual(before);
      const { rows } = await pools[0]!.query<{ count: string }>("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()");
      expect(rows[0]?.count).toBe('0');
    } finally {
      await Promise.all(pools.map((pool) => pool.end()));
    }
  });

  it('a database that goes away fails the affected turn clearly, and the next turn works once it is back', async () => {
    const proxy = await startTcpProxy(Number(new URL(PG_URL).port || 5432));
    const url = new URL(PG_URL);
    url.port = String(proxy.port);
    const store = await openCheckpointer(url.toString(), { pool: { connectionTimeoutMillis: 2_000 } });
    try {
      const tools = createExampleTools({ ledger: store.ledger });
      const graph = compileTree(await loadTree(SUPPORT, { tools }), { tools, checkpointer: store.saver, threadLock: store.threadLock, model: 'offline' });
      const thread = uniqueThread('outage');
      expect((await runTurn(graph, { threadId: thread, message: 'I was charged twice on my invoice' })).status).toBe('done');

      proxy.down();
      await expect(runTurn(graph, { threadId: thread, message: 'are you there?' })).rejects.toMatchObject({
        name: 'StoreError',
        code: 'STORE_UNAVAILABLE',
        saved: 'nothing',
        messageId: expect.any(String),
        message: expect.stringMatching(
          /^The thread store failed during a turn on outage-.*\. Nothing of this turn was saved\. Send the message again with the same messageId \(.+\) once the store is back: it is never added twice, and an unfinished turn is finished\.$/,
        ),
      });

      proxy.up();
      const next = await runTurn(graph, { threadId: thread, message: 'hello again' });
      expect(next).toMatchObject({ status: 'done', agent: 'billing' });
      expect(next.state.messages.filter((message) => message.type === 'human').map((message) => message.text)).toEqual(['I was charged twice on my invoice', 'hello again']);
      const calls = next.state.messages.flatMap((message) => (message.type === 'ai' ? ((message as AIMessage).tool_calls ?? []).map((call) => call.id) : []));
      const answers = next.state.messages.filter((message) => message.type === 'tool').map((message) => (message as ToolMessage).tool_call_id);
      expect(answers.sort()).toEqual(calls.sort());
    } finally {
      await store.close();
      await proxy.close();
    }
  });

  it('takes ids at the limit in any script (1,024 UTF-8 bytes): two turns, a resend and a fork, every index entry fits', async () => {
    const store = await openCheckpointer(PG_URL);
    try {
      const tools = createExampleTools();
      const graph = compileTree(await loadTree(SUPPORT, { tools }), { tools, checkpointer: store.saver, threadLock: store.threadLock, model: 'offline' });
      const thread = `${uniqueThread('ids')}-${'漢'.repeat(330)}`.slice(0, 341);
      const messageId = '😀'.repeat(256);
      expect(Buffer.byteLength(thread, 'utf8')).toBeLessThanOrEqual(1024);
      const first = await runTurn(graph, { threadId: thread, messageId, message: 'I was charged twice on my invoice' });
      expect(first).toMatchObject({ status: 'done', agent: 'billing' });
      expect(await runTurn(graph, { threadId: thread, messageId, message: 'I was charged twice on my invoice' })).toMatchObject({ replayed: true, reply: first.reply });
      expect(await runTurn(graph, { threadId: thread, messageId: `${'ü'.repeat(511)}.`, message: 'and again' })).toMatchObject({ status: 'done' });
      const { forkThread } = await import('../../runtime/fork.js');
      expect((await forkThread(graph, { threadId: thread, turn: 2 })).threadId).toMatch(/-fork-/);
    } finally {
      await store.close();
    }
  });
});
