/**
 * A decision or a person's reply given (again) after the run that carried an earlier one was cut
 * short (a lost lock, a dead worker, an aborted signal): the cut turn is finished first; the same
 * answer gets that turn as its result, another is refused with it (`error.recovered`) and says what
 * was taken. A decision or reply with nothing to answer says what became of the thread's last wait.
 * Memory store, scripted model; PostgreSQL for the first case when a server is there.
 */
import { tool } from '@langchain/core/tools';
import { Command } from '@langchain/langgraph';
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { parseTree } from '../../config/load.js';
import { compileTree } from '../../graphs/compile.js';
import { ScriptedChatModel } from '../../models/scripted.js';
import type { ScriptStep } from '../../models/scripted.js';
import { getToolContext } from '../../nodes/tool-context.js';
import { approveHandoff, denyHandoff, pendingApprovals } from '../../runtime/approval.js';
import { pendingEscalations, resumeThread, runTurn } from '../../runtime/turn.js';
import type { TurnResult } from '../../runtime/turn.js';
import { LockLostError, StoreError } from '../../errors/store-error.js';
import { openCheckpointer } from '../../store/checkpointer.js';
import type { Checkpointer } from '../../store/checkpointer.js';
import { MemoryLedger } from '../../store/ledger.js';
import { expectEveryCallAnswered, newThread } from '../helpers.js';
import { PG_URL } from '../postgres-url.js';

/** Billing hands off to the lead, behind an approval gate; the lead pays a refund, then answers. */
const GATED = `version: 1
name: gated-refunds
root: billing
agents:
  billing: { description: Billing., prompt: Bill., escalate: [lead] }
  lead: { description: The lead., prompt: Lead., approval: required, tools: [pay_refund], escalate: [person] }
  person: { kind: human, description: A person. }
`;

const SCRIPT: ScriptStep[] = [{ toolCalls: [{ name: 'transfer_to_lead' }] }, { toolCalls: [{ name: 'pay_refund' }] }, 'Lead here: refund done.'];

/**
 * A thread whose handoff to the lead was approved (by ana), then cut short while the lead's refund
 * ran: the worker's signal aborted there, after the approval's step was saved, as a lost lock or a
 * dead worker leaves it. `store` is the thread store (memory unless given).
 */
async function approvedThenCut(open: () => Promise<Checkpointer> = () => openCheckpointer('memory')) {
  const store = await open();
  const ledger = new MemoryLedger();
  const controller = new AbortController();
  const refunds: string[] = [];
  const pay = tool(
    async (_input, config) => {
      const { idempotencyKey } = getToolContext(config);
      refunds.push(idempotencyKey);
      if (refunds.length === 1) controller.abort(new Error('the worker lost the thread'));
      await ledger.record({ key: idempotencyKey, kind: 'refund', details: {} });
      return 'Refund paid.';
    },
    { name: 'pay_refund', description: 'Pays a refund.', schema: z.object({}) },
  );
  const tools = { pay_refund: pay };
  const graph = compileTree(parseTree(GATED, 'gated.yaml', { tools }), { tools, model: new ScriptedChatModel([...SCRIPT]), checkpointer: store.saver, threadLock: store.threadLock });
  const { threadId } = newThread();
  expect((await runTurn(graph, { threadId, message: 'refund me, a lead please' })).waitingFor).toMatchObject({ type: 'approval', from: 'billing', to: 'lead' });
  const [request] = await pendingApprovals(graph, threadId);
  // What approveHandoff runs, under a signal that aborts mid-tool.
  const cut = graph.stream(new Command({ resume: { approved: true, operator: 'ana', toolCallId: request!.toolCallId } }), { configurable: { thread_id: threadId }, signal: controller.signal } as never);
  await expect(
    (async () => {
      for await (const chunk of await cut) void chunk;
    })(),
  ).rejects.toThrow();
  expect(refunds).toHaveLength(1);
  return { store, graph, threadId, ledger, refunds };
}

const finished = { status: 'done', turn: 1, agent: 'lead', reply: 'Lead here: refund done.' };

