// A worker process for multi-process tests: runs turns against a shared store, built code only.
// Usage: node test/workers/turn-worker.mjs '<json job>'
// job: { db, tree, model: 'offline'|'openai', baseURL?, thread, messages: string[], crashAfter?: toolName,
//        recover?: boolean, lock?: 'wait'|'reject', fields? }
import { tool } from '@langchain/core/tools';
import { compileTree, createExampleTools, getToolContext, loadTree, openCheckpointer, recoverThread, runTurn } from '../../dist/index.js';

const job = JSON.parse(process.argv[2]);
const store = await openCheckpointer(job.db, { lock: { policy: job.lock ?? 'wait', waitMs: 60_000 } });
const tools = createExampleTools({ ledger: store.ledger });
if (job.crashAfter) {
  const real = tools[job.crashAfter];
  tools[job.crashAfter] = tool(
    async (args, config) => {
      const output = await real.invoke(args, config);
      // The side effect is recorded; die before the turn's checkpoint is written.
      process.stdout.write(`${JSON.stringify({ crashing: true, key: getToolContext(config).idempotencyKey })}\n`);
      process.kill(process.pid, 'SIGKILL');
      return output;
    },
    { name: real.name, description: real.description, schema: real.schema },
  );
}
const tree = await loadTree(job.tree, { tools });
const env = job.baseURL ? { OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: job.baseURL } : {};
const graph = compileTree(tree, { tools, checkpointer: store.saver, threadLock: store.threadLock, model: job.model ?? 'offline', env, sleep: async () => {} });
const results = [];
try {
  if (job.recover) results.push({ recovered: (await recoverThread(graph, job.thread)) ?? null });
  for (const message of job.messages ?? []) {
    try {
      const result = await runTurn(graph, { threadId: job.thread, message, fields: job.fields });
      results.push({ message, agent: result.agent, reply: result.reply, status: result.status, error: result.error ?? null });
    } catch (error) {
      results.push({ message, thrown: error.code ?? error.name, text: error.message });
    }
  }
} finally {
  await store.close();
}
process.stdout.write(`${JSON.stringify({ results })}\n`);
