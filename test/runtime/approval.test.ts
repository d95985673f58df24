/**
 * Approval gates (`approval: required` on an agent, `handoff.approval`, or `approval: { target: … }`
 * on the agent that hands off): a gated handoff pauses the thread before any
 * side effect, is listed with the threads waiting for a person, and is approved (the move happens and
 * the receiving agent answers in the same call) or denied (the model is told and goes on); on memory
 * and SQLite.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ToolMessage } from '@langchain/core/messages';
import { Command } from '@langchain/langgraph';
import { afterAll, describe, expect, it } from 'vitest';
import { loadTree, parseTree } from '../../config/load.js';
import { tool } from '@langchain/core/tools';
import { z } from 'zod';
import { ScriptedChatModel } from '../../models/scripted.js';
import { getToolContext } from '../../nodes/tool-context.js';
import type { SwitchboardState } from '../../state/schema.js';
import { compileTree } from '../../graphs/compile.js';
import type { CompileOptions } from '../../graphs/compile.js';
import { approveHandoff, denyHandoff, pendingApprovals, resolveApproval } from '../../runtime/approval.js';
import { listWaitingThreads } from '../../runtime/threads.js';
import { getTranscript, getTurnSummaries } from '../../runtime/transcript.js';
import { recoverThread, resumeThread, runTurn, streamTurn } from '../../runtime/turn.js';
import { openCheckpointer } from '../../store/checkpointer.js';
import type { Checkpointer } from '../../store/checkpointer.js';
import { MemoryLedger } from '../../store/ledger.js';
import { captureLogs } from '../../testing/capture-logs.js';
import { createExampleTools } from '../../tools/examples.js';
import type { SwitchboardEvent } from '../../nodes/events.js';
import { examplePath, expectEveryCallAnswered, fakeOpenAIForFile, newThread, viaFakeOpenAI } from '../helpers.js';

const server = fakeOpenAIForFile();
const dir = mkdtempSync(join(tmpdir(), 'switchboard-approval-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const STORES = {
  memory: () => openCheckpointer('memory'),
  sqlite: () => openCheckpointer(join(dir, `threads-${Math.random().toString(36).slice(2)}.sqlite`)),
} satisfies Record<string, () => Promise<Checkpointer>>;

/** The support tree with the escalation manager behind an approval gate. */
async function gatedSupport(store: Checkpointer, options: CompileOptions = {}) {
  const ledger = new MemoryLedger();
  const tools = createExampleTools({ ledger });
  const tree = await loadTree(examplePath('support'), { tools });
  tree.spec.agents.escalation_manager!.approval = 'required';
  const events: SwitchboardEvent[] = [];
  const graph = compileTree(tree, { tools, checkpointer: store.saver, threadLock: store.threadLock, sleep: async () => {}, observers: [(event) => events.push(event)], ...options });
  return { graph, ledger, events };
}

const toBilling = { toolCalls: [{ name: 'transfer_to_billing', arguments: { reason: 'double charge' } }] };
/** Billing refunds and escalates in one response: the refund must wait for the decision too. */
const refundAndEscalate = {
  toolCalls: [
    { name: 'issue_refund', arguments: { invoice_id: 'INV-1001', amount: 10 } },
    { name: 'escalate_to_manager', arguments: { reason: 'customer disputes the rest' } },
  ],
};

const toolTexts = (messages: { type: string }[]) => messages.filter((message) => message.type === 'tool').map((message) => String((message as ToolMessage).content));

