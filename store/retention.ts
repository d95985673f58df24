/**
 * Checkpoint retention. LangGraph keeps every checkpoint of a thread, and each one holds the whole
 * hot state, so a thread's storage grows with its length times the number of checkpoints. After
 * each turn Switchboard keeps only the newest `retention` checkpoints of the thread (their pending
 * writes, and with PostgreSQL the channel blobs they use): what a thread needs to continue, recover
 * an unfinished turn or resume an escalation. `'all'` keeps LangGraph's full history (time travel).
 * Retention bounds how many checkpoints stay; the hot window (state/window.ts) bounds what each one
 * holds: the messages of the tree's largest history window, the older ones being in the journal.
 */
import { INTERRUPT, MemorySaver } from '@langchain/langgraph';
import type { BaseCheckpointSaver } from '@langchain/langgraph';
import { SqliteSaver } from '@langchain/langgraph-checkpoint-sqlite';
import type { PostgresSaver } from '@langchain/langgraph-checkpoint-postgres';
import type pg from 'pg';
import type { Statement } from 'better-sqlite3';
import { SwitchboardError } from '../errors/switchboard-error.js';

/** Checkpoints kept per thread after each turn, or `'all'`. */
export type Retention = number | 'all';

/** The default: the newest checkpoint only. */
export const DEFAULT_RETENTION: Retention = 1;

/**
 * What Switchboard does to a thread's checkpoints around a turn, for the checkpointers it knows:
 * `afterTurn` drops the older checkpoints (unless everything is kept) and returns the id of the
 * newest; `head` reads that id alone, without loading the checkpoint. Together they let a turn skip
 * re-reading a thread that nobody wrote since its last turn. `waiting` lists the threads whose
 * newest checkpoint has an interrupt pending (a person to answer or approve), newest first, from the
 * store's ids alone: finding the few waiting threads of a large desk loads none of the others.
 */
export interface CheckpointAdapter {
  afterTurn(threadId: string): Promise<string | undefined>;
  head(threadId: string): Promise<string | undefined>;
  waiting(): Promise<string[]>;
}

/**
 * The adapter for LangGraph's MemorySaver, SqliteSaver and PostgresSaver. With any other
 * checkpointer there is none: the default retention keeps everything and an explicit number is an
 * error (it could not be honoured).
 */
export function createCheckpointAdapter(saver: BaseCheckpointSaver | undefined, retention: Retention | undefined): CheckpointAdapter | undefined {
  const keep = retention ?? DEFAULT_RETENTION;
  if (keep !== 'all' && (!Number.isInteger(keep) || keep < 1)) {
    throw new SwitchboardError('INVALID_OPTION', `retention must be a whole number of checkpoints (1 or more) or 'all'; got ${String(keep)}.`);
  }
  if (!saver) return undefined;
  if (saver instanceof MemorySaver) {
    return {
      afterTurn: async (threadId) => {
        if (keep !== 'all') pruneMemory(saver, threadId, keep);
        return memoryHead(saver, threadId);
      },
      head: async (threadId) => memoryHead(saver, threadId),
      waiting: async () => memoryWaiting(saver),
    };
  }
  if (saver instanceof SqliteSaver) {
    const statements = sqliteStatements(saver);
    const head = (threadId: string) => (statements().head.get(threadId) as { id: string | null }).id ?? undefined;
    return {
      afterTurn: async (threadId) => {
        if (keep !== 'all') statements().prune(threadId, keep);
        return head(threadId);
      },
      head: async (threadId) => head(threadId),
      waiting: async () => (statements().waiting.all() as { thread_id: string }[]).map((row) => row.thread_id),
    };
  }
  if (isPostgresSaver(saver)) {
    const { pool, options } = saver as unknown as { pool: pg.Pool; options: { schema: string } };
    const sql = postgresStatements(options.schema);
    const newest = async (statement: { name: string; text: string }, values: unknown[]) =>
      (await pool.query<{ id: string | null }>({ ...statement, values })).rows[0]?.id ?? undefined;
    const head = (threadId: string) => newest(sql.head, [threadId]);
    return {
      afterTurn: (threadId) => (keep === 'all' ? head(threadId) : newest(sql.prune, [threadId, keep])),
      head,
      waiting: async () => (await pool.query<{ thread_id: string }>(sql.waiting)).rows.map((row) => row.thread_id),
    };
  }
  if (retention === undefined || retention === 'all') return undefined;
  throw new SwitchboardError(
    'INVALID_OPTION',
    `retention: ${keep} needs LangGraph's MemorySaver, SqliteSaver or PostgresSaver; this checkpointer is a ${saver.constructor.name}. Pass retention: 'all'.`,
  );
}

