/**
 * The checkpointers of the LangGraph-based contenders (MemorySaver, SqliteSaver in WAL mode,
 * PostgresSaver; Switchboard's from its own `openCheckpointer`), and what each keeps per session,
 * in bytes. Session ids start with the contender's name, so contenders can share one
 * database.
 */
import { join } from 'node:path';
import { MemorySaver } from '@langchain/langgraph';
import type { BaseCheckpointSaver } from '@langchain/langgraph';
import Database from 'better-sqlite3';
import pg from 'pg';
import { PostgresSaver } from '@langchain/langgraph-checkpoint-postgres';
import { isPostgresUrl, openCheckpointer } from '../../store/checkpointer.js';
import type { Checkpointer } from '../../store/checkpointer.js';
import { MemoryJournal } from '../../store/journal.js';
import { MemoryLedger } from '../../store/ledger.js';
import { createMemoryThreadLock } from '../../store/thread-lock.js';
import type { ThreadLock } from '../../store/thread-lock.js';
import type { ContenderOptions, HotCheckpoint } from '../workload.js';

export const BENCH_PG_URL = process.env.BENCH_PG_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';

export interface Store {
  readonly saver: BaseCheckpointSaver;
  readonly threadLock: ThreadLock;
  bytesKept(sessionId: string): Promise<number>;
  /**
   * The thread id of a session, noted as this contender's: `reset` forgets the sessions noted (with
   * PostgreSQL, shared by every run on the database, only these: two runs at once must not delete
   * each other's threads).
   */
  session(sessionId: string): string;
  /** Forgets every session of this contender. */
  reset(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Switchboard's store comes from its build's `openCheckpointer` (with PostgreSQL, its batched
 * saver); the hand-written graphs get LangGraph's own savers, as their authors would use them.
 */
export async function openStore(contender: string, options: ContenderOptions, open: (target: string) => Promise<Checkpointer> = openStock): Promise<Store> {
  if (options.store === 'memory') return memoryStore();
  const target = options.store === 'sqlite' ? join(options.dir, `${contender}.sqlite`) : BENCH_PG_URL;
  const opened = await open(target);
  if (options.store === 'sqlite') {
    const db = new Database(target, { readonly: true });
    return {
      saver: opened.saver,
      threadLock: opened.threadLock,
      session: (id) => id,
      bytesKept: async (id) => {
        const row = db
          .prepare(
            `SELECT (SELECT COALESCE(SUM(LENGTH(checkpoint) + LENGTH(metadata) + LENGTH(checkpoint_id) + LENGTH(thread_id)), 0) FROM checkpoints WHERE thread_id = ?) +
                    (SELECT COALESCE(SUM(LENGTH(value) + LENGTH(channel) + LENGTH(task_id)), 0) FROM writes WHERE thread_id = ?) AS bytes`,
          )
          .get(id, id) as { bytes: number };
        return row.bytes;
      },
      reset: async () => {
        // The saver creates its tables on first use: a store never used has nothing to forget.
        const writer = new Database(target);
        const tables = writer.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('checkpoints', 'writes')").all() as { name: string }[];
        for (const { name } of tables) writer.prepare(`DELETE FROM ${name}`).run();
        writer.close();
      },
      close: async () => {
        db.close();
        await opened.close();
      },
    };
  }
  const pool = new pg.Pool({ connectionString: BENCH_PG_URL, max: 2 });
  const sessions = new Set<string>();
  return {
    saver: opened.saver,
    threadLock: opened.threadLock,
    session: (id) => {
      sessions.add(id);
      return id;
    },
    bytesKept: async (id) => {
      const { rows } = await pool.query<{ bytes: string }>(
        `SELECT (SELECT COALESCE(SUM(pg_column_size(c.*)), 0) FROM checkpoints c WHERE thread_id = $1) +
                (SELECT COALESCE(SUM(pg_column_size(b.*)), 0) FROM checkpoint_blobs b WHERE thread_id = $1) +
                (SELECT COALESCE(SUM(pg_column_size(w.*)), 0) FROM checkpoint_writes w WHERE thread_id = $1) AS bytes`,
        [id],
      );
      return Number(rows[0]?.bytes ?? 0);
    },
    reset: async () => {
      const ids = [...sessions];
      sessions.clear();
      for (const table of ['checkpoints', 'checkpoint_blobs', 'checkpoint_writes']) await pool.query(`DELETE FROM ${table} WHERE thread_id = ANY($1)`, [ids]);
    },
    close: async () => {
      await pool.end();
      await opened.close();
    },
  };
}

/** openCheckpointer's SQLite store (LangGraph's SqliteSaver), or LangGraph's PostgresSaver on a pool. */
async function openStock(target: string): Promise<Checkpointer> {
  if (!isPostgresUrl(target)) return openCheckpointer(target);
  const pool = new pg.Pool({ connectionString: target });
  const saver = new PostgresSaver(pool);
  await saver.setup();
  return { saver, threadLock: createMemoryThreadLock(), ledger: new MemoryLedger(), journal: new MemoryJournal(), describe: 'postgres', close: () => pool.end() };
}

/** A MemorySaver; what it keeps for a thread is what its `storage` and `writes` hold, in bytes. */
function memoryStore(): Store {
  let saver = new MemorySaver();
  return {
    get saver() {
      return saver;
    },
    threadLock: createMemoryThreadLock(),
    session: (id) => id,
    bytesKept: async (id) => memorySaverBytes(saver, id),
    reset: async () => {
      saver = new MemorySaver();
    },
    close: async () => {},
  };
}

export function memorySaverBytes(saver: MemorySaver, threadId: string): number {
  let bytes = 0;
  const count = (value: unknown): void => {
    if (value instanceof Uint8Array) bytes += value.byteLength;
    else if (typeof value === 'string') bytes += Buffer.byteLength(value);
    else if (Array.isArray(value)) value.forEach(count);
  };
  for (const checkpoints of Object.values(saver.storage[threadId] ?? {})) for (const saved of Object.values(checkpoints)) count(saved);
  for (const [key, writes] of Object.entries(saver.writes)) {
    if ((JSON.parse(key) as string[])[0] !== threadId) continue;
    for (const write of Object.values(writes)) count(write);
  }
  return bytes;
}

/**
 * The thread's latest checkpoint as its saver serialises it, whole and with only the messages of the
 * last `windowTurns` user turns (the same serialiser on every store, so the figures compare).
 */
export async function hotCheckpointBytes(saver: BaseCheckpointSaver, threadId: string, windowTurns: number): Promise<HotCheckpoint> {
  const tuple = await saver.getTuple({ configurable: { thread_id: threadId, checkpoint_ns: '' } });
  if (!tuple) return { bytes: 0, windowBytes: 0, messages: 0, windowMessages: 0 };
  const checkpoint = tuple.checkpoint;
  const messages = (checkpoint.channel_values.messages ?? []) as { getType?: () => string; _getType?: () => string; type?: string }[];
  let start = 0;
  let users = 0;
  for (let index = messages.length - 1; index >= 0; index -= 1) {
    const message = messages[index]!;
    const type = message.type ?? message.getType?.() ?? message._getType?.();
    if (type === 'human' && ++users === windowTurns) {
      start = index;
      break;
    }
  }
  const window = messages.slice(start);
  const size = async (value: unknown) => (await saver.serde.dumpsTyped(value))[1].byteLength;
  return {
    bytes: await size(checkpoint),
    windowBytes: await size({ ...checkpoint, channel_values: { ...checkpoint.channel_values, messages: window } }),
    messages: messages.length,
    windowMessages: window.length,
  };
}