describe.each(Object.keys(STORES) as (keyof typeof STORES)[])('on %s', (kind) => {
  it('pauses before any side effect, lists the approval, and on approval the receiving agent answers in the same call', async () => {
    const fake = await server;
    const store = await STORES[kind]();
    try {
      const { graph, ledger, events } = await gatedSupport(store, viaFakeOpenAI(fake));
      const { threadId } = newThread();
      fake.enqueue(toBilling, refundAndEscalate);
      const paused = await runTurn(graph, { threadId, message: `I was charged twice and want the rest back (${kind})` });
      expect(paused).toMatchObject({
        status: 'waiting',
        agent: 'billing',
        reply: undefined,
        waitingFor: { type: 'approval', threadId, from: 'billing', to: 'escalation_manager', tool: 'escalate_to_manager', payload: { reason: 'customer disputes the rest' }, reason: 'customer disputes the rest', turn: 1, message: `I was charged twice and want the rest back (${kind})` },
      });
      // Nothing with a side effect ran: no refund, no handoff.
      expect(await ledger.list('refund')).toEqual([]);
      const managerCalls = () => fake.requests.filter((request) => String(request.messages[0]?.content).includes('senior escalation manager') && JSON.stringify(request.messages).includes(`(${kind})`));
      expect(managerCalls()).toEqual([]);
      expect(events.filter((event) => event.type === 'approval-start')).toHaveLength(1);

      const listed = await listWaitingThreads(graph, store.saver);
      expect(listed).toEqual([expect.objectContaining({ type: 'approval', threadId, from: 'billing', to: 'escalation_manager', payload: { reason: 'customer disputes the rest' } })]);
      expect(await pendingApprovals(graph, threadId)).toHaveLength(1);
      // A reply as the person is not an approval.
      await expect(resumeThread(graph, threadId, { reply: 'hello' })).rejects.toMatchObject({ code: 'NOTHING_PENDING' });

      fake.enqueue({ content: 'Manager here: I will sort out the rest by Friday.' });
      const approved = await approveHandoff(graph, threadId, { operator: 'ana' });
      expect(approved).toMatchObject({ status: 'done', agent: 'escalation_manager', reply: 'Manager here: I will sort out the rest by Friday.', waitingFor: undefined });
      expect(approved.handoffs.map((record) => `${record.from}→${record.to}`)).toEqual(['triage→billing', 'billing→escalation_manager']);
      // The journal keeps one summary of the turn, both parts merged: the moves before the gate and after it.
      const summaries = await getTurnSummaries(graph, threadId);
      expect(summaries.map((summary) => [summary.turn, summary.status, summary.handoffs.map((record) => `${record.from}→${record.to}`)])).toEqual([
        [1, 'done', ['triage→billing', 'billing→escalation_manager']],
      ]);
      const transcript = await getTranscript(graph, threadId);
      expect(transcript.messages.at(-1)).toMatchObject({ type: 'ai', name: 'escalation_manager', content: 'Manager here: I will sort out the rest by Friday.' });
      expect(await ledger.list('refund')).toHaveLength(1);
      expect(managerCalls()).toHaveLength(1);
      expect(events.filter((event) => event.type === 'approval-start')).toHaveLength(1);
      expect(events.find((event) => event.type === 'approval-end')).toMatchObject({ from: 'billing', to: 'escalation_manager', approved: true, operator: 'ana' });
      expect(await listWaitingThreads(graph, store.saver)).toEqual([]);
      await expect(approveHandoff(graph, threadId)).rejects.toMatchObject({
        code: 'NOTHING_PENDING',
        message: `Thread ${threadId} is not waiting for an approval: billing → escalation_manager was approved in turn 1; escalation_manager owns the conversation.`,
      });
      expectEveryCallAnswered(approved.state.messages);
    } finally {
      await store.close();
    }
  });

  it('asks again after a malformed decision given through LangGraph directly; the next decision answers, and who decided is kept', async () => {
    const fake = await server;
    const store = await STORES[kind]();
    const logs = captureLogs('debug');
    try {
      const { graph, ledger, events } = await gatedSupport(store, { ...viaFakeOpenAI(fake), logger: logs.logger });
      const { threadId } = newThread();
      fake.enqueue(toBilling, refundAndEscalate);
      expect((await runTurn(graph, { threadId, message: 'I was charged twice and want the rest back' })).status).toBe('waiting');
      const config = { configurable: { thread_id: threadId } };
      // LangGraph saves the value as the step's answer before the node reads it: refused there, it
      // would fail every later run of the thread.
      for (const bad of [{ approve: true }, { approved: 'yes' }, 'yes']) await graph.invoke(new Command({ resume: bad }), config);
      expect(await pendingApprovals(graph, threadId)).toEqual([expect.objectContaining({ to: 'escalation_manager', tool: 'escalate_to_manager' })]);
      expect(await ledger.list('refund')).toEqual([]);
      const warnings = logs.records.filter((record) => record.event === 'decision-invalid');
      expect(warnings).toHaveLength(3);
      expect(String(warnings[0]!.problems)).toMatch(/approved/);

      fake.enqueue({ content: 'Billing here: I cannot pass this on, but I can refund the duplicate.' });
      const denied = await denyHandoff(graph, threadId, { reason: 'not for the manager', operator: 'ana' });
      expect(denied).toMatchObject({ status: 'done', agent: 'billing' });
      expect(toolTexts(denied.state.messages).some((text) => text.includes('it was denied: not for the manager'))).toBe(true);
      expect(events.filter((event) => event.type === 'approval-end')).toEqual([expect.objectContaining({ approved: false, operator: 'ana', reason: 'not for the manager' })]);
      // The log keeps who decided, never why (a reason may quote the user).
      expect(logs.records.find((record) => record.event === 'approval-end')).toMatchObject({ operator: 'ana' });
      expect(logs.lines.join('\n')).not.toContain('not for the manager');
      expect(logs.records.filter((record) => record.event === 'decision-invalid')).toHaveLength(3);
      expectEveryCallAnswered(denied.state.messages);
      fake.enqueue({ content: 'You are welcome.' });
      expect(await runTurn(graph, { threadId, message: 'ok, thanks' })).toMatchObject({ status: 'done', agent: 'billing', reply: 'You are welcome.' });
    } finally {
      await store.close();
    }
  });

  it('withdraws the request when the user writes after a malformed decision, as without one', async () => {
    const fake = await server;
    const store = await STORES[kind]();
    try {
      const { graph, ledger, events } = await gatedSupport(store, viaFakeOpenAI(fake));
      const { threadId } = newThread();
      fake.enqueue(toBilling, refundAndEscalate);
      expect((await runTurn(graph, { threadId, message: 'I was charged twice and want the rest back' })).status).toBe('waiting');
      // Nobody decided: the malformed decisions decide nothing.
      for (const bad of [{ approve: true }, 'yes']) await graph.invoke(new Command({ resume: bad }), { configurable: { thread_id: threadId } });
      // The malformed decisions were read (the thread asked again): they are not input a failure left unsaved.
      expect(await recoverThread(graph, threadId)).toBeUndefined();
      fake.enqueue({ content: 'Billing here: what else can I do?' });
      const next = await runTurn(graph, { threadId, message: 'never mind' });
      expect(next).toMatchObject({ status: 'done', agent: 'billing', reply: 'Billing here: what else can I do?' });
      expect(next.recovered).toBeUndefined();
      expect(events.filter((event) => event.type === 'approval-end')).toEqual([]);
      expect(toolTexts(next.state.messages).slice(-2).map((text) => text.split(':')[0])).toEqual(['Not run', 'Not decided']);
      expect(await pendingApprovals(graph, threadId)).toEqual([]);
      expect(await ledger.list('refund')).toEqual([]);
      expectEveryCallAnswered(next.state.messages);
    } finally {
      await store.close();
    }
  });

  it("keeps a person's denial when the tree's gate was removed while the thread waited", async () => {
    const fake = await server;
    const store = await STORES[kind]();
    try {
      const { graph } = await gatedSupport(store, viaFakeOpenAI(fake));
      const { threadId } = newThread();
      fake.enqueue(toBilling, refundAndEscalate);
      expect((await runTurn(graph, { threadId, message: 'I was charged twice and want the rest back' })).status).toBe('waiting');
      // A malformed decision first (the thread asks again): the denial after it is the one that counts.
      await graph.invoke(new Command({ resume: { approve: false } }), { configurable: { thread_id: threadId } });
      // The YAML loses its gate (the same tree, reloaded): the request still waits for its decision.
      const tools = createExampleTools({ ledger: new MemoryLedger() });
      const ungated = compileTree(await loadTree(examplePath('support'), { tools }), { tools, checkpointer: store.saver, threadLock: store.threadLock, ...viaFakeOpenAI(fake) });
      expect(await pendingApprovals(ungated, threadId)).toHaveLength(1);
      fake.enqueue({ content: 'Billing here: I will handle the rest myself.' });
      const denied = await denyHandoff(ungated, threadId, { reason: 'not for the manager' });
      expect(denied).toMatchObject({ status: 'done', agent: 'billing', reply: 'Billing here: I will handle the rest myself.' });
      expect(denied.handoffs.map((record) => record.to)).toEqual(['billing']);
      expect(toolTexts(denied.state.messages).some((text) => text.includes('it was denied: not for the manager'))).toBe(true);
      expectEveryCallAnswered(denied.state.messages);
    } finally {
      await store.close();
    }
  });

  it('on denial tells the model why, and it goes on with the conversation', async () => {
    const fake = await server;
    const store = await STORES[kind]();
    try {
      const { graph, ledger, events } = await gatedSupport(store, viaFakeOpenAI(fake));
      const { threadId } = newThread();
      fake.enqueue(toBilling, refundAndEscalate);
      expect(await runTurn(graph, { threadId, message: 'refund me and get me a manager' })).toMatchObject({ status: 'waiting' });
      fake.enqueue({ content: 'I refunded $10; the manager line is closed, but I can help further.' });
      const denied = await denyHandoff(graph, threadId, { reason: 'managers are busy with an outage' });
      expect(denied).toMatchObject({ status: 'done', agent: 'billing', reply: 'I refunded $10; the manager line is closed, but I can help further.' });
      expect(denied.state.activeAgent).toBe('billing');
      expect(denied.handoffs.map((record) => record.to)).toEqual(['billing']);
      // The refund runs after the decision; the handoff's answer says it was denied and why.
      expect(await ledger.list('refund')).toHaveLength(1);
      expect(toolTexts(denied.state.messages).at(-1)).toBe(
        "Refused: the handoff to escalation_manager needs a person's approval, and it was denied: managers are busy with an outage. billing keeps the conversation: help the user yourself, or choose another way.",
      );
      // What billing's model was sent next.
      const sent = fake.requests.at(-1)!.messages.filter((message) => message.role === 'tool').map((message) => String(message.content));
      expect(sent.at(-1)).toMatch(/denied: managers are busy with an outage/);
      expect(events.find((event) => event.type === 'handoff-refuse')).toMatchObject({ code: 'APPROVAL_DENIED', to: 'escalation_manager' });
      expect(events.find((event) => event.type === 'approval-end')).toMatchObject({ approved: false });
      expectEveryCallAnswered(denied.state.messages);
      // The next message goes to billing, which kept the conversation.
      fake.enqueue({ content: 'Anything else?' });
      expect(await runTurn(graph, { threadId, message: 'ok thanks' })).toMatchObject({ agent: 'billing', status: 'done', turn: 2 });
    } finally {
      await store.close();
    }
  });
});

