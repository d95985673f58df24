/**
 * `recoverThread` whose store fails is told to call it again, not to send a message it never sent.
 */
import { describe, expect, it, vi } from 'vitest';
import { parseTree } from '../../config/load.js';
import { compileTree } from '../../graphs/compile.js';
import type { SwitchboardEvent } from '../../nodes/events.js';
import { recoverThread, runTurn } from '../../runtime/turn.js';
import { StoreError } from '../../errors/store-error.js';
import { openCheckpointer } from '../../store/checkpointer.js';
import { fakeOpenAIForFile, newThread, viaFakeOpenAI } from '../helpers.js';

const server = await fakeOpenAIForFile();

const DESK = `
version: 1
name: desk
root: triage
agents:
  triage: { description: Front desk., prompt: Route., children: [billing] }
  billing: { description: Billing., prompt: Billing. }
`;

describe('recoverThread when the store fails', () => {
  it('says to call it again, and called again it leaves the turn finished once', async () => {
    const store = await openCheckpointer('memory');
    const stop = new AbortController();
    const observers = [(event: SwitchboardEvent) => event.type === 'step-start' && event.agent === 'billing' && stop.abort(new Error('the worker died'))];
    const graph = compileTree(parseTree(DESK, 'desk.yaml'), { ...viaFakeOpenAI(server), sleep: async () => {}, checkpointer: store.saver, threadLock: store.threadLock, journal: store.journal, observers });
    const { threadId } = newThread();
    server.enqueue({ toolCalls: [{ name: 'transfer_to_billing', arguments: {} }] });
    await expect(runTurn(graph, { threadId, message: 'my invoice', signal: stop.signal })).rejects.toThrow('the worker died');

    server.enqueue({ content: 'Billing here.' });
    vi.spyOn(store.saver, 'putWrites').mockRejectedValueOnce(new Error('Connection terminated unexpectedly'));
    const failed = (await recoverThread(graph, threadId).catch((caught: unknown) => caught)) as StoreError;
    vi.restoreAllMocks();
    expect(failed).toBeInstanceOf(StoreError);
    expect(failed.message).toBe(
      `The thread store failed during a turn on ${threadId} (Connection terminated unexpectedly). The turn it was finishing may not have finished. Call recoverThread again once the store is back: it finishes the turn if it still is unfinished, replaying its tool calls under their idempotency keys (a side effect is never repeated); the thread's next message does too.`,
    );
    // Called again, it leaves the thread with the turn finished and billing's answer once.
    await recoverThread(graph, threadId);
    const state = (await graph.getState({ configurable: { thread_id: threadId } })).values as { turn: { status: string }; messages: { content: unknown }[] };
    expect(state.turn.status).toBe('done');
    expect(state.messages.filter((message) => message.content === 'Billing here.')).toHaveLength(1);
    await store.close();
  });
});
