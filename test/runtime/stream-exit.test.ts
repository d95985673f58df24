/**
 * Code that stops reading a turn's stream early (a client that went away, a `break` in a
 * `for await`) cuts the turn where it was. Nothing of it is lost or done twice: the thread's next
 * message finishes the cut turn first (its reply in `result.recovered`), its refund is paid once,
 * every tool call is answered, and the messages stay in order.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runTurn, streamTurn } from '../../runtime/turn.js';
import type { SwitchboardEvent } from '../../nodes/events.js';
import { compileExample, expectEveryCallAnswered, newThread, wholeConversation } from '../helpers.js';
import { storeKinds } from '../store/stores.js';

const dir = mkdtempSync(join(tmpdir(), 'switchboard-stream-exit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const STORES = storeKinds(dir);
const REFUND = 'I want a refund for my invoice, I was charged twice';

describe.each(Object.keys(STORES) as (keyof typeof STORES)[])('leaving streamTurn early, on %s', (kind) => {
  it('finishes the cut turn with the next message, with its refund paid once', async () => {
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
        const next = await runTurn(graph, { threadId, message: 'thanks, when will it arrive?' });
        expect(next.status, `left at event ${index} (${type})`).toBe('done');
        expect(next.turn, `left at event ${index} (${type})`).toBe(2);
        const conversation = await wholeConversation(graph, threadId);
        expectEveryCallAnswered(conversation);
        const humans = conversation.filter((message) => message.type === 'human').map((message) => message.text);
        expect(humans).toEqual([REFUND, 'thanks, when will it arrive?']);
        // The cut turn was answered (now or before the cut), once.
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
});
