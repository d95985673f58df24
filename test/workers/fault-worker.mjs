// A worker process for the lock-loss tests: runs turns against a shared PostgreSQL (built code
// only), told what to do on stdin (one JSON command a line), reporting on stdout (one JSON event a
// line). Its issue_refund can hold mid-turn, so a test can break the store at that very moment.
// Usage: node test/workers/fault-worker.mjs '<json job>'
// job: { db, tree, lock?: { heartbeatMs?, waitMs? }, lockConnections?, lockPool?: pg.PoolConfig }
// commands:
//   { op: 'turn', id, thread, message, messageId, hold? }   hold (of issue_refund):
//       'after'  records the refund, then holds until the turn's signal aborts (the hold is lost);
//       'before' holds until the signal aborts, then until { op: 'go', id }, then records;
//       'go'     holds until { op: 'go', id }, then records;
//       'then-go' records, then holds until { op: 'go', id }.
//   { op: 'go', id }   { op: 'report' } (every checkpointer write this worker attempted)   { op: 'exit' }
// events: ready, turn-start, refund-asked, hold-lost, refund-recorded, refund-refused, write-start (a
// checkpointer write sent), turn-end, report (each with `at`, ms since the epoch)
import { createInterface } from 'node:readline';
import { setTimeout } from 'node:timers';
import { tool } from '@langchain/core/tools';
import { compileTree, createExampleTools, FENCE_KEY, getToolContext, loadTree, openCheckpointer, runTurn } from '../../dist/index.js';

const job = JSON.parse(process.argv[2]);
const emit = (event) => process.stdout.write(`${JSON.stringify({ ...event, at: Date.now() })}\n`);
const HOLD_LIMIT_MS = 120_000; // a hold never outlives a broken test

const store = await openCheckpointer(job.db, {
  lock: { policy: 'wait', ...job.lock },
  ...(job.lockConnections ? { lockConnections: job.lockConnections } : {}),
  ...(job.lockPool ? { lockPool: job.lockPool } : {}),
});

// Every write this worker sends to the checkpointer, with the fencing token it carried and its outcome.
const writes = [];
const saver = store.saver;
for (const method of ['put', 'putWrites']) {
  const original = saver[method].bind(saver);
  saver[method] = async (config, ...args) => {
    const configurable = config.configurable ?? {};
    const entry = {
      method,
      thread: configurable.thread_id,
      token: configurable[FENCE_KEY]?.token ?? null,
      ...(method === 'put' ? { checkpointId: args[0].id, parentId: configurable.checkpoint_id ?? null } : { checkpointId: configurable.checkpoint_id, taskId: args[1] }),
      startedAt: Date.now(),
    };
    writes.push(entry);
    emit({ event: 'write-start', thread: entry.thread, method });
    try {
      const result = await original(config, ...args);
      entry.ok = true;
      return result;
    } catch (error) {
      entry.ok = false;
      entry.error = error.code ?? error.name;
      throw error;
    } finally {
      entry.endedAt = Date.now();
    }
  };
}

const turns = new Map(); // thread → the turn command running on it
const goes = new Map(); // turn id → resolve its 'go'
const gone = new Set(); // turn ids whose 'go' came before their hold
const goSignal = (id) => (gone.delete(id) ? Promise.resolve() : new Promise((resolve) => goes.set(id, resolve)));
const aborted = (signal) =>
  new Promise((resolve) => {
    if (!signal) return;
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
const limit = () => new Promise((resolve) => setTimeout(resolve, HOLD_LIMIT_MS).unref());

const tools = createExampleTools({ ledger: store.ledger });
const refund = tools.issue_refund;
tools.issue_refund = tool(
  async (args, config) => {
    const context = getToolContext(config);
    const turn = turns.get(context.threadId);
    const id = turn?.id;
    emit({ event: 'refund-asked', id, key: context.idempotencyKey });
    const record = async () => {
      try {
        // The example tool's own function, without the turn's signal (which LangChain's invoke would
        // race): like a tool that ignores it, it reaches the store, and the event says what the store
        // answered. The turn itself still stops when its signal aborts (this tool is invoked with it).
        const output = await refund.func(args, undefined, { ...config, signal: undefined });
        emit({ event: 'refund-recorded', id, key: context.idempotencyKey, replayed: String(output).includes('already recorded') });
        return output;
      } catch (error) {
        emit({ event: 'refund-refused', id, key: context.idempotencyKey, name: error.name, code: error.code ?? null, message: error.message });
        throw error;
      }
    };
    if (turn?.hold === 'after') {
      const output = await record();
      await Promise.race([aborted(context.signal), limit()]);
      emit({ event: 'hold-lost', id, aborted: context.signal?.aborted ?? false });
      return output;
    }
    if (turn?.hold === 'before') {
      await Promise.race([aborted(context.signal), limit()]);
      emit({ event: 'hold-lost', id, aborted: context.signal?.aborted ?? false });
      await goSignal(id);
      return record();
    }
    if (turn?.hold === 'go') await goSignal(id);
    if (turn?.hold === 'then-go') {
      const output = await record();
      await goSignal(id);
      return output;
    }
    return record();
  },
  { name: refund.name, description: refund.description, schema: refund.schema },
);

const tree = await loadTree(job.tree, { tools });
// Every checkpoint is kept, so a test can check the whole chain of each thread for forks.
const graph = compileTree(tree, { tools, checkpointer: store.saver, threadLock: store.threadLock, model: 'offline', retention: 'all', sleep: async () => {} });

async function runOne(command) {
  turns.set(command.thread, command);
  const startedAt = Date.now();
  emit({ event: 'turn-start', id: command.id });
  try {
    const result = await runTurn(graph, { threadId: command.thread, message: command.message, messageId: command.messageId });
    emit({ event: 'turn-end', id: command.id, startedAt, result: { status: result.status, replayed: result.replayed, messageId: result.messageId, agent: result.agent, error: result.error ?? null } });
  } catch (error) {
    emit({
      event: 'turn-end',
      id: command.id,
      startedAt,
      error: { name: error.name, code: error.code ?? null, messageId: error.messageId ?? null, threadId: error.threadId ?? null, saved: error.saved ?? null, message: error.message },
    });
  } finally {
    if (turns.get(command.thread) === command) turns.delete(command.thread);
  }
}

const running = new Set();
emit({ event: 'ready' });
for await (const line of createInterface({ input: process.stdin })) {
  if (line.trim() === '') continue;
  const command = JSON.parse(line);
  if (command.op === 'turn') {
    const turn = runOne(command);
    running.add(turn);
    void turn.finally(() => running.delete(turn));
  } else if (command.op === 'go') {
    const go = goes.get(command.id);
    if (go) go();
    else gone.add(command.id);
    goes.delete(command.id);
  } else if (command.op === 'report') {
    emit({ event: 'report', writes });
  } else if (command.op === 'exit') {
    break;
  }
}
await Promise.allSettled([...running]);
await store.close();
process.stdin.destroy(); // the parent may keep its end open
