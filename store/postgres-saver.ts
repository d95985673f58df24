/**
 * LangGraph's PostgresSaver, writing in one round trip. The stock saver stores a checkpoint as
 * BEGIN, one INSERT per changed channel, one for the checkpoint, COMMIT, each waiting for the
 * database, and a task's writes the same way: the benchmark's turns took 25 to 37 round trips. This
 * saver sends each checkpoint, and each batch of writes, as one statement (a statement commits or
 * fails as a whole, like the stock saver's transaction). The tables, the encoding and the reads are
 * the stock saver's, so either saver reads what the other wrote. A write made by a Switchboard turn
 * carries the turn's fencing token and is refused, in the same statement, when another worker has
 * taken the thread since (see `fences.ts`). A node the YAML removed is forgotten in the checkpoints
 * a Switchboard graph writes (see `graph-shape.ts`).
 */
import { PostgresSaver } from '@langchain/langgraph-checkpoint-postgres';
import { WRITES_IDX_MAP } from '@langchain/langgraph-checkpoint';
import type { ChannelVersions, Checkpoint, CheckpointMetadata, PendingWrite, SerializerProtocol } from '@langchain/langgraph-checkpoint';
import type { RunnableConfig } from '@langchain/core/runnables';
import pg from 'pg';
import { fenceOf, markSaved, staleWrite } from './fences.js';
import { withoutRemovedNodes } from './graph-shape.js';
import type { FenceDomain } from './fences.js';

export class BatchedPostgresSaver extends PostgresSaver {
  readonly #pool: pg.Pool;
  readonly #sql: ReturnType<typeof statements>;
  /** The fence family of the thread lock this saver checks (`openCheckpointer` pairs them); none: writes are not fenced. */
  readonly fences: FenceDomain | undefined;

  constructor(pool: pg.Pool, serde?: SerializerProtocol, options?: ConstructorParameters<typeof PostgresSaver>[2] & { fences?: FenceDomain }) {
    super(pool, serde, options);
    this.fences = options?.fences;
    this.#pool = pool;
    this.#sql = statements(options?.schema ?? 'public');
  }

  override async put(config: RunnableConfig, checkpoint: Checkpoint, metadata: CheckpointMetadata, newVersions: ChannelVersions): Promise<RunnableConfig> {
    const { thread_id: threadId, checkpoint_ns: namespace = '', checkpoint_id: parentId } = configurableOf(config, 'a checkpoint');
    const [blobs, dumpedMetadata] = await Promise.all([this._dumpBlobs(threadId, namespace, checkpoint.channel_values, newVersions), this._dumpMetadata(metadata)]);
    const fence = this.fences ? fenceOf(config, this.fences) : undefined;
    const statement = fence ? this.#sql.fencedPut : this.#sql.put;
    const result = await this.#pool.query({
      name: statement.name,
      text: statement.text,
      values: [
        threadId,
        namespace,
        checkpoint.id,
        parentId,
        this._dumpCheckpoint(withoutRemovedNodes(checkpoint, config)),
        dumpedMetadata,
        blobs.map((blob) => blob[2]),
        blobs.map((blob) => blob[3]),
        blobs.map((blob) => blob[4]),
        blobs.map((blob) => blob[5] ?? null),
        ...(fence ? [fence.token] : []),
      ],
    });
    if (fence && result.rowCount === 0) throw staleWrite(fence);
    markSaved(config);
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
    const fence = this.fences ? fenceOf(config, this.fences) : undefined;
    const statement = fence ? (replace ? this.#sql.fencedUpsertWrites : this.#sql.fencedInsertWrites) : replace ? this.#sql.upsertWrites : this.#sql.insertWrites;
    const result = await this.#pool.query({
      name: statement.name,
      text: statement.text,
      values: [threadId, namespace, checkpointId, taskId, rows.map((row) => row[4]), rows.map((row) => row[5]), rows.map((row) => row[6]), rows.map((row) => row[7]), ...(fence ? [fence.token] : [])],
    });
    // The fenced statements answer one row when the token held (whatever they inserted).
    if (fence && result.rows.length === 0) throw staleWrite(fence);
    markSaved(config);
  }
}

