/**
 * The stores tests run on: memory, a SQLite file of the test's own, the run's PostgreSQL (shared
 * with the other test files: count only your own threads there); and a checkpointer Switchboard
 * does not know.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { RunnableConfig } from '@langchain/core/runnables';
import { BaseCheckpointSaver, MemorySaver } from '@langchain/langgraph';
import type { Checkpoint, CheckpointListOptions, CheckpointMetadata, CheckpointTuple, PendingWrite } from '@langchain/langgraph-checkpoint';
import { openCheckpointer } from '../../store/checkpointer.js';
import type { Checkpointer } from '../../store/checkpointer.js';
import { PG_URL } from './workers.js';

/** Openers of each store kind; SQLite files go in `dir`, a new file each time. */
export function storeKinds(dir: string) {
  return {
    memory: () => openCheckpointer('memory'),
    sqlite: () => openCheckpointer(join(dir, `threads-${randomUUID()}.sqlite`)),
    postgres: () => openCheckpointer(PG_URL),
  } satisfies Record<string, () => Promise<Checkpointer>>;
}

/** Opens a store with `open` (one of {@link storeKinds}), runs `body` on it, and closes it whatever happens. */
export async function withStore<T>(open: () => Promise<Checkpointer>, body: (store: Checkpointer) => Promise<T>): Promise<T> {
  const store = await open();
  try {
    return await body(store);
  } finally {
    await store.close();
  }
}

/** A checkpointer Switchboard has no store code for: LangGraph's MemorySaver behind another class. */
export class OtherSaver extends BaseCheckpointSaver {
  private readonly inner = new MemorySaver();
  getTuple(config: RunnableConfig): Promise<CheckpointTuple | undefined> {
    return this.inner.getTuple(config);
  }
  list(config: RunnableConfig, options?: CheckpointListOptions): AsyncGenerator<CheckpointTuple> {
    return this.inner.list(config, options);
  }
  put(config: RunnableConfig, checkpoint: Checkpoint, metadata: CheckpointMetadata): Promise<RunnableConfig> {
    return this.inner.put(config, checkpoint, metadata);
  }
  putWrites(config: RunnableConfig, writes: PendingWrite[], taskId: string): Promise<void> {
    return this.inner.putWrites(config, writes, taskId);
  }
  deleteThread(threadId: string): Promise<void> {
    return this.inner.deleteThread(threadId);
  }
}
