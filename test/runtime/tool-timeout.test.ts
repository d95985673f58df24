/**
 * A function tool that does not answer in time (`toolTimeoutMs`): its signal is aborted, its call is
 * answered as timed out, the turn ends with TOOL_TIMEOUT and no further tool of that response runs;
 * the thread takes its next message as usual (nothing re-runs the hung call).
 */
import { tool } from '@langchain/core/tools';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { getToolContext } from '../../nodes/tool-context.js';
import { runTurn } from '../../runtime/turn.js';
import { openCheckpointer } from '../../store/checkpointer.js';
import { compileExample, expectEveryCallAnswered, fakeOpenAIForFile, newThread, viaFakeOpenAI } from '../helpers.js';

const server = await fakeOpenAIForFile();

/** lookup_invoice never answers; it notes each start and whether its signal was aborted. */
function hungLookup() {
  const seen = { starts: 0, aborted: 0 };
  const lookup = tool(
    async (_args, config) => {
      seen.starts += 1;
      getToolContext(config).signal?.addEventListener('abort', () => (seen.aborted += 1));
      return new Promise<string>(() => {});
    },
    { name: 'lookup_invoice', description: 'Look up an invoice.', schema: z.object({ invoice_id: z.string() }) },
  );
  return { lookup, seen };
}

describe('a tool that does not answer in time', () => {
  it('ends the turn with TOOL_TIMEOUT, every call answered, and the thread takes its next message', async () => {
    const store = await openCheckpointer('memory');
    const { lookup, seen } = hungLookup();
    // The example tools (their refunds go to `base.ledger`), with the hung lookup in place of theirs.
    const base = await compileExample('support');
    const { graph } = await compileExample('support', {
      ...viaFakeOpenAI(server),
      tools: { ...base.tools, lookup_invoice: lookup },
      checkpointer: store.saver,
      threadLock: store.threadLock,
      toolTimeoutMs: 200,
    });
    const { threadId } = newThread();
    server.enqueue(
      { toolCalls: [{ name: 'transfer_to_billing', arguments: { reason: 'invoice' } }] },
      // The refund after the hung lookup must not run: whether the lookup took effect is not known.
      { toolCalls: [{ name: 'lookup_invoice', arguments: { invoice_id: 'INV-1001' } }, { name: 'issue_refund', arguments: { invoice_id: 'INV-1001', amount: 10 } }] },
    );
    const result = await runTurn(graph, { threadId, message: 'check my invoice' });
    expect(result).toMatchObject({ status: 'error', agent: 'billing', error: { code: 'TOOL_TIMEOUT', message: 'lookup_invoice did not answer within 200 ms; whether it took effect is not known' } });
    expect(seen).toEqual({ starts: 1, aborted: 1 });
    expectEveryCallAnswered(result.state.messages);
    const answers = result.state.messages.filter((message) => message.type === 'tool').map((message) => String(message.content));
    expect(answers).toEqual([expect.stringMatching(/^Transferred to billing/), expect.stringMatching(/^Error: lookup_invoice did not answer within 200 ms/), 'Not run: lookup_invoice did not answer in time, so the turn ends before issue_refund.']);
    expect(await base.ledger.list('refund')).toEqual([]);

    server.enqueue({ content: 'Your invoice is being checked.' });
    expect(await runTurn(graph, { threadId, message: 'any news?' })).toMatchObject({ status: 'done', agent: 'billing', reply: 'Your invoice is being checked.' });
    expect(seen.starts).toBe(1);
    await store.close();
  });

  it('ends the turn alike when the tool gives up as its signal is aborted (as fetch does)', async () => {
    let aborted: unknown;
    const lookup = tool(
      async (_args, config) =>
        new Promise<string>((_resolve, reject) => {
          const signal = getToolContext(config).signal;
          signal?.addEventListener('abort', () => {
            aborted = signal.reason;
            reject(new DOMException('This operation was aborted', 'AbortError'));
          });
        }),
      { name: 'lookup_invoice', description: 'Look up an invoice.', schema: z.object({ invoice_id: z.string() }) },
    );
    const base = await compileExample('support');
    const { graph } = await compileExample('support', { ...viaFakeOpenAI(server), tools: { ...base.tools, lookup_invoice: lookup }, toolTimeoutMs: 100 });
    server.enqueue({ toolCalls: [{ name: 'transfer_to_billing', arguments: { reason: 'invoice' } }] }, { toolCalls: [{ name: 'lookup_invoice', arguments: { invoice_id: 'INV-1001' } }] });
    const result = await runTurn(graph, { threadId: newThread().threadId, message: 'check my invoice' });
    expect(result).toMatchObject({ status: 'error', error: { code: 'TOOL_TIMEOUT' } });
    expect(String(aborted)).toContain('lookup_invoice timed out');
    expectEveryCallAnswered(result.state.messages);
  });

  it('refuses a toolTimeoutMs that is not a positive number', async () => {
    await expect(compileExample('support', { toolTimeoutMs: 0 })).rejects.toMatchObject({ code: 'INVALID_OPTION', message: 'toolTimeoutMs must be a positive number of milliseconds; got 0.' });
  });
});