describe('a decision after the run of the same decision was cut short', () => {
  it('approved again (the app retrying after LOCK_LOST): the cut turn is finished and is the result, the refund paid once', async () => {
    const { store, graph, threadId, ledger, refunds } = await approvedThenCut();
    const result = await approveHandoff(graph, threadId, { operator: 'ana' });
    expect(result).toMatchObject({ ...finished, replayed: true, waitingFor: undefined });
    expect(result.recovered).toBeUndefined();
    expect(new Set(refunds).size).toBe(1);
    expect(await ledger.list('refund')).toHaveLength(1);
    expectEveryCallAnswered(result.state.messages);
    // Nothing waits any more: a further approve says what became of the request.
    await expect(approveHandoff(graph, threadId)).rejects.toMatchObject({
      code: 'NOTHING_PENDING',
      message: `Thread ${threadId} is not waiting for an approval: billing → lead was approved in turn 1; lead owns the conversation.`,
    });
    await store.close();
  });

  it('approved by another person: the same decision, so the cut turn is the result', async () => {
    const { store, graph, threadId } = await approvedThenCut();
    expect(await approveHandoff(graph, threadId, { operator: 'bob' })).toMatchObject({ ...finished, replayed: true });
    await store.close();
  });

  it('denied: refused, saying the approval was taken, with the finished turn as error.recovered', async () => {
    const { store, graph, threadId } = await approvedThenCut();
    const error = (await denyHandoff(graph, threadId, { operator: 'bob', reason: 'too late' }).catch((caught: unknown) => caught)) as Error & { code: string; recovered?: TurnResult };
    expect(error).toMatchObject({
      code: 'NOTHING_PENDING',
      message: `Thread ${threadId} is not waiting for an approval: billing → lead was approved by ana in turn 1, a decision saved before a failure cut its run short and carried out first. That turn's result is the error's \`recovered\`.`,
    });
    expect(error.recovered).toMatchObject(finished);
    await store.close();
  });

  it('on PostgreSQL too', async () => {
    const { store, graph, threadId, ledger } = await approvedThenCut(() => openCheckpointer(PG_URL));
    try {
      expect(await approveHandoff(graph, threadId, { operator: 'ana' })).toMatchObject({ ...finished, replayed: true });
      expect(await ledger.list('refund')).toHaveLength(1);
    } finally {
      await store.close();
    }
  });
});

describe('a decision whose own step was cut short, given again', () => {
  it('by another operator (not the answer saved, word for word): the saved approval is carried out, and is the result', async () => {
    const store = await openCheckpointer('memory');
    const controller = new AbortController();
    const tools = { pay_refund: tool(async () => 'Refund paid.', { name: 'pay_refund', description: 'Pays a refund.', schema: z.object({}) }) };
    const observers = [(event: { type: string }) => event.type === 'approval-end' && controller.abort(new Error('the worker died'))];
    const graph = compileTree(parseTree(GATED, 'gated.yaml', { tools }), { tools, model: new ScriptedChatModel([SCRIPT[0]!, 'Lead here.']), checkpointer: store.saver, threadLock: store.threadLock, observers });
    const { threadId } = newThread();
    await runTurn(graph, { threadId, message: 'a lead please' });
    const [request] = await pendingApprovals(graph, threadId);
    const cut = graph.stream(new Command({ resume: { approved: true, operator: 'ana', toolCallId: request!.toolCallId } }), { configurable: { thread_id: threadId }, signal: controller.signal } as never);
    await expect(
      (async () => {
        for await (const chunk of await cut) void chunk;
      })(),
    ).rejects.toThrow();
    expect(await approveHandoff(graph, threadId, { operator: 'bob' })).toMatchObject({ status: 'done', agent: 'lead', reply: 'Lead here.', replayed: true });
    await store.close();
  });
});