function configurableOf(config: RunnableConfig, what: string): { thread_id: string; checkpoint_ns?: string; checkpoint_id?: string } {
  const configurable = (config.configurable ?? {}) as { thread_id?: string | number; checkpoint_ns?: string; checkpoint_id?: string };
  if (configurable.thread_id === undefined || configurable.thread_id === null) throw new Error(`Cannot store ${what}: the config has no configurable.thread_id.`);
  return { ...configurable, thread_id: String(configurable.thread_id) };
}

/**
 * The statements, named so each connection plans them once; the names carry the schema. The
 * fenced ones lock the thread's fence row (FOR SHARE: a worker taking the thread waits for a write
 * in flight, and a write after the take sees the new token) and write only while it holds.
 */
function statements(schema: string) {
  const prefix = pg.escapeIdentifier(schema);
  const named = (name: string, text: string) => ({ name: `switchboard:${name}:${schema}`, text });
  const fence = (param: string) => `fence AS (SELECT 1 FROM ${prefix}.switchboard_thread_fences WHERE thread_id = $1 AND fence = ${param} FOR SHARE)`;
  const writes = (fenced: boolean) => `INSERT INTO ${prefix}.checkpoint_writes (thread_id, checkpoint_ns, checkpoint_id, task_id, idx, channel, type, blob)
    SELECT $1, $2, $3, $4, w.idx, w.channel, w.type, w.blob FROM unnest($5::int[], $6::text[], $7::text[], $8::bytea[]) AS w(idx, channel, type, blob)
    ${fenced ? 'WHERE EXISTS (SELECT 1 FROM fence)' : ''}
    ON CONFLICT (thread_id, checkpoint_ns, checkpoint_id, task_id, idx)`;
  const upsert = 'DO UPDATE SET channel = EXCLUDED.channel, type = EXCLUDED.type, blob = EXCLUDED.blob';
  const fencedWrites = (conflict: string) => `WITH ${fence('$9')}, written AS (${writes(true)} ${conflict})
    SELECT 1 AS held FROM fence`;
  const put = (fenced: boolean) => `WITH ${fenced ? `${fence('$11')},` : ''} blobs AS (
         INSERT INTO ${prefix}.checkpoint_blobs (thread_id, checkpoint_ns, channel, version, type, blob)
         SELECT $1, $2, b.channel, b.version, b.type, b.blob FROM unnest($7::text[], $8::text[], $9::text[], $10::bytea[]) AS b(channel, version, type, blob)
         ${fenced ? 'WHERE EXISTS (SELECT 1 FROM fence)' : ''}
         ON CONFLICT (thread_id, checkpoint_ns, channel, version) DO NOTHING)
       INSERT INTO ${prefix}.checkpoints (thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, checkpoint, metadata)
       SELECT $1, $2, $3, $4, $5, $6 ${fenced ? 'WHERE EXISTS (SELECT 1 FROM fence)' : ''}
       ON CONFLICT (thread_id, checkpoint_ns, checkpoint_id) DO UPDATE SET checkpoint = EXCLUDED.checkpoint, metadata = EXCLUDED.metadata`;
  return {
    put: named('put', put(false)),
    fencedPut: named('fenced-put', put(true)),
    upsertWrites: named('upsert-writes', `${writes(false)} ${upsert}`),
    insertWrites: named('insert-writes', `${writes(false)} DO NOTHING`),
    fencedUpsertWrites: named('fenced-upsert-writes', fencedWrites(upsert)),
    fencedInsertWrites: named('fenced-insert-writes', fencedWrites('DO NOTHING')),
  };
}
