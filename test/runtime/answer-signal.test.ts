/**
 * A person's answer (a reply, a decision) takes a `signal`, as a turn does: aborted before it starts,
 * or while another call holds the thread, it rejects with the signal's reason and saves nothing (the
 * thread still waits). (Aborted while it runs, the answer was saved: the next call carries it out, as
 * after any run cut short; see decision-after-recovery.)
 */
import { describe, expect, it } from 'vitest';
import { parseTree } from '../../config/load.js';
import { compileTree } from '../../graphs/compile.js';
import type { SwitchboardGraph } from '../../graphs/compile.js';
import { approveHandoff, denyHandoff, pendingApprovals, resolveApproval, streamApproval } from '../../runtime/approval.js';
import { listWaitingThreads } from '../../runtime/threads.js';
import { recoverThread, resumeThread, runTurn, streamResume } from '../../runtime/turn.js';
import { openCheckpointer } from '../../store/checkpointer.js';
import type { Checkpointer } from '../../store/checkpointer.js';
import { fakeOpenAIForFile, newThread, viaFakeOpenAI } from '../helpers.js';

const server = await fakeOpenAIForFile();

const DESK = `
version: 1
name: answer-desk
root: triage
agents:
  triage:
    description: Front desk.
    prompt: Route.
    children: [billing]
    escalate: [person]
  billing: { description: Billing., prompt: Billing., approval: required }
  person: { kind: human, description: A person. }
`;

function compile(store: Checkpointer): SwitchboardGraph {
  return compileTree(parseTree(DESK, 'answer-desk.yaml'), { ...viaFakeOpenAI(server), sleep: async () => {}, checkpointer: store.saver, threadLock: store.threadLock, journal: store.journal });
}

async function waitingFor(graph: SwitchboardGraph, tool: 'transfer_to_billing' | 'transfer_to_person') {
  const { threadId } = newThread();
  server.enqueue({ toolCalls: [{ name: tool, arguments: {} }] });
  expect(await runTurn(graph, { threadId, message: 'help me' })).toMatchObject({ status: 'waiting' });
  return threadId;
}

const stopped = () => AbortSignal.abort(new Error('the operator closed the tab'));

describe("a person's answer with a signal", () => {
  it('aborted before it starts: every answer rejects with its reason, and the thread still waits', async () => {
    const store = await openCheckpointer('memory');
    try {
      const graph = compile(store);
      const approval = await waitingFor(graph, 'transfer_to_billing');
      const escalation = await waitingFor(graph, 'transfer_to_person');
      const calls = [
        () => approveHandoff(graph, approval, { signal: stopped() }),
        () => denyHandoff(graph, approval, { reason: 'no', signal: stopped() }),
        () => resolveApproval(graph, approval, { approved: true }, { signal: stopped() }),
        () => streamApproval(graph, approval, { approved: true }, { signal: stopped() }).next(),
        () => resumeThread(graph, escalation, { reply: 'Done.' }, { signal: stopped() }),
        () => streamResume(graph, escalation, { reply: 'Done.' }, { signal: stopped() }).next(),
      ];
      for (const call of calls) await expect(call()).rejects.toThrow('the operator closed the tab');
      expect((await listWaitingThreads(graph, store.saver)).map((request) => `${request.threadId}:${request.type}`).sort()).toEqual([`${approval}:approval`, `${escalation}:escalation`].sort());
      expect(server.requests.length).toBe(2);
      expect(await recoverThread(graph, approval)).toBeUndefined();
    } finally {
      await store.close();
    }
  });

  it('aborted while another call holds the thread: stops waiting at once, and saves nothing', async () => {
    const store = await openCheckpointer('memory');
    try {
      const graph = compile(store);
      const threadId = await waitingFor(graph, 'transfer_to_billing');
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      let holding!: () => void;
      const taken = new Promise<void>((resolve) => (holding = resolve));
      const holder = store.threadLock.withLock(threadId, async () => {
        holding();
        await held;
      });
      await taken;
      const controller = new AbortController();
      const decision = approveHandoff(graph, threadId, { signal: controller.signal });
      controller.abort(new Error('gave up waiting'));
      await expect(decision).rejects.toThrow('gave up waiting');
      release();
      await holder;
      expect(await pendingApprovals(graph, threadId)).toHaveLength(1);
      // The decision never given: approving now is the first decision.
      server.enqueue({ content: 'Billing here.' });
      expect(await approveHandoff(graph, threadId)).toMatchObject({ status: 'done', agent: 'billing', reply: 'Billing here.' });
    } finally {
      await store.close();
    }
  });
});
