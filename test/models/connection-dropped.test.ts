/**
 * A connection dropped in the middle of a streamed reply (the socket reset: undici's `TypeError:
 * terminated`, its cause a socket error) is a connection failure, retried like a 5xx, not a request
 * the provider rejected (which failed the turn at once, or went to the fallback model untried).
 */
import { describe, expect, it } from 'vitest';
import { parseTree } from '../../config/load.js';
import { compileTree } from '../../graphs/compile.js';
import { streamTurn } from '../../runtime/turn.js';
import { fakeOpenAIForFile, newThread, viaFakeOpenAI } from '../helpers.js';

const server = await fakeOpenAIForFile();

function desk(attempts: number) {
  const yaml = `version: 1\nname: desk\nroot: desk\nretry: { attempts: ${attempts}, initialDelayMs: 1, maxDelayMs: 5 }\nagents:\n  desk: { description: Front desk., prompt: Answer. }\n`;
  return compileTree(parseTree(yaml, 'desk.yaml'), viaFakeOpenAI(server));
}

async function streamed(graph: ReturnType<typeof desk>) {
  const events = streamTurn(graph, { threadId: newThread().threadId, message: 'hi' });
  let next = await events.next();
  while (!next.done) next = await events.next();
  return next.value;
}

describe('a streamed reply whose connection is reset mid-way', () => {
  it('is retried, and the retry answers', async () => {
    server.enqueue({ content: 'Hello there, how can I', cut: 'reset' }, { content: 'Hello.' });
    const before = server.requests.length;
    const result = await streamed(desk(2));
    expect(result).toMatchObject({ status: 'done', reply: 'Hello.' });
    expect(server.requests.length - before).toBe(2);
  });

  it('fails as a connection failure once the retries are spent, with a tool call cut as well', async () => {
    server.enqueue({ content: 'Hello there, how can I', cut: 'reset' }, { toolCalls: [{ name: 'anything', arguments: { a: 'long enough to cut' } }], cut: 'reset' });
    const result = await streamed(desk(1));
    expect(result.status).toBe('error');
    expect(result.error).toMatchObject({ code: 'MODEL_FAILED' });
    expect(result.error?.message).toMatch(/\(connection\) after 2 attempt\(s\): the connection closed in the middle of the reply/);
  });
});
