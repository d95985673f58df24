/**
 * The dev page's history, below the page: the thread list read from the store's checkpoints, and
 * the step trace built from journal entries, as the page and `switchboard trace` show it.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SystemMessage, HumanMessage } from '@langchain/core/messages';
import { afterEach, describe, expect, it } from 'vitest';
import { startDevServer } from '../../dev/server.js';
import { buildTrace, readTraceEvents, toTraceMessage, tracedTurns } from '../../dev/step-trace.js';
import type { StepTrace } from '../../dev/step-trace.js';
import { listThreadRows } from '../../dev/thread-list.js';
import { formatTrace } from '../../dev/trace-text.js';
import { loadTree } from '../../config/load.js';
import { compileTree } from '../../graphs/compile.js';
import { approveHandoff, pendingApprovals } from '../../runtime/approval.js';
import { runTurn } from '../../runtime/turn.js';
import { openCheckpointer } from '../../store/checkpointer.js';
import type { Checkpointer } from '../../store/checkpointer.js';
import { MemoryJournal } from '../../store/journal.js';
import { messageToJournal } from '../../state/journal-message.js';
import { captureLogs } from '../../testing/capture-logs.js';
import { createExampleTools } from '../../tools/examples.js';
import { compileExample, examplePath } from '../helpers.js';

const stores: Checkpointer[] = [];
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
});

describe.each(['memory', 'sqlite'] as const)('listThreadRows on %s', (kind) => {
  it('lists every thread newest first, with its tree, owner, status (waiting stands out) and turns; searches by id; stops at the limit', async () => {
    const store = await openCheckpointer(kind === 'memory' ? 'memory' : join(mkdtempSync(join(tmpdir(), 'switchboard-threads-')), 'threads.sqlite'));
    stores.push(store);
    const { graph: support } = await compileExample('support', { checkpointer: store.saver, model: 'offline', retention: 'all' });
    const { graph: clinic } = await compileExample('clinic', { checkpointer: store.saver, model: 'offline' });
    await runTurn(support, { threadId: 'Order-1', message: 'I was charged twice on my invoice' });
    await runTurn(support, { threadId: 'order-2', message: 'My invoice is wrong' });
    await runTurn(support, { threadId: 'order-2', message: 'This is unacceptable, I want a real person now' });
    await runTurn(clinic, { threadId: 'clinic-1', message: 'I need to book an appointment' });
    await runTurn(support, { threadId: 'Order-1', message: 'And can I get a refund for it?' });

    const rows = await listThreadRows(store.saver);
    expect(rows.map((row) => row.threadId)).toEqual(['Order-1', 'clinic-1', 'order-2']);
    expect(rows[0]).toMatchObject({ tree: 'support', owner: 'billing', status: 'done', waiting: false, turns: 2 });
    expect(rows[1]).toMatchObject({ tree: 'clinic', turns: 1 });
    expect(rows[2]).toMatchObject({ tree: 'support', owner: 'human_agent', status: 'waiting', waiting: true, turns: 2 });
    expect(Date.parse(rows[0]?.lastActivity ?? '')).toBeGreaterThan(Date.parse(rows[2]?.lastActivity ?? ''));

    expect((await listThreadRows(store.saver, { search: 'ORDER' })).map((row) => row.threadId)).toEqual(['Order-1', 'order-2']);
    expect((await listThreadRows(store.saver, { search: '%' })).map((row) => row.threadId)).toEqual([]);
    expect((await listThreadRows(store.saver, { limit: 1 })).map((row) => row.threadId)).toEqual(['Order-1']);
  });

  it('lists a thread whose handoff waits for approval as waiting for a person (its checkpoint still says running)', async () => {
    const store = await openCheckpointer(kind === 'memory' ? 'memory' : join(mkdtempSync(join(tmpdir(), 'switchboard-threads-')), 'threads.sqlite'));
    stores.push(store);
    const tools = createExampleTools();
    const gated = compileTree(await loadTree('test/fixtures/trees/gated-desk.yaml', { tools }), { tools, checkpointer: store.saver, model: 'offline' });
    await runTurn(gated, { threadId: 'gate-1', message: 'My invoice is wrong' });
    await runTurn(gated, { threadId: 'gate-1', message: 'I want a person' });
    expect(await pendingApprovals(gated, 'gate-1')).toHaveLength(1);

    const [row] = await listThreadRows(store.saver);
    expect(row).toMatchObject({ threadId: 'gate-1', owner: 'billing', status: 'waiting', waiting: true, turns: 2 });

    await approveHandoff(gated, 'gate-1');
    expect((await listThreadRows(store.saver))[0]).toMatchObject({ threadId: 'gate-1', owner: 'person', status: 'waiting', waiting: true });
  });
});

describe('the step trace', () => {
  it('builds a timeline from journal events: calls with their messages, tools with results and keys, refusals with reasons, fallbacks, limits and newer events', async () => {
    const journal = new MemoryJournal();
    const at = 1_800_000_000_000;
    const events: Record<string, unknown>[] = [
      { type: 'turn-start', threadId: 't', turn: 1, agent: 'triage' },
      {
        type: 'model-call',
        agent: 'triage',
        model: 'gpt-4.1-mini',
        turn: 1,
        // As the journal keeps messages (messageToJournal), and LangChain's serialized form.
        input: [messageToJournal(new SystemMessage('You are triage.\n## Shared state\ntier: "gold"')), JSON.parse(JSON.stringify(new HumanMessage('help')))],
        output: { type: 'ai', id: 'm1', name: 'triage', content: '', tool_calls: [{ id: 'call_1', name: 'transfer_to_billing', args: { reason: 'money' } }] },
        usage: { modelCalls: 1, inputTokens: 120, outputTokens: 9, costUsd: 0.00012, latencyMs: 15 },
        attempts: 2,
        startedAt: at + 1,
        durationMs: 15.4,
      },
      { type: 'handoff-refuse', from: 'triage', tool: 'transfer_to_sales', to: 'sales', reason: 'sales is not a child of triage', code: 'NOT_ALLOWED' },
      { type: 'handoff-accept', from: 'triage', to: 'billing', kind: 'delegate', tool: 'transfer_to_billing', payload: { reason: 'money' } },
      { type: 'tool-call', agent: 'billing', tool: 'lookup_invoice', toolCallId: 'call_2', args: { invoice_id: 'INV-1' } },
      { type: 'tool-result', agent: 'billing', tool: 'lookup_invoice', toolCallId: 'call_2', ok: true, content: '{"paid":true}', durationMs: 7 },
      { type: 'model-fallback', agent: 'billing', from: 'gpt-4.1', to: 'gpt-4.1-mini', reason: 'RATE_LIMIT' },
      { type: 'fallback-start', from: 'billing', to: 'escalation_manager', reason: 'MODEL_ERROR' },
      { type: 'limit-reach', agent: 'escalation_manager', limit: 'modelCallsPerTurn', action: 'end' },
      { type: 'approval-start', agent: 'billing', tool: 'issue_refund' },
      { type: 'usage', agent: 'billing', model: 'x', path: 'triage>billing', usage: {} },
      { type: 'turn-end', threadId: 't', turn: 1, agent: 'escalation_manager', status: 'error', error: { code: 'LIMIT', message: 'too many calls' }, durationMs: 80 },
    ];
    await journal.append(
      't',
      events.map((event, index) => ({ kind: 'event' as const, turn: 1, key: `event:1:${index}`, data: { ...event, at: at + index * 10 } })),
    );
    await journal.append('t', [{ kind: 'event', turn: 2, key: 'event:2:0', data: { type: 'turn-start', turn: 2, agent: 'billing', at } }]);
    expect(await tracedTurns(journal, 't')).toEqual([1, 2]);

    const trace = buildTrace('t', 1, await readTraceEvents(journal, 't', 1));
    expect(trace.items.map((item) => item.kind)).toEqual(['turn-start', 'model-call', 'handoff-refused', 'handoff', 'tool-call', 'model-fallback', 'fallback', 'limit', 'other', 'turn-end']);
    expect(trace.items[1]).toMatchObject({
      kind: 'model-call',
      at: at + 1,
      messages: [
        { role: 'system', text: 'You are triage.\n## Shared state\ntier: "gold"' },
        { role: 'human', text: 'help' },
      ],
      reply: { role: 'ai', name: 'triage', toolCalls: [{ id: 'call_1', name: 'transfer_to_billing', args: { reason: 'money' } }] },
      usage: { inputTokens: 120, outputTokens: 9, costUsd: 0.00012 },
    });
    expect(trace.items[4]).toMatchObject({ kind: 'tool-call', idempotencyKey: 't:call_2', ok: true, result: '{"paid":true}', durationMs: 7 });
    expect(trace.items[8]).toMatchObject({ kind: 'other', type: 'approval-start', fields: { agent: 'billing', tool: 'issue_refund' } });

    const text = formatTrace(trace).split('\n');
    expect(text[0]).toBe('Thread t · turn 1 · 1 model call (2 attempts) · 1 tool call · 1 handoff · 120 in / 9 out tokens · $0.000120');
    expect(text).toContain('    +1 ms  model call  triage · gpt-4.1-mini · 15 ms · 120 in / 9 out tokens · $0.000120 · 2 attempts');
    expect(text).toContain('           [1] system: You are triage.');
    expect(text).toContain('           ## Shared state');
    expect(text).toContain('           → transfer_to_billing {"reason":"money"} [call_1]');
    expect(text).toContain('   +20 ms  refused     triage → sales (transfer_to_sales) NOT_ALLOWED');
    expect(text).toContain('           reason: sales is not a child of triage');
    expect(text).toContain('   +40 ms  tool call   billing → lookup_invoice · ok · 7 ms · key t:call_2');
    expect(text).toContain('   +60 ms  model       billing: gpt-4.1 failed (RATE_LIMIT); gpt-4.1-mini answers');
    expect(text).toContain('   +70 ms  fallback    billing failed (MODEL_ERROR); escalation_manager takes over');
    expect(text).toContain('   +80 ms  limit       escalation_manager reached modelCallsPerTurn; end');
    expect(text).toContain('   +90 ms  approval-start {"agent":"billing","tool":"issue_refund"}');
    expect(text.at(-1)).toBe('  +110 ms  turn ends   error with escalation_manager · 80 ms · LIMIT: too many calls');
  });

  it('reads a message in any form the journal may hold', () => {
    expect(toTraceMessage({ role: 'tool', name: 'lookup', content: [{ type: 'text', text: 'a' }, 'b'], toolCallId: 'c1' })).toEqual({ role: 'tool', name: 'lookup', text: 'ab', toolCallId: 'c1' });
    expect(toTraceMessage({ type: 'tool', content: 'x', tool_call_id: 'c2' })).toEqual({ role: 'tool', text: 'x', toolCallId: 'c2' });
    expect(toTraceMessage(JSON.parse(JSON.stringify(new SystemMessage('sys'))))).toEqual({ role: 'system', text: 'sys' });
    expect(toTraceMessage(null)).toEqual({ role: '', text: '' });
  });
});

describe('the dev server history API (default in-memory store)', () => {
  it('lists threads, serves a turn, its trace and forks; mistakes get a status and the error code', async () => {
    const server = await startDevServer({ file: examplePath('support'), port: 0, tools: createExampleTools(), model: 'offline', logger: captureLogs('warn').logger });
    try {
      const call = async (path: string, body?: unknown) => {
        const response = await fetch(new URL(path, server.url), body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
        return { status: response.status, body: (await (response.headers.get('content-type')?.includes('ndjson') ? response.text() : response.json())) as Record<string, unknown> };
      };
      await call('/api/chat', { threadId: 'api-1', message: 'I was charged twice on my invoice' });
      await call('/api/chat', { threadId: 'api-1', message: 'And can I get a refund for it?' });
      expect((await call('/api/threads')).body).toEqual({ threads: [expect.objectContaining({ threadId: 'api-1', tree: 'support', owner: 'billing', turns: 2 })], total: 1, offset: 0 });
      expect((await call('/api/threads/api-1')).body).toMatchObject({ exists: true, keptTurns: [1, 2], tracedTurns: [1, 2] });
      const atOne = await call('/api/threads/api-1/turns/1');
      expect(atOne.body).toMatchObject({ turn: 1, messages: [{ role: 'user', turn: 1, text: 'I was charged twice on my invoice' }, { role: 'agent', agent: 'billing' }], state: { activeAgent: 'billing' } });
      const trace = (await call('/api/threads/api-1/trace?turn=1')).body as unknown as StepTrace;
      expect(trace.items.filter((item) => item.kind === 'model-call').map((item) => (item as { agent: string }).agent)).toEqual(['triage', 'billing', 'billing']);
      const fork = await call('/api/threads/api-1/fork', { turn: 1, newThreadId: 'api-1-b', fields: { priority: 'critical' } });
      expect(fork).toMatchObject({ status: 200, body: { from: { threadId: 'api-1', turn: 1 }, thread: { threadId: 'api-1-b', exists: true, state: { fields: { priority: 'critical' } }, keptTurns: [1] } } });
      expect(await call('/api/threads/api-1/fork', { turn: 1, newThreadId: 'api-1-b' })).toEqual({ status: 409, body: { error: 'THREAD_EXISTS: Thread api-1-b already exists: fork into a new thread id.' } });
      expect((await call('/api/threads/api-1/fork', { turn: 1, fields: { priority: 'urgent' } })).status).toBe(400);
      expect((await call('/api/threads/api-1/fork', { turn: 0 })).status).toBe(400);
      expect((await call('/api/threads/nobody/turns/1')).status).toBe(404);
      expect((await call('/api/threads?limit=0')).status).toBe(400);
      expect((await call('/api/threads?search=api-1-b')).body).toEqual({ threads: [expect.objectContaining({ threadId: 'api-1-b' })], total: 1, offset: 0 });
    } finally {
      await server.close();
    }
  });
});

describe('a long thread on the page', () => {
  it('shows every turn, numbered as it ran, and every move since the first, beyond the history window the checkpoint keeps', async () => {
    const server = await startDevServer({ file: examplePath('support'), port: 0, tools: createExampleTools(), model: 'offline', logger: captureLogs('warn').logger });
    try {
      const chat = (message: string) => fetch(new URL('/api/chat', server.url), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ threadId: 'long-1', message }) }).then((response) => response.text());
      const read = async (path: string) => (await (await fetch(new URL(path, server.url))).json()) as { messages: { role: string; turn: number; text: string }[]; path: { from: string; to: string; turn: number }[] };
      await chat('I was charged twice on my invoice');
      for (let turn = 2; turn <= 9; turn += 1) await chat(`invoice question ${turn}`);
      await chat('This is unacceptable, I want a real person now');

      const thread = await read('/api/threads/long-1');
      const users = thread.messages.filter((message) => message.role === 'user');
      expect(users.map((message) => [message.turn, message.text])).toEqual([
        [1, 'I was charged twice on my invoice'],
        ...Array.from({ length: 8 }, (_, index) => [index + 2, `invoice question ${index + 2}`]),
        [10, 'This is unacceptable, I want a real person now'],
      ]);
      expect(thread.path.map(({ from, to, turn }) => `${turn}: ${from} → ${to}`)).toEqual(['1: triage → billing', '10: billing → escalation_manager', '10: escalation_manager → human_agent']);

      // As it was at the end of turn 8 (time travel): the turns up to it, the moves up to it.
      const atEight = await read('/api/threads/long-1/turns/8');
      expect(atEight.messages.filter((message) => message.role === 'user').map((message) => message.turn)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      expect(atEight.path.map(({ from, to }) => `${from} → ${to}`)).toEqual(['triage → billing']);
    } finally {
      await server.close();
    }
  });
});

describe('the drawing on the page', () => {
  it('sends both layouts, and runs a wide tree (clinic) left to right by default and a narrow one (support) top to bottom', async () => {
    for (const [name, direction] of [['clinic', 'LR'], ['support', 'TB']] as const) {
      const server = await startDevServer({ file: examplePath(name), port: 0, tools: createExampleTools(), model: 'offline', logger: captureLogs('warn').logger });
      try {
        const snapshot = (await (await fetch(new URL('/api/tree', server.url))).json()) as { tree: { direction: string; svg: string; svgs: { TB: string; LR: string } } };
        expect(snapshot.tree.direction).toBe(direction);
        expect(snapshot.tree.svg).toBe(snapshot.tree.svgs[direction]);
        expect(snapshot.tree.svgs.TB.startsWith('<svg')).toBe(true);
        expect(snapshot.tree.svgs.TB).not.toBe(snapshot.tree.svgs.LR);
      } finally {
        await server.close();
      }
    }
  });
});
