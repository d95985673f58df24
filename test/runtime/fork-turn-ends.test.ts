/**
 * Which turns a fork can start from, and what it is told of those it cannot: a turn whose request
 * for approval the user's next message withdrew never had an end (it is not a turn the store
 * dropped), and a turn that ends while the fork reads the thread is found.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { BaseCheckpointSaver } from '@langchain/langgraph';
import { describe, expect, it } from 'vitest';
import { loadTree } from '../../config/load.js';
import { compileTree } from '../../graphs/compile.js';
import { forkThread, listTurnCheckpoints, threadAtTurn } from '../../runtime/fork.js';
import { runTurn } from '../../runtime/turn.js';
import type { Checkpointer } from '../../store/checkpointer.js';
import { MemoryLedger } from '../../store/ledger.js';
import { createExampleTools } from '../../tools/examples.js';
import { compileExample, examplePath, fakeOpenAIForFile, viaFakeOpenAI } from '../helpers.js';
import { storeKinds, withStore } from '../store/stores.js';

const server = await fakeOpenAIForFile();
const kinds = storeKinds(mkdtempSync(`${tmpdir()}/switchboard-fork-ends-`));

/** The support tree with the escalation manager behind an approval gate, every turn kept. */
async function gatedSupport(store: Checkpointer) {
  const tools = createExampleTools({ ledger: new MemoryLedger() });
  const tree = await loadTree(examplePath('support'), { tools });
  tree.spec.agents.escalation_manager!.approval = 'required';
  return compileTree(tree, { tools, checkpointer: store.saver, threadLock: store.threadLock, retention: 'all', sleep: async () => {}, ...viaFakeOpenAI(server) });
}

/**
 * The store's saver, whose next listing of a thread's checkpoints runs `meanwhile` once it has read
 * them and before it hands them out: what the thread's own turn writes then is not in it.
 */
function listingBefore(saver: BaseCheckpointSaver): { saver: BaseCheckpointSaver; next: (meanwhile: () => Promise<unknown>) => void } {
  let pending: (() => Promise<unknown>) | undefined;
  const proxy = new Proxy(saver, {
    get(target, property) {
      if (property === 'list' && pending) {
        const meanwhile = pending;
        pending = undefined;
        return async function* (...args: Parameters<BaseCheckpointSaver['list']>) {
          const tuples = [];
          for await (const tuple of target.list(...args)) tuples.push(tuple);
          await meanwhile();
          yield* tuples;
        };
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { saver: proxy, next: (meanwhile) => (pending = meanwhile) };
}

describe.each(Object.keys(kinds) as (keyof typeof kinds)[])('forkThread and the ends of turns on %s', (kind) => {
  it('says a turn whose request for approval was withdrawn has no end (not that the store dropped it), and which turns to fork from', async () => {
    await withStore(kinds[kind], async (store) => {
      const graph = await gatedSupport(store);
      const threadId = `fork-ends-${randomUUID()}`;
      server.enqueue({ toolCalls: [{ name: 'transfer_to_billing', arguments: { reason: 'double charge' } }] }, { content: 'I see both charges.' });
      await runTurn(graph, { threadId, message: 'I was charged twice on my invoice' });
      server.enqueue({ toolCalls: [{ name: 'escalate_to_manager', arguments: { reason: 'customer disputes the rest' } }] });
      expect(await runTurn(graph, { threadId, message: 'get me a manager' })).toMatchObject({ status: 'waiting', waitingFor: { type: 'approval' } });
      server.enqueue({ content: 'Anything else?' });
      expect(await runTurn(graph, { threadId, message: 'never mind' })).toMatchObject({ status: 'done', turn: 3 });

      expect((await listTurnCheckpoints(graph, threadId)).map((entry) => entry.turn)).toEqual([1, 3]);
      await expect(forkThread(graph, { threadId, turn: 2 })).rejects.toMatchObject({
        code: 'TURN_UNFINISHED',
        message: `Turn 2 of thread ${threadId} has no end to fork from: it waited for a person to approve a handoff, and ended when the user wrote again before anyone decided (the request was withdrawn). Fork from turn 3 (or turn 1).`,
      });
      expect((await forkThread(graph, { threadId, turn: 3 })).state.turn.number).toBe(3);
    });
  });

  it('finds the end of a turn that ends between its reads of the thread', async () => {
    await withStore(kinds[kind], async (store) => {
      const { graph } = await compileExample('support', { checkpointer: store.saver, threadLock: store.threadLock, model: 'offline', retention: 'all' });
      const slow = listingBefore(store.saver);
      const { graph: reader } = await compileExample('support', { checkpointer: slow.saver, threadLock: store.threadLock, journal: store.journal, model: 'offline', retention: 'all' });
      const threadId = `fork-ends-${randomUUID()}`;
      await runTurn(graph, { threadId, message: 'I was charged twice on my invoice' });
      // The list of turn ends is read while turn 2 runs; turn 2 has ended when the latest checkpoint is read.
      slow.next(() => runTurn(graph, { threadId, message: 'And can I get a refund for it?' }));
      const atTwo = await threadAtTurn(reader, threadId, 2);
      expect(atTwo).toMatchObject({ turn: 2, status: 'done' });
      expect(atTwo.state.messages.filter((message) => message.type === 'human')).toHaveLength(2);
    });
  });
});
