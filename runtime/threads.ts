/**
 * Threads across a checkpointer: which ones wait for a person.
 */
import type { BaseCheckpointSaver } from '@langchain/langgraph';
import type { SwitchboardGraph } from '../graphs/compile.js';
import { runtimeOf } from '../graphs/compile.js';
import { waitingRequestsOf } from './approval.js';
import type { WaitingRequest } from './approval.js';

/**
 * What this graph's tree waits on from a person, newest thread first (all threads, or the ones
 * named): escalations to answer (`type: 'escalation'`) and handoffs to approve (`type: 'approval'`).
 * Threads of other trees in the same store are left out.
 */
export async function listWaitingThreads(graph: SwitchboardGraph, saver: BaseCheckpointSaver, threadIds?: string[]): Promise<WaitingRequest[]> {
  const ids = threadIds ?? (await listThreadIds(saver));
  const tree = runtimeOf(graph).tree.name;
  const waiting: WaitingRequest[] = [];
  for (const threadId of ids) {
    const threadTree = ((await saver.getTuple({ configurable: { thread_id: threadId, checkpoint_ns: '' } }))?.checkpoint.channel_values as { tree?: unknown } | undefined)?.tree;
    if (threadTree !== undefined && threadTree !== tree) continue;
    waiting.push(...waitingRequestsOf(await graph.getState({ configurable: { thread_id: threadId } })));
  }
  return waiting;
}

/** Every thread id the checkpointer holds (latest checkpoints first). */
export async function listThreadIds(saver: BaseCheckpointSaver): Promise<string[]> {
  const ids = new Set<string>();
  for await (const tuple of saver.list({})) {
    const id = tuple.config.configurable?.thread_id;
    if (typeof id === 'string') ids.add(id);
  }
  return [...ids];
}