/** Billing escalates to a person; a hand-back to billing runs billing's hook, which never answers the first time (the worker dies there). */
async function replyCutShort() {
  const store = await openCheckpointer('memory');
  const controller = new AbortController();
  let hooked = 0;
  const onHandoff = {
    billing: () => {
      hooked += 1;
      if (hooked > 1) return undefined;
      controller.abort(new Error('the worker died'));
      return new Promise<never>(() => {});
    },
  };
  const tree = parseTree(
    `version: 1
name: desk-with-person
root: billing
agents:
  billing: { description: Billing., prompt: Bill., escalate: [person] }
  person: { kind: human, description: A person. }
`,
    'desk.yaml',
  );
  const graph = compileTree(tree, { model: new ScriptedChatModel([{ toolCalls: [{ name: 'transfer_to_person' }] }]), checkpointer: store.saver, threadLock: store.threadLock, hooks: { onHandoff } });
  const { threadId } = newThread();
  expect((await runTurn(graph, { threadId, message: 'a person please' })).waitingFor).toMatchObject({ type: 'escalation', agent: 'person' });
  const cut = graph.stream(new Command({ resume: { reply: 'Dana here.', handBackTo: 'billing', operator: 'dana' } }), { configurable: { thread_id: threadId }, signal: controller.signal } as never);
  await expect(
    (async () => {
      for await (const chunk of await cut) void chunk;
    })(),
  ).rejects.toThrow();
  expect(await pendingEscalations(graph, threadId)).toHaveLength(1);
  return { store, graph, threadId };
}

describe("a person's reply after the run of a saved reply was cut short", () => {
  it('the same reply again (another operator): the saved reply is carried out, and is the result', async () => {
    const { store, graph, threadId } = await replyCutShort();
    const result = await resumeThread(graph, threadId, { reply: 'Dana here.', handBackTo: 'billing', operator: 'sam' });
    expect(result).toMatchObject({ status: 'done', agent: 'person', reply: 'Dana here.', replayed: true, state: { activeAgent: 'billing' } });
    expect(result.state.messages.filter((message) => message.type === 'ai' && message.name === 'person')).toHaveLength(1);
    await store.close();
  });

  it('another reply: refused, saying who answered, with that turn as error.recovered', async () => {
    const { store, graph, threadId } = await replyCutShort();
    const error = (await resumeThread(graph, threadId, { reply: 'Sam here.' }).catch((caught: unknown) => caught)) as Error & { code: string; recovered?: TurnResult };
    expect(error).toMatchObject({
      code: 'NOTHING_PENDING',
      message: `Thread ${threadId} is not waiting for a person: person (dana) already answered in turn 1, with a reply saved before a failure cut its run short and carried out first. That turn's result is the error's \`recovered\`.`,
    });
    expect(error.recovered).toMatchObject({ status: 'done', agent: 'person', reply: 'Dana here.' });
    // Nothing waits now: the next reply says who answered the thread's last wait, and when.
    await expect(resumeThread(graph, threadId, { reply: 'Sam here.' })).rejects.toMatchObject({
      code: 'NOTHING_PENDING',
      message: `Thread ${threadId} is not waiting for a person: its last wait for one ended when person (dana) answered in turn 1; billing owns the conversation.`,
    });
    await store.close();
  });
});

