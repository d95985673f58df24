/**
 * Node runs in flight, by thread. A stopped run (its signal aborted: the caller's, or a lost hold)
 * ends at once for LangGraph, but its node goes on until what it awaits ends: a tool or a hook that
 * ignores its signal runs to its answer or its timeout. The thread's lock is held until then, so the
 * next turn on the thread (which finishes the stopped one, replaying the same call under the same
 * idempotency key) never runs a side effect beside the one still under way.
 */
import type { LangGraphRunnableConfig } from '@langchain/langgraph';
import type { TreeRuntime } from './context.js';
import { threadIdOf } from './turn.js';

type Node<S, R> = (state: S, config: LangGraphRunnableConfig) => Promise<R>;

/** `node`, with each run counted in flight for its thread until it ends (however it ends). */
export function tracked<S, R>(runtime: TreeRuntime, node: Node<S, R>): Node<S, R> {
  return (state, config) => {
    const threadId = threadIdOf(config);
    const run = node(state, config);
    const runs = runtime.running.get(threadId) ?? new Set<Promise<unknown>>();
    runtime.running.set(threadId, runs);
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    runs.add(settled);
    void settled.then(() => {
      runs.delete(settled);
      if (runs.size === 0 && runtime.running.get(threadId) === runs) runtime.running.delete(threadId);
    });
    return run;
  };
}

/** Resolves once no node run of `threadId` is in flight in this process (at once when none is). */
export async function runsEnded(runtime: TreeRuntime, threadId: string): Promise<void> {
  for (let runs = runtime.running.get(threadId); runs && runs.size > 0; runs = runtime.running.get(threadId)) {
    await Promise.all(runs);
  }
}
