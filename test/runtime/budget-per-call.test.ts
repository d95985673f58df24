/**
 * `tokensPerSession` is checked before every model call, so a session ends above its budget by at
 * most one call's tokens: the retry after an empty reply is held to it too. And when the provider
 * sends no usage, the estimate counts what every request carries: the tools' schemas as well as the
 * messages.
 */
import { describe, expect, it } from 'vitest';
import { tool } from '@langchain/core/tools';
import { z } from 'zod';
import { parseTree } from '../../config/load.js';
import { compileTree } from '../../graphs/compile.js';
import { runTurn, streamTurn } from '../../runtime/turn.js';
import type { TurnResult } from '../../runtime/turn.js';
import type { SwitchboardEvent } from '../../nodes/events.js';
import type { FakeHandler } from '../../testing/fake-openai-server.js';
import { captureLogs } from '../../testing/capture-logs.js';
import { fakeOpenAIForFile, newThread, viaFakeOpenAI } from '../helpers.js';

const server = await fakeOpenAIForFile();

/** Every scripted call uses 120 tokens. */
const usage = { prompt_tokens: 100, completion_tokens: 20 };

describe('the session token budget, call by call', () => {
  it('does not ask again after an empty reply once the empty reply spent the budget', async () => {
    const tree = parseTree(
      `version: 1
name: budget
root: desk
limits: { tokensPerSession: 150 }
agents:
  desk: { description: Front desk., prompt: Answer. }
`,
      'budget.yaml',
    );
    const graph = compileTree(tree, { ...viaFakeOpenAI(server), logger: captureLogs('warn').logger });
    server.enqueue({ content: 'Hello.', usage }, { content: '', usage });
    // What asking again would get (it must not be asked).
    server.fallback(() => ({ content: 'Asked again.', usage }));
    const { threadId } = newThread();
    const first = await runTurn(graph, { threadId, message: 'hi' });
    expect(first.status).toBe('done');

    // 120 tokens used, under 150: the next call goes out, replies with nothing and takes the session to 240.
    const second = await runTurn(graph, { threadId, message: 'and?' });
    expect(second.error).toEqual({ code: 'TOKEN_LIMIT', message: 'the session used 240 tokens; the limit is 150' });
    expect(server.requests).toHaveLength(2);
    expect(second.sessionUsage.total).toMatchObject({ modelCalls: 2, inputTokens: 200, outputTokens: 40 });
  });

  it('does not redirect a spent session to a model agent (it could not answer either): the turn ends; a person still takes it', async () => {
    const yaml = (escalation: string) => `version: 1
name: budget
root: triage
escalation: ${escalation}
limits: { tokensPerSession: 300 }
agents:
  triage: { description: Front desk., prompt: Answer., children: [manager], escalate: [person] }
  manager: { description: Manager., prompt: Manager., escalate: [person] }
  person: { kind: human, description: A person. }
`;
    server.fallback(() => ({ content: 'ok', usage }));
    const toManager = compileTree(parseTree(yaml('manager'), 'budget.yaml'), { ...viaFakeOpenAI(server), logger: captureLogs('warn').logger });
    const { threadId } = newThread();
    for (const message of ['a', 'b', 'c']) expect((await runTurn(toManager, { threadId, message })).status).toBe('done');
    const spent = await runTurn(toManager, { threadId, message: 'd' });
    expect(spent).toMatchObject({ status: 'error', agent: 'triage', handoffs: [], error: { code: 'TOKEN_LIMIT' } });
    expect(spent.error?.message).toMatch(/manager, the tree's escalation, is a model agent and could not answer either/);
    expect(spent.state.activeAgent).toBe('triage');

    const toPerson = compileTree(parseTree(yaml('person'), 'budget.yaml'), { ...viaFakeOpenAI(server), logger: captureLogs('warn').logger });
    const other = newThread().threadId;
    for (const message of ['a', 'b', 'c']) await runTurn(toPerson, { threadId: other, message });
    expect(await runTurn(toPerson, { threadId: other, message: 'd' })).toMatchObject({ status: 'waiting', waitingFor: { agent: 'person' } });
  });

  it.each([
    ['streamed', true],
    ['not streamed (runTurn with no listener)', false],
  ])("estimates a reply that came with no usage (%s) from the tools' schemas too, not only the messages", async (_how, streamed) => {
    // A tool whose schema dwarfs the prompt and the message, as real tools' often do.
    const description = `Looks up an order. ${'Explains every field of the order in detail. '.repeat(80)}`;
    const lookup = tool(async () => 'found', { name: 'lookup_order', description, schema: z.object({ order_id: z.string().describe('The order id, e.g. ORD-1.') }) });
    const tools = { lookup_order: lookup };
    const tree = parseTree(
      `version: 1
name: estimate
root: desk
agents:
  desk: { description: Front desk., prompt: Answer., tools: [lookup_order] }
`,
      'estimate.yaml',
      { tools },
    );
    const graph = compileTree(tree, { ...viaFakeOpenAI(server), tools, logger: captureLogs('warn').logger });
    server.enqueue(replyWithoutUsage('Hi.'));
    const input = { threadId: newThread().threadId, message: 'hi' };
    const result = streamed ? await lastOf(streamTurn(graph, input)) : await runTurn(graph, input);
    expect(result.reply).toBe('Hi.');
    expect(server.requests.map((request) => [request.stream, request.tools])).toEqual([[streamed, ['lookup_order']]]);
    // About four characters a token: at least the tool's description, and not much more than all the request carries.
    const sent = JSON.stringify(server.requests[0]!.body.tools).length + JSON.stringify(server.requests[0]!.body.messages).length;
    expect(result.usage.total.inputTokens).toBeGreaterThanOrEqual(Math.ceil(description.length / 4));
    expect(result.usage.total.inputTokens).toBeLessThanOrEqual(Math.ceil(sent / 4));
  });
});

/** A reply as an OpenAI-compatible server that ignores `stream_options.include_usage` sends it (streamed or not, as asked). */
function replyWithoutUsage(text: string): FakeHandler {
  const fields = { id: 'chatcmpl-1', created: 1, model: 'gpt-4o-mini' };
  const chunk = (delta: Record<string, unknown>, finish: string | null) => `data: ${JSON.stringify({ ...fields, object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
  return (request) =>
    request.stream
      ? { rawBody: `${chunk({ role: 'assistant', content: '' }, null)}${chunk({ content: text }, 'stop')}data: [DONE]\n\n`, headers: { 'content-type': 'text/event-stream' } }
      : { rawBody: JSON.stringify({ ...fields, object: 'chat.completion', choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: text } }] }) };
}

/** The result a stream returns once its events are read. */
async function lastOf(stream: AsyncGenerator<SwitchboardEvent, TurnResult>): Promise<TurnResult> {
  for (;;) {
    const next = await stream.next();
    if (next.done) return next.value;
  }
}
