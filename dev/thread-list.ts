/**
 * Every thread in the store, for the dev page's threads panel: newest activity first, searchable by
 * id, each with its tree, owner, status, turns and last activity. Read from the checkpoints the
 * store holds (so threads of `switchboard run` and `chat` appear beside the page's own), latest
 * checkpoint of each thread only. Reading never writes: it takes no lock.
 */
import type { BaseCheckpointSaver } from '@langchain/langgraph';
import type { SwitchboardState, Turn } from '../state/schema.js';

export interface ThreadRow {
  threadId: string;
  /** The tree the thread belongs to (null for threads from before trees were recorded). */
  tree: string | null;
  /** The agent that owns the conversation. */
  owner: string;
  status: Turn['status'];
  /** True when the thread waits for a person. */
  waiting: boolean;
  /** User turns so far. */
  turns: number;
  /** When its latest checkpoint was written (ISO time). */
  lastActivity: string | null;
}

export interface ListThreadRowsOptions {
  /** Only threads whose id contains this text (case-insensitive). */
  search?: string | undefined;
  /** At most this many (default 100). */
  limit?: number | undefined;
}

/** The threads `saver` holds, newest activity first. */
export async function listThreadRows(saver: BaseCheckpointSaver, options: ListThreadRowsOptions = {}): Promise<ThreadRow[]> {
  const search = options.search?.toLowerCase() ?? '';
  const rows = new Map<string, ThreadRow>();
  for await (const tuple of saver.list({})) {
    const threadId = tuple.config.configurable?.thread_id;
    if (typeof threadId !== 'string' || rows.has(threadId)) continue;
    if ((tuple.config.configurable?.checkpoint_ns ?? '') !== '') continue;
    if (search !== '' && !threadId.toLowerCase().includes(search)) continue;
    const values = tuple.checkpoint.channel_values as Partial<SwitchboardState>;
    // The thread's newest checkpoint comes first only if the store lists newest first: keep the newest seen.
    const row: ThreadRow = {
      threadId,
      tree: values.tree ?? null,
      owner: values.activeAgent ?? '',
      status: values.turn?.status ?? 'done',
      waiting: values.turn?.status === 'waiting',
      turns: values.turn?.number ?? 0,
      lastActivity: tuple.checkpoint.ts ?? null,
    };
    rows.set(threadId, row);
  }
  const sorted = [...rows.values()].sort((a, b) => (b.lastActivity ?? '').localeCompare(a.lastActivity ?? ''));
  return sorted.slice(0, options.limit ?? 100);
}
