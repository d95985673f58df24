// Soak worker: serves turns of many sessions (threads shared with another worker) against PostgreSQL,
// with model faults injected at random (seeded). A turn that fails with a store error (the test kills
// lock sessions) is sent again with the same message id, as a caller would. Prints one JSON line of
// what it sent and saw.
// job: { db, tree, threads: string[], turns: number, worker: string, seed: number, faultRate: number, applicationName? }
import { buildOfflineRules, compileTree, createExampleTools, loadTree, OfflineChatModel, openCheckpointer, runTurn } from '../../dist/index.js';
import { FaultyChatModel } from '../../dist/testing.js';
import { setTimeout as sleep } from 'node:timers/promises';

const job = JSON.parse(process.argv[2]);
const store = await openCheckpointer(job.db, { lock: { policy: 'wait', waitMs: 120_000 }, pool: { application_name: job.applicationName ?? 'switchboard-soak' } });
const tools = createExampleTools({ ledger: store.ledger });
const tree = await loadTree(job.tree, { tools });
let seed = job.seed;
const faults = [{ status: 500 }, { status: 429, headers: { 'retry-after': '0' } }, 'timeout', 'empty'];
const graph = compileTree(tree, {
  tools,
  checkpointer: store.saver,
  threadLock: store.threadLock,
  sleep: async () => {},
  model: ({ agent }) => new FaultyChatModel(new OfflineChatModel(buildOfflineRules(tree.spec, agent)), faults[seed % faults.length], { rate: job.faultRate, seed: seed++ }),
});
const prompts = ['I was charged twice and I need a refund', 'my webhook returns 502', 'can I get a demo of the enterprise plan', 'I want a refund for INV-1001 please', 'thanks, that is all'];
const sent = [];
const outcomes = {};
let resends = 0;
const count = (key) => (outcomes[key] = (outcomes[key] ?? 0) + 1);
const tasks = [];
for (const [index, thread] of job.threads.entries()) {
  tasks.push(
    (async () => {
      for (let turn = 0; turn < job.turns; turn += 1) {
        const message = `${prompts[(index + 2 * turn + (job.worker === 'A' ? 0 : 1)) % prompts.length]} [${job.worker}#${turn}]`;
        const messageId = `${job.worker}:${thread}:${turn}`;
        sent.push({ thread, message, messageId });
        for (let attempt = 0; ; attempt += 1) {
          try {
            const result = await runTurn(graph, { threadId: thread, messageId, message, fields: { customer_id: thread } });
            count(result.replayed ? `${result.status} (replayed)` : result.status);
            break;
          } catch (error) {
            count(error.code ?? 'thrown');
            const retry = (error.code === 'STORE_UNAVAILABLE' || error.code === 'LOCK_LOST') && attempt < 20;
            if (!retry) break;
            resends += 1;
            await sleep(50 * (attempt + 1));
          }
        }
      }
    })(),
  );
}
await Promise.all(tasks);
await store.close();
process.stdout.write(`${JSON.stringify({ sent, outcomes, resends })}\n`);
