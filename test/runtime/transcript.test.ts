/**
 * The transcript API over the thread journal: every message of every turn, in order, on each store,
 * across a restart and across crashes (a worker killed after its checkpoint and before its journal
 * append, or mid-turn: no gap, no duplicate); turn summaries that say what happened; the step trace
 * with exactly what each model was sent, only when tracing is on.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { AIMessage, BaseMessage, ToolMessage } from '@langchain/core/messages';
import { INTERRUPT } from '@langchain/langgraph';
import { afterAll, describe, expect, it } from 'vitest';
import { loadTree, parseTree } from '../../config/load.js';
import { compileTree } from '../../graphs/compile.js';
import { call, ScriptedChatModel } from '../../models/scripted.js';
import { approveHandoff } from '../../runtime/approval.js';
import { routingStats } from '../../runtime/stats.js';
import { getTrace, getTranscript, getTurnSummaries, listThreads } from '../../runtime/transcript.js';
import type { TranscriptMessage } from '../../runtime/transcript.js';
import { recoverThread, resumeThread, runTurn } from '../../runtime/turn.js';
import type { TurnResult } from '../../runtime/turn.js';
import { messageFromJournal } from '../../state/journal-message.js';
import { openCheckpointer } from '../../store/checkpointer.js';
import { createExampleTools } from '../../tools/examples.js';
import { compileExample, newThread } from '../helpers.js';
import { storeKinds } from '../store/stores.js';

const dir = mkdtempSync(join(tmpdir(), 'switchboard-transcript-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const STORES = storeKinds(dir);

const CONVERSATION = [
  'I was charged twice on my invoice',
  'I want a refund for my invoice please',
  'thanks, and the webhook returns error 500',
  'I want to talk to a manager, this is unacceptable',
];

/** Every message each turn's result held, in order, once (what the transcript must be). */
function accumulate(seen: Map<string, BaseMessage>, result: TurnResult): void {
  for (const message of result.state.messages) if (message.id && !seen.has(message.id)) seen.set(message.id, message);
}

async function wholeTranscript(graph: Parameters<typeof getTranscript>[0], threadId: string, limit?: number): Promise<TranscriptMessage[]> {
  const all: TranscriptMessage[] = [];
  let after: number | undefined;
  do {
    const page = await getTranscript(graph, threadId, { after, limit });
    all.push(...page.messages);
    after = page.next;
  } while (after !== undefined);
  return all;
}

describe.each(Object.keys(STORES) as (keyof typeof STORES)[])('transcript on %s', (kind) => {
  it('holds every message of every turn, in order, page by page; turn summaries and the thread list follow', async () => {
    const store = await STORES[kind]();
    try {
      const { graph } = await compileExample('support', { checkpointer: store.saver, threadLock: store.threadLock, model: 'offline' });
      const { threadId } = newThread();
      const seen = new Map<string, BaseMessage>();
      for (const message of CONVERSATION) accumulate(seen, await runTurn(graph, { threadId, message }));

      const transcript = await wholeTranscript(graph, threadId, 3);
      expect(transcript.map((message) => message.id)).toEqual([...seen.keys()]);
      expect(transcript.map((message) => message.content)).toEqual([...seen.values()].map((message) => message.content));
      expect(transcript.filter((message) => message.type === 'human').map((message) => [message.turn, message.content])).toEqual(CONVERSATION.map((text, index) => [index + 1, text]));
      // An agent's answer names the agent; its tool calls and their answers pair up.
      const billingCall = transcript.find((message) => message.type === 'ai' && message.tool_calls?.some((toolCall) => toolCall.name === 'issue_refund'));
      expect(billingCall).toMatchObject({ name: 'billing', turn: 2 });
      const refundId = billingCall!.tool_calls!.find((toolCall) => toolCall.name === 'issue_refund')!.id;
      expect(transcript.find((message) => message.type === 'tool' && message.tool_call_id === refundId)).toMatchObject({ name: 'issue_refund', turn: 2 });
      // The same page read twice is the same; a page's `next` continues it.
      const first = await getTranscript(graph, threadId, { limit: 2 });
      expect(first.messages).toEqual(transcript.slice(0, 2));
      expect((await getTranscript(graph, threadId, { after: first.next, limit: 2 })).messages).toEqual(transcript.slice(2, 4));
      // LangChain messages, for code that wants them.
      expect(messageFromJournal(transcript[0]!).type).toBe('human');

      const summaries = await getTurnSummaries(graph, threadId);
      expect(summaries.map((summary) => [summary.turn, summary.status])).toEqual(CONVERSATION.map((_, index) => [index + 1, expect.stringMatching(/done|waiting/)]));
      expect(summaries[0]).toMatchObject({ tree: 'support', messageId: expect.any(String), owner: 'billing', handoffs: [expect.objectContaining({ from: 'triage', to: 'billing', kind: 'delegate' })] });
      expect(summaries.every((summary) => summary.recovered === undefined)).toBe(true);
      const listed = await listThreads(graph, { search: threadId });
      expect(listed).toEqual([{ threadId, lastTurn: summaries.at(-1), turns: CONVERSATION.length, lastAt: expect.any(String) }]);
    } finally {
      await store.close();
    }
  });

  it('a turn whose journal append failed after its checkpoint is journaled by the next turn: no gap, no duplicate', async () => {
    const store = await STORES[kind]();
    try {
      const { graph } = await compileExample('support', { checkpointer: store.saver, threadLock: store.threadLock, model: 'offline' });
      const { threadId } = newThread();
      const seen = new Map<string, BaseMessage>();
      accumulate(seen, await runTurn(graph, { threadId, message: CONVERSATION[0]! }));
      const append = store.journal.append.bind(store.journal);
      store.journal.append = async () => {
        throw Object.assign(new Error('Connection terminated unexpectedly'), { code: 'ECONNRESET' });
      };
      const second = await runTurn(graph, { threadId, message: CONVERSATION[1]! });
      expect(second.status).toBe('done');
      accumulate(seen, second);
      store.journal.append = append;
      expect((await wholeTranscript(graph, threadId)).map((message) => message.id)).not.toContain(second.state.messages.at(-1)!.id);

      accumulate(seen, await runTurn(graph, { threadId, message: CONVERSATION[2]! }));
      expect((await wholeTranscript(graph, threadId)).map((message) => message.id)).toEqual([...seen.keys()]);
      const summaries = await getTurnSummaries(graph, threadId);
      expect(summaries.map((summary) => [summary.turn, summary.recovered ?? false])).toEqual([
        [1, false],
        [2, true],
        [3, false],
      ]);
      expect(summaries[1]).toMatchObject({ status: 'done', agent: 'billing', owner: 'billing', modelCalls: second.state.turn.modelCalls });
    } finally {
      await store.close();
    }
  });
});

