/**
 * Threads across a checkpointer: which ones wait for a person.
 */
import type { BaseCheckpointSaver } from '@langchain/langgraph';
import type { SwitchboardGraph } from '../graphs/compile.js';
import type { EscalationRequest } from '../nodes/human.js';
import { runtimeOf } from '../graphs/compile.js';
import { pendingEscalations } from './turn.js';

/**
 * The escalations of this graph's tree waiting for a person, newest thread first (all threads, or
 * the ones named). Threads of other trees in the same store are left out.
 */
export async function listWaitingThreads(graph: SwitchboardGraph, saver: BaseCheckpointSaver, threadIds?: string[]): Promise<EscalationRequest[]> {
  const ids = threadIds ?? (await listThreadIds(saver));
  const tree = runtimeOf(graph).tree.name;
  const waiting: EscalationRequest[] = [];
  for (const threadId of ids) {
    const threadTree = ((await saver.getTuple({ configurable: { thread_id: threadId, checkpoint_ns: '' } }))?.checkpoint.channel_values as { tree?: unknown } | undefined)?.tree;
    if (threadTree !== undefined && threadTree !== tree) continue;
    waiting.push(...(await pendingEscalations(graph, threadId)));
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