describe.each(Object.keys(STORES) as (keyof typeof STORES)[])('the user writes again while a handoff waits for approval, on %s', (kind) => {
  it('withdraws the request: the handoff and the tools held back with it are answered as not run, and the agent that asked answers the new message', async () => {
    const fake = await server;
    const store = await STORES[kind]();
    try {
      const { graph, ledger } = await gatedSupport(store, viaFakeOpenAI(fake));
      const { threadId } = newThread();
      fake.enqueue(toBilling, refundAndEscalate);
      expect(await runTurn(graph, { threadId, message: 'refund me and get me a manager' })).toMatchObject({ status: 'waiting' });

      fake.enqueue({ content: 'Still here: shall I ask the manager again?' });
      const events: SwitchboardEvent[] = [];
      const stream = streamTurn(graph, { threadId, message: 'hello? anyone there?' });
      let next = await stream.next();
      for (; !next.done; next = await stream.next()) events.push(next.value);
      const result = next.value;

      expect(events[0]).toEqual({ type: 'approval-end', from: 'billing', to: 'escalation_manager', tool: 'escalate_to_manager', approved: false, withdrawn: true });
      expect(result).toMatchObject({ status: 'done', agent: 'billing', reply: 'Still here: shall I ask the manager again?', turn: 2 });
      expectEveryCallAnswered(result.state.messages);
      expect(toolTexts(result.state.messages).slice(-2)).toEqual([
        'Not run: it waited with a handoff for approval, and the user wrote again first. Call it again if it is still needed.',
        'Not decided: the user wrote again before a person approved the handoff to escalation_manager; billing keeps the conversation. Ask again if it is still needed.',
      ]);
      // What billing's model was sent: its calls with their answers, then the new message.
      const sent = fake.requests.at(-1)!.messages;
      expect(sent.slice(-4).map((message) => [message.role, message.tool_calls?.map((call) => call.function.name) ?? String(message.content).slice(0, 12)])).toEqual([
        ['assistant', ['issue_refund', 'escalate_to_manager']],
        ['tool', 'Not run: it '],
        ['tool', 'Not decided:'],
        ['user', 'hello? anyon'],
      ]);
      expect(await ledger.list('refund')).toEqual([]);
      // Nothing waits any more.
      expect(await pendingApprovals(graph, threadId)).toEqual([]);
      expect((await listWaitingThreads(graph, store.saver)).map((waiting) => waiting.threadId)).not.toContain(threadId);
      await expect(approveHandoff(graph, threadId)).rejects.toMatchObject({ code: 'NOTHING_PENDING' });
      // The journal closes the withdrawn turn: the answers are in the transcript, the turn is over with its move.
      const transcript = (await getTranscript(graph, threadId, { limit: 100 })).messages;
      expect(transcript.filter((message) => message.type === 'tool' && message.turn === 1).map((message) => String(message.content)).slice(-2)).toEqual(toolTexts(result.state.messages).slice(-2));
      const calls = transcript.flatMap((message) => message.tool_calls?.map((call) => call.id) ?? []);
      expect(transcript.filter((message) => message.type === 'tool').map((message) => message.tool_call_id).sort()).toEqual([...calls].sort());
      const summaries = await getTurnSummaries(graph, threadId);
      expect(summaries.map((summary) => [summary.turn, summary.status, summary.owner, summary.handoffs.map((record) => `${record.from}>${record.to}`)])).toEqual([
        [1, 'done', 'billing', ['triage>billing']],
        [2, 'done', 'billing', []],
      ]);
    } finally {
      await store.close();
    }
  });
});