describe.each(Object.keys(STORES) as (keyof typeof STORES)[])('a turn that waits twice on %s', (kind) => {
  // The gated desk's person is behind an approval: the turn waits for the approval, then for the person.
  const gatedDesk = async (store: Awaited<ReturnType<(typeof STORES)[typeof kind]>>, tools = createExampleTools()) =>
    compileTree(await loadTree('test/fixtures/trees/gated-desk.yaml', { tools }), { tools, checkpointer: store.saver, threadLock: store.threadLock, model: 'offline', trace: true });

  it('is summarised and traced whole: each wait gets its own summary, and the last covers the turn from its start', async () => {
    const store = await STORES[kind]();
    try {
      const graph = await gatedDesk(store);
      const { threadId } = newThread();
      await runTurn(graph, { threadId, message: 'My invoice is wrong' });
      expect((await runTurn(graph, { threadId, message: 'I want a person' })).status).toBe('waiting');
      expect((await approveHandoff(graph, threadId)).waitingFor?.agent).toBe('person');
      // While it waits for the person: the summary of the second wait, with the move the approval let through.
      expect((await getTurnSummaries(graph, threadId))[1]).toMatchObject({ status: 'waiting', handoffs: [{ from: 'billing', to: 'person' }], escalations: [{ from: 'billing', to: 'person' }] });
      expect((await resumeThread(graph, threadId, { reply: 'Refunded the duplicate charge.' })).status).toBe('done');

      const second = (await getTurnSummaries(graph, threadId))[1];
      expect(second).toMatchObject({ turn: 2, status: 'done', handoffs: [{ from: 'billing', to: 'person' }], escalations: [{ from: 'billing', to: 'person' }] });
      const trace = await getTrace(graph, threadId, 2);
      expect(trace.map((entry) => entry.type).filter((type) => type.startsWith('approval') || type.startsWith('escalation') || type === 'handoff-accept')).toEqual([
        'approval-start',
        'approval-end',
        'handoff-accept',
        'escalation-start',
        'escalation-end',
      ]);
      expect(second!.events).toBe(trace.length);
      // Stats count the escalation the middle part made.
      expect((await routingStats(graph)).escalations.toPerson).toBe(1);
    } finally {
      await store.close();
    }
  });
});

