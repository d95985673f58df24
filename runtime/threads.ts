/**
 * Threads across a checkpointer: which ones wait for a person.
 */
import type { BaseCheckpointSaver } from '@langchain/langgraph';
import type { SwitchboardGraph } from '../graphs/compile.js';
import { runtimeOf } from '../graphs/compile.js';
import { createCheckpointAdapter } from '../store/retention.js';
import { InputError } from '../errors/input-error.js';
import { checkId } from './turn.js';
import { waitingRequestsOf } from './waiting.js';
import type { WaitingRequest } from './waiting.js';

/**
 * What this graph's tree waits on from a person, newest thread first (all threads, or the ones
 * named): escalations to answer (`type: 'escalation'`) and handoffs to approve (`type: 'approval'`).
 * Threads of other trees in the same store are left out.
 */
export async function listWaitingThreads(graph: SwitchboardGraph, saver: BaseCheckpointSaver, threadIds?: string[]): Promise<WaitingRequest[]> {
  if (threadIds !== undefined) {
    if (!Array.isArray(threadIds)) throw new InputError('The threadIds must be a list of thread ids.');
    // An empty id is no filter to LangGraph's savers: it would read another thread's checkpoint.
    for (const threadId of threadIds) checkId(threadId, 'threadId');
  }
  const ids = threadIds ?? (await waitingThreadIds(graph, saver));
  const tree = runtimeOf(graph).tree.name;
  const waiting: WaitingRequest[] = [];
  for (const threadId of ids) {
    const threadTree = ((await saver.getTuple({ configurable: { thread_id: threadId, checkpoint_ns: '' } }))?.checkpoint.channel_values as { tree?: unknown } | undefined)?.tree;
    if (threadTree !== undefined && threadTree !== tree) continue;
    waiting.push(...waitingRequestsOf(runtimeOf(graph), await graph.getState({ configurable: { thread_id: threadId } })));
  }
  return waiting;
}

/**
 * The threads that may wait for a person, newest first. LangGraph's own savers (memory, SQLite,
 * PostgreSQL) say which threads' newest checkpoints have an interrupt pending without loading any
 * checkpoint; with another checkpointer every thread is a candidate.
 */
async function waitingThreadIds(graph: SwitchboardGraph, saver: BaseCheckpointSaver): Promise<string[]> {
  const adapter = saver === graph.checkpointer ? runtimeOf(graph).checkpoints : createCheckpointAdapter(saver, 'all');
  return adapter ? adapter.waiting() : listThreadIds(saver);
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