describe('a gate on one edge', () => {
  /** The support tree with `edit` applied; billing refunds and escalates in one response. */
  async function escalateFromBilling(edit: (agents: Awaited<ReturnType<typeof loadTree>>['spec']['agents']) => void, { gated }: { gated: boolean }) {
    const fake = await server;
    const store = await openCheckpointer('memory');
    const ledger = new MemoryLedger();
    const tools = createExampleTools({ ledger });
    const tree = await loadTree(examplePath('support'), { tools });
    edit(tree.spec.agents);
    const graph = compileTree(tree, { tools, checkpointer: store.saver, threadLock: store.threadLock, sleep: async () => {}, ...viaFakeOpenAI(fake) });
    const { threadId } = newThread();
    fake.enqueue(toBilling, refundAndEscalate);
    // The manager answers only where the move is not gated.
    if (!gated) fake.enqueue({ content: 'Manager here.' });
    const result = await runTurn(graph, { threadId, message: 'refund me and get me a manager' });
    await store.close();
    return { result, ledger };
  }

  it('pauses the handoff its source gates by target (approval: { target: required })', async () => {
    const { result, ledger } = await escalateFromBilling((agents) => (agents.billing!.approval = { escalation_manager: 'required' }), { gated: true });
    expect(result).toMatchObject({ status: 'waiting', waitingFor: { type: 'approval', from: 'billing', to: 'escalation_manager' } });
    expect(await ledger.list('refund')).toEqual([]);
  });

  it('pauses every handoff into an agent gated with handoff.approval, as approval: required does', async () => {
    const { result } = await escalateFromBilling((agents) => (agents.escalation_manager!.handoff = { ...agents.escalation_manager!.handoff, approval: 'required' }), { gated: true });
    expect(result).toMatchObject({ status: 'waiting', waitingFor: { type: 'approval', from: 'billing', to: 'escalation_manager' } });
  });

  it('lets through the edge its source marks none, into a gated agent', async () => {
    const { result, ledger } = await escalateFromBilling((agents) => {
      agents.escalation_manager!.approval = 'required';
      agents.billing!.approval = { escalation_manager: 'none' };
    }, { gated: false });
    expect(result).toMatchObject({ status: 'done', agent: 'escalation_manager', reply: 'Manager here.', waitingFor: undefined });
    expect(await ledger.list('refund')).toHaveLength(1);
  });

  it('does not gate the other edges of the source', async () => {
    const { result } = await escalateFromBilling((agents) => (agents.billing!.approval = { triage: 'required' }), { gated: false });
    expect(result).toMatchObject({ status: 'done', agent: 'escalation_manager' });
  });
});

