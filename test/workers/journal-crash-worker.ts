/**
 * A worker process that dies (SIGKILL) in the middle of a turn, for the journal's crash tests:
 * `after-checkpoint` dies when the turn's journal append starts (its last checkpoint is written,
 * its journal entries are not); `mid-turn` dies at the turn's second checkpoint. Runs the TypeScript
 * sources through tsx: `node --import tsx test/workers/journal-crash-worker.ts <db> <thread> <mode> <message>`.
 */
import { loadTree } from '../../config/load.js';
import { compileTree } from '../../graphs/compile.js';
import { runTurn } from '../../runtime/turn.js';
import { openCheckpointer } from '../../store/checkpointer.js';
import { createExampleTools } from '../../tools/examples.js';

const [db, threadId, mode, message] = process.argv.slice(2) as [string, string, 'after-checkpoint' | 'mid-turn' | 'none', string];
const store = await openCheckpointer(db);
const tools = createExampleTools({ ledger: store.ledger });
const tree = await loadTree(new URL('../../config/support.yaml', import.meta.url).pathname, { tools });
const graph = compileTree(tree, { tools, model: 'offline', checkpointer: store.saver });
const die = (): never => {
  process.kill(process.pid, 'SIGKILL');
  throw new Error('unreachable');
};
if (mode === 'after-checkpoint') store.journal.append = async () => die();
if (mode === 'mid-turn') {
  const put = store.saver.put.bind(store.saver);
  let puts = 0;
  store.saver.put = async (...args: Parameters<typeof put>) => {
    puts += 1;
    if (puts === 2) die();
    return put(...args);
  };
}
const result = await runTurn(graph, { threadId, message, messageId: `${threadId}:${message}` });
process.stdout.write(`${JSON.stringify({ status: result.status, turn: result.turn })}\n`);
await store.close();
