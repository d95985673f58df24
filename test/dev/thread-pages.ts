/**
 * Many threads in a store, written straight as checkpoints (a turn each would take minutes): what
 * the threads panel lists is read from the newest checkpoint of each thread.
 */
import { INTERRUPT } from '@langchain/langgraph';
import type { BaseCheckpointSaver } from '@langchain/langgraph';
import { uuid6 } from '@langchain/langgraph-checkpoint';

/** What a thread's checkpoint says: its owner, its turn, and whether an interrupt waits beside it. */
export interface ThreadCheckpoint {
  owner?: string;
  turn?: number;
  status?: 'running' | 'waiting' | 'done' | 'error';
  /** An approval waits: the checkpoint says `running`, the interrupt beside it says a person must decide. */
  interrupted?: boolean;
}

/** Writes threads `bulk-1` … `bulk-<count>` of tree `support`, `bulk-<count>` the newest. */
export async function writeThreads(saver: BaseCheckpointSaver, count: number): Promise<void> {
  const start = Date.parse('2024-01-01T00:00:00Z');
  for (let index = 1; index <= count; index += 1) await writeCheckpoint(saver, `bulk-${index}`, new Date(start + index * 1000));
}

/**
 * Writes a checkpoint of `threadId` (tree `support`) at `at`, newer than every one written before
 * it. Its channels are versioned, as LangGraph writes them: a PostgreSQL saver keeps only the
 * values of versioned channels.
 */
export async function writeCheckpoint(saver: BaseCheckpointSaver, threadId: string, at: Date, state: ThreadCheckpoint = {}): Promise<void> {
  const values = { tree: 'support', activeAgent: state.owner ?? 'triage', turn: { number: state.turn ?? 1, status: state.status ?? 'done', path: [state.owner ?? 'triage'] } };
  const versions = Object.fromEntries(Object.keys(values).map((channel) => [channel, `${at.getTime()}`]));
  const checkpoint = { v: 4, id: uuid6(-1), ts: at.toISOString(), channel_values: values, channel_versions: versions, versions_seen: {} };
  const saved = await saver.put({ configurable: { thread_id: threadId, checkpoint_ns: '' } }, checkpoint, { source: 'input', step: -1, parents: {} }, versions);
  if (state.interrupted) await saver.putWrites(saved, [[INTERRUPT, [{ value: { type: 'approval' }, id: 'approval-1' }]]], 'task-1');
}