describe.each(Object.keys(STORES) as (keyof typeof STORES)[])('a waiting turn whose journal append failed, on %s', (kind) => {
  const gatedDesk = async (store: Awaited<ReturnType<(typeof STORES)[typeof kind]>>, tools = createExampleTools()) =>
    compileTree(await loadTree('test/fixtures/trees/gated-desk.yaml', { tools }), { tools, checkpointer: store.saver, threadLock: store.threadLock, model: 'offline', trace: true });
  type Store = Awaited<ReturnType<(typeof STORES)[typeof kind]>>;
  const desk = async (store: Store, tools = createExampleTools()) =>
    compileTree(await loadTree('examples/desk.yaml', { tools }), { tools, checkpointer: store.saver, threadLock: store.threadLock, model: 'offline' });

  /** Runs `test` on a new store of this kind, closed afterwards. */
  async function onStore(test: (store: Store) => Promise<void>): Promise<void> {
    const store = await STORES[kind]();
    try {
      await test(store);
    } finally {
      await store.close();
    }
  }

  /**
   * Runs `step` with only its input saved, as when a worker dies or the store fails after LangGraph
   * saved a run's input (its NULL_TASK_ID writes) and before the checkpoint that takes it in: every
   * other write fails, once the input's have landed (LangGraph does not wait for them first). With
   * `tasks`, the steps' own writes are saved too, and only the checkpoint fails.
   */
  async function inputOnly<T>(store: Store, step: () => Promise<T>, saved: { tasks?: boolean } = {}): Promise<T> {
    const { put, putWrites } = { put: store.saver.put.bind(store.saver), putWrites: store.saver.putWrites.bind(store.saver) };
    const landed: Promise<void>[] = [];
    const fail = async (): Promise<never> => {
      await Promise.allSettled(landed);
      throw Object.assign(new Error('Connection terminated unexpectedly'), { code: 'ECONNRESET' });
    };
    store.saver.put = fail;
    store.saver.putWrites = async (config, writes, taskId) => {
      if (taskId !== '00000000-0000-0000-0000-000000000000' && !saved.tasks) return fail();
      landed.push(putWrites(config, writes, taskId));
      return landed.at(-1);
    };
    try {
      return await step();
    } finally {
      Object.assign(store.saver, { put, putWrites });
    }
  }

  /** A desk thread that waits for the person, with message m3's input saved beside its checkpoint only (its checkpoint failed). */
  async function unsavedMessageToPerson(store: Store): Promise<{ graph: Awaited<ReturnType<typeof desk>>; threadId: string }> {
    const graph = await desk(store);
    const { threadId } = newThread();
    await runTurn(graph, { threadId, message: 'My invoice is wrong' });
    await runTurn(graph, { threadId, message: 'I want a person' });
    await expect(inputOnly(store, () => runTurn(graph, { threadId, messageId: 'm3', message: 'hello? anyone there?' }))).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    return { graph, threadId };
  }

  /** The person's reply `done` answered m3 (turn 3, which the wait of turn 2 went on in), and m3 is in the thread once. */
  async function expectAnsweredOnce(graph: Awaited<ReturnType<typeof desk>>, done: TurnResult): Promise<void> {
    expect(done.state.messages.filter((message) => message.id === 'm3')).toHaveLength(1);
    expect(done.state.messages.at(-1)?.content).toBe('Dana here, sorted.');
    expect((await wholeTranscript(graph, done.threadId)).filter((message) => message.id === 'm3')).toHaveLength(1);
    expect((await getTurnSummaries(graph, done.threadId)).map((summary) => [summary.turn, summary.status, summary.continuedIn])).toEqual([
      [1, 'done', undefined],
      [2, 'done', 3],
      [3, 'done', undefined],
    ]);
  }

  /** Runs `step` with every journal append failing, as a store that dropped its connection would. */
  async function withoutJournal<T>(store: Store, step: () => Promise<T>): Promise<T> {
    const append = store.journal.append.bind(store.journal);
    store.journal.append = async () => {
      throw Object.assign(new Error('Connection terminated unexpectedly'), { code: 'ECONNRESET' });
    };
    try {
      return await step();
    } finally {
      store.journal.append = append;
    }
  }

  /** The whole thread's transcript holds every message the thread's state holds, in order, once. */
  async function expectWholeTranscript(graph: Parameters<typeof getTranscript>[0], result: TurnResult, seen: Map<string, BaseMessage>): Promise<void> {
    accumulate(seen, result);
    const ids = (await wholeTranscript(graph, result.threadId)).map((message) => message.id);
    expect(ids).toEqual([...seen.keys()]);
  }

  it('an approval wait cut short is caught up when it is decided: one summary of the whole turn, recovered, its trace whole', async () => {
    await onStore(async (store) => {
      const graph = await gatedDesk(store);
      const { threadId } = newThread();
      const seen = new Map<string, BaseMessage>();
      accumulate(seen, await runTurn(graph, { threadId, message: 'My invoice is wrong' }));
      const asked = await withoutJournal(store, () => runTurn(graph, { threadId, message: 'I want a person' }));
      expect(asked.waitingFor?.type).toBe('approval');
      accumulate(seen, asked);
      accumulate(seen, await approveHandoff(graph, threadId));
      // The wait that failed to journal was caught up before the decision's part.
      expect((await getTurnSummaries(graph, threadId)).map((summary) => [summary.turn, summary.status, summary.recovered ?? false])).toEqual([
        [1, 'done', false],
        [2, 'waiting', true],
      ]);
      const done = await resumeThread(graph, threadId, { reply: 'Refunded the duplicate charge.' });
      await expectWholeTranscript(graph, done, seen);

      const second = (await getTurnSummaries(graph, threadId))[1]!;
      expect(second).toMatchObject({ turn: 2, status: 'done', recovered: true, owner: 'person', handoffs: [{ from: 'billing', to: 'person' }], escalations: [{ from: 'billing', to: 'person' }] });
      expect(second.modelCalls).toBeGreaterThanOrEqual(asked.state.turn.modelCalls);
      // The parts after the caught-up one are traced from the first index on, none lost to a clash.
      const trace = await getTrace(graph, threadId, 2);
      expect(trace.map((entry) => entry.type).filter((type) => type.startsWith('approval') || type.startsWith('escalation') || type === 'turn-end')).toEqual(['approval-end', 'escalation-start', 'escalation-end', 'turn-end']);
      expect(second.events).toBe(trace.length);
    });
  });

  it('an approval wait cut short is caught up when the user writes again: the withdrawn turn is closed, recovered', async () => {
    await onStore(async (store) => {
      const graph = await gatedDesk(store);
      const { threadId } = newThread();
      const seen = new Map<string, BaseMessage>();
      accumulate(seen, await runTurn(graph, { threadId, message: 'My invoice is wrong' }));
      accumulate(seen, await withoutJournal(store, () => runTurn(graph, { threadId, message: 'I want a person' })));
      const next = await runTurn(graph, { threadId, message: 'Never mind, my invoice is fine now' });
      expect(next.status).toBe('done');
      await expectWholeTranscript(graph, next, seen);
      const summaries = await getTurnSummaries(graph, threadId);
      expect(summaries.map((summary) => [summary.turn, summary.status, summary.recovered ?? false])).toEqual([
        [1, 'done', false],
        [2, 'done', true],
        [3, 'done', false],
      ]);
      expect(summaries[1]).toMatchObject({ owner: 'billing', handoffs: [] });
      const trace = await getTrace(graph, threadId, 2);
      expect(trace).toEqual([expect.objectContaining({ type: 'approval-end', withdrawn: true })]);
      expect(summaries[1]!.events).toBe(1);
    });
  });

  it('a message that withdrew an approval, its checkpoint failed, then another message: both are kept, each once, and every call keeps its answer', async () => {
    await onStore(async (store) => {
      const graph = await gatedDesk(store);
      const { threadId } = newThread();
      const seen = new Map<string, BaseMessage>();
      accumulate(seen, await runTurn(graph, { threadId, message: 'My invoice is wrong' }));
      accumulate(seen, await runTurn(graph, { threadId, message: 'I want a person' }));
      await expect(inputOnly(store, () => runTurn(graph, { threadId, messageId: 'm3', message: 'Never mind, my invoice is fine now' }))).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
      const next = await runTurn(graph, { threadId, messageId: 'm4', message: 'Thanks' });
      expect(next).toMatchObject({ status: 'done', turn: 4, recovered: { messageId: 'm3', status: 'done', turn: 3 } });
      accumulate(seen, next.recovered!);
      await expectWholeTranscript(graph, next, seen);
      const users = next.state.messages.filter((message) => message.type === 'human').map((message) => message.id);
      expect(users.slice(-2)).toEqual(['m3', 'm4']);
      const answered = next.state.messages.flatMap((message) => (message.type === 'tool' ? [(message as ToolMessage).tool_call_id] : []));
      const asked = next.state.messages.flatMap((message) => (message.type === 'ai' ? ((message as AIMessage).tool_calls ?? []).map((call) => call.id) : []));
      expect(answered.sort()).toEqual(asked.sort());
      expect((await getTurnSummaries(graph, threadId)).map((summary) => [summary.turn, summary.status])).toEqual([
        [1, 'done'],
        [2, 'done'],
        [3, 'done'],
        [4, 'done'],
      ]);
    });
  });

  it('a message that withdrew an approval, its checkpoint failed, then a decision: the message came first, so nothing waits for the decision', async () => {
    await onStore(async (store) => {
      const graph = await gatedDesk(store);
      const { threadId } = newThread();
      await runTurn(graph, { threadId, message: 'My invoice is wrong' });
      await runTurn(graph, { threadId, message: 'I want a person' });
      await expect(inputOnly(store, () => runTurn(graph, { threadId, messageId: 'm3', message: 'Never mind, my invoice is fine now' }))).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
      await expect(approveHandoff(graph, threadId)).rejects.toMatchObject({
        code: 'NOTHING_PENDING',
        message: expect.stringContaining("The user's message of turn 3, which a failure had left unsaved, was taken in first and ended that wait.") as string,
      });
      const replay = await runTurn(graph, { threadId, messageId: 'm3', message: 'Never mind, my invoice is fine now' });
      expect(replay).toMatchObject({ replayed: true, status: 'done', turn: 3, agent: 'billing' });
      expect(replay.state.messages.filter((message) => message.id === 'm3')).toHaveLength(1);
    });
  });

  it('a message to a waiting person whose append failed: the wait it went on with is closed when the thread is caught up', async () => {
    await onStore(async (store) => {
      const graph = await desk(store);
      const { threadId } = newThread();
      const seen = new Map<string, BaseMessage>();
      accumulate(seen, await runTurn(graph, { threadId, message: 'My invoice is wrong' }));
      accumulate(seen, await runTurn(graph, { threadId, message: 'I want a person' }));
      accumulate(seen, await withoutJournal(store, () => runTurn(graph, { threadId, message: 'hello? anyone there?' })));
      const last = await runTurn(graph, { threadId, message: 'still waiting' });
      accumulate(seen, last);
      expect(last).toMatchObject({ status: 'waiting', turn: 4 });
      await expectWholeTranscript(graph, await resumeThread(graph, threadId, { reply: 'Dana here, sorted.' }), seen);
      expect((await getTurnSummaries(graph, threadId)).map((summary) => [summary.turn, summary.status, summary.continuedIn, summary.recovered ?? false])).toEqual([
        [1, 'done', undefined, false],
        [2, 'done', 3, true],
        [3, 'done', 4, true],
        [4, 'done', undefined, false],
      ]);
    });
  });

  it('a message to a waiting person cut short before the person was asked: finished first, and every earlier wait is closed', async () => {
    await onStore(async (store) => {
      const graph = await desk(store);
      const { threadId } = newThread();
      await runTurn(graph, { threadId, message: 'My invoice is wrong' });
      const escalated = await runTurn(graph, { threadId, message: 'I want a person' });
      // The store fails after the message is saved (its checkpoint landed), as the person's node asks for the person.
      const put = store.saver.put.bind(store.saver);
      const putWrites = store.saver.putWrites.bind(store.saver);
      let saving: Promise<unknown> = Promise.resolve();
      store.saver.put = (...args: Parameters<typeof put>) => {
        const saved = put(...args);
        saving = saved.catch(() => undefined);
        return saved;
      };
      store.saver.putWrites = async (...args: Parameters<typeof putWrites>) => {
        if (!args[1].some(([channel]) => channel === INTERRUPT)) return putWrites(...args);
        await saving;
        throw Object.assign(new Error('Connection terminated unexpectedly'), { code: 'ECONNRESET' });
      };
      await expect(runTurn(graph, { threadId, message: 'hello? anyone there?' })).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE', saved: 'message' });
      store.saver.put = put;
      store.saver.putWrites = putWrites;
      const next = await runTurn(graph, { threadId, message: 'still waiting' });
      expect(next).toMatchObject({ status: 'waiting', turn: 4, recovered: { turn: 3, status: 'waiting' } });
      expect(next.waitingFor?.handBackTargets).toEqual(escalated.waitingFor?.handBackTargets);
      expect((await resumeThread(graph, threadId, { reply: 'Dana here, sorted.' })).status).toBe('done');
      expect((await getTurnSummaries(graph, threadId)).map((summary) => [summary.turn, summary.status, summary.continuedIn])).toEqual([
        [1, 'done', undefined],
        [2, 'done', 3],
        [3, 'done', 4],
        [4, 'done', undefined],
      ]);
    });
  });

  it('a message to a waiting person whose checkpoint failed, sent again: it goes on with the wait, once, and the wait before it is closed', async () => {
    await onStore(async (store) => {
      const { graph, threadId } = await unsavedMessageToPerson(store);
      expect(await runTurn(graph, { threadId, messageId: 'm3', message: 'hello? anyone there?' })).toMatchObject({ status: 'waiting', turn: 3 });
      await expectAnsweredOnce(graph, await resumeThread(graph, threadId, { reply: 'Dana here, sorted.' }));
    });
  });

  it('a message to a waiting person whose checkpoint failed, then another message: both are kept, each once, in their own turns', async () => {
    await onStore(async (store) => {
      const { graph, threadId } = await unsavedMessageToPerson(store);
      // Not m3 again: the next message. m3's saved input is taken in first, as its own turn.
      const next = await runTurn(graph, { threadId, messageId: 'm4', message: 'still waiting' });
      expect(next).toMatchObject({ status: 'waiting', turn: 4, recovered: { messageId: 'm3', status: 'waiting', turn: 3 } });
      const done = await resumeThread(graph, threadId, { reply: 'Dana here, sorted.' });
      const users = done.state.messages.filter((message) => message.type === 'human').map((message) => message.id);
      expect(users.slice(-2)).toEqual(['m3', 'm4']);
      const transcript = (await wholeTranscript(graph, threadId)).map((message) => message.id);
      expect(transcript.filter((id) => id === 'm3' || id === 'm4')).toEqual(['m3', 'm4']);
      expect((await getTurnSummaries(graph, threadId)).map((summary) => [summary.turn, summary.status, summary.continuedIn])).toEqual([
        [1, 'done', undefined],
        [2, 'done', 3],
        [3, 'done', 4],
        [4, 'done', undefined],
      ]);
      // Sent again, m3 is a message handled before.
      expect(await runTurn(graph, { threadId, messageId: 'm3', message: 'hello? anyone there?' })).toMatchObject({ replayed: true });
    });
  });

  it('a message to a waiting person whose checkpoint failed is taken in by recoverThread, once', async () => {
    await onStore(async (store) => {
      const { graph, threadId } = await unsavedMessageToPerson(store);
      expect(await recoverThread(graph, threadId)).toMatchObject({ messageId: 'm3', status: 'waiting', turn: 3 });
      expect(await recoverThread(graph, threadId)).toBeUndefined();
      expect(await runTurn(graph, { threadId, messageId: 'm3', message: 'hello? anyone there?' })).toMatchObject({ replayed: true, status: 'waiting', turn: 3 });
      expect((await wholeTranscript(graph, threadId)).filter((message) => message.id === 'm3')).toHaveLength(1);
    });
  });

  it("a message to a waiting person whose checkpoint failed, then the person's reply: the reply answers it, and it is kept once", async () => {
    await onStore(async (store) => {
      const { graph, threadId } = await unsavedMessageToPerson(store);
      const done = await resumeThread(graph, threadId, { reply: 'Dana here, sorted.' });
      expect(done).toMatchObject({ status: 'done', turn: 3, recovered: { messageId: 'm3', status: 'waiting', turn: 3 } });
      await expectAnsweredOnce(graph, done);
    });
  });

  it.each(['recoverThread', 'the same reply again'])("a person's reply whose checkpoint failed after the person's step was saved, then %s: the reply is in the thread and its transcript once", async (next) => {
    await onStore(async (store) => {
      const graph = await desk(store);
      const { threadId } = newThread();
      await runTurn(graph, { threadId, message: 'My invoice is wrong' });
      await runTurn(graph, { threadId, message: 'I want a person' });
      await expect(inputOnly(store, () => resumeThread(graph, threadId, { reply: 'Dana here, sorted.' }), { tasks: true })).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
      const done = next === 'recoverThread' ? await recoverThread(graph, threadId) : await resumeThread(graph, threadId, { reply: 'Dana here, sorted.' });
      expect(done).toMatchObject({ status: 'done', turn: 2 });
      const replies = (message: { type: string; content: unknown }) => message.type === 'ai' && message.content === 'Dana here, sorted.';
      expect(done!.state.messages.filter(replies)).toHaveLength(1);
      expect((await wholeTranscript(graph, threadId)).filter(replies)).toHaveLength(1);
    });
  });

  it("a person's reply cut short after it was saved, then a user message: the reply is taken in first, once", async () => {
    await onStore(async (store) => {
      const graph = await desk(store);
      const { threadId } = newThread();
      await runTurn(graph, { threadId, message: 'My invoice is wrong' });
      await runTurn(graph, { threadId, message: 'I want a person' });
      // The reply is saved beside the checkpoint (the run's input); the person's own writes fail.
      await expect(inputOnly(store, () => resumeThread(graph, threadId, { reply: 'Dana here, sorted.' }))).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
      const next = await runTurn(graph, { threadId, messageId: 'm3', message: 'thanks, one more thing' });
      expect(next.recovered).toMatchObject({ status: 'done', turn: 2 });
      expect(next.turn).toBe(3);
      const replies = (await wholeTranscript(graph, threadId)).filter((message) => message.type === 'ai' && message.content === 'Dana here, sorted.');
      expect(replies).toHaveLength(1);
      expect(next.state.messages.filter((message) => message.id === 'm3')).toHaveLength(1);
    });
  });

  it('a later wait cut short carries the parts journaled before it: their usage and trace stay, the last part follows them', async () => {
    await onStore(async (store) => {
      const graph = await gatedDesk(store);
      const { threadId } = newThread();
      const seen = new Map<string, BaseMessage>();
      accumulate(seen, await runTurn(graph, { threadId, message: 'My invoice is wrong' }));
      accumulate(seen, await runTurn(graph, { threadId, message: 'I want a person' }));
      const asked = (await getTurnSummaries(graph, threadId))[1]!;
      expect(asked.usage.total.modelCalls).toBeGreaterThan(0);
      const askedTrace = await getTrace(graph, threadId, 2);
      expect(askedTrace).toHaveLength(asked.events);
      // The approval's part runs, and its journal append fails: the turn now waits for the person.
      accumulate(seen, await withoutJournal(store, () => approveHandoff(graph, threadId)));
      const done = await resumeThread(graph, threadId, { reply: 'Refunded the duplicate charge.' });
      await expectWholeTranscript(graph, done, seen);

      const second = (await getTurnSummaries(graph, threadId))[1]!;
      expect(second).toMatchObject({ turn: 2, status: 'done', recovered: true, startedAt: asked.startedAt, handoffs: [{ from: 'billing', to: 'person' }] });
      expect(second.usage.total.modelCalls).toBe(asked.usage.total.modelCalls);
      const trace = await getTrace(graph, threadId, 2);
      const types = trace.map((entry) => entry.type);
      // The first part's trace, then the last part's after it (the lost middle part's events are unknown).
      expect(types.filter((type) => type.startsWith('approval') || type.startsWith('escalation') || type === 'turn-end')).toEqual(['approval-start', 'escalation-end', 'turn-end']);
      expect(trace.slice(0, asked.events)).toEqual(askedTrace);
      expect(second.events).toBe(trace.length);
    });
  });
});

