/**
 * The threads waiting for a person (`listWaitingThreads`: the CLI's `pending`, the dev page's
 * queue): on memory, SQLite and PostgreSQL, with the default retention and with every checkpoint
 * kept, exactly the threads whose newest checkpoint waits (an escalation or an approval), newest
 * first, found without loading any other thread's checkpoint; with a checkpointer Switchboard does
 * not know, by reading every thread as before.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BaseCheckpointSaver } from '@langchain/langgraph';
import { SqliteSaver } from '@langchain/langgraph-checkpoint-sqlite';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { loadTree } from '../../config/load.js';
import { compileTree } from '../../graphs/compile.js';
import type { CompileOptions } from '../../graphs/compile.js';
import { listWaitingThreads } from '../../runtime/threads.js';
import { resumeThread, runTurn } from '../../runtime/turn.js';
import { createExampleTools } from '../../tools/examples.js';
import { examplePath, newThread } from '../helpers.js';
import { OtherSaver, storeKinds } from '../store/stores.js';

const dir = mkdtempSync(join(tmpdir(), 'switchboard-waiting-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const STORES = storeKinds(dir);

/** The support desk offline, and the same desk with the escalation manager behind an approval gate. */
async function desks(saver: BaseCheckpointSaver, options: CompileOptions = {}) {
  const tools = createExampleTools();
  const tree = await loadTree(examplePath('support'), { tools });
  const plain = compileTree(tree, { tools, model: 'offline', checkpointer: saver, ...options });
  const gatedTree = await loadTree(examplePath('support'), { tools });
  gatedTree.spec.agents.escalation_manager!.approval = 'required';
  const gated = compileTree(gatedTree, { tools, model: 'offline', checkpointer: saver, ...options });
  return { plain, gated };
}

/** Four threads: answered, waiting for a person, answered by a person, waiting for an approval (made in that order). */
async function fourThreads(saver: BaseCheckpointSaver, options: CompileOptions = {}) {
  const { plain, gated } = await desks(saver, options);
  const [answered, escalated, resumed, approval] = [newThread(), newThread(), newThread(), newThread()].map(({ threadId }) => threadId) as [string, string, string, string];
  expect(await runTurn(plain, { threadId: answered, message: 'My webhook is broken' })).toMatchObject({ status: 'done' });
  expect(await runTurn(plain, { threadId: escalated, message: 'I need to speak to a real person' })).toMatchObject({ status: 'waiting' });
  expect(await runTurn(plain, { threadId: resumed, message: 'I need to speak to a real person' })).toMatchObject({ status: 'waiting' });
  expect(await resumeThread(plain, resumed, { reply: 'Dana here: sorted.' })).toMatchObject({ status: 'done' });
  expect(await runTurn(gated, { threadId: approval, message: 'I want to talk to a manager, this is unacceptable' })).toMatchObject({ status: 'waiting', waitingFor: { type: 'approval' } });
  return { plain, answered, escalated, resumed, approval };
}

/** The thread ids whose checkpoints `saver` loads while `run` runs. */
async function threadsRead(saver: BaseCheckpointSaver, run: () => Promise<unknown>): Promise<Set<string>> {
  const read = new Set<string>();
  const getTuple = saver.getTuple.bind(saver);
  const spy = vi.spyOn(saver, 'getTuple').mockImplementation(async (config) => {
    read.add(String(config.configurable?.thread_id));
    return getTuple(config);
  });
  try {
    await run();
  } finally {
    spy.mockRestore();
  }
  return read;
}

describe.each(Object.keys(STORES) as (keyof typeof STORES)[])('threads waiting for a person on %s', (kind) => {
  for (const retention of [undefined, 'all'] as const) {
    it(`lists exactly the waiting threads, newest first, and loads no other thread's checkpoint (retention ${retention ?? 'default'})`, async () => {
      const store = await STORES[kind]();
      try {
        const { plain, answered, escalated, resumed, approval } = await fourThreads(store.saver, { threadLock: store.threadLock, ...(retention ? { retention } : {}) });
        const mine = new Set([answered, escalated, resumed, approval]);
        let waiting: Awaited<ReturnType<typeof listWaitingThreads>> = [];
        const read = await threadsRead(store.saver, async () => (waiting = await listWaitingThreads(plain, store.saver)));
        // A PostgreSQL database is shared with the other test files: only this test's threads count.
        expect(waiting.filter((request) => mine.has(request.threadId)).map((request) => [request.threadId, request.type])).toEqual([
          [approval, 'approval'],
          [escalated, 'escalation'],
        ]);
        expect([...read].filter((threadId) => mine.has(threadId)).sort()).toEqual([approval, escalated].sort());
        // Once the person answers, the thread leaves the list.
        await resumeThread(plain, escalated, { reply: 'Dana here: sorted.' });
        expect((await listWaitingThreads(plain, store.saver)).filter((request) => mine.has(request.threadId)).map((request) => request.threadId)).toEqual([approval]);
      } finally {
        await store.close();
      }
    });
  }
});

describe('threads waiting for a person on a store no turn has written yet', () => {
  it('lists none on LangGraph\'s own SqliteSaver, whose tables do not exist yet', async () => {
    const saver = SqliteSaver.fromConnString(join(dir, `fresh-${randomUUID()}.sqlite`));
    const { plain } = await desks(saver);
    expect(await listWaitingThreads(plain, saver)).toEqual([]);
  });
});


describe('threads waiting for a person on another checkpointer', () => {
  it('reads every thread and lists the waiting ones', async () => {
    const saver = new OtherSaver();
    const { plain, answered, escalated, resumed, approval } = await fourThreads(saver, { retention: 'all' });
    const read = await threadsRead(saver, async () => {
      const waiting = await listWaitingThreads(plain, saver);
      expect(waiting.map((request) => request.threadId).sort()).toEqual([approval, escalated].sort());
    });
    expect([...read].sort()).toEqual([answered, escalated, resumed, approval].sort());
  });
});
