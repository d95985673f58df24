/**
 * Threads across a checkpointer: which ones wait for a person; and how a search finds a thread by its id.
 */
import type { BaseCheckpointSaver } from '@langchain/langgraph';
import type { SwitchboardGraph } from '../graphs/compile.js';
import { runtimeOf } from '../graphs/compile.js';
import { createCheckpointAdapter } from '../store/retention.js';
import { InputError } from '../errors/input-error.js';
import { checkId } from './turn.js';
import { askerGone, isPerson, waitingRequestsOf } from './waiting.js';
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
  // A thread named twice is listed once.
  const ids = threadIds ? [...new Set(threadIds)] : await waitingThreadIds(graph, saver);
  const tree = runtimeOf(graph).tree.name;
  const waiting: WaitingRequest[] = [];
  for (const threadId of ids) {
    const tuple = await saver.getTuple({ configurable: { thread_id: threadId, checkpoint_ns: '' } });
    const threadTree = (tuple?.checkpoint.channel_values as { tree?: unknown } | undefined)?.tree;
    if (threadTree !== undefined && threadTree !== tree) continue;
    const requests = waitingRequestsOf(runtimeOf(graph), await graph.getState({ configurable: { thread_id: threadId } }));
    waiting.push(...(requests.length > 0 ? requests : strandedWaits(graph, tuple?.pendingWrites)));
  }
  return waiting;
}

/** The waits of a thread whose node the YAML has removed since (see {@link strandedWaits}). */
export async function strandedRequests(graph: SwitchboardGraph, threadId: string): Promise<WaitingRequest[]> {
  const saver = graph.checkpointer;
  if (!saver || typeof saver === 'boolean') return [];
  return strandedWaits(graph, (await saver.getTuple({ configurable: { thread_id: threadId, checkpoint_ns: '' } }))?.pendingWrites);
}

/**
 * A wait whose node the YAML has removed since (the person it waits for, or the agent that asked for
 * an approval, was removed, renamed or made a helper): LangGraph shows no task (and so no interrupt)
 * for a node the graph no longer has, but the checkpoint still holds the request. It is listed, so
 * that whoever watches the list learns that it cannot be met (`staleRequestReason` says why); a
 * person who is gone offers no hand-back.
 */
function strandedWaits(graph: SwitchboardGraph, writes: readonly (readonly [string, string, unknown])[] | undefined): WaitingRequest[] {
  const runtime = runtimeOf(graph);
  return (writes ?? [])
    .filter(([, channel]) => channel === '__interrupt__')
    .flatMap(([, , value]) => (Array.isArray(value) ? value : [value]) as { value?: unknown }[])
    .map((entry) => entry?.value as WaitingRequest | undefined)
    .flatMap((request): WaitingRequest[] => {
      if (request?.type === 'escalation' && !isPerson(runtime, request.agent)) return [{ ...request, handBackTargets: [] }];
      if (request?.type === 'approval' && askerGone(runtime, request)) return [request];
      return [];
    });
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

/**
 * Whether a thread id contains `search`, without regard to case or to how its text is encoded, in
 * every script: both sides are folded ({@link foldForSearch}). No search (or an empty one) matches
 * every id. Done in JS, the same for every store: a database's `lower()` may fold ASCII only, and
 * SQLite cannot normalise Unicode.
 */
export function threadIdMatcher(search: string | undefined): (threadId: string) => boolean {
  const folded = foldForSearch(search ?? '');
  return (threadId) => folded === '' || foldForSearch(threadId).includes(folded);
}

/**
 * `text` made comparable without regard to case or encoding: NFKC-normalised (so a `ü` written as
 * `u` and an accent matches one typed as a single letter, and a full-width `ＲＥＦＵＮＤ` or a
 * ligature `ﬁ` match `REFUND` and `fi`), then lower-, upper- and lower-cased (so `ß` and `ẞ` match
 * `SS`), with the final sigma `ς` as `σ` (the lower case of `Σ` depends on where it stands), and
 * normalised again (casing may leave a letter and its accent apart).
 */
export function foldForSearch(text: string): string {
  return text.normalize('NFKC').toLowerCase().toUpperCase().toLowerCase().replaceAll('ς', 'σ').normalize('NFKC');
}
