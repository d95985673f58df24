/**
 * An unstreamed reply whose every tool call is malformed: read with the malformed calls kept (so each
 * gets its answer), and without LangChain's console warning ("New LangChain packages are
 * available…"), which its `AIMessage` printed for such a reply in every app's output.
 */
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { HumanMessage } from '@langchain/core/messages';
import { createOpenAIModel } from '../../models/resolve.js';
import { startFakeOpenAI } from '../../testing/fake-openai-server.js';

const server = await startFakeOpenAI();
afterAll(() => server.close());
afterEach(() => vi.restoreAllMocks());

describe('an unstreamed reply with only malformed tool calls', () => {
  it('keeps them as invalid calls, with no console warning', async () => {
    const warn = vi.spyOn(console, 'warn');
    server.enqueue({ toolCalls: [{ name: 'issue_refund', arguments: '{"amount": 10' }] });
    const model = createOpenAIModel({ baseURL: server.url } as never, 'gpt-test', 'test-key', {});
    const reply = await model.invoke([new HumanMessage('refund me')]);
    expect(reply.tool_calls).toEqual([]);
    expect(reply.invalid_tool_calls).toMatchObject([{ name: 'issue_refund', args: '{"amount": 10' }]);
    expect(warn).not.toHaveBeenCalled();
  });

  it('parses valid calls beside malformed ones, ids kept', async () => {
    const warn = vi.spyOn(console, 'warn');
    server.enqueue({ toolCalls: [{ name: 'lookup', arguments: { id: 7 }, id: 'call_a' }, { name: 'issue_refund', arguments: '[1,', id: 'call_b' }] });
    const model = createOpenAIModel({ baseURL: server.url } as never, 'gpt-test', 'test-key', {});
    const reply = await model.invoke([new HumanMessage('look it up')]);
    expect(reply.tool_calls).toMatchObject([{ name: 'lookup', args: { id: 7 }, id: 'call_a' }]);
    expect(reply.invalid_tool_calls).toMatchObject([{ name: 'issue_refund', id: 'call_b' }]);
    expect(warn).not.toHaveBeenCalled();
  });
});