describe('transcript on a SQLite file across processes', () => {
  const run = promisify(execFile);
  const worker = new URL('../workers/journal-crash-worker.ts', import.meta.url).pathname;
  const turnIn = async (db: string, threadId: string, mode: string, message: string) =>
    run(process.execPath, ['--import', 'tsx', worker, db, threadId, mode, message], { cwd: new URL('../..', import.meta.url).pathname }).then(
      () => 'finished',
      (error: { signal?: string }) => error.signal ?? 'failed',
    );

  it.each(['after-checkpoint', 'mid-turn'])('a worker killed %s: the next process journals the turn once, and the transcript has no gap', async (mode) => {
    const db = join(dir, `crash-${randomUUID()}.sqlite`);
    const threadId = `crash-${randomUUID()}`;
    expect(await turnIn(db, threadId, 'none', CONVERSATION[0]!)).toBe('finished');
    expect(await turnIn(db, threadId, mode, CONVERSATION[1]!)).toBe('SIGKILL');

    // A restart: the file opened again by this process, the tree compiled again.
    const store = await openCheckpointer(db);
    try {
      const { graph } = await compileExample('support', { checkpointer: store.saver, model: 'offline' });
      const third = await runTurn(graph, { threadId, message: CONVERSATION[2]!, messageId: `${threadId}:${CONVERSATION[2]}` });
      expect(third.recovered === undefined).toBe(mode === 'after-checkpoint');
      const transcript = await wholeTranscript(graph, threadId);
      const ids = transcript.map((message) => message.id);
      expect(new Set(ids).size).toBe(ids.length);
      // Every message the thread holds is in the transcript, in the thread's order.
      const state = (await graph.getState({ configurable: { thread_id: threadId } })).values as { messages: BaseMessage[] };
      expect(ids).toEqual(state.messages.map((message) => message.id));
      expect(transcript.filter((message) => message.type === 'human').map((message) => message.content)).toEqual(CONVERSATION.slice(0, 3));
      // The refund of turn 2 happened once, and its call and answer are both in the transcript.
      const refunds = transcript.filter((message) => message.type === 'tool' && message.name === 'issue_refund');
      expect(refunds).toHaveLength(1);
      const summaries = await getTurnSummaries(graph, threadId);
      expect(summaries.map((summary) => [summary.turn, summary.status, summary.recovered ?? false])).toEqual([
        [1, 'done', false],
        [2, 'done', true],
        [3, 'done', false],
      ]);
    } finally {
      await store.close();
    }
  });
});