describe('resolveApproval()', () => {
  it('refuses a malformed decision and a thread waiting for a reply instead, saying what to do', async () => {
    const fake = await server;
    const store = await openCheckpointer('memory');
    const { graph } = await gatedSupport(store, viaFakeOpenAI(fake));
    const { threadId } = newThread();
    await expect(resolveApproval(graph, threadId, { approved: 'yes' } as never)).rejects.toMatchObject({ code: 'INVALID_DECISION', message: expect.stringMatching(/approved: .*Pass \{ approved: true \}/) });
    await expect(approveHandoff(graph, threadId)).rejects.toMatchObject({ code: 'NOTHING_PENDING' });
    // A person's reply is pending: the error points at resumeThread.
    fake.enqueue({ toolCalls: [{ name: 'transfer_to_sales', arguments: { interest: 'demo' } }] }, { toolCalls: [{ name: 'escalate_to_manager', arguments: { reason: 'vip' } }] });
    const paused = await runTurn(graph, { threadId, message: 'I want a demo, and a manager' });
    expect(paused.waitingFor?.type).toBe('approval');
    // A reply to a thread waiting for an approval: the error points at approve and deny.
    await expect(resumeThread(graph, threadId, { reply: 'ok' })).rejects.toMatchObject({ code: 'NOTHING_PENDING', message: expect.stringMatching(/waits for a person to approve sales → escalation_manager, not for a reply: decide it with approveHandoff or denyHandoff/) });
    fake.enqueue({ toolCalls: [{ name: 'escalate_to_human', arguments: { reason: 'wants a person', summary: 'vip demo' } }] });
    const atPerson = await approveHandoff(graph, threadId);
    expect(atPerson).toMatchObject({ status: 'waiting', waitingFor: { type: 'escalation', agent: 'human_agent' } });
    await expect(denyHandoff(graph, threadId, { reason: 'no' })).rejects.toMatchObject({ code: 'NOTHING_PENDING', message: expect.stringMatching(/waits for human_agent to answer, not for an approval: answer it with resumeThread/) });
    await store.close();
  });

  it("on a thread whose turn was cut short after the decision, the person's reply finishes that turn first, then answers", async () => {
    const { store, graph, threadId } = await cutShortAfterApproval();
    const done = await resumeThread(graph, threadId, { reply: 'hello' });
    expect(done).toMatchObject({ status: 'done', turn: 2, reply: 'hello', recovered: { status: 'waiting', turn: 2, waitingFor: { type: 'escalation', agent: 'person' } } });
    expect(done.state.messages.filter((message) => message.type === 'ai' && message.content === 'hello')).toHaveLength(1);
    await store.close();
  });

  it('on a thread whose turn was cut short after the decision, finishes that turn first: the same decision again gets that turn, the other is refused with it, the person answers', async () => {
    const { store, graph, threadId } = await cutShortAfterApproval();
    const message = `Thread ${threadId} is not waiting for an approval: billing → person was approved in turn 2, a decision saved before a failure cut its run short and carried out first. That turn's result is the error's \`recovered\`.`;
    await expect(denyHandoff(graph, threadId)).rejects.toMatchObject({ code: 'NOTHING_PENDING', message, recovered: { status: 'waiting', turn: 2, waitingFor: { type: 'escalation', agent: 'person' } } });
    expect(await recoverThread(graph, threadId)).toBeUndefined();
    const again = await cutShortAfterApproval();
    expect(await approveHandoff(again.graph, again.threadId)).toMatchObject({ status: 'waiting', turn: 2, replayed: true, waitingFor: { type: 'escalation', agent: 'person' } });
    await again.store.close();
    expect(await resumeThread(graph, threadId, { reply: 'hello' })).toMatchObject({ status: 'done', turn: 2, reply: 'hello' });
    await store.close();
  });
});

