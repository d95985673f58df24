/**
 * What the read APIs are given, checked before any store is asked, alike on every store: a thread
 * id runTurn would refuse (empty, with a NUL or another control character, a lone surrogate, too
 * long, not text) is `INVALID_INPUT` everywhere (an empty id is no filter to LangGraph's savers:
 * PostgreSQL read another thread's messages), as are paging options that are not whole numbers and
 * a period that is not a valid date; and the thread list pages with `offset`.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseTree } from '../../config/load.js';
import { compileTree } from '../../graphs/compile.js';
import type { SwitchboardGraph } from '../../graphs/compile.js';
import { ScriptedChatModel } from '../../models/scripted.js';
import { listTurnCheckpoints, threadAtTurn } from '../../runtime/fork.js';
import { routingStats } from '../../runtime/stats.js';
import { listWaitingThreads } from '../../runtime/threads.js';
import { getTrace, getTranscript, getTurnSummaries, listThreads } from '../../runtime/transcript.js';
import { pendingEscalations, runTurn } from '../../runtime/turn.js';
import { pendingApprovals } from '../../runtime/approval.js';
import type { Checkpointer } from '../../store/checkpointer.js';
import { captureLogs } from '../../testing/capture-logs.js';
import { storeKinds, withStore } from '../store/stores.js';

const dir = mkdtempSync(join(tmpdir(), 'switchboard-read-input-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const STORES = storeKinds(dir);

function treeNamed(name: string) {
  return parseTree(`version: 1\nname: ${name}\nroot: triage\nagents:\n  triage: { description: Front desk., prompt: Answer. }\n`, `${name}.yaml`);
}

function graphOn(store: Checkpointer, name = 'read-input'): SwitchboardGraph {
  const model = new ScriptedChatModel(Array.from({ length: 200 }, (_, index) => `reply ${index}`));
  return compileTree(treeNamed(name), { model, checkpointer: store.saver, threadLock: store.threadLock, logger: captureLogs('debug').logger, retention: 'all' });
}


const INVALID = { code: 'INVALID_INPUT', name: 'InputError' };

/** Ids runTurn refuses: no thread can have one, so no read may read one. */
const BAD_IDS: [string, unknown][] = [
  ['empty', ''],
  ['NUL', 'a\u0000b'],
  ['control character', 'a\u001bb'],
  ['lone surrogate', 'a\ud800b'],
  ['too long', 'x'.repeat(1025)],
  ['not text', 42],
];

