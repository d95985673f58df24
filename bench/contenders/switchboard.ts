/**
 * Switchboard: the tree in bench/desk.yaml, loaded, linted and compiled, run the way backend code
 * runs it (`runTurn`: thread lock, recovery check, durable checkpoint, typed result), from the
 * build users install (bench/build.ts).
 */
import { fileURLToPath } from 'node:url';
import type { CompileOptions } from '../../graphs/compile.js';
import { switchboard } from '../build.js';
import { BILLING_REPLY } from '../workload.js';
import type { ContenderFactory } from '../workload.js';
import { FakeChatModel } from './fake-chat-model.js';
import { openStore } from './stores.js';

export const DESK_TREE = fileURLToPath(new URL('../desk.yaml', import.meta.url));

export function switchboardContender(name: string, compileOptions: Partial<CompileOptions> = {}): ContenderFactory {
  return async (options) => {
    const { compileTree, loadTree, openCheckpointer, runTurn } = switchboard;
    const tree = await loadTree(DESK_TREE);
    const store = await openStore(name, options, openCheckpointer);
    let graph = compile();
    function compile() {
      return compileTree(tree, { models: { fake: new FakeChatModel(options.modelDelayMs) }, checkpointer: store.saver, threadLock: store.threadLock, ...compileOptions });
    }
    return {
      name,
      async send(sessionId, text) {
        const result = await runTurn(graph, { threadId: sessionId, message: text });
        if (result.reply !== BILLING_REPLY || result.agent !== 'billing') throw new Error(`${name}: unexpected turn result ${result.status} ${result.agent}: ${result.reply}`);
        return result.reply;
      },
      bytesKept: (sessionId) => store.bytesKept(sessionId),
      async reset() {
        await store.reset();
        graph = compile();
      },
      close: () => store.close(),
    };
  };
}

export const create = switchboardContender('switchboard');
