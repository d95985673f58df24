/**
 * Exactly once, within a process and against each store: a message sent twice (same messageId) is
 * added once; a side effect happens once per tool call even when the provider reuses tool-call ids;
 * writes under a stale fencing token are refused; bad ids are input errors, not store errors.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AIMessage } from '@langchain/core/messages';
import { emptyCheckpoint } from '@langchain/langgraph-checkpoint';
import { afterAll, describe, expect, it } from 'vitest';
import { openCheckpointer } from '../../store/checkpointer.js';
import { FENCE_KEY } from '../../store/fences.js';
import { runTurn } from '../../runtime/turn.js';
import { forkThread } from '../../runtime/fork.js';
import { compileExample, expectEveryCallAnswered, fakeOpenAIForFile, newThread, viaFakeOpenAI } from '../helpers.js';
import { storeKinds, withStore } from '../store/stores.js';

const dir = mkdtempSync(join(tmpdir(), 'switchboard-exactly-once-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const STORES = storeKinds(dir);


const humanTexts = (messages: { type: string; text: string }[]) => messages.filter((message) => message.type === 'human').map((message) => message.text);

describe.each(Object.keys(STORES) as (keyof typeof STORES)[])('on %s', (kind) => {
  it('adds a message sent twice with one messageId once, and returns the first answer as replayed', async () => {
    await withStore(STORES[kind], async (store) => {
      const { graph, ledger } = await compileExample('support', { checkpointer: store.saver, threadLock: store.threadLock, model: 'offline' });
      const { threadId } = newThread();
      const first = await runTurn(graph, { threadId, messageId: 'msg-1', message: 'I want a refund for my invoice, I was charged twice' });
      expect(first).toMatchObject({ status: 'done', messageId: 'msg-1', replayed: false });
      const again = await runTurn(graph, { threadId, messageId: 'msg-1', message: 'I want a refund for my invoice, I was charged twice' });
      expect(again).toMatchObject({ status: 'done', messageId: 'msg-1', replayed: true, reply: first.reply, turn: first.turn });
      expect(await runTurn(graph, { threadId, messageId: 'msg-2', message: 'thanks, and when will it arrive?' })).toMatchObject({ replayed: false, turn: 2 });
      // An earlier message sent again: still its own answer, nothing added.
      const older = await runTurn(graph, { threadId, messageId: 'msg-1', message: 'I want a refund for my invoice, I was charged twice' });
      expect(older).toMatchObject({ replayed: true, reply: first.reply, turn: 1 });
      const state = (await graph.getState({ configurable: { thread_id: threadId } })).values as typeof first.state;
      expect(humanTexts(state.messages)).toEqual(['I want a refund for my invoice, I was charged twice', 'thanks, and when will it arrive?']);
      expect(state.turn.number).toBe(2);
      // The refund the first message asked for ran once, though the message came three times.
      expect(await ledger.list('refund')).toHaveLength(1);
    });
  });

  it('refuses a messageId sent again with a different text (MESSAGE_ID_REUSED), adding nothing; the same text is still replayed', async () => {
    await withStore(STORES[kind], async (store) => {
      const { graph, ledger } = await compileExample('support', { checkpointer: store.saver, threadLock: store.threadLock, model: 'offline' });
      const { threadId } = newThread();
      const first = await runTurn(graph, { threadId, messageId: 'msg-1', message: 'I want a refund for my invoice, I was charged twice \ud800' });
      await runTurn(graph, { threadId, messageId: 'msg-2', message: 'thanks' });
      const reused = { name: 'SwitchboardError', code: 'MESSAGE_ID_REUSED', message: expect.stringContaining('before, with a different text: send a new message with a new messageId') };
      // The latest message and an earlier one.
      await expect(runTurn(graph, { threadId, messageId: 'msg-2', message: 'thanks!' })).rejects.toMatchObject(reused);
      await expect(runTurn(graph, { threadId, messageId: 'msg-1', message: 'refund me twice' })).rejects.toMatchObject(reused);
      // The same text, its lone surrogate stored as U+FFFD, is the same message.
      expect(await runTurn(graph, { threadId, messageId: 'msg-1', message: 'I want a refund for my invoice, I was charged twice \ud800' })).toMatchObject({ replayed: true, reply: first.reply });
      const state = (await graph.getState({ configurable: { thread_id: threadId } })).values as typeof first.state;
      expect(humanTexts(state.messages)).toEqual(['I want a refund for my invoice, I was charged twice \ufffd', 'thanks']);
      expect(state.turn.number).toBe(2);
      expect(await ledger.list('refund')).toHaveLength(1);
    });
  });

  it('refuses checkpoint writes and side-effect records under a stale fencing token', async () => {
    await withStore(STORES[kind], async (store) => {
      const { threadId } = newThread();
      const domain = store.threadLock.fences;
      expect(domain).toBeDefined();
      // Take the thread twice: the first hold's token is stale once the second is taken.
      const stale = await store.threadLock.withLock(threadId, async (lease) => lease.fence);
      const fresh = await store.threadLock.withLock(threadId, async (lease) => {
        const config = { configurable: { thread_id: threadId, checkpoint_ns: '', [FENCE_KEY]: { token: stale, domain } } };
        const checkpoint = { ...emptyCheckpoint(), channel_values: { note: 'stale' }, channel_versions: { note: 1 } };
        await expect(store.saver.put(config, checkpoint, { source: 'loop', step: 1, parents: {} }, { note: 1 })).rejects.toMatchObject({ name: 'LockLostError', code: 'LOCK_LOST' });
        await expect(store.ledger.record({ key: `${threadId}:stale`, kind: 'refund', details: {} }, { threadId, token: stale, domain: domain! })).rejects.toMatchObject({ code: 'LOCK_LOST' });
        // The current token writes.
        const current = { configurable: { thread_id: threadId, checkpoint_ns: '', [FENCE_KEY]: { token: lease.fence, domain } } };
        const saved = await store.saver.put(current, { ...checkpoint, channel_values: { note: 'fresh' } }, { source: 'loop', step: 1, parents: {} }, { note: 1 });
        await store.saver.putWrites(saved, [['note', 'more']], 'task-1');
        const { created } = await store.ledger.record({ key: `${threadId}:fresh`, kind: 'refund', details: {} }, { threadId, token: lease.fence, domain: domain! });
        expect(created).toBe(true);
        return lease.fence;
      });
      expect(fresh).toBeGreaterThan(stale);
      expect(await store.saver.getTuple({ configurable: { thread_id: threadId, checkpoint_ns: '' } })).toMatchObject({ checkpoint: { channel_values: { note: 'fresh' } } });
      expect((await store.ledger.list('refund')).map((effect) => effect.key)).not.toContain(`${threadId}:stale`);
    });
  });

  it('stores tool arguments with a NUL, a lone surrogate and odd Unicode exactly, and reads them back', async () => {
    await withStore(STORES[kind], async (store) => {
      const details = { text: 'a\u0000b', lone: '\ud800x', bidi: '\u202eevil', emoji: '🧾', quote: '"\'\\' };
      const key = `unicode-${kind}-${Math.random()}`;
      const { effect, created } = await store.ledger.record({ key, kind: 'sms', details });
      expect(created).toBe(true);
      expect(effect.details).toEqual(details);
      expect((await store.ledger.list('sms')).find((entry) => entry.key === key)?.details).toEqual(details);
    });
  });
});

describe('tool-call ids', () => {
  const server = fakeOpenAIForFile();

  it('runs two different refunds when the provider sends call_0 every time, and a replay of one still happens once', async () => {
    const fake = await server;
    const store = await openCheckpointer('memory');
    const { graph, ledger, tools } = await compileExample('support', { ...viaFakeOpenAI(fake), checkpointer: store.saver, threadLock: store.threadLock });
    // The store goes down right after the second refund is recorded, until the turn has failed: the
    // turn dies between the side effect and its checkpoint, as a crash would leave it.
    let storeDown = false;
    let armed = true;
    const saver = store.saver as unknown as Record<'put' | 'putWrites', (...args: unknown[]) => Promise<unknown>>;
    for (const method of ['put', 'putWrites'] as const) {
      const original = saver[method].bind(store.saver);
      saver[method] = async (...args: unknown[]) => {
        if (storeDown || (armed && (await ledger.list('refund')).length === 2)) {
          storeDown = true;
          armed = false;
          throw Object.assign(new Error('Connection terminated unexpectedly'), { code: 'ECONNRESET' });
        }
        return original(...args);
      };
    }
    expect(tools.issue_refund).toBeDefined();
    const { threadId } = newThread();
    const refund = (amount: number) => ({ toolCalls: [{ id: 'call_0', name: 'issue_refund', arguments: { invoice_id: 'INV-1001', amount } }] });
    fake.enqueue({ toolCalls: [{ id: 'call_0', name: 'transfer_to_billing', arguments: { reason: 'refunds' } }] }, refund(10), { content: 'Refunded $10.' });
    expect(await runTurn(graph, { threadId, message: 'refund 10 please' })).toMatchObject({ status: 'done', agent: 'billing' });

    fake.enqueue(refund(20));
    const failed = await runTurn(graph, { threadId, messageId: 'refund-20', message: 'and refund 20 more' }).catch((error: unknown) => error);
    storeDown = false;
    expect(failed).toMatchObject({ name: 'StoreError', code: 'STORE_UNAVAILABLE', messageId: 'refund-20', saved: 'message' });
    // The caller sends the same message again: the turn finishes, the refund call replays under its
    // key and is not repeated.
    fake.enqueue({ content: 'Refunded $20.' });
    const second = await runTurn(graph, { threadId, messageId: 'refund-20', message: 'and refund 20 more' });
    expect(second).toMatchObject({ status: 'done', reply: 'Refunded $20.', replayed: true });

    const refunds = await ledger.list('refund');
    expect(refunds.map((effect) => effect.details.amount)).toEqual([10, 20]);
    expect(new Set(refunds.map((effect) => effect.key)).size).toBe(2);
    const toolAnswers = second.state.messages.filter((message) => message.type === 'tool' && message.name === 'issue_refund').map((message) => message.text);
    expect(toolAnswers).toHaveLength(2);
    expect(toolAnswers[1]).toMatch(/already recorded; not repeated/);
    expect(humanTexts(second.state.messages)).toEqual(['refund 10 please', 'and refund 20 more']);
    // Switchboard's own ids, unique in the thread; the provider's kept beside them.
    const calls = second.state.messages.flatMap((message) => (message.type === 'ai' ? ((message as AIMessage).tool_calls ?? []) : []));
    expect(new Set(calls.map((call) => call.id)).size).toBe(calls.length);
    for (const call of calls) expect(call.id).toMatch(/^call_sb[0-9a-f]{24}$/);
    expectEveryCallAnswered(second.state.messages);
    // What the provider is sent back pairs each answer with its call.
    const last = fake.requests.at(-1)!;
    const sentCalls = last.messages.flatMap((message) => message.tool_calls?.map((call) => call.id) ?? []);
    const sentAnswers = last.messages.filter((message) => message.role === 'tool').map((message) => message.tool_call_id);
    expect(sentAnswers.sort()).toEqual(sentCalls.sort());
    await store.close();
  });
});

describe('bad ids', () => {
  it('refuses a thread id with a NUL, a control character or a lone surrogate as INVALID_INPUT, before touching the store', async () => {
    const { graph } = await compileExample('support', { model: 'offline' });
    for (const threadId of ['a\u0000b', 'line\nbreak', '\ud800', '', 'x'.repeat(1025)]) {
      await expect(runTurn(graph, { threadId, message: 'hi' })).rejects.toMatchObject({ name: 'InputError', code: 'INVALID_INPUT' });
    }
    await expect(runTurn(graph, { threadId: 'ok', messageId: 'm\u0000', message: 'hi' })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    expect(await runTurn(graph, { threadId: 'ok-😀-ünïcode', message: 'hi' })).toMatchObject({ status: 'done' });
  });

  it('counts an id’s length in UTF-8 bytes, as the stores index it: 1,024 ASCII characters pass, 342 Chinese ones (1,026 bytes) do not', async () => {
    const { graph } = await compileExample('support', { model: 'offline' });
    await expect(runTurn(graph, { threadId: '漢'.repeat(342), message: 'hi' })).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(/1026 bytes in UTF-8; at most 1024/) });
    await expect(runTurn(graph, { threadId: 'ok-bytes', messageId: '😀'.repeat(257), message: 'hi' })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    expect(await runTurn(graph, { threadId: '漢'.repeat(341), messageId: '😀'.repeat(256), message: 'hi' })).toMatchObject({ status: 'done' });
  });

  it('forks a thread whose id is at the limit into a default id that fits (the caller never chose it)', async () => {
    const { graph } = await compileExample('support', { model: 'offline' });
    const threadId = '漢'.repeat(341);
    await runTurn(graph, { threadId, message: 'hi' });
    const fork = await forkThread(graph, { threadId, turn: 1 });
    expect(Buffer.byteLength(fork.threadId, 'utf8')).toBeLessThanOrEqual(1024);
    expect(fork.threadId).toMatch(/^漢+-fork-[0-9a-f]{8}$/);
    await expect(forkThread(graph, { threadId: 42 as never, turn: 1 })).rejects.toMatchObject({ name: 'InputError', code: 'INVALID_INPUT' });
  });
});