describe.each(Object.keys(STORES) as (keyof typeof STORES)[])('read APIs on %s', (kind) => {
  it('refuse every thread id runTurn refuses with INVALID_INPUT, never reading another thread', async () => {
    await withStore(STORES[kind], async (store) => {
      const graph = graphOn(store);
      const tag = randomUUID();
      // Threads in the store: an id read as "no filter" would find them.
      await runTurn(graph, { threadId: `alice-${tag}`, message: 'my card number is 4111 1111' });
      await runTurn(graph, { threadId: `bob-${tag}`, message: 'hi' });
      for (const [what, id] of BAD_IDS) {
        const threadId = id as string;
        await expect(runTurn(graph, { threadId, message: 'x' }), what).rejects.toMatchObject(INVALID);
        await expect(threadAtTurn(graph, threadId, 1), what).rejects.toMatchObject(INVALID);
        await expect(listTurnCheckpoints(graph, threadId), what).rejects.toMatchObject(INVALID);
        await expect(getTranscript(graph, threadId), what).rejects.toMatchObject(INVALID);
        await expect(getTurnSummaries(graph, threadId), what).rejects.toMatchObject(INVALID);
        await expect(getTrace(graph, threadId, 1), what).rejects.toMatchObject(INVALID);
        await expect(listWaitingThreads(graph, store.saver, [threadId]), what).rejects.toMatchObject(INVALID);
        await expect(pendingEscalations(graph, threadId), what).rejects.toMatchObject(INVALID);
        await expect(pendingApprovals(graph, threadId), what).rejects.toMatchObject(INVALID);
      }
      // The good ids still read.
      expect((await threadAtTurn(graph, `alice-${tag}`, 1)).state.messages.map((message) => message.content)).toEqual(['my card number is 4111 1111', expect.stringMatching(/^reply/)]);
      expect(await listTurnCheckpoints(graph, `bob-${tag}`)).toMatchObject([{ turn: 1, status: 'done' }]);
      expect((await getTranscript(graph, `bob-${tag}`)).messages).toHaveLength(2);
    });
  });

  it('refuse paging options that are not whole numbers, before the store reads', async () => {
    await withStore(STORES[kind], async (store) => {
      const graph = graphOn(store);
      const threadId = `paging-${randomUUID()}`;
      for (const message of ['one', 'two', 'three']) await runTurn(graph, { threadId, message });
      for (const after of [1.5, Number.NaN, -1, Number.POSITIVE_INFINITY, 2 ** 64, '3', null]) {
        await expect(getTranscript(graph, threadId, { after: after as number }), `after ${String(after)}`).rejects.toMatchObject({ ...INVALID, message: expect.stringMatching(/`after`/) });
      }
      for (const limit of [0, -1, 2.5, Number.NaN, '5']) {
        await expect(getTranscript(graph, threadId, { limit: limit as number }), `limit ${String(limit)}`).rejects.toMatchObject({ ...INVALID, message: expect.stringMatching(/limit/) });
      }
      for (const turn of [0, 1.5, Number.NaN, 2 ** 31]) await expect(getTrace(graph, threadId, turn), `turn ${turn}`).rejects.toMatchObject(INVALID);
      for (const offset of [-1, 1.5, Number.NaN, '2']) {
        await expect(listThreads(graph, { offset: offset as number }), `offset ${String(offset)}`).rejects.toMatchObject({ ...INVALID, message: expect.stringMatching(/`offset`/) });
      }
      await expect(listThreads(graph, { limit: 0 })).rejects.toMatchObject(INVALID);
      await expect(listThreads(graph, { search: 'a\u0000b' })).rejects.toMatchObject(INVALID);
      await expect(listThreads(graph, { search: 7 as unknown as string })).rejects.toMatchObject(INVALID);
      // Whole numbers read as before: from the start, a page's next, a limit above the cap.
      const whole = await getTranscript(graph, threadId, { after: 0, limit: 20_000 });
      expect(whole.messages).toHaveLength(6);
      const first = await getTranscript(graph, threadId, { limit: 4 });
      expect((await getTranscript(graph, threadId, { after: first.next })).messages).toEqual(whole.messages.slice(4));
    });
  });

  it('routingStats refuses a period that is not a valid date, naming the option', async () => {
    await withStore(STORES[kind], async (store) => {
      const name = `stats-input-${randomUUID().slice(0, 8)}`;
      const graph = graphOn(store, name);
      await runTurn(graph, { threadId: `stats-${randomUUID()}`, message: 'hello' });
      await expect(routingStats(graph, { since: new Date('x') })).rejects.toMatchObject({ ...INVALID, message: expect.stringMatching(/`since`/) });
      await expect(routingStats(graph, { until: new Date(Number.NaN) })).rejects.toMatchObject({ ...INVALID, message: expect.stringMatching(/`until`/) });
      await expect(routingStats(graph, { since: '2024-01-01' as unknown as Date })).rejects.toMatchObject({ ...INVALID, message: expect.stringMatching(/`since`/) });
      // The widest valid dates are no mistake: every turn is in that period, on every store.
      expect(await routingStats(graph, { since: new Date(-8.64e15), until: new Date(8.64e15) })).toMatchObject({ tree: name, turns: 1, conversations: 1 });
      expect(await routingStats(graph, { since: new Date(8.64e15) })).toMatchObject({ turns: 0 });
      expect(await routingStats(graph, { until: new Date(-8.64e15) })).toMatchObject({ turns: 0 });
    });
  });

  it('listThreads pages with offset: full pages of the tree’s threads, newest activity first, every thread once', async () => {
    await withStore(STORES[kind], async (store) => {
      const tag = randomUUID();
      const mine = graphOn(store, 'paging-mine');
      const other = graphOn(store, 'paging-other');
      const threads: string[] = [];
      for (let index = 0; index < 5; index += 1) {
        threads.push(`list-${tag}-${index}`);
        await runTurn(mine, { threadId: `list-${tag}-${index}`, message: 'hi' });
        // Threads of another tree between them: left out, and not counted by offset.
        await runTurn(other, { threadId: `list-${tag}-other-${index}`, message: 'hi' });
      }
      const all = await listThreads(mine, { search: tag });
      expect(all.map((thread) => thread.threadId)).toEqual([...threads].reverse());
      const pages = [];
      for (let offset = 0; offset < 6; offset += 2) pages.push((await listThreads(mine, { search: tag, limit: 2, offset })).map((thread) => thread.threadId));
      expect(pages.map((page) => page.length)).toEqual([2, 2, 1]);
      expect(pages.flat()).toEqual(all.map((thread) => thread.threadId));
      expect(await listThreads(mine, { search: tag, offset: 5 })).toEqual([]);
      expect((await listThreads(other, { search: tag, limit: 3, offset: 3 })).map((thread) => thread.threadId)).toEqual([`list-${tag}-other-1`, `list-${tag}-other-0`]);
    });
  });
});
