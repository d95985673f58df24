/**
 * LangGraph's PostgresSaver, writing in one round trip. The stock saver stores a checkpoint as
 * BEGIN, one INSERT per changed channel, one for the checkpoint, COMMIT, each waiting for the
 * database, and a task's writes the same way: the benchmark's turns took 25 to 37 round trips. This
 * saver sends each checkpoint, and each batch of writes, as one statement (a statement commits or
 * fails as a whole, like the stock saver's transaction). The tables, the encoding and the reads are
 * the stock saver's, so either saver reads what the other wrote.
 */
import { PostgresSaver } from '@langchain/langgraph-checkpoint-postgres';
import { WRITES_IDX_MAP } from '@langchain/langgraph-checkpoint';
import type { ChannelVersions, Checkpoint, CheckpointMetadata, PendingWrite, SerializerProtocol } from '@langchain/langgraph-checkpoint';
import type { RunnableConfig } from '@langchain/core/runnables';
import pg from 'pg';

export class BatchedPostgresSaver extends PostgresSaver {
  readonly #pool: pg.Pool;
  readonly #sql: ReturnType<typeof statements>;

  constructor(pool: pg.Pool, serde?: SerializerProtocol, options?: ConstructorParameters<typeof PostgresSaver>[2]) {
    super(pool, serde, options);
    this.#pool = pool;
    this.#sql = statements(options?.schema ?? 'public');
  }

  override async put(config: RunnableConfig, checkpoint: Checkpoint, metadata: CheckpointMetadata, newVersions: ChannelVersions): Promise<RunnableConfig> {
    const { thread_id: threadId, checkpoint_ns: namespace = '', checkpoint_id: parentId } = configurableOf(config, 'a checkpoint');
    const [blobs, dumpedMetadata] = await Promise.all([this._dumpBlobs(threadId, namespace, checkpoint.channel_values, newVersions), this._dumpMetadata(metadata)]);
    await this.#pool.query({
      name: this.#sql.put.name,
      text: this.#sql.put.text,
      values: [
        threadId,
        namespace,
        checkpoint.id,
        parentId,
        this._dumpCheckpoint(checkpoint),
        dumpedMetadata,
        blobs.map((blob) => blob[2]),
        blobs.map((blob) => blob[3]),
        blobs.map((blob) => blob[4]),
        blobs.map((blob) => blob[5] ?? null),
      ],
    });
    return { configurable: { thread_id: threadId, checkpoint_ns: namespace, checkpoint_id: checkpoint.id } };
  }

  override async putWrites(config: RunnableConfig, writes: PendingWrite[], taskId: string): Promise<void> {
    if (writes.length === 0) return;
    const { thread_id: threadId, checkpoint_ns: namespace = '', checkpoint_id: checkpointId } = configurableOf(config, 'writes');
    if (checkpointId === undefined) throw new Error('Cannot store writes: the config has no configurable.checkpoint_id.');
    // As the stock saver: writes to the special channels (errors, interrupts…) replace earlier ones;
    // a batch with any other write keeps what is already stored.
    const replace = writes.every(([channel]) => channel in WRITES_IDX_MAP);
    const dumped = await this._dumpWrites(threadId, namespace, checkpointId, taskId, writes);
    // One statement cannot write a row twice: of two writes to one special channel, the one the
    // stock saver's row-by-row upsert would keep (the last when replacing, else the first).
    const byIndex = new Map<number, (typeof dumped)[number]>();
    for (const row of dumped) if (replace || !byIndex.has(row[4])) byIndex.set(row[4], row);
    const rows = [...byIndex.values()];
    const statement = replace ? this.#sql.upsertWrites : this.#sql.insertWrites;
    await this.#pool.query({
      name: statement.name,
      text: statement.text,
      values: [threadId, namespace, checkpointId, taskId, rows.map((row) => row[4]), rows.map((row) => row[5]), rows.map((row) => row[6]), rows.map((row) => row[7])],
    });
  }
}

function configurableOf(config: RunnableConfig, what: string): { thread_id: string; checkpoint_ns?: string; checkpoint_id?: string } {
  const configurable = (config.configurable ?? {}) as { thread_id?: string | number; checkpoint_ns?: string; checkpoint_id?: string };
  if (configurable.thread_id === undefined || configurable.thread_id === null) throw new Error(`Cannot store ${what}: the config has no configurable.thread_id.`);
  return { ...configurable, thread_id: String(configurable.thread_id) };
}

/** The statements, named so each connection plans them once; the names carry the schema. */
function statements(schema: string) {
  const prefix = pg.escapeIdentifier(schema);
  const named = (name: string, text: string) => ({ name: `switchboard:${name}:${schema}`, text });
  const writes = `INSERT INTO ${prefix}.checkpoint_writes (thread_id, checkpoint_ns, checkpoint_id, task_id, idx, channel, type, blob)
    SELECT $1, $2, $3, $4, w.idx, w.channel, w.type, w.blob FROM unnest($5::int[], $6::text[], $7::text[], $8::bytea[]) AS w(idx, channel, type, blob)
    ON CONFLICT (thread_id, checkpoint_ns, checkpoint_id, task_id, idx)`;
  return {
    put: named(
      'put',
      `WITH blobs AS (
         INSERT INTO ${prefix}.checkpoint_blobs (thread_id, checkpoint_ns, channel, version, type, blob)
         SELECT $1, $2, b.channel, b.version, b.type, b.blob FROM unnest($7::text[], $8::text[], $9::text[], $10::bytea[]) AS b(channel, version, type, blob)
         ON CONFLICT (thread_id, checkpoint_ns, channel, version) DO NOTHING)
       INSERT INTO ${prefix}.checkpoints (thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, checkpoint, metadata)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (thread_id, checkpoint_ns, checkpoint_id) DO UPDATE SET checkpoint = EXCLUDED.checkpoint, metadata = EXCLUDED.metadata`,
    ),
    upsertWrites: named('upsert-writes', `${writes} DO UPDATE SET channel = EXCLUDED.channel, type = EXCLUDED.type, blob = EXCLUDED.blob`),
    insertWrites: named('insert-writes', `${writes} DO NOTHING`),
  };
}
