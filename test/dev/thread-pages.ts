/**
 * Many threads in a store, written straight as checkpoints (a turn each would take minutes): what
 * the threads panel lists is read from the newest checkpoint of each thread.
 */
import type { BaseCheckpointSaver } from '@langchain/langgraph';
import { uuid6 } from '@langchain/langgraph-checkpoint';

/** Writes threads `bulk-1` … `bulk-<count>` of tree `support`, `bulk-<count>` the newest. */
export async function writeThreads(saver: BaseCheckpointSaver, count: number): Promise<void> {
  const start = Date.parse('2024-01-01T00:00:00Z');
  for (let index = 1; index <= count; index += 1) {
    const checkpoint = {
      v: 4,
      id: uuid6(-1),
      ts: new Date(start + index * 1000).toISOString(),
      channel_values: { tree: 'support', activeAgent: 'triage', turn: { number: 1, status: 'done', path: ['triage'] } },
      channel_versions: {},
      versions_seen: {},
    };
    await saver.put(
      { configurable: { thread_id: `bulk-${index}`, checkpoint_ns: '' } },
      checkpoint,
      { source: 'input', step: -1, parents: {} },
      {},
    );
  }
}
