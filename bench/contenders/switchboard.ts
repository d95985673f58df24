/**
 * Switchboard: the tree in bench/desk.yaml, loaded, linted and compiled, run the way backend code
 * runs it (`runTurn`: thread lock, recovery check, durable checkpoint, typed result), from the
 * build users install (bench/build.ts). In memory it keeps each thread's journal (the transcript)
 * in memory too, as a graph compiled without a checkpointer does; with SQLite and PostgreSQL the
 * journal is the store's own (`openCheckpointer`). The journal is what lets the hot state stay
 * bounded (older messages leave the checkpoint once it holds them).
 */
import { fileURLToPath } from 'node:url';
import type { CompileOptions } from '../../graphs/compile.js';
import { hotTurns } from '../../state/window.js';
import { switchboard } from '../build.js';
import { BILLING_REPLY } from '../workload.js';
import type { ContenderFactory } from '../workload.js';
import { FakeChatModel } from './fake-chat-model.js';
import type { ChooseTool } from './fake-chat-model.js';
import { hotCheckpointBytes, openStore } from './stores.js';

export const DESK_TREE = fileURLToPath(new URL('../desk.yaml', import.meta.url));

type Tree = Awaited<ReturnType<typeof switchboard.loadTree>>;

/** Another workload than the desk: its tree, how the fake model picks a tool, who answers. */
export interface SwitchboardWorkload {
  tree: () => Promise<Tree>;
  choose?: ChooseTool;
  /** The agent that answers every turn. */
  answers: string;
}

export function switchboardContender(name: string, compileOptions: Partial<CompileOptions> = {}, workload?: SwitchboardWorkload): ContenderFactory {
  return async (options) => {
    const { compileTree, loadTree, openCheckpointer, runTurn, MemoryJournal } = switchboard;
    const tree = workload ? await workload.tree() : await loadTree(DESK_TREE);
    const answers = workload?.answers ?? 'billing';
    const store = await openStore(name, options, openCheckpointer);
    const window = hotTurns(tree.spec);
    let graph = compile();
    function compile() {
      const journal = options.store === 'memory' ? { journal: new MemoryJournal() } : {};
      const model = new FakeChatModel(options.modelDelayMs, [], undefined, workload?.choose);
      return compileTree(tree, { models: { fake: model }, checkpointer: store.saver, threadLock: store.threadLock, ...journal, ...compileOptions });
    }
    return {
      name,
      async send(sessionId, text) {
        const result = await runTurn(graph, { threadId: store.session(sessionId), message: text });
        if (result.reply !== BILLING_REPLY || result.agent !== answers) throw new Error(`${name}: unexpected turn result ${result.status} ${result.agent}: ${result.reply}`);
        return result.reply;
      },
      bytesKept: (sessionId) => store.bytesKept(sessionId),
      hotCheckpoint: (sessionId) => hotCheckpointBytes(store.saver, sessionId, window === 'all' ? Number.POSITIVE_INFINITY : window),
      async reset() {
        await store.reset();
        graph = compile();
      },
      close: () => store.close(),
    };
  };
}

export const create = switchboardContender('switchboard');
