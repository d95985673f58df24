/**
 * A decision that names its request (`toolCallId`, from `pendingApprovals`): when another person's
 * decision on that request came first and the turn that followed asked for another approval, the
 * late decision is refused (NOTHING_PENDING, saying what became of its request and what waits now)
 * instead of deciding a request nobody looked at. On memory, SQLite and PostgreSQL, with two workers
 * racing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseTree } from '../../config/load.js';
import { compileTree } from '../../graphs/compile.js';
import type { SwitchboardGraph } from '../../graphs/compile.js';
import { approveHandoff, denyHandoff, pendingApprovals } from '../../runtime/approval.js';
import { getTranscript } from '../../runtime/transcript.js';
import { runTurn } from '../../runtime/turn.js';
import { openCheckpointer } from '../../store/checkpointer.js';
import type { Checkpointer } from '../../store/checkpointer.js';
import { storeKinds } from '../store/stores.js';
import { fakeOpenAIForFile, newThread, viaFakeOpenAI } from '../helpers.js';

const server = await fakeOpenAIForFile();
const dir = mkdtempSync(join(tmpdir(), 'switchboard-named-request-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const STORES = storeKinds(dir);

/** Every handoff waits for a person: triage → billing, then billing → refunds. */
const DESK = `
version: 1
name: gated-chain
root: triage
agents:
  triage:
    description: Front desk.
    prompt: Route.
    children: [billing]
  billing:
    description: Billing.
    prompt: Billing.
    approval: required
    children: [refunds]
  refunds: { description: Refunds., prompt: Refunds., approval: required }
`;

function compile(store: Checkpointer): SwitchboardGraph {
  return compileTree(parseTree(DESK, 'gated-chain.yaml'), { ...viaFakeOpenAI(server), sleep: async () => {}, checkpointer: store.saver, threadLock: store.threadLock, journal: store.journal });
}

/** A thread waiting for approval of triage → billing; billing's answer, once approved, asks for billing → refunds. */
async function waitingForBilling(graph: SwitchboardGraph) {
  const { threadId } = newThread();
  server.enqueue({ toolCalls: [{ name: 'transfer_to_billing', arguments: {} }] });
  const turn = await runTurn(graph, { threadId, message: "My invoice is wrong and I want money back" });
  expect(turn, JSON.stringify(turn.error)).toMatchObject({ status: 'waiting', waitingFor: { from: 'triage', to: 'billing' } });
  const [first] = await pendingApprovals(graph, threadId);
  server.enqueue({ toolCalls: [{ name: 'transfer_to_refunds', arguments: {} }] });
  return { threadId, first: first! };
}