describe('a decision or reply with nothing to answer', () => {
  async function gated(options: { trace?: boolean } = {}) {
    const store = await openCheckpointer('memory');
    const tools = { pay_refund: tool(async () => 'Refund paid.', { name: 'pay_refund', description: 'Pays a refund.', schema: z.object({}) }) };
    const model = new ScriptedChatModel([SCRIPT[0]!, 'Lead here.', 'Billing: the lead cannot come.', SCRIPT[0]!, 'Billing again.']);
    const graph = compileTree(parseTree(GATED, 'gated.yaml', { tools }), { tools, model, checkpointer: store.saver, threadLock: store.threadLock, ...options });
    return { store, graph };
  }

  it('says the approval was approved, by whom when the step trace keeps it, and in which turn (the loser of two approvals)', async () => {
    const { store, graph } = await gated({ trace: true });
    const { threadId } = newThread();
    await runTurn(graph, { threadId, message: 'a lead please' });
    const [first, second] = await Promise.allSettled([approveHandoff(graph, threadId, { operator: 'ana' }), approveHandoff(graph, threadId, { operator: 'bob' })]);
    expect(first).toMatchObject({ status: 'fulfilled', value: { reply: 'Lead here.' } });
    expect(second).toMatchObject({ status: 'rejected', reason: { code: 'NOTHING_PENDING', message: `Thread ${threadId} is not waiting for an approval: billing → lead was approved by ana in turn 1; lead owns the conversation.` } });
    await store.close();
  });

  it('says the approval was denied, and in which turn', async () => {
    const { store, graph } = await gated();
    const { threadId } = newThread();
    await runTurn(graph, { threadId, message: 'a lead please' });
    await denyHandoff(graph, threadId, { reason: 'no' });
    await expect(approveHandoff(graph, threadId)).rejects.toMatchObject({ code: 'NOTHING_PENDING', message: `Thread ${threadId} is not waiting for an approval: billing → lead was denied in turn 1; billing owns the conversation.` });
    await store.close();
  });

  it("says the request was withdrawn by the user's message, and in which turn", async () => {
    const { store, graph } = await gated();
    const { threadId } = newThread();
    await runTurn(graph, { threadId, message: 'a lead please' });
    await runTurn(graph, { threadId, message: 'never mind' });
    await expect(denyHandoff(graph, threadId)).rejects.toMatchObject({
      code: 'NOTHING_PENDING',
      message: `Thread ${threadId} is not waiting for an approval: the request for billing → lead was withdrawn by the user's message in turn 2, before anyone decided; billing owns the conversation.`,
    });
    await store.close();
  });

  it('says a thread id with no turns has none (no such thread on this store)', async () => {
    const { store, graph } = await gated();
    const { threadId } = newThread();
    await expect(approveHandoff(graph, threadId)).rejects.toMatchObject({ code: 'NOTHING_PENDING', message: `Thread ${threadId} is not waiting for an approval: it has no turns (no thread of that id on this store).` });
    await expect(resumeThread(graph, threadId, { reply: 'hi' })).rejects.toMatchObject({ code: 'NOTHING_PENDING', message: `Thread ${threadId} is not waiting for a person: it has no turns (no thread of that id on this store).` });
    await store.close();
  });
});

describe('a decision or reply whose turn the store failed', () => {
  it('is told to decide or reply again, not to send a message it never sent', async () => {
    const store = await openCheckpointer('memory');
    const tools = { pay_refund: tool(async () => '', { name: 'pay_refund', description: 'Pays.', schema: z.object({}) }) };
    const graph = compileTree(parseTree(GATED, 'gated.yaml', { tools }), {
      tools,
      model: new ScriptedChatModel([SCRIPT[0]!]),
      checkpointer: store.saver,
      threadLock: store.threadLock,
    });
    const { threadId } = newThread();
    await runTurn(graph, { threadId, message: 'a lead please' });
    // The decision's writes meet a dropped connection.
    vi.spyOn(store.saver, 'putWrites').mockRejectedValueOnce(new Error('Connection terminated unexpectedly'));
    const failed = (await approveHandoff(graph, threadId).catch((caught: unknown) => caught)) as StoreError;
    expect(failed).toBeInstanceOf(StoreError);
    expect(failed.message).toBe(
      `The thread store failed during a turn on ${threadId} (Connection terminated unexpectedly). The decision's turn was not finished. Decide again (approveHandoff or denyHandoff; switchboard approve or deny) once the store is back: a decision saved before the failure is carried out first, never twice, and that turn is the result; a different decision, or one whose turn had finished, is refused (NOTHING_PENDING) saying what was decided. The thread's next message, or recoverThread, also finishes that turn.`,
    );
    vi.restoreAllMocks();
    await store.close();
  });

  it('a lost lock says so without waiting for the store', () => {
    const lost = new LockLostError('t1', new Error('lock connection closed'), { answer: 'reply' });
    expect(lost.message).toBe(
      "The turn on t1 lost the thread's lock (lock connection closed) and stopped. The reply's turn was not finished. Reply again (resumeThread; switchboard resume): a reply saved before the failure is carried out first, never twice, and that turn is the result; a different reply, or one whose turn had finished, is refused (NOTHING_PENDING) saying when the person answered. The thread's next message, or recoverThread, also finishes that turn.",
    );
  });
});