const EVENTS_TREE = `
version: 1
name: events
root: front
escalation: boss
limits: { toolCallsPerTurn: 1, handoffsPerTurn: 10 }
agents:
  front: { description: Front, prompt: Front., children: [worker], escalate: [boss] }
  worker: { description: Worker, prompt: Worker., tools: [lookup_invoice], fallback: spare }
  spare: { description: Spare, prompt: Spare., escalate: [person] }
  boss: { description: Boss, prompt: Boss., escalate: [person] }
  person: { kind: human, description: A person }
`;

function compileEvents(steps: ConstructorParameters<typeof ScriptedChatModel>[0], trace: boolean) {
  const tools = createExampleTools();
  const model = new ScriptedChatModel(steps);
  const graph = compileTree(parseTree(EVENTS_TREE, 'events.yaml', { tools }), { tools, model, trace, sleep: async () => {} });
  return { graph, model };
}

describe('turn summaries and traces', () => {
  it('a summary says what happened: handoffs, refusals, limits, escalation, usage; a resumed turn is summarised whole', async () => {
    const { graph } = compileEvents(
      [
        call('transfer_to_worker'),
        { toolCalls: [{ name: 'lookup_invoice', args: { invoice_id: 'A' } }, { name: 'lookup_invoice', args: { invoice_id: 'B' } }, { name: 'transfer_to_nobody' }] },
        call('transfer_to_person'),
      ],
      false,
    );
    const { threadId } = newThread();
    const waiting = await runTurn(graph, { threadId, message: 'go' });
    expect(waiting.status).toBe('waiting');
    const [whileWaiting] = await getTurnSummaries(graph, threadId);
    expect(whileWaiting).toMatchObject({ turn: 1, status: 'waiting', agent: 'person', owner: 'person', escalations: [{ from: 'boss', to: 'person' }] });

    const done = await resumeThread(graph, threadId, { reply: 'Dana here.', handBackTo: 'front' });
    expect(done.status).toBe('done');
    const summaries = await getTurnSummaries(graph, threadId);
    expect(summaries).toHaveLength(1);
    expect(summaries[0]).toMatchObject({
      tree: 'events',
      turn: 1,
      status: 'done',
      agent: 'person',
      owner: 'front',
      startedAt: whileWaiting!.startedAt,
      refused: [{ code: 'UNKNOWN_TOOL', tool: 'transfer_to_nobody' }],
      limits: [{ limit: 'TOOL_CALL_LIMIT', agent: 'worker', action: 'escalate', to: 'boss' }],
      fallbacks: [],
      modelFallbacks: [],
      escalations: [{ from: 'boss', to: 'person' }],
      modelCalls: 3,
      toolCalls: 1,
      pingPongs: 0,
      events: 0,
    });
    expect(summaries[0]!.handoffs.map((record) => `${record.kind}:${record.from}>${record.to}`)).toEqual(['delegate:front>worker', 'limit:worker>boss', 'escalate:boss>person', 'resume:person>front']);
    expect(summaries[0]!.usage.total).toMatchObject({ modelCalls: 3, inputTokens: 30, outputTokens: 15 });
    expect(Object.keys(summaries[0]!.usage.byAgent).sort()).toEqual(['boss', 'front', 'worker']);
    expect(await getTrace(graph, threadId, 1)).toEqual([]);
    // A turn number that cannot be one is refused, as `forkThread` and `switchboard trace` refuse it.
    for (const turn of [0, -1, 1.5]) await expect(getTrace(graph, threadId, turn)).rejects.toMatchObject({ code: 'INVALID_INPUT', message: `The turn must be a whole number from 1 (got ${turn}).` });
    // Options from plain JavaScript: null is none; a value that is not an object is an input error, not a TypeError.
    expect((await getTranscript(graph, threadId, null as never)).messages.length).toBeGreaterThan(0);
    await expect(getTranscript(graph, threadId, 5 as never)).rejects.toMatchObject({ code: 'INVALID_INPUT', message: 'The options of getTranscript must be an object ({ after?, limit? }).' });
    expect((await listThreads(graph, null as never)).map((thread) => thread.threadId)).toContain(threadId);
    await expect(listThreads(graph, 'x' as never)).rejects.toMatchObject({ code: 'INVALID_INPUT', message: 'The options of listThreads must be an object ({ limit?, offset?, search? }).' });
    // The person's reply is in the transcript, once.
    const transcript = await wholeTranscript(graph, threadId);
    expect(transcript.filter((message) => message.content === 'Dana here.')).toMatchObject([{ type: 'ai', name: 'person', turn: 1 }]);
  });

  it('counts agent fallbacks and ping-pongs', async () => {
    const { graph } = compileEvents([call('transfer_to_worker'), new Error('worker model down'), 'Spare here.', call('transfer_to_worker'), call('transfer_to_front'), call('transfer_to_worker'), 'Boss here.'], false);
    const { threadId } = newThread();
    expect(await runTurn(graph, { threadId, message: 'first' })).toMatchObject({ status: 'done', agent: 'spare' });
    const [fallback] = await getTurnSummaries(graph, threadId);
    expect(fallback).toMatchObject({ fallbacks: [{ from: 'worker', to: 'spare', reason: 'MODEL_FAILED' }], modelCalls: 3, agent: 'spare', owner: 'spare' });
    // The failed call counts in the usage too (no tokens): the counts agree.
    expect(fallback!.usage.total).toMatchObject({ modelCalls: 3, inputTokens: 20, outputTokens: 10 });

    const other = newThread().threadId;
    const pingPong = await runTurn(graph, { threadId: other, message: 'loop' });
    expect(pingPong).toMatchObject({ status: 'done', agent: 'boss' });
    const [summary] = await getTurnSummaries(graph, other);
    expect(summary).toMatchObject({ pingPongs: 1, limits: [{ limit: 'PING_PONG', agent: 'front', action: 'escalate', to: 'boss' }] });
  });

  it('with trace on, the trace holds each model call with exactly the messages the model was sent', async () => {
    const { graph, model } = compileEvents([call('transfer_to_worker'), 'Worker answer.'], true);
    const { threadId } = newThread();
    await runTurn(graph, { threadId, message: 'look at my invoice' });
    const trace = await getTrace(graph, threadId, 1);
    expect(trace.map((event) => event.type)).not.toContain('text-delta');
    const calls = trace.filter((event): event is Extract<(typeof trace)[number], { type: 'model-call' }> => event.type === 'model-call');
    expect(calls.map((entry) => entry.agent)).toEqual(['front', 'worker']);
    expect(calls.map((entry) => entry.input.map((message) => [message.type, message.content]))).toEqual(
      model.requests.map((request) => request.messages.map((message) => [message.type, message.content])),
    );
    expect(calls[1]!.output).toMatchObject({ type: 'ai', content: 'Worker answer.', name: 'worker' });
    expect(trace.every((event) => typeof event.at === 'number')).toBe(true);
    expect((await getTurnSummaries(graph, threadId))[0]!.events).toBe(trace.length);
    expect(await getTrace(graph, threadId, 2)).toEqual([]);
  });

  it('a graph without a journal says so by code', async () => {
    const { graph } = await compileExample('support', { model: 'offline', journal: false });
    await expect(getTranscript(graph, 'any')).rejects.toMatchObject({ code: 'NO_JOURNAL' });
  });
});
