import { describe, expect, it } from 'vitest';
import { Command } from '@langchain/langgraph';
import { loadTree } from '../../config/load.js';
import { compileTree } from '../../graphs/compile.js';
import { openCheckpointer } from '../../store/checkpointer.js';
import { pendingEscalations, recoverThread, resumeThread, runTurn } from '../../runtime/turn.js';
import { routingStats } from '../../runtime/stats.js';
import { getTurnSummaries, listThreads } from '../../runtime/transcript.js';
import { captureLogs } from '../../testing/capture-logs.js';
import { createExampleTools } from '../../tools/examples.js';
import { compileExample, examplePath, newThread } from '../helpers.js';
import { PG_URL, uniqueThread } from '../store/workers.js';

async function waitingThread(graph: Awaited<ReturnType<typeof compileExample>>['graph'], threadId = newThread().threadId) {
  await runTurn(graph, { threadId, message: 'My webhook is broken' });
  const result = await runTurn(graph, { threadId, message: 'I need to speak to a real person' });
  expect(result.status).toBe('waiting');
  return threadId;
}

describe('escalation to a person', () => {
  it('lists what the operator needs, resumes with the reply, and sends the next message to the new owner', async () => {
    const { graph } = await compileExample('support', { model: 'offline' });
    const threadId = await waitingThread(graph);
    const [request] = await pendingEscalations(graph, threadId);
    expect(request).toMatchObject({
      type: 'escalation',
      threadId,
      agent: 'human_agent',
      from: 'escalation_manager',
      message: 'I need to speak to a real person',
      handBackTargets: expect.arrayContaining(['escalation_manager', 'triage']),
    });
    expect(request?.transcript).toContain('user: My webhook is broken');

    const resumed = await resumeThread(graph, threadId, { reply: 'Dana here, I reset it.', handBackTo: 'triage', operator: 'dana' });
    // The person answered; triage owns the conversation from now on.
    expect(resumed).toMatchObject({ agent: 'human_agent', reply: 'Dana here, I reset it.', status: 'done', state: { activeAgent: 'triage' } });
    // The same message sent again is answered alike, now and after later turns.
    const waitingMessageId = resumed.messageId;
    expect(await runTurn(graph, { threadId, messageId: waitingMessageId, message: 'I need to speak to a real person' })).toMatchObject({ replayed: true, agent: 'human_agent', reply: 'Dana here, I reset it.' });
    expect(resumed.handoffs.at(-1)).toMatchObject({ from: 'human_agent', to: 'triage', kind: 'resume' });
    expect(await pendingEscalations(graph, threadId)).toEqual([]);
    const next = await runTurn(graph, { threadId, message: 'thanks' });
    expect(next.state.turn.path[0]).toBe('triage');
    expect(await runTurn(graph, { threadId, messageId: waitingMessageId, message: 'I need to speak to a real person' })).toMatchObject({ replayed: true, agent: 'human_agent' });
  });

  it('keeps the person as owner when nobody is named: the next message waits for them again', async () => {
    const { graph } = await compileExample('support', { model: 'offline' });
    const threadId = await waitingThread(graph);
    await resumeThread(graph, threadId, { reply: 'Looking into it.' });
    const next = await runTurn(graph, { threadId, message: 'any news?' });
    expect(next).toMatchObject({ status: 'waiting', agent: 'human_agent' });
    // The person owns the conversation now: the new message comes from the user, not from the manager.
    expect(next.waitingFor).toMatchObject({ from: 'user', message: 'any news?', turn: next.turn });
    expect(next.handoffs).toEqual([]);
    // The turn is in the checkpoint from its start, so its summary and duration count from the message, not the reply.
    expect(next.state.turn).toMatchObject({ number: next.turn, status: 'waiting', startedAt: expect.any(String) });
    await resumeThread(graph, threadId, { reply: 'Still on it.' });
    expect((await getTurnSummaries(graph, threadId)).at(-1)).toMatchObject({ turn: next.turn, status: 'done', startedAt: next.state.turn.startedAt });
  });

  it('a message written while the person is waited for opens a new turn that goes on waiting: the earlier one is closed, the person may hand back as before', async () => {
    const { graph } = await compileExample('support', { model: 'offline' });
    const threadId = await waitingThread(graph);
    const [escalated] = await pendingEscalations(graph, threadId);
    const again = await runTurn(graph, { threadId, message: 'hello? anyone there?' });
    expect(again).toMatchObject({ status: 'waiting', agent: 'human_agent', turn: escalated!.turn + 1, handoffs: [] });
    // The person owns the conversation: the new turn comes from the user, with the whole conversation.
    const [request] = await pendingEscalations(graph, threadId);
    expect(request).toMatchObject({ from: 'user', turn: again.turn, message: 'hello? anyone there?', handBackTargets: escalated!.handBackTargets });
    expect(request!.transcript).toContain('user: I need to speak to a real person');
    // The checkpoint numbers the waiting turn, with its start.
    expect(again.state.turn).toMatchObject({ number: again.turn, status: 'waiting', startedAt: expect.any(String) });
    const third = await runTurn(graph, { threadId, message: 'still waiting' });
    expect(third.waitingFor).toMatchObject({ from: 'user', turn: again.turn + 1, handBackTargets: escalated!.handBackTargets });

    const summaries = await getTurnSummaries(graph, threadId);
    expect(summaries.slice(-3).map((summary) => [summary.turn, summary.status, summary.continuedIn])).toEqual([
      [escalated!.turn, 'done', again.turn],
      [again.turn, 'done', third.turn],
      [third.turn, 'waiting', undefined],
    ]);
    // Sent again while the person is awaited, an earlier message of the wait is still waiting.
    expect(await runTurn(graph, { threadId, messageId: again.messageId, message: 'hello? anyone there?' })).toMatchObject({
      replayed: true,
      status: 'waiting',
      turn: again.turn,
      reply: undefined,
      error: undefined,
      // What it waits for: the wait it went on with, as the thread waits now.
      waitingFor: { type: 'escalation', agent: 'human_agent', turn: third.turn },
    });
    // The person answers once, for every message; the hand-back targets of the first wait still hold.
    const answered = await resumeThread(graph, threadId, { reply: 'Dana here, sorted.', handBackTo: escalated!.from });
    // Each message of the wait, sent again, gets that answer.
    for (const [earlier, message] of [[escalated!, 'I need to speak to a real person'], [again, 'hello? anyone there?']] as const) {
      const messageId = earlier === again ? again.messageId : (await getTurnSummaries(graph, threadId))[earlier.turn - 1]!.messageId!;
      expect(await runTurn(graph, { threadId, messageId, message })).toMatchObject({ replayed: true, status: 'done', turn: earlier.turn, agent: 'human_agent', reply: 'Dana here, sorted.' });
    }
    expect(answered).toMatchObject({ status: 'done', turn: third.turn, reply: 'Dana here, sorted.', state: { activeAgent: escalated!.from } });
    const last = (await getTurnSummaries(graph, threadId)).at(-1)!;
    expect(last).toMatchObject({ turn: third.turn, status: 'done', startedAt: third.state.turn.startedAt });
    // Each turn counts once in the thread list, however often it waited.
    expect((await listThreads(graph, { search: threadId }))[0]).toMatchObject({ turns: third.turn, lastTurn: { turn: third.turn, status: 'done' } });
    const stats = await routingStats(graph);
    expect(stats.statuses).toEqual({ done: third.turn });
    expect(stats.escalations.toPerson).toBe(1);
  });

  it('holds a message to a person to their messageChars, as an agent does: refused before anything is saved, the thread still waits', async () => {
    const { graph } = await compileExample('support', { model: 'offline' });
    const threadId = await waitingThread(graph);
    const config = { configurable: { thread_id: threadId } };
    const before = await graph.getState(config);
    const [request] = await pendingEscalations(graph, threadId);
    // 8,001 characters as a person counts them (an emoji is one).
    const refused = await runTurn(graph, { threadId, message: '😀'.repeat(8_001) });
    expect(refused).toMatchObject({ status: 'error', error: { code: 'MESSAGE_TOO_LONG', message: 'The message has 8001 characters; the limit is 8000.' }, agent: 'human_agent', reply: undefined, handoffs: [] });
    expect((await graph.getState(config)).values).toEqual(before.values);
    expect(await pendingEscalations(graph, threadId)).toEqual([request]);
    // At the limit, it reaches the person.
    const kept = await runTurn(graph, { threadId, message: '😀'.repeat(8_000) });
    expect(kept).toMatchObject({ status: 'waiting', turn: request!.turn + 1 });
    expect((await resumeThread(graph, threadId, { reply: 'Got it.' })).status).toBe('done');
  });

  it('rejects a resume with nothing pending, and a hand-back to an agent the person cannot reach', async () => {
    const { graph } = await compileExample('support', { model: 'offline' });
    const idle = newThread().threadId;
    await runTurn(graph, { threadId: idle, message: 'hello' });
    await expect(resumeThread(graph, idle, { reply: 'hi' })).rejects.toMatchObject({
      code: 'NOTHING_PENDING',
      message: `Thread ${idle} is not waiting for a person: no person was asked for in its latest turns (turn 1 is its latest; triage owns the conversation).`,
    });

    const threadId = await waitingThread(graph);
    await expect(resumeThread(graph, threadId, { reply: 'hi', handBackTo: 'sales' })).rejects.toMatchObject({
      code: 'INVALID_REPLY',
      message: expect.stringMatching(/^human_agent cannot hand the conversation to "sales"\. Allowed: /),
    });
    await expect(resumeThread(graph, threadId, { reply: '' })).rejects.toMatchObject({ code: 'INVALID_REPLY' });
    expect(await pendingEscalations(graph, threadId)).toHaveLength(1);
  });

  it('refuses a reply longer than the person\'s messageChars before anything is saved, counting characters as a person does', async () => {
    const { graph } = await compileExample('support', { model: 'offline' });
    const threadId = await waitingThread(graph);
    const config = { configurable: { thread_id: threadId } };
    const before = await graph.getState(config);
    await expect(resumeThread(graph, threadId, { reply: 'x'.repeat(8_001), handBackTo: 'triage' })).rejects.toMatchObject({
      code: 'INVALID_REPLY',
      message: 'The reply has 8001 characters; the limit is 8000.',
    });
    // Nothing saved: the thread is where it was, still waiting for the person.
    expect((await graph.getState(config)).config.configurable?.checkpoint_id).toBe(before.config.configurable?.checkpoint_id);
    expect(await pendingEscalations(graph, threadId)).toHaveLength(1);
    // 8,000 emoji are 16,000 UTF-16 units but 8,000 characters: within the limit.
    expect(await resumeThread(graph, threadId, { reply: '😀'.repeat(8_000) })).toMatchObject({ status: 'done', agent: 'human_agent' });
  });

  it('asks the person again after a bad answer given through LangGraph directly, and the next valid reply answers', async () => {
    const logs = captureLogs('debug');
    const { graph } = await compileExample('support', { model: 'offline', logger: logs.logger });
    for (const bad of [{ reply: 'hi', handBackTo: 'sales' }, { reply: 'x'.repeat(8_001) }, { text: 'hi' }, 42]) {
      const threadId = await waitingThread(graph);
      const config = { configurable: { thread_id: threadId } };
      // LangGraph saves the value as the step's answer before the node reads it: a refusal there
      // would fail every later run of the thread. The person is asked again instead.
      await graph.invoke(new Command({ resume: bad }), config);
      const [waiting] = await pendingEscalations(graph, threadId);
      expect(waiting).toMatchObject({ agent: 'human_agent', threadId });
      // The bad answer was read (the person is asked again): it is not a reply a failure left unsaved.
      expect(await recoverThread(graph, threadId)).toBeUndefined();
      const result = await resumeThread(graph, threadId, { reply: 'Refund approved.' });
      expect(result).toMatchObject({ status: 'done', agent: 'human_agent', reply: 'Refund approved.' });
      expect(result.state.messages.filter((message) => message.text === 'Refund approved.')).toHaveLength(1);
    }
    const warnings = logs.records.filter((record) => record.event === 'reply-invalid');
    expect(warnings).toHaveLength(4);
    expect(warnings.every((record) => record.code === 'INVALID_REPLY')).toBe(true);
    // What the person wrote is never logged.
    expect(logs.lines.join('\n')).not.toContain('xxxxxxxxxx');
  });

  it('applies two concurrent resumes of one escalation once', async () => {
    const { graph } = await compileExample('support', { model: 'offline' });
    const threadId = await waitingThread(graph);
    const outcomes = await Promise.allSettled([resumeThread(graph, threadId, { reply: 'first operator' }), resumeThread(graph, threadId, { reply: 'second operator' })]);
    expect(outcomes.map((outcome) => outcome.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(outcomes.find((outcome) => outcome.status === 'rejected')).toMatchObject({ reason: { code: 'NOTHING_PENDING' } });
    const state = (await graph.getState({ configurable: { thread_id: threadId } })).values as { messages: { text: string; name?: string }[] };
    expect(state.messages.filter((message) => message.name === 'human_agent')).toHaveLength(1);
  });

  it('applies two concurrent resumes once across workers sharing PostgreSQL', async () => {
    const tools = createExampleTools();
    const tree = await loadTree(examplePath('support'), { tools });
    const stores = [await openCheckpointer(PG_URL), await openCheckpointer(PG_URL)];
    try {
      const [first, second] = stores.map((store) => compileTree(tree, { tools, checkpointer: store.saver, threadLock: store.threadLock, model: 'offline' }));
      const threadId = uniqueThread('resume');
      await waitingThread(first!, threadId);
      const outcomes = await Promise.allSettled([resumeThread(first!, threadId, { reply: 'worker one' }), resumeThread(second!, threadId, { reply: 'worker two' })]);
      expect(outcomes.map((outcome) => outcome.status).sort()).toEqual(['fulfilled', 'rejected']);
      const state = (await first!.getState({ configurable: { thread_id: threadId } })).values as { messages: { name?: string }[] };
      expect(state.messages.filter((message) => message.name === 'human_agent')).toHaveLength(1);
    } finally {
      await Promise.all(stores.map((store) => store.close()));
    }
  });

  it('runs nothing with a side effect before the interrupt: resuming does not repeat the escalation’s records', async () => {
    const logs = captureLogs('debug');
    const { graph } = await compileExample('support', { model: 'offline', logger: logs.logger });
    const threadId = await waitingThread(graph);
    const before = logs.records.filter((record) => record.agent === 'human_agent').length;
    expect(before).toBe(0);
    await resumeThread(graph, threadId, { reply: 'hello' });
    const human = logs.records.filter((record) => record.agent === 'human_agent').map((record) => record.event);
    expect(human).toEqual(['escalation-end', 'message-end', 'turn-end']);
    expect(logs.records.filter((record) => record.event === 'escalation-start')).toHaveLength(1);
  });
});