/**
 * Whether `saver` is LangGraph's PostgresSaver (or extends it), told by its class names: the
 * PostgreSQL packages are optional peer dependencies, loaded only for a postgres:// store, so this
 * module cannot import the class to compare with.
 */
function isPostgresSaver(saver: BaseCheckpointSaver): saver is PostgresSaver {
  for (let prototype: unknown = Object.getPrototypeOf(saver); prototype; prototype = Object.getPrototypeOf(prototype))
    if ((prototype as { constructor?: { name?: string } }).constructor?.name === 'PostgresSaver') return true;
  return false;
}

/** pg's escapeIdentifier: a name in double quotes, its own double quotes doubled. */
function escapeIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** The newest checkpoint id of the thread's root namespace (ids are time-ordered uuid6 strings). */
function memoryHead(saver: MemorySaver, threadId: string): string | undefined {
  let newest: string | undefined;
  for (const id in saver.storage[threadId]?.[''] ?? {}) if (newest === undefined || id > newest) newest = id;
  return newest;
}

/** The threads whose newest root checkpoint has an interrupt among its pending writes, newest first. */
function memoryWaiting(saver: MemorySaver): string[] {
  const waiting: { threadId: string; head: string }[] = [];
  for (const threadId in saver.storage) {
    const head = memoryHead(saver, threadId);
    const writes = head === undefined ? undefined : saver.writes[JSON.stringify([threadId, '', head])];
    if (head !== undefined && writes && Object.values(writes).some(([, channel]) => channel === INTERRUPT)) waiting.push({ threadId, head });
  }
  return waiting.sort((a, b) => (a.head < b.head ? 1 : -1)).map(({ threadId }) => threadId);
}

function pruneMemory(saver: MemorySaver, threadId: string, keep: number): void {
  const namespaces = saver.storage[threadId];
  if (!namespaces) return;
  for (const [namespace, checkpoints] of Object.entries(namespaces)) {
    // Checkpoint ids are time-ordered (uuid6), as LangGraph itself sorts them.
    for (const id of Object.keys(checkpoints).sort().slice(0, -keep)) {
      const parent = checkpoints[id]?.[2];
      delete checkpoints[id];
      delete saver.writes[JSON.stringify([threadId, namespace, id])];
      // Writes made against a parent that is gone go with it. (A new thread's first input is written
      // against an empty checkpoint that is never stored nor named: those few hundred bytes stay.)
      if (parent !== undefined && !(parent in checkpoints)) delete saver.writes[JSON.stringify([threadId, namespace, parent])];
    }
  }
}

/**
 * The SQLite statements, prepared once, on first use, after the saver's own setup (which creates
 * its tables; it is idempotent, and LangGraph's saver runs it on its own first use).
 */
