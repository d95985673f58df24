import { HumanMessage } from '@langchain/core/messages';
import { tool } from '@langchain/core/tools';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseTree } from '../../config/load.js';
import { compileTree } from '../../graphs/compile.js';
import { getToolContext } from '../../nodes/tool-context.js';
import { getTranscript, getTurnSummaries } from '../../runtime/transcript.js';
import { recoverThread, runTurn } from '../../runtime/turn.js';
import { openCheckpointer } from '../../store/checkpointer.js';
import type { FakeRequest, FakeResponse } from '../../testing/fake-openai-server.js';
import { captureLogs } from '../../testing/capture-logs.js';
import { expectEveryCallAnswered, fakeOpenAIForFile, newThread } from '../helpers.js';

const server = await fakeOpenAIForFile();

/** The desk's models and front desk; each tree below adds its agents. */
const TRIAGE = `
version: 1
name: reshaped
root: triage
models:
  m: { provider: openai, name: gpt-4o-mini }
defaults: { model: m }
agents:
  triage:
    description: Front desk.
    prompt: TRIAGE routes refunds to billing.
`;
const BILLING = `
  billing:
    description: Refunds.
    prompt: BILLING issues refunds.
    tools: [issue_refund]
`;
const DESK = `${TRIAGE}    children: [billing]${BILLING}`;
/** The same desk after an edit that took billing out. */
const WITHOUT_BILLING = TRIAGE;

/** Triage hands refunds to billing; billing refunds; everything else is answered. */
function model(request: FakeRequest): FakeResponse {
  const system = String(request.messages[0]?.content ?? '');
  const last = request.messages.at(-1);
  const said = String([...request.messages].reverse().find((message) => message.role === 'user')?.content ?? '');
  if (system.includes('TRIAGE') && said.includes('refund') && request.tools.includes('transfer_to_billing')) return { toolCalls: [{ name: 'transfer_to_billing', arguments: {} }] };
  if (system.includes('BILLING') && last?.role !== 'tool') return { toolCalls: [{ name: 'issue_refund', arguments: { amount: 3 } }] };
  return { content: `answered: ${said}` };
}

/** Billing's refund, recorded in the store's ledger; the caller's connection drops while it runs. */
async function desk(store: Awaited<ReturnType<typeof openCheckpointer>>, yaml: string, hangUp: { controller?: AbortController | undefined }) {
  const issue_refund = tool(
    async ({ amount }, config) => {
      const context = getToolContext(config);
      await store.ledger.record({ key: context.idempotencyKey, kind: 'refund', details: { amount } }, context.fence);
      hangUp.controller?.abort(new Error('the caller went away'));
      return `refunded ${amount}`;
    },
    { name: 'issue_refund', description: 'Refund an amount.', schema: z.object({ amount: z.number() }) },
  );
  const tools = { issue_refund };
  const tree = parseTree(yaml, 'desk.yaml', { tools });
  const env = { OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: server.url };
  return compileTree(tree, { tools, checkpointer: store.saver, threadLock: store.threadLock, model: 'openai', env, sleep: async () => {}, logger: captureLogs('debug').logger });
}

/** The same desk after an edit that made billing triage's helper (a tool, no node of the graph). */
const BILLING_AS_HELPER = `${TRIAGE}    helpers: [billing]
  billing:
    kind: helper
    description: Refunds.
    prompt: BILLING issues refunds.
    tools: [issue_refund]
`;

/** The same desk after an edit that made billing a person (refunds now taken by staff). */
const BILLING_AS_PERSON = `${TRIAGE}    children: [billing]
  billing:
    kind: human
    description: Refunds, by staff.
`;


/** A thread whose refund turn the caller abandoned while billing's refund ran (recorded once), on a new store; `greet` sends a first turn before it. */
async function cutShortRefund(greet: boolean) {
  server.fallback(model);
  const store = await openCheckpointer('memory');
  const hangUp: { controller?: AbortController | undefined } = {};
  const before = await desk(store, DESK, hangUp);
  const { threadId } = newThread();
  if (greet) await runTurn(before, { threadId, message: 'hello' });
  hangUp.controller = new AbortController();
  await expect(runTurn(before, { threadId, message: 'refund please', signal: hangUp.controller.signal })).rejects.toThrow();
  hangUp.controller = undefined;
  return { store, hangUp, threadId };
}

