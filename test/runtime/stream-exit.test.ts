/**
 * Code that stops reading a turn's stream early (a client that went away, a `break` in a
 * `for await`) leaves the events, not the turn: the turn finishes before the loop is left (its
 * refund paid once, every tool call answered, its reply in the thread), LangGraph writes nothing to
 * a closed stream (which LangChain used to print as "Controller is already closed"), and the next
 * message finds no cut turn to finish. A turn is stopped by aborting the `signal` given with it:
 * the loop throws the signal's reason, and the next message finishes what the stopped turn left.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runTurn, streamTurn } from '../../runtime/turn.js';
import { getTurnSummaries } from '../../runtime/transcript.js';
import type { SwitchboardEvent } from '../../nodes/events.js';
import { compileExample, expectEveryCallAnswered, fakeOpenAIForFile, newThread, viaFakeOpenAI, wholeConversation } from '../helpers.js';
import { storeKinds } from '../store/stores.js';

const dir = mkdtempSync(join(tmpdir(), 'switchboard-stream-exit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const STORES = storeKinds(dir);
const server = fakeOpenAIForFile();
const REFUND = 'I want a refund for my invoice, I was charged twice';

describe.each(Object.keys(STORES) as (keyof typeof STORES)[])('leaving streamTurn early, on %s', (kind) => {
  it('finishes the turn before the loop is left, with its refund paid once', async () => {
    const store = await STORES[kind]();
    try {
      const { graph, ledger } = await compileExample('support', { checkpointer: store.saver, threadLock: store.threadLock, model: 'offline' });
      // Every event the whole turn streams, in order: the test leaves the stream at each of them.
      const whole: SwitchboardEvent['type'][] = [];
      for await (const event of streamTurn(graph, { threadId: newThread().threadId, message: REFUND })) whole.push(event.type);
      expect(whole).toContain('handoff-accept');
      const refundsBefore = (await ledger.list('refund')).length;
      expect(refundsBefore).toBe(1);

      for (const [index, type] of whole.entries()) {
        const { threadId } = newThread();
        let seen = 0;
        for await (const event of streamTurn(graph, { threadId, message: REFUND })) {
          void event;
          if (seen++ === index) break;
        }
        // The turn finished before the loop was left.
        const after = (await graph.getState({ configurable: { thread_id: threadId } })).values as { turn: { number: number; status: string } };
        expect(after.turn, `left at event ${index} (${type})`).toMatchObject({ number: 1, status: 'done' });
        expect(await ledger.list('refund'), `left at event ${index} (${type})`).toHaveLength(refundsBefore + index + 1);
        const next = await runTurn(graph, { threadId, message: 'thanks, when will it arrive?' });
        expect(next.status, `left at event ${index} (${type})`).toBe('done');
        expect(next.turn, `left at event ${index} (${type})`).toBe(2);
        expect(next.recovered, `left at event ${index} (${type})`).toBeUndefined();
        const conversation = await wholeConversation(graph, threadId);
        expectEveryCallAnswered(conversation);
        const humans = conversation.filter((message) => message.type === 'human').map((message) => message.text);
        expect(humans).toEqual([REFUND, 'thanks, when will it arrive?']);
        // The first turn was answered once.
        const replies = conversation.filter((message) => message.type === 'ai' && message.text !== '');
        expect(replies.length, `left at event ${index} (${type})`).toBe(2);
      }
      // One refund for each thread, the cut ones included.
      const refunds = await ledger.list('refund');
      expect(refunds).toHaveLength(1 + whole.length);
      expect(new Set(refunds.map((refund) => refund.key)).size).toBe(refunds.length);
    } finally {
      await store.close();
    }
  });

  it('stops the turn when its signal is aborted; the next message finishes what it left, its refund paid once', async () => {
    const store = await STORES[kind]();
    try {
      const fake = await server;
      const { graph, ledger } = await compileExample('support', { checkpointer: store.saver, threadLock: store.threadLock, ...viaFakeOpenAI(fake) });
      const { threadId } = newThread();
      const controller = new AbortController();
      fake.enqueue(
        { toolCalls: [{ name: 'transfer_to_billing', arguments: { reason: 'refund' } }] },
        // The turn is stopped while billing's model call is in flight.
        () => {
          controller.abort(new Error('the caller stopped the turn'));
          return { content: 'never read', delayMs: 1_000 };
        },
        // Finishing the stopped turn: billing refunds and answers; then the next message's answer.
        { toolCalls: [{ name: 'issue_refund', arguments: { invoice_id: 'INV-1001', amount: 10 } }] },
        { content: 'Refunded.' },
        { content: 'In three days.' },
      );
      const stopped = (async () => {
        for await (const event of streamTurn(graph, { threadId, message: REFUND, signal: controller.signal })) void event;
      })();
      await expect(stopped).rejects.toThrow('the caller stopped the turn');
      expect(((await graph.getState({ configurable: { thread_id: threadId } })).values as { turn: { status: string } }).turn.status).toBe('running');
      const next = await runTurn(graph, { threadId, message: 'thanks, when will it arrive?' });
      expect(next).toMatchObject({ status: 'done', turn: 2, reply: 'In three days.', recovered: { status: 'done', turn: 1, reply: 'Refunded.' } });
      // The recovered turn's usage and summary count its part before the stop too (triage's call).
      expect(next.recovered?.usage.total.modelCalls).toBe(3);
      expect(Object.keys(next.recovered?.usage.byAgent ?? {}).sort()).toEqual(['billing', 'triage']);
      const [summary] = await getTurnSummaries(graph, threadId);
      expect(summary).toMatchObject({ turn: 1, recovered: true, modelCalls: 3, toolCalls: 1 });
      expect(summary?.usage.total.modelCalls).toBe(3);
      expect(await ledger.list('refund')).toHaveLength(1);
      expectEveryCallAnswered(await wholeConversation(graph, threadId));
      expect(fake.pending()).toBe(0);
    } finally {
      await store.close();
    }
  });
});
