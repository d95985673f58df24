/**
 * A tree reshaped between turns of a thread: the agent that owned the conversation, or the person
 * it waits for, is no longer in the tree.
 */
import { describe, expect, it } from 'vitest';
import { MemorySaver } from '@langchain/langgraph';
import { parseTree } from '../../config/load.js';
import { compileTree } from '../../graphs/compile.js';
import { listWaitingThreads } from '../../runtime/threads.js';
import { pendingEscalations, resumeThread, runTurn } from '../../runtime/turn.js';
import { getTurnSummaries } from '../../runtime/transcript.js';
import { MemoryJournal } from '../../store/journal.js';
import { fakeOpenAIForFile, newThread, viaFakeOpenAI } from '../helpers.js';
import { WITH_PERSON, WITHOUT_BILLING, WITHOUT_PERSON } from './reshaped-desks.js';

const server = await fakeOpenAIForFile();

describe('a thread whose tree was reshaped', () => {
  it('says so when the person a thread waits for left the tree, and the next message goes to the root', async () => {
    const options = { ...viaFakeOpenAI(server), sleep: async () => {}, checkpointer: new MemorySaver(), journal: new MemoryJournal() };
    const before = compileTree(parseTree(WITH_PERSON, 'desk.yaml'), options);
    const { threadId } = newThread();
    server.enqueue({ toolCalls: [{ name: 'transfer_to_person', arguments: {} }] });
    expect(await runTurn(before, { threadId, message: 'a person, please' })).toMatchObject({ status: 'waiting', agent: 'person' });

    expect(await listWaitingThreads(before, options.checkpointer, [threadId, threadId])).toHaveLength(1);
    const after = compileTree(parseTree(WITHOUT_PERSON, 'desk.yaml'), options);
    // Still listed (LangGraph shows no task for a node the graph lost): nobody is left to answer it.
    expect((await listWaitingThreads(after, options.checkpointer)).filter((request) => request.threadId === threadId)).toMatchObject([{ type: 'escalation', agent: 'person', from: 'triage', handBackTargets: [] }]);
    await expect(resumeThread(after, threadId, { reply: 'Dana here.' })).rejects.toMatchObject({
      code: 'NOTHING_PENDING',
      message: `Thread ${threadId} waited for person, who is not in the tree any more: its next message goes to triage.`,
    });
    server.enqueue({ content: 'Triage here.' });
    expect(await runTurn(after, { threadId, message: 'hello?' })).toMatchObject({ status: 'done', agent: 'triage', reply: 'Triage here.' });
    expect((await listWaitingThreads(after, options.checkpointer)).filter((request) => request.threadId === threadId)).toEqual([]);
    // The wait nobody could answer is closed (it stayed `waiting` in the summaries and stats for good).
    expect((await getTurnSummaries(after, threadId)).map(({ turn, status, agent, endedAt, continuedIn }) => ({ turn, status, agent, ended: endedAt !== undefined, continuedIn }))).toEqual([
      { turn: 1, status: 'done', agent: 'person', ended: true, continuedIn: undefined },
      { turn: 2, status: 'done', agent: 'triage', ended: true, continuedIn: undefined },
    ]);
  });

  it('refuses a hand-back to an agent that left the tree as INVALID_REPLY, and the person can still answer', async () => {
    const options = { ...viaFakeOpenAI(server), sleep: async () => {}, checkpointer: new MemorySaver(), journal: new MemoryJournal() };
    const before = compileTree(parseTree(WITH_PERSON, 'desk.yaml'), options);
    const { threadId } = newThread();
    server.enqueue({ toolCalls: [{ name: 'transfer_to_billing', arguments: {} }] }, { toolCalls: [{ name: 'transfer_to_person', arguments: {} }] });
    const waiting = await runTurn(before, { threadId, message: 'a person, please' });
    expect(waiting.waitingFor?.handBackTargets).toEqual(['billing', 'triage']);

    // billing leaves the tree while the thread waits; the person stays.
    const after = compileTree(parseTree(WITHOUT_BILLING, 'desk.yaml'), options);
    // What the person is shown to choose from is the tree's as it is now.
    expect((await pendingEscalations(after, threadId)).map((request) => request.handBackTargets)).toEqual([['triage']]);
    expect((await listWaitingThreads(after, options.checkpointer)).filter((request) => request.threadId === threadId)).toMatchObject([{ type: 'escalation', handBackTargets: ['triage'] }]);
    await expect(resumeThread(after, threadId, { reply: 'Dana here.', handBackTo: 'billing' })).rejects.toMatchObject({
      code: 'INVALID_REPLY',
      message: 'person cannot hand the conversation to "billing". Allowed: triage.',
    });
    // The refused reply is not the thread's answer: the person's next reply goes through.
    const answered = await resumeThread(after, threadId, { reply: 'Dana here, sorted.', handBackTo: 'triage' });
    expect(answered).toMatchObject({ status: 'done', agent: 'person', reply: 'Dana here, sorted.' });
    expect(answered.state.activeAgent).toBe('triage');
  });
});
