/**
 * Where threads persist, from one string: `memory`, a SQLite file path (the CLI's default), or a
 * PostgreSQL URL (when several workers share threads).
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { MemorySaver } from '@langchain/langgraph';
import type { BaseCheckpointSaver } from '@langchain/langgraph';
import { SqliteSaver } from '@langchain/langgraph-checkpoint-sqlite';
import { PostgresSaver } from '@langchain/langgraph-checkpoint-postgres';

/** The CLI keeps threads here unless told otherwise. */
export const DEFAULT_SQLITE_PATH = '.switchboard/threads.sqlite';

export interface Checkpointer {
  saver: BaseCheckpointSaver;
  /** What it is, for messages: `memory`, `sqlite:<path>` or `postgres:<host/db>`. */
  describe: string;
  close(): Promise<void>;
}

export function isPostgresUrl(target: string): boolean {
  return /^postgres(ql)?:\/\//.test(target);
}

/** Opens the checkpointer `target` names. PostgreSQL tables are created when missing. */
export async function openCheckpointer(target: string = DEFAULT_SQLITE_PATH): Promise<Checkpointer> {
  if (target === 'memory') return { saver: new MemorySaver(), describe: 'memory', close: async () => {} };
  if (isPostgresUrl(target)) {
    const saver = PostgresSaver.fromConnString(target);
    await saver.setup();
    const url = new URL(target);
    return { saver, describe: `postgres:${url.host}${url.pathname}`, close: () => saver.end() };
  }
  const path = target.replace(/^sqlite:/, '');
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const saver = SqliteSaver.fromConnString(path);
  return { saver, describe: `sqlite:${path}`, close: async () => (saver as unknown as { db: { close(): void } }).db.close() };
}