function sqliteStatements(saver: SqliteSaver) {
  let prepared: { head: Statement; waiting: Statement; prune: (threadId: string, keep: number) => void } | undefined;
  return () => {
    if (prepared) return prepared;
    (saver as unknown as { setup(): void }).setup();
    const db = saver.db;
    const dropCheckpoints = db.prepare(
      `DELETE FROM checkpoints WHERE thread_id = ? AND checkpoint_id NOT IN (
         SELECT checkpoint_id FROM checkpoints AS newest
         WHERE newest.thread_id = checkpoints.thread_id AND newest.checkpoint_ns = checkpoints.checkpoint_ns
         ORDER BY checkpoint_id DESC LIMIT ?)`,
    );
    const dropWrites = db.prepare(
      `DELETE FROM writes WHERE thread_id = ? AND NOT EXISTS (
         SELECT 1 FROM checkpoints AS kept
         WHERE kept.thread_id = writes.thread_id AND kept.checkpoint_ns = writes.checkpoint_ns AND kept.checkpoint_id = writes.checkpoint_id)`,
    );
    prepared = {
      head: db.prepare(`SELECT MAX(checkpoint_id) AS id FROM checkpoints WHERE thread_id = ? AND checkpoint_ns = ''`),
      waiting: db.prepare(waitingStatement('checkpoints', 'writes', `'${INTERRUPT}'`)),
      prune: db.transaction((threadId: string, keep: number) => {
        dropCheckpoints.run(threadId, keep);
        dropWrites.run(threadId);
      }),
    };
    return prepared;
  };
}

/**
 * The threads whose newest root checkpoint has a pending write to the interrupt channel, newest
 * first: one query over the writes and the checkpoints' ids, the same in SQLite and PostgreSQL.
 */
function waitingStatement(checkpoints: string, writes: string, interrupt: string): string {
  return `SELECT w.thread_id AS thread_id, MAX(w.checkpoint_id) AS head FROM ${writes} AS w
     WHERE w.checkpoint_ns = '' AND w.channel = ${interrupt}
       AND w.checkpoint_id = (SELECT MAX(c.checkpoint_id) FROM ${checkpoints} AS c WHERE c.thread_id = w.thread_id AND c.checkpoint_ns = '')
     GROUP BY w.thread_id ORDER BY head DESC`;
}

/**
 * The PostgreSQL statements, named so each connection plans them once (planning the prune took as
 * long as running it). The prune is one statement: the deletes see one snapshot and commit
 * together; it returns the newest id.
 */
function postgresStatements(schemaName: string) {
  const schema = escapeIdentifier(schemaName);
  return {
    waiting: {
      name: `switchboard:waiting:${schemaName}`,
      text: waitingStatement(`${schema}.checkpoints`, `${schema}.checkpoint_writes`, '$1'),
      values: [INTERRUPT],
    },
    head: {
      name: `switchboard:head:${schemaName}`,
      text: `SELECT MAX(checkpoint_id) AS id FROM ${schema}.checkpoints WHERE thread_id = $1 AND checkpoint_ns = ''`,
    },
    prune: {
      name: `switchboard:prune:${schemaName}`,
      text: `WITH dropped AS (
       DELETE FROM ${schema}.checkpoints AS c
       WHERE c.thread_id = $1 AND c.checkpoint_id NOT IN (
         SELECT newest.checkpoint_id FROM ${schema}.checkpoints AS newest
         WHERE newest.thread_id = c.thread_id AND newest.checkpoint_ns = c.checkpoint_ns
         ORDER BY newest.checkpoint_id DESC LIMIT $2)
       RETURNING c.checkpoint_ns, c.checkpoint_id),
     kept AS (
       SELECT k.checkpoint_ns, k.checkpoint_id, k.checkpoint FROM ${schema}.checkpoints AS k
       WHERE k.thread_id = $1 AND NOT EXISTS (SELECT 1 FROM dropped AS d WHERE d.checkpoint_ns = k.checkpoint_ns AND d.checkpoint_id = k.checkpoint_id)),
     writes AS (
       DELETE FROM ${schema}.checkpoint_writes AS w
       WHERE w.thread_id = $1 AND NOT EXISTS (SELECT 1 FROM kept WHERE kept.checkpoint_ns = w.checkpoint_ns AND kept.checkpoint_id = w.checkpoint_id)),
     blobs AS (
       DELETE FROM ${schema}.checkpoint_blobs AS b
       WHERE b.thread_id = $1 AND NOT EXISTS (
         SELECT 1 FROM kept WHERE kept.checkpoint_ns = b.checkpoint_ns AND kept.checkpoint -> 'channel_versions' ->> b.channel = b.version))
     SELECT MAX(checkpoint_id) AS id FROM kept WHERE checkpoint_ns = ''`,
    },
  };
}
