/**
 * The threads of a store a page at a time, with how many there are: every thread can be reached,
 * whether the store is SQLite (read with a query) or another (scanned).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemorySaver } from '@langchain/langgraph';
import { describe, expect, it } from 'vitest';
import { listThreadPage } from '../../dev/thread-list.js';
import { openCheckpointer } from '../../store/checkpointer.js';
import { writeThreads } from './thread-pages.js';

describe('listThreadPage()', () => {
  it.each(['sqlite', 'memory'] as const)(
    'gives every thread of a %s store, a page at a time, newest first, and how many there are',
    async (kind) => {
      const store =
        kind === 'sqlite' ? await openCheckpointer(join(mkdtempSync(join(tmpdir(), 'switchboard-threads-')), 'threads.sqlite')) : undefined;
      const saver = store?.saver ?? new MemorySaver();
      try {
        await writeThreads(saver, 150);
        const first = await listThreadPage(saver, { limit: 100 });
        const second = await listThreadPage(saver, { limit: 100, offset: 100 });
        expect(first.total).toBe(150);
        expect(second.total).toBe(150);
        expect(first.rows.map((row) => row.threadId).slice(0, 2)).toEqual(['bulk-150', 'bulk-149']);
        expect(second.rows.map((row) => row.threadId).at(-1)).toBe('bulk-1');
        const all = [...first.rows, ...second.rows].map((row) => row.threadId);
        expect(new Set(all).size).toBe(150);
        // A search counts what it finds: bulk-1, bulk-10…bulk-19, bulk-100…bulk-150 contain "bulk-1".
        const found = await listThreadPage(saver, { search: 'BULK-1', limit: 10 });
        expect({ rows: found.rows.length, total: found.total }).toEqual({ rows: 10, total: 62 });
      } finally {
        await store?.close();
      }
    },
  );
});
