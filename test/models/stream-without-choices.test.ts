/**
 * A streamed OpenAI-compatible reply that the server finished (`data: [DONE]`, its usage sent) with
 * no choice in any chunk: the server's malformed answer (as a `choices: []` not streamed is), said
 * so with what to check, never a dropped connection.
 */
import { describe, expect, it } from 'vitest';
import type { SwitchboardEvent } from '../../nodes/events.js';
import { streamTurn } from '../../runtime/turn.js';
import type { TurnResult } from '../../runtime/turn.js';
import type { FakeResponse } from '../../testing/fake-openai-server.js';
import { parseTree } from '../../config/load.js';
import { compileTree } from '../../graphs/compile.js';
import { captureLogs } from '../../testing/capture-logs.js';
import { fakeOpenAIForFile, newThread, viaFakeOpenAI } from '../helpers.js';

const server = await fakeOpenAIForFile();

const DESK = `version: 1
name: desk
root: helpdesk
retry: { attempts: 2, initialDelayMs: 1, maxDelayMs: 10 }
models:
  gpt: { provider: openai, name: gpt-4o-mini }
defaults: { model: gpt }
agents:
  helpdesk: { description: Help., prompt: Help. }
`;

function desk() {
  return compileTree(parseTree(DESK, 'desk.yaml'), { ...viaFakeOpenAI(server), logger: captureLogs().logger, sleep: async () => {} });
}

async function finish(stream: AsyncGenerator<SwitchboardEvent, TurnResult>): Promise<{ events: SwitchboardEvent[]; result: TurnResult }> {
  const events: SwitchboardEvent[] = [];
  let next = await stream.next();
  for (; !next.done; next = await stream.next()) events.push(next.value);
  return { events, result: next.value };
}

/** A 200 stream whose chunks carry `choices: []` only, then `[DONE]`. */
function streamWithoutChoices({ chunks = 2, usage = true } = {}): FakeResponse {
  const chunk = (fields: Record<string, unknown>) => `data: ${JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o-mini', choices: [], ...fields })}\n\n`;
  const body = [...Array.from({ length: chunks }, () => chunk({})), ...(usage ? [chunk({ usage: { prompt_tokens: 10, completion_tokens: 0, total_tokens: 10 } })] : [])].join('');
  return { rawBody: `${body}data: [DONE]\n\n`, headers: { 'content-type': 'text/event-stream' } };
}

const retries = (events: SwitchboardEvent[]) => events.flatMap((event) => (event.type === 'model-retry' ? [event.reason] : []));

describe('a streamed reply with no choices in any chunk', () => {
  it('is retried as the server failing, not as a dropped connection, and the retry answers', async () => {
    const graph = desk();
    server.enqueue(streamWithoutChoices(), { content: 'Fine now.' });

    const { events, result } = await finish(streamTurn(graph, { threadId: newThread().threadId, message: 'hello' }));

    expect(retries(events)).toEqual(['server']);
    expect(result).toMatchObject({ status: 'done', reply: 'Fine now.' });
  });

  it('when it never answers, the turn error says the server sent no reply and what to check, not "cut short"', async () => {
    const graph = desk();
    server.fallback(() => streamWithoutChoices({ chunks: 1 }));

    const { events, result } = await finish(streamTurn(graph, { threadId: newThread().threadId, message: 'hello' }));

    expect(retries(events)).toEqual(['server', 'server']);
    expect(result.status).toBe('error');
    expect(result.error?.message).toBe(
      "the model failed (server) after 3 attempt(s): the server's answer held no reply (OpenAI's streamed reply ended with no choice in any chunk (only its usage): check that the base URL (the model's baseURL, else $OPENAI_BASE_URL) is an OpenAI-compatible Chat Completions server and that it serves this model)",
    );
    expect(result.error?.message).not.toMatch(/cut short|connection error/);
  });
});