/** A gated-desk thread whose handoff was approved, then stopped before the person's step, as a worker that died there leaves it. */
async function cutShortAfterApproval() {
  const store = await openCheckpointer('memory');
  const tools = createExampleTools();
  const graph = compileTree(await loadTree('test/fixtures/trees/gated-desk.yaml', { tools }), { tools, checkpointer: store.saver, threadLock: store.threadLock, model: 'offline' });
  const { threadId } = newThread();
  await runTurn(graph, { threadId, message: 'My invoice is wrong' });
  const [request] = (await runTurn(graph, { threadId, message: 'I want a person' })).waitingFor ? await pendingApprovals(graph, threadId) : [];
  await graph.invoke(new Command({ resume: { approved: true, toolCallId: request!.toolCallId } }), { configurable: { thread_id: threadId }, interruptBefore: ['person'] } as never);
  return { store, graph, threadId };
}

describe('a decision whose run a failure cut short', () => {
  it('was given: it is carried out before the next decision, which finds nothing pending (an approval is never replaced by a later denial)', async () => {
    const store = await openCheckpointer('memory');
    const ledger = new MemoryLedger();
    const controller = new AbortController();
    const refunds: string[] = [];
    const pay = tool(
      async (_input, config) => {
        const { idempotencyKey } = getToolContext(config);
        refunds.push(idempotencyKey);
        // The worker dies here, after the approval was saved, while the tool held back with the handoff runs.
        if (refunds.length === 1) controller.abort(new Error('the worker died'));
        await ledger.record({ key: idempotencyKey, kind: 'refund', details: {} });
        return 'Refund issued.';
      },
      { name: 'pay_refund', description: 'Pays a refund.', schema: z.object({}) },
    );
    const tree = parseTree(
      `version: 1
name: gated-refunds
root: billing
agents:
  billing: { description: Billing., prompt: Bill., tools: [pay_refund], escalate: [lead] }
  lead: { description: The lead., prompt: Lead., approval: required, escalate: [person] }
  person: { kind: human, description: A person. }
`,
      'gated.yaml',
      { tools: { pay_refund: pay } },
    );
    const model = new ScriptedChatModel([{ toolCalls: [{ name: 'pay_refund' }, { name: 'transfer_to_lead' }] }, 'Lead here: refund done.']);
    const graph = compileTree(tree, { tools: { pay_refund: pay }, model, checkpointer: store.saver, threadLock: store.threadLock });
    const { threadId } = newThread();
    const waiting = await runTurn(graph, { threadId, message: 'refund me, then a lead please' });
    expect(waiting.waitingFor).toMatchObject({ type: 'approval', to: 'lead' });
    expect(refunds).toEqual([]);

    const [request] = await pendingApprovals(graph, threadId);
    const cut = graph.stream(new Command({ resume: { approved: true, toolCallId: request!.toolCallId } }), { configurable: { thread_id: threadId }, signal: controller.signal } as never);
    await expect((async () => {
      for await (const chunk of await cut) void chunk;
    })()).rejects.toThrow();

    await expect(denyHandoff(graph, threadId, { reason: 'too late' })).rejects.toMatchObject({
      code: 'NOTHING_PENDING',
      message: `Thread ${threadId} is not waiting for an approval: billing → lead was approved in turn 1, a decision saved before a failure cut its run short and carried out first. That turn's result is the error's \`recovered\`.`,
      recovered: { status: 'done', agent: 'lead', reply: 'Lead here: refund done.' },
    });
    const state = (await graph.getState({ configurable: { thread_id: threadId } })).values as SwitchboardState;
    expect(state.activeAgent).toBe('lead');
    expect(state.messages.at(-1)?.text).toBe('Lead here: refund done.');
    // The refund ran in the cut run and again on recovery, under one key: recorded once.
    expect(new Set(refunds).size).toBe(1);
    expect(await ledger.list('refund')).toHaveLength(1);
    expectEveryCallAnswered(state.messages);
    await store.close();
  });
});

