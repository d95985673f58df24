/**
 * Streamed OpenAI-compatible replies read as the same reply unstreamed: text sent as content parts
 * is the reply's text (not dropped with a console warning), and a reply cut at maxTokens
 * (`finish_reason: "length"`) is marked as such wherever the backend looks.
 */
import { describe, expect, it } from 'vitest';
import { parseTree } from '../../config/load.js';
import { compileTree } from '../../graphs/compile.js';
import { turnJson } from '../../cli/output.js';
import type { SwitchboardEvent } from '../../nodes/events.js';
import { getTurnSummaries } from '../../runtime/transcript.js';
import { runTurn, streamTurn } from '../../runtime/turn.js';
import type { TurnResult } from '../../runtime/turn.js';
import { captureLogs } from '../../testing/capture-logs.js';
import type { FakeResponse } from '../../testing/fake-openai-server.js';
import { fakeOpenAIForFile, newThread, viaFakeOpenAI } from '../helpers.js';

const server = await fakeOpenAIForFile();

function compile() {
  const tree = parseTree('version: 1\nname: desk\nroot: desk\nagents:\n  desk: { description: Front desk., prompt: Answer. }\n', 'desk.yaml');
  const logs = captureLogs('debug');
  return { graph: compileTree(tree, { ...viaFakeOpenAI(server), logger: logs.logger }), logs };
}

async function collect(stream: AsyncGenerator<SwitchboardEvent, TurnResult>): Promise<{ events: SwitchboardEvent[]; result: TurnResult }> {
  const events: SwitchboardEvent[] = [];
  let next = await stream.next();
  for (; !next.done; next = await stream.next()) events.push(next.value);
  return { events, result: next.value };
}

const PARTS = [
  { type: 'text', text: 'Hello ' },
  { type: 'text', text: 'there.' },
];

/** A raw answer whose text comes as content parts: a stream of one delta, or a whole completion. */
function contentParts(stream: boolean): FakeResponse {
  const fields = { id: 'chatcmpl-parts', created: 1, model: 'gpt-4o-mini' };
  const usage = { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 };
  if (!stream) {
    return { rawBody: JSON.stringify({ ...fields, object: 'chat.completion', choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: PARTS } }], usage }) };
  }
  const chunk = (body: Record<string, unknown>) => `data: ${JSON.stringify({ ...fields, object: 'chat.completion.chunk', ...body })}\n\n`;
  const body = [chunk({ choices: [{ index: 0, delta: { role: 'assistant', content: PARTS }, finish_reason: null }] }), chunk({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] }), chunk({ choices: [], usage })].join('');
  return { rawBody: `${body}data: [DONE]\n\n`, headers: { 'content-type': 'text/event-stream' } };
}

describe('a reply whose text comes as content parts', () => {
  it('is the same reply streamed and unstreamed', async () => {
    const { graph } = compile();
    server.enqueue(contentParts(true), contentParts(false));
    const streamed = await collect(streamTurn(graph, { threadId: newThread().threadId, message: 'hi' }));
    const unstreamed = await runTurn(graph, { threadId: newThread().threadId, message: 'hi' });

    expect(unstreamed).toMatchObject({ status: 'done', reply: 'Hello there.' });
    expect(streamed.result).toMatchObject({ status: 'done', reply: 'Hello there.' });
    expect(streamed.events.flatMap((event) => (event.type === 'text-delta' ? [event.delta] : [])).join('')).toBe('Hello there.');
    expect(server.requests).toHaveLength(2);
  });
});

describe('a text reply cut at maxTokens', () => {
  it('is the reply, marked truncated on its message-end, in the summary and in --json, with a warning logged', async () => {
    const { graph, logs } = compile();
    server.enqueue({ content: 'The three steps are: first, open', finishReason: 'length' });
    const { threadId } = newThread();
    const { events, result } = await collect(streamTurn(graph, { threadId, message: 'how?' }));

    expect(result).toMatchObject({ status: 'done', reply: 'The three steps are: first, open', truncated: true });
    expect(server.requests).toHaveLength(1);
    expect(events.find((event) => event.type === 'message-end')).toMatchObject({ truncated: true });
    expect(result.state.messages.at(-1)?.response_metadata).toMatchObject({ finish_reason: 'length' });
    expect(turnJson(result)).toMatchObject({ truncated: true });
    expect((await getTurnSummaries(graph, threadId)).at(-1)).toMatchObject({ truncated: true });
    expect(logs.records).toContainEqual(expect.objectContaining({ level: 40, event: 'message-end', truncated: true }));
  });

  it('is marked the same unstreamed, and a whole reply is not', async () => {
    const { graph } = compile();
    server.enqueue({ content: 'Cut', finishReason: 'length' }, { content: 'Whole.' });
    const { threadId } = newThread();
    const cut = await runTurn(graph, { threadId, message: 'how?' });
    const whole = await runTurn(graph, { threadId, message: 'and?' });

    expect(turnJson(cut)).toMatchObject({ truncated: true });
    expect(turnJson(whole)).not.toHaveProperty('truncated');
    expect([cut.truncated, whole.truncated]).toEqual([true, undefined]);
    const summaries = await getTurnSummaries(graph, threadId);
    expect(summaries.map((summary) => summary.truncated)).toEqual([true, undefined]);
  });

  it('with no text before the cut, twice, the EMPTY_REPLY says so', async () => {
    const { graph } = compile();
    server.enqueue({ content: '', finishReason: 'length' }, { content: '', finishReason: 'length' });
    const result = await runTurn(graph, { threadId: newThread().threadId, message: 'think hard' });
    expect(result.error).toEqual({ code: 'EMPTY_REPLY', message: "the model replied with nothing, twice (cut at its maxTokens before any text: raise the model's maxTokens)" });
  });
});