describe('a decision naming its request', () => {
  it('is refused once that request was decided, and does not decide the request that followed', async () => {
    const store = await STORES.memory();
    try {
      const graph = compile(store);
      const { threadId, first } = await waitingForBilling(graph);
      expect(await approveHandoff(graph, threadId, { toolCallId: first.toolCallId, operator: 'ana' })).toMatchObject({ status: 'waiting', waitingFor: { from: 'billing', to: 'refunds' } });
      const [second] = await pendingApprovals(graph, threadId);
      expect(second!.toolCallId).not.toBe(first.toolCallId);

      // Another person, who was shown the first request, approves (or denies) it late.
      for (const late of [() => approveHandoff(graph, threadId, { toolCallId: first.toolCallId, operator: 'bo' }), () => denyHandoff(graph, threadId, { toolCallId: first.toolCallId, reason: 'no' })]) {
        const refusal = await late().then(
          () => undefined,
          (error: unknown) => error,
        );
        expect(refusal).toMatchObject({ code: 'NOTHING_PENDING' });
        const { message } = refusal as Error;
        expect(message).toContain(`is not waiting for the approval this decision names (toolCallId ${first.toolCallId}): triage → billing was approved`);
        expect(message).toContain(`it waits for approval of billing → refunds now (toolCallId ${second!.toolCallId})`);
      }
      // The second request still waits, undecided.
      expect((await pendingApprovals(graph, threadId)).map((request) => request.toolCallId)).toEqual([second!.toolCallId]);

      // An id the thread never had is refused too, naming what waits.
      await expect(approveHandoff(graph, threadId, { toolCallId: 'call_nope' })).rejects.toMatchObject({
        code: 'NOTHING_PENDING',
        message: `Thread ${threadId} is not waiting for the approval this decision names (toolCallId call_nope): no request of that id is in its latest turns; it waits for approval of billing → refunds now (toolCallId ${second!.toolCallId}): decide that one only once a person has looked at it.`,
      });

      // Naming the request that waits decides it.
      server.enqueue({ content: 'Refunds here: done.' });
      expect(await approveHandoff(graph, threadId, { toolCallId: second!.toolCallId })).toMatchObject({ status: 'done', agent: 'refunds', reply: 'Refunds here: done.' });
      // Naming it again, once decided, is refused as decided.
      await expect(denyHandoff(graph, threadId, { toolCallId: second!.toolCallId })).rejects.toMatchObject({ code: 'NOTHING_PENDING', message: expect.stringContaining('billing → refunds was approved') });
    } finally {
      await store.close();
    }
  });

  it('a decision naming no request still decides the one that waits (as before)', async () => {
    const store = await STORES.memory();
    try {
      const graph = compile(store);
      const { threadId, first } = await waitingForBilling(graph);
      await approveHandoff(graph, threadId, { toolCallId: first.toolCallId });
      server.enqueue({ content: 'Refunds here.' });
      expect(await approveHandoff(graph, threadId)).toMatchObject({ status: 'done', agent: 'refunds' });
    } finally {
      await store.close();
    }
  });

  it('a malformed request id is an invalid decision', async () => {
    const store = await STORES.memory();
    try {
      const graph = compile(store);
      await expect(approveHandoff(graph, 'any-thread', { toolCallId: '' })).rejects.toMatchObject({ code: 'INVALID_DECISION', message: expect.stringContaining('toolCallId: is empty') });
      // Echoed in the refusal otherwise: a newline would forge a line in a log or a terminal.
      await expect(denyHandoff(graph, 'any-thread', { toolCallId: 'call_1\nerror NOTHING' })).rejects.toMatchObject({ code: 'INVALID_DECISION', message: expect.stringContaining('toolCallId: holds a control character') });
    } finally {
      await store.close();
    }
  });
});

describe.each(Object.keys(STORES) as (keyof typeof STORES)[])('two workers deciding one request at once, on %s', (kind) => {
  it('one decision applies; the other is refused and the request that followed still waits', { timeout: 60_000 }, async () => {
    // Two workers: for memory, two graphs on one store; for SQLite (one file) and PostgreSQL, two connections.
    const file = join(dir, `race-${Math.random().toString(36).slice(2)}.sqlite`);
    const open = kind === 'sqlite' ? () => openCheckpointer(file) : STORES[kind];
    const first = await open();
    const second = kind === 'memory' ? first : await open();
    try {
      const workers = [compile(first), compile(second)];
      const { threadId, first: request } = await waitingForBilling(workers[0]!);
      const outcomes = await Promise.allSettled(workers.map((graph, index) => approveHandoff(graph, threadId, { toolCallId: request.toolCallId, operator: `worker-${index}` })));
      expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
      const refused = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
      expect(refused?.reason).toMatchObject({ code: 'NOTHING_PENDING' });
      // billing → refunds waits, decided by nobody; billing answered once.
      const pending = await pendingApprovals(workers[1]!, threadId);
      expect(pending).toMatchObject([{ from: 'billing', to: 'refunds' }]);
      const transcript = await getTranscript(workers[1]!, threadId);
      expect(transcript.messages.filter((message) => message.type === 'ai' && message.name === 'billing')).toHaveLength(1);
      expect(transcript.messages.filter((message) => message.type === 'ai' && message.name === 'refunds')).toHaveLength(0);
    } finally {
      if (second !== first) await second.close();
      await first.close();
    }
  });
});
