/**
 * Threads across a checkpointer: which ones wait for a person.
 */
import type { BaseCheckpointSaver } from '@langchain/langgraph';
import type { SwitchboardGraph } from '../graphs/compile.js';
import type { EscalationRequest } from '../nodes/human.js';
import { pendingEscalations } from './turn.js';

/** The escalations waiting for a person, newest thread first (all threads, or the ones named). */
export async function listWaitingThreads(graph: SwitchboardGraph, saver: BaseCheckpointSaver, threadIds?: string[]): Promise<EscalationRequest[]> {
  const ids = threadIds ?? (await listThreadIds(saver));
  const waiting: EscalationRequest[] = [];
  for (const threadId of ids) waiting.push(...(await pendingEscalations(graph, threadId)));
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