describe('a turn paused for an approval', () => {
  it('reports as owner the agent that asked, to whom the next message goes', async () => {
    const tree = parseTree(
      `version: 1
name: owner-desk
root: triage
agents:
  triage: { description: Front desk., prompt: Route., children: [billing] }
  billing: { description: Billing., prompt: Bill., escalate: [lead] }
  lead: { description: The lead., prompt: Lead., approval: required, escalate: [person] }
  person: { kind: human, description: A person. }
`,
      'owner.yaml',
    );
    const model = new ScriptedChatModel([{ toolCalls: [{ name: 'transfer_to_billing' }] }, { toolCalls: [{ name: 'transfer_to_lead' }] }, 'Billing again: what else?']);
    const graph = compileTree(tree, { model });
    const { threadId } = newThread();

    const waiting = await runTurn(graph, { threadId, message: 'a lead please' });
    expect(waiting).toMatchObject({ status: 'waiting', waitingFor: { type: 'approval', from: 'billing', to: 'lead' } });
    expect(waiting.state.activeAgent).toBe('billing');
    const [summary] = await getTurnSummaries(graph, threadId);
    expect(summary?.owner).toBe('billing');

    const next = await runTurn(graph, { threadId, message: 'never mind' });
    expect(next).toMatchObject({ status: 'done', agent: 'billing', reply: 'Billing again: what else?' });
  });
});

