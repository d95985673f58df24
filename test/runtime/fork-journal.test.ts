/**
 * A fork and the journal of the thread it forks: a turn whose journal append a failure cut short
 * (or that has not happened yet) is journaled in the source first, so the fork copies it, marked as
 * a copy, and analytics count it once, in the thread that ran it. On memory, SQLite and PostgreSQL.
 */
import { mkdtempSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { forkThread } from '../../runtime/fork.js';
import { routingStats } from '../../runtime/stats.js';
import { getTranscript, getTurnSummaries } from '../../runtime/transcript.js';
import { runTurn } from '../../runtime/turn.js';
import type { Checkpointer } from '../../store/checkpointer.js';
import type { JournalEntryInput, ThreadJournal } from '../../store/journal.js';
import type { Fence } from '../../store/fences.js';
import { compileExample } from '../helpers.js';
import { storeKinds, withStore } from '../store/stores.js';

/** The store's journal, whose next append of a turn summary fails once `failNextTurn` is called (a crash between a turn's checkpoint and its journal append). */
function failingJournal(store: Checkpointer): { journal: ThreadJournal; failNextTurn: () => void } {
  const inner = store.journal;
  let failNext = false;
  const journal: ThreadJournal = {
    append: async (threadId: string, entries: readonly JournalEntryInput[], fence?: Fence) => {
      if (failNext && entries.some((entry) => entry.kind === 'turn')) {
        failNext = false;
        throw new Error('crash');
      }
      return inner.append(threadId, entries, fence);
    },
    get: (threadId, key) => inner.get(threadId, key),
    read: (threadId, options) => inner.read(threadId, options),
    scan: (options) => inner.scan(options),
    threads: (options) => inner.threads(options),
  };
  return { journal, failNextTurn: () => (failNext = true) };
}

/**
 * The store's journal, whose next append of a turn summary waits (`held` resolves when it does)
 * until the next read of the journal has been answered: a fork that reads the thread's journal
 * then reads it between the turn's checkpoint and its append.
 */
function slowJournal(store: Checkpointer): { journal: ThreadJournal; holdNextTurn: () => Promise<void> } {
  const inner = store.journal;
  let hold: (() => void) | undefined;
  let release: (() => void) | undefined;
  const answered = <T>(value: T): T => {
    release?.();
    release = undefined;
    return value;
  };
  const journal: ThreadJournal = {
    append: async (threadId: string, entries: readonly JournalEntryInput[], fence?: Fence) => {
      if (hold && entries.some((entry) => entry.kind === 'turn')) {
        const held = hold;
        hold = undefined;
        await new Promise<void>((resolve) => {
          release = resolve;
          held();
        });
      }
      return inner.append(threadId, entries, fence);
    },
    get: async (threadId, key) => answered(await inner.get(threadId, key)),
    read: async (threadId, options) => answered(await inner.read(threadId, options)),
    scan: (options) => inner.scan(options),
    threads: (options) => inner.threads(options),
  };
  return { journal, holdNextTurn: () => new Promise<void>((resolve) => (hold = resolve)) };
}

const kinds = storeKinds(mkdtempSync(`${tmpdir()}/switchboard-fork-journal-`));

describe.each(Object.keys(kinds) as (keyof typeof kinds)[])('forkThread and the journal on %s', (kind) => {
  it('journals a turn the source never journaled before copying it: the fork has it as a copy, and stats count it once', async () => {
    await withStore(kinds[kind], async (store) => {
      const { journal, failNextTurn } = failingJournal(store);
      const { graph } = await compileExample('support', { checkpointer: store.saver, threadLock: store.threadLock, journal, retention: 'all', model: 'offline' });
      // PostgreSQL: one database for the whole run, so this test's thread ids are its own.
      const source = `fork-journal-${randomUUID()}`;
      const fork = `${source}-f3`;
      await runTurn(graph, { threadId: source, message: 'I was charged twice on my invoice' });
      await runTurn(graph, { threadId: source, message: 'turn two' });
      failNextTurn();
      await runTurn(graph, { threadId: source, message: 'turn three' });
      expect((await getTurnSummaries(graph, source)).map((summary) => summary.turn)).toEqual([1, 2]);

      await forkThread(graph, { threadId: source, turn: 3, newThreadId: fork });
      expect(new Set((await getTranscript(graph, fork)).messages.map((message) => message.turn))).toEqual(new Set([1, 2, 3]));
      expect((await getTurnSummaries(graph, fork)).map((summary) => [summary.turn, summary.copiedFrom])).toEqual([
        [1, source],
        [2, source],
        [3, source],
      ]);
      expect((await getTurnSummaries(graph, source)).map((summary) => summary.turn)).toEqual([1, 2, 3]);

      await runTurn(graph, { threadId: fork, message: 'x' });
      await runTurn(graph, { threadId: source, message: 'y' });
      expect((await getTurnSummaries(graph, fork)).map((summary) => [summary.turn, summary.copiedFrom])).toEqual([
        [1, source],
        [2, source],
        [3, source],
        [4, undefined],
      ]);
      expect((await getTurnSummaries(graph, source)).map((summary) => summary.turn)).toEqual([1, 2, 3, 4]);
      // Analytics read every thread of the tree: on the shared PostgreSQL, other files' too.
      if (kind !== 'postgres') expect((await routingStats(graph)).turns).toBe(5);
    });
  });

  it('waits for the journal append of the turn it forks when it lands between that turn\'s checkpoint and its append', async () => {
    await withStore(kinds[kind], async (store) => {
      const { journal, holdNextTurn } = slowJournal(store);
      const { graph } = await compileExample('support', { checkpointer: store.saver, threadLock: store.threadLock, journal, retention: 'all', model: 'offline' });
      const source = `fork-journal-${randomUUID()}`;
      await runTurn(graph, { threadId: source, message: 'I was charged twice on my invoice' });
      const held = holdNextTurn();
      const second = runTurn(graph, { threadId: source, message: 'turn two' });
      await held;
      const fork = await forkThread(graph, { threadId: source, turn: 2, newThreadId: `${source}-f2` });
      await second;
      expect((await getTurnSummaries(graph, fork.threadId)).map((summary) => [summary.turn, summary.copiedFrom, summary.recovered])).toEqual([
        [1, source, undefined],
        [2, source, undefined],
      ]);
      expect(new Set((await getTranscript(graph, fork.threadId)).messages.map((message) => message.turn))).toEqual(new Set([1, 2]));
    });
  });
});
