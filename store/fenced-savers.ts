/**
 * LangGraph's MemorySaver and SqliteSaver with fenced writes: a checkpoint or a batch of writes made
 * by a Switchboard turn carries the turn's fencing token (`configurable.switchboard_fence`), and is
 * refused when another worker has taken the thread since. Reads, and writes made outside a turn
 * (a plain `graph.invoke`), are LangGraph's own. (`BatchedPostgresSaver` fences in its statements.)
 */
import { MemorySaver } from '@langchain/langgraph';
import type { Checkpoint, CheckpointMetadata, PendingWrite } from '@langchain/langgraph-checkpoint';
import { SqliteSaver } from '@langchain/langgraph-checkpoint-sqlite';
import type { RunnableConfig } from '@langchain/core/runnables';
import { fenceOf, markSaved } from './fences.js';
import type { MemoryFences } from './fences.js';
import type { SqliteThreads } from './sqlite-thread-lock.js';
import { FastJsonPlusSerializer } from './serde.js';

export class FencedMemorySaver extends MemorySaver {
  constructor(readonly fences: MemoryFences) {
    super(new FastJsonPlusSerializer());
  }

  override async put(config: RunnableConfig, checkpoint: Checkpoint, metadata: CheckpointMetadata): Promise<RunnableConfig> {
    const saved = await this.fences.guard(fenceOf(config, this.fences), () => super.put(config, checkpoint, metadata));
    markSaved(config);
    return saved;
  }

  override async putWrites(config: RunnableConfig, writes: PendingWrite[], taskId: string, taskPath?: string): Promise<void> {
    await this.fences.guard(fenceOf(config, this.fences), () => super.putWrites(config, writes, taskId, taskPath));
    markSaved(config);
  }
}

export class FencedSqliteSaver extends SqliteSaver {
  constructor(readonly threads: SqliteThreads) {
    super(threads.db, new FastJsonPlusSerializer());
    // Tables first, outside any transaction (the setup switches the file to WAL, which a transaction forbids).
    this.setup();
  }

  override async put(config: RunnableConfig, checkpoint: Checkpoint, metadata: CheckpointMetadata): Promise<RunnableConfig> {
    const saved = await this.threads.guard(fenceOf(config, this.threads), () => super.put(config, checkpoint, metadata));
    markSaved(config);
    return saved;
  }

  override async putWrites(config: RunnableConfig, writes: PendingWrite[], taskId: string): Promise<void> {
    await this.threads.guard(fenceOf(config, this.threads), () => super.putWrites(config, writes, taskId));
    markSaved(config);
  }
}