describe('an approval the YAML has since made impossible', () => {
  it('is refused (NOTHING_PENDING, saying why and to deny it); a denial lets the agent that asked go on', async () => {
    const store = await openCheckpointer('memory');
    const yaml = (lead: string) => `version: 1
name: renamed-desk
root: billing
agents:
  billing: { description: Billing., prompt: Bill., escalate: [${lead}] }
  ${lead}: { description: The lead., prompt: Lead., approval: required, escalate: [person] }
  person: { kind: human, description: A person. }
`;
    const compile = (lead: string, steps: ConstructorParameters<typeof ScriptedChatModel>[0]) =>
      compileTree(parseTree(yaml(lead), 'desk.yaml'), { model: new ScriptedChatModel(steps), checkpointer: store.saver, threadLock: store.threadLock });
    const { threadId } = newThread();
    const before = await runTurn(compile('lead', [{ toolCalls: [{ name: 'transfer_to_lead' }] }]), { threadId, message: 'a lead please' });
    expect(before.waitingFor).toMatchObject({ type: 'approval', to: 'lead' });

    const after = compile('team_lead', ['Billing here: the lead cannot take it.']);
    await expect(approveHandoff(after, threadId)).rejects.toMatchObject({
      code: 'NOTHING_PENDING',
      message: expect.stringContaining('which cannot be approved now: lead is not in the tree any more. Deny it'),
    });
    const denied = await denyHandoff(after, threadId, { reason: 'no such team' });
    expect(denied).toMatchObject({ status: 'done', agent: 'billing', reply: 'Billing here: the lead cannot take it.' });
    await store.close();
  });
});