describe('a turn cut short in a tool the YAML has since taken from its agent', () => {
  it('answers the call as not run now, saying an earlier attempt may have run it (never "there is no tool")', async () => {
    const { store, hangUp, threadId } = await cutShortRefund(false);
    const after = await desk(store, DESK.replace('    tools: [issue_refund]\n', ''), hangUp);
    expect(await recoverThread(after, threadId)).toMatchObject({ status: 'done', agent: 'billing' });
    const answers = (await getTranscript(after, threadId)).messages.filter((message) => message.type === 'tool' && message.name === 'issue_refund').map((message) => String(message.content));
    expect(answers).toEqual([expect.stringMatching(/^Not run: issue_refund is not one of billing's tools any more \(the tree changed\)\. If this call was made before that, an earlier attempt may have run it/)]);
    expectEveryCallAnswered((await after.getState({ configurable: { thread_id: threadId } })).values.messages);
    expect(await store.ledger.list('refund')).toHaveLength(1);
    await store.close();
  });
});

describe('a turn cut short in an agent the YAML has since lost', () => {
  it('is closed as AGENT_REMOVED when the YAML made that agent a helper (no node any more), and the root goes on', async () => {
    const { store, hangUp, threadId } = await cutShortRefund(true);
    const after = await desk(store, BILLING_AS_HELPER, hangUp);
    const closed = await recoverThread(after, threadId);
    expect(closed).toMatchObject({ turn: 2, status: 'error', error: { code: 'AGENT_REMOVED', message: expect.stringContaining('billing, which the tree no longer has as an agent') } });
    expect(await runTurn(after, { threadId, message: 'still there?' })).toMatchObject({ status: 'done', agent: 'triage', reply: 'answered: still there?' });
    expect((await getTurnSummaries(after, threadId)).map((summary) => `${summary.turn}:${summary.status}`)).toEqual(['1:done', '2:error', '3:done']);
    expect((await getTranscript(after, threadId)).messages.filter((message) => message.turn === 2).map((message) => message.type)).toEqual(['human', 'ai', 'tool', 'ai', 'tool']);
    expectEveryCallAnswered((await after.getState({ configurable: { thread_id: threadId } })).values.messages);
    expect(await store.ledger.list('refund')).toHaveLength(1);
    await store.close();
  });

  it('is closed as AGENT_REMOVED when the YAML made that agent a person (the person never gets a half-done model turn), and the root goes on', async () => {
    const { store, hangUp, threadId } = await cutShortRefund(true);
    const after = await desk(store, BILLING_AS_PERSON, hangUp);
    const closed = await recoverThread(after, threadId);
    expect(closed).toMatchObject({ turn: 2, status: 'error', error: { code: 'AGENT_REMOVED', message: expect.stringContaining('billing, which the tree no longer has as an agent (made a person)') } });
    expect((await after.getState({ configurable: { thread_id: threadId } })).tasks).toEqual([]);
    expect(await runTurn(after, { threadId, message: 'still there?' })).toMatchObject({ status: 'done', agent: 'triage', reply: 'answered: still there?' });
    expect((await getTurnSummaries(after, threadId)).map((summary) => `${summary.turn}:${summary.status}`)).toEqual(['1:done', '2:error', '3:done']);
    const transcript = (await getTranscript(after, threadId)).messages;
    expect(transcript.filter((message) => message.turn === 2).map((message) => message.type)).toEqual(['human', 'ai', 'tool', 'ai', 'tool']);
    expect(transcript.find((message) => message.turn === 2 && message.type === 'tool' && String(message.content).startsWith('Outcome unknown'))).toBeDefined();
    expectEveryCallAnswered((await after.getState({ configurable: { thread_id: threadId } })).values.messages);
    expect(await store.ledger.list('refund')).toHaveLength(1);
    await store.close();
  });

  for (const next of ['the same message again', 'a new message', 'recoverThread'] as const) {
    it(`is closed as an error, journaled with its messages, before ${next} goes on`, async () => {
      server.fallback(model);
      const store = await openCheckpointer('memory');
      const hangUp: { controller?: AbortController | undefined } = {};
      const before = await desk(store, DESK, hangUp);
      const { threadId } = newThread();
      await runTurn(before, { threadId, message: 'hello' });
      hangUp.controller = new AbortController();
      await expect(runTurn(before, { threadId, message: 'refund please', messageId: 'm-refund', signal: hangUp.controller.signal })).rejects.toThrow();
      hangUp.controller = undefined;

      const after = await desk(store, WITHOUT_BILLING, hangUp);
      const closed =
        next === 'recoverThread'
          ? await recoverThread(after, threadId)
          : next === 'a new message'
            ? (await runTurn(after, { threadId, message: 'anyone there?' })).recovered
            : await runTurn(after, { threadId, message: 'refund please', messageId: 'm-refund' });
      expect(closed).toMatchObject({ turn: 2, status: 'error', error: { code: 'AGENT_REMOVED' } });
      expect(closed?.error?.message).toMatch(/billing, which the tree no longer has/);

      const latest = await runTurn(after, { threadId, message: 'still there?' });
      expect(latest).toMatchObject({ status: 'done', agent: 'triage', reply: 'answered: still there?' });
      const summaries = await getTurnSummaries(after, threadId);
      expect(summaries.map((summary) => `${summary.turn}:${summary.status}`)).toEqual(next === 'a new message' ? ['1:done', '2:error', '3:done', '4:done'] : ['1:done', '2:error', '3:done']);
      const transcript = (await getTranscript(after, threadId)).messages;
      expect(transcript.filter((message) => message.turn === 2).map((message) => message.type)).toEqual(['human', 'ai', 'tool', 'ai', 'tool']);
      expect(transcript.find((message) => message.turn === 2 && message.type === 'tool' && String(message.content).startsWith('Outcome unknown'))).toBeDefined();
      const state = await after.getState({ configurable: { thread_id: threadId } });
      expectEveryCallAnswered(state.values.messages);
      expect(await store.ledger.list('refund')).toHaveLength(1);
      await store.close();
    });
  }

  it('is closed too when it was cut short before its first step wrote anything (the message in, the turn not begun)', async () => {
    const hang: { controller?: AbortController | undefined } = {};
    server.fallback((request) => {
      const said = String([...request.messages].reverse().find((message) => message.role === 'user')?.content ?? '');
      if (String(request.messages[0]?.content).includes('TRIAGE') && said.includes('refund') && request.tools.includes('transfer_to_billing')) return { toolCalls: [{ name: 'transfer_to_billing', arguments: {} }] };
      if (hang.controller) {
        hang.controller.abort(new Error('the caller went away'));
        return { content: 'never read', delayMs: 200 };
      }
      return { content: `answered: ${said}` };
    });
    const store = await openCheckpointer('memory');
    const before = await desk(store, DESK, {});
    const { threadId } = newThread();
    expect(await runTurn(before, { threadId, message: 'refund please' })).toMatchObject({ status: 'done', agent: 'billing' });
    hang.controller = new AbortController();
    await expect(runTurn(before, { threadId, message: 'second question', messageId: 'm-2', signal: hang.controller.signal })).rejects.toThrow();
    hang.controller = undefined;

    const after = await desk(store, WITHOUT_BILLING, {});
    const resent = await runTurn(after, { threadId, message: 'second question', messageId: 'm-2' });
    expect(resent).toMatchObject({ turn: 2, status: 'error', replayed: true, error: { code: 'AGENT_REMOVED' } });
    expect(resent.error?.message).toMatch(/before it began in billing/);
    expect(await runTurn(after, { threadId, message: 'third' })).toMatchObject({ turn: 3, status: 'done', agent: 'triage' });
    expect((await getTurnSummaries(after, threadId)).map((summary) => `${summary.turn}:${summary.status}:${summary.messageId === 'm-2'}`)).toEqual(['1:done:false', '2:error:true', '3:done:false']);
    expect((await getTranscript(after, threadId)).messages.filter((message) => message.turn === 2).map((message) => message.content)).toEqual(['second question']);
    await store.close();
  });

  it('answers the calls of a handoff waiting for approval as not decided and not run (they never ran), and its usage stays in the summaries', async () => {
    const LEAD = `
  lead:
    description: Team lead.
    prompt: LEAD decides.
    approval: required
`;
    const GATED = `${TRIAGE}    children: [billing]${BILLING}    children: [lead]${LEAD}`;
    const WITHOUT_ASKER = `${TRIAGE}    children: [lead]${LEAD}`;
    server.fallback((request) => {
      const system = String(request.messages[0]?.content ?? '');
      const said = String([...request.messages].reverse().find((message) => message.role === 'user')?.content ?? '');
      const usage = { prompt_tokens: 100, completion_tokens: 10 };
      if (system.includes('TRIAGE') && said.includes('refund') && request.tools.includes('transfer_to_billing')) return { toolCalls: [{ name: 'transfer_to_billing', arguments: {} }], usage };
      if (system.includes('BILLING') && request.messages.at(-1)?.role !== 'tool') return { toolCalls: [{ name: 'transfer_to_lead', arguments: {} }, { name: 'issue_refund', arguments: { amount: 3 } }], usage };
      return { content: `answered: ${said}`, usage };
    });
    const store = await openCheckpointer('memory');
    const before = await desk(store, GATED, {});
    const { threadId } = newThread();
    expect(await runTurn(before, { threadId, message: 'refund please' })).toMatchObject({ status: 'waiting', waitingFor: { type: 'approval', from: 'billing', to: 'lead' } });

    const after = await desk(store, WITHOUT_ASKER, {});
    const next = await runTurn(after, { threadId, message: 'hello?' });
    expect(next.recovered).toMatchObject({ turn: 1, status: 'error', error: { code: 'AGENT_REMOVED' } });
    expect(next.recovered?.error?.message).toMatch(/waited for a person to approve billing's handoff to lead in billing, which the tree no longer has/);
    const answers = (await getTranscript(after, threadId)).messages.filter((message) => message.turn === 1 && message.type === 'tool').map((message) => String(message.content));
    expect(answers).toEqual([expect.stringMatching(/^Transferred to billing/), expect.stringMatching(/^Not decided: billing/), expect.stringMatching(/^Not run:/)]);
    expect(await store.ledger.list('refund')).toEqual([]);
    const summaries = await getTurnSummaries(after, threadId);
    const final = summaries.filter((summary) => summary.status !== 'waiting');
    const state = (await after.getState({ configurable: { thread_id: threadId } })).values;
    expect(final.reduce((sum, summary) => sum + summary.usage.total.modelCalls, 0)).toBe(state.usage.total.modelCalls);
    expect(final.reduce((sum, summary) => sum + summary.usage.total.inputTokens, 0)).toBe(state.usage.total.inputTokens);
    expectEveryCallAnswered(state.messages);
    await store.close();
  });

  it('leaves alone a thread whose tree lost nothing: a message added by other means is not a stranded turn', async () => {
    server.fallback(model);
    const store = await openCheckpointer('memory');
    const graph = await desk(store, DESK, {});
    const { threadId } = newThread();
    await runTurn(graph, { threadId, message: 'hello' });
    await graph.updateState({ configurable: { thread_id: threadId } }, { messages: [new HumanMessage({ content: 'a note added by the backend', id: 'added' })] }, 'triage');
    const next = await runTurn(graph, { threadId, message: 'and now?' });
    expect(next).toMatchObject({ status: 'done', agent: 'triage' });
    expect(next.recovered).toBeUndefined();
    expect((await getTurnSummaries(graph, threadId)).map((summary) => summary.status)).not.toContain('error');
    await store.close();
  });
});
