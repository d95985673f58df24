// A long-lived worker process for multi-process tests, on the built code: it opens one store and
// compiles one graph, then runs the commands it reads on stdin (one JSON line each) and answers each
// on stdout (one JSON line, with the command's `id`). Spawned once, driven for many rounds.
// Usage: node test/workers/session-worker.mjs '<json job>'
// job: { db, tree, model?: 'offline'|'openai', baseURL?, lock?: { policy?, waitMs?, leaseMs? }, retention? }
// commands:
//   { id, op: 'turn', thread, message, messageId?, startAt?, pauseBefore?, pauseAfter?, crashAfter?, crashAfterWrite? }
//     startAt: a Date.now() to start at (a barrier shared by every worker of a round);
//     pauseBefore/pauseAfter: a tool name: the worker stops itself (SIGSTOP) before/after running it;
//     crashAfter: a tool name: the worker kills itself (SIGKILL) once the tool recorded its effect.
//     crashAfterWrite: a number n: the worker kills itself once the store took the turn's nth write.
//   { id, op: 'exit' }: closes the store and exits.
// Before stopping or dying the worker prints { event: 'pausing'|'crashing', key } (the tool call's
// idempotency key, or the write it died after). A turn's answer carries `writes`: the writes the store took.
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { tool } from '@langchain/core/tools';
import { compileTree, createExampleTools, getToolContext, loadTree, openCheckpointer, runTurn } from '../../dist/index.js';

const job = JSON.parse(process.argv[2]);
const store = await openCheckpointer(job.db, { lock: { policy: 'wait', waitMs: 60_000, ...job.lock } });
const tools = createExampleTools({ ledger: store.ledger });
let hooks = {};
const say = (line) => process.stdout.write(`${JSON.stringify(line)}\n`);
for (const [name, real] of Object.entries(tools)) {
  tools[name] = tool(
    async (args, config) => {
      const key = getToolContext(config).idempotencyKey;
      if (hooks.pauseBefore === name) {
        say({ event: 'pausing', key });
        process.kill(process.pid, 'SIGSTOP');
      }
      const output = await real.invoke(args, config);
      if (hooks.pauseAfter === name) {
        say({ event: 'pausing', key });
        process.kill(process.pid, 'SIGSTOP');
      }
      if (hooks.crashAfter === name) {
        // The side effect is recorded; die before the turn's checkpoint is written.
        say({ event: 'crashing', key });
        process.kill(process.pid, 'SIGKILL');
      }
      return output;
    },
    { name: real.name, description: real.description, schema: real.schema },
  );
}
// crashAfterWrite: die once the store has taken that many writes of the turn (checkpoints and
// pending writes, in the order LangGraph makes them): a crash at every point of a turn, in turn.
let writes = 0;
const counted = (name) => {
  const real = store.saver[name].bind(store.saver);
  store.saver[name] = async (...args) => {
    const result = await real(...args);
    writes += 1;
    if (hooks.crashAfterWrite === writes) {
      say({ event: 'crashing', key: `${name} ${writes}` });
      process.kill(process.pid, 'SIGKILL');
    }
    return result;
  };
};
counted('put');
counted('putWrites');
const tree = await loadTree(job.tree, { tools });
const env = job.baseURL ? { OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: job.baseURL } : {};
const graph = compileTree(tree, {
  tools,
  checkpointer: store.saver,
  threadLock: store.threadLock,
  model: job.model ?? 'offline',
  env,
  sleep: async () => {},
  ...(job.retention === undefined ? {} : { retention: job.retention }),
});

/** Waits until `startAt` (timers are coarse: sleep most of the way, then spin the last milliseconds). */
async function barrier(startAt) {
  if (startAt === undefined) return;
  const ahead = startAt - Date.now();
  if (ahead > 5) await sleep(ahead - 5);
  while (Date.now() < startAt);
}

async function runCommand(command) {
  hooks = {
    pauseBefore: command.pauseBefore,
    pauseAfter: command.pauseAfter,
    crashAfter: command.crashAfter,
    crashAfterWrite: command.crashAfterWrite,
  };
  writes = 0;
  await barrier(command.startAt);
  const started = Date.now();
  // How late this worker left the barrier (the sends of a round overlap within this).
  const skew = command.startAt === undefined ? 0 : started - command.startAt;
  try {
    const result = await runTurn(graph, { threadId: command.thread, message: command.message, messageId: command.messageId });
    return {
      status: result.status,
      replayed: result.replayed,
      messageId: result.messageId,
      agent: result.agent,
      reply: result.reply ?? null,
      error: result.error ?? null,
      ms: Date.now() - started,
      writes,
      skew,
    };
  } catch (error) {
    return {
      thrown: error.code ?? error.name,
      name: error.name,
      text: error.message,
      saved: error.saved ?? null,
      ms: Date.now() - started,
      writes,
      skew,
    };
  }
}

say({ ready: true, pid: process.pid });
// One command at a time, in order: a worker is one client sending its messages one after another.
let queue = Promise.resolve();
for await (const line of createInterface({ input: process.stdin })) {
  if (line.trim() === '') continue;
  const command = JSON.parse(line);
  if (command.op === 'exit') {
    await queue;
    await store.close();
    say({ id: command.id, closed: true });
    break;
  }
  queue = queue.then(async () => say({ id: command.id, ...(await runCommand(command)) }));
}
process.exit(0);
