/**
 * What the README promises, tried as a new user would: a person hands the conversation back to the
 * agent that escalated; a removed state field leaves the prompt; a thread belongs to its tree; a
 * waiting turn reports itself, not an earlier one; message length counts characters.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadTree, parseTree } from '../../config/load.js';
import { compileTree } from '../../graphs/compile.js';
import { call, ScriptedChatModel } from '../../models/scripted.js';
import { openCheckpointer } from '../../store/checkpointer.js';
import { listWaitingThreads } from '../../runtime/threads.js';
import { pendingEscalations, recoverThread, resumeThread, runTurn } from '../../runtime/turn.js';
import { createExampleTools } from '../../tools/examples.js';
import { compileExample, examplePath, newThread } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'switchboard-promises-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a person hands the conversation back', () => {
  it('to the agent that escalated, though the tree has no edge from the person to it', async () => {
    // billing → escalation_manager → human_agent, all in one turn.
    const model = new ScriptedChatModel([
      call('transfer_to_billing', { reason: 'double charge', priority: 'high' }),
      call('escalate_to_manager', { reason: 'angry customer' }),
      call('escalate_to_human', { reason: 'needs a person', summary: 'double charge' }),
      'Billing again: the refund is on its way.',
    ]);
    const { graph } = await compileExample('support', { model });
    const { threadId } = newThread();
    const waiting = await runTurn(graph, { threadId, message: 'I was charged twice, get me a person' });
    expect(waiting).toMatchObject({ status: 'waiting', agent: 'human_agent' });
    expect(waiting.waitingFor?.handBackTargets).toEqual(expect.arrayContaining(['escalation_manager', 'billing', 'triage']));
    expect(waiting.waitingFor?.handBackTargets[0]).toBe('escalation_manager');
    expect(waiting.waitingFor?.handBackTargets).not.toContain('human_agent');

    const resumed = await resumeThread(graph, threadId, { reply: 'Dana here: billing will finish this.', handBackTo: 'billing' });
    // The result names who answered (the person); billing owns the conversation now.
    expect(resumed).toMatchObject({ status: 'done', agent: 'human_agent', reply: 'Dana here: billing will finish this.', state: { activeAgent: 'billing' } });
    expect(await runTurn(graph, { threadId, message: 'thanks, and the refund?' })).toMatchObject({ agent: 'billing', reply: 'Billing again: the refund is on its way.' });
  });

  it('to the agent a limit redirected from', async () => {
    const tree = parseTree(
      `version: 1
name: limited
root: desk
escalation: person
limits: { handoffsPerTurn: 1 }
agents:
  desk:
    description: Front desk.
    prompt: Route to the specialist.
    children: [specialist]
  specialist:
    description: The specialist.
    prompt: Answer.
    escalate: [person]
  person:
    kind: human
    description: A person.
`,
      'limited.yaml',
    );
    const model = new ScriptedChatModel([call('transfer_to_specialist', {}), call('transfer_to_desk', {}), 'Desk here.']);
    const graph = compileTree(tree, { model });
    const { threadId } = newThread();
    const waiting = await runTurn(graph, { threadId, message: 'hello' });
    expect(waiting).toMatchObject({ status: 'waiting', agent: 'person' });
    expect(waiting.waitingFor).toMatchObject({ from: 'specialist' });
    expect(waiting.waitingFor?.handBackTargets[0]).toBe('specialist');
    await resumeThread(graph, threadId, { reply: 'Back to you.', handBackTo: 'specialist' });
    expect((await pendingEscalations(graph, threadId)).length).toBe(0);
  });
});

describe('a waiting turn', () => {
  it('reports its own number and no earlier handoff when the person already owns the conversation', async () => {
    const { graph } = await compileExample('support', { model: 'offline' });
    const { threadId } = newThread();
    await runTurn(graph, { threadId, message: 'My webhook is broken' });
    const first = await runTurn(graph, { threadId, message: 'I need to speak to a real person' });
    expect(first.status).toBe('waiting');
    expect(first.handoffs.length).toBeGreaterThan(0);
    await resumeThread(graph, threadId, { reply: 'Looking into it.' });
    const next = await runTurn(graph, { threadId, message: 'any news?' });
    expect(next).toMatchObject({ status: 'waiting', turn: first.turn + 1, handoffs: [] });
    expect(next.waitingFor).toMatchObject({ turn: next.turn, from: 'user' });
  });
});

describe('state after a tree edit', () => {
  it('shows the model only the fields the tree declares now, with their declared types', async () => {
    const before = `version: 1
name: desk
root: triage
state:
  priority: { type: string }
  plan: { type: string }
agents:
  triage:
    description: Front desk.
    prompt: Answer.
`;
    const after = before.replace('  priority: { type: string }\n', '').replace('plan: { type: string }', 'plan: { type: enum, values: [basic, pro] }');
    const store = await openCheckpointer('memory');
    const { threadId } = newThread();
    const first = compileTree(parseTree(before, 'desk.yaml'), { model: new ScriptedChatModel(['ok']), checkpointer: store.saver });
    await runTurn(first, { threadId, message: 'hi', fields: { priority: 'high', plan: 'gold' } });
    const model = new ScriptedChatModel(['ok']);
    const edited = compileTree(parseTree(after, 'desk.yaml'), { model, checkpointer: store.saver });
    await runTurn(edited, { threadId, message: 'again' });
    const system = model.requests.at(-1)?.system ?? '';
    expect(system).not.toMatch(/priority/);
    expect(system).not.toMatch(/gold/);
  });
});

describe('threads and trees', () => {
  it('refuses to run or resume a thread of another tree in the same store, with a typed error', async () => {
    const file = join(dir, 'threads.sqlite');
    const store = await openCheckpointer(file);
    try {
      const tools = createExampleTools();
      const support = compileTree(await loadTree(examplePath('support'), { tools }), { tools, model: 'offline', checkpointer: store.saver });
      const clinic = compileTree(await loadTree(examplePath('clinic'), { tools }), { tools, model: 'offline', checkpointer: store.saver });
      const { threadId } = newThread();
      await runTurn(support, { threadId, message: 'My webhook is broken' });
      expect(await runTurn(support, { threadId, message: 'I need to speak to a real person' })).toMatchObject({ status: 'waiting' });
      await expect(runTurn(clinic, { threadId, message: 'hello' })).rejects.toMatchObject({
        name: 'ThreadTreeError',
        code: 'THREAD_OF_ANOTHER_TREE',
        message: `Thread ${threadId} belongs to the tree "support", not "clinic". Use another thread id, or open it with the tree "support".`,
      });
      await expect(resumeThread(clinic, threadId, { reply: 'hi' })).rejects.toMatchObject({ code: 'THREAD_OF_ANOTHER_TREE' });
      await expect(recoverThread(clinic, threadId)).rejects.toMatchObject({ code: 'THREAD_OF_ANOTHER_TREE' });
      expect((await listWaitingThreads(clinic, store.saver)).map((request) => request.threadId)).not.toContain(threadId);
      expect((await listWaitingThreads(support, store.saver)).map((request) => request.threadId)).toContain(threadId);
      expect(await pendingEscalations(support, threadId)).toHaveLength(1);
    } finally {
      await store.close();
    }
  });
});

describe('limits', () => {
  it('counts messageChars in characters: 31 emoji are 31, not 62', async () => {
    const tree = parseTree(
      `version: 1
name: short
root: desk
limits: { messageChars: 40 }
agents:
  desk:
    description: Front desk.
    prompt: Answer.
`,
      'short.yaml',
    );
    const graph = compileTree(tree, { model: new ScriptedChatModel(['ok', 'ok']) });
    expect(await runTurn(graph, { threadId: newThread().threadId, message: '😀'.repeat(31) })).toMatchObject({ status: 'done' });
    expect(await runTurn(graph, { threadId: newThread().threadId, message: '😀'.repeat(41) })).toMatchObject({ status: 'error', error: { code: 'MESSAGE_TOO_LONG', message: 'The message has 41 characters; the limit is 40.' } });
  });
});
