/**
 * What a user's message or a person's reply must be before a model is shown it: text, not blank,
 * well-formed. Refused before anything is stored where Switchboard takes the input (`runTurn`,
 * `resumeThread`); taken out of the thread where LangGraph took it as it came (`graph.invoke`, the
 * LangGraph server), so one bad message never breaks the thread's later turns.
 */
import { describe, expect, it } from 'vitest';
import type { BaseMessage } from '@langchain/core/messages';
import { loadTree } from '../../config/load.js';
import { compileTree } from '../../graphs/compile.js';
import { resumeThread, runTurn } from '../../runtime/turn.js';
import type { SwitchboardState } from '../../state/schema.js';
import { fakeOpenAIForFile, newThread } from '../helpers.js';

const server = await fakeOpenAIForFile();
const desk = await loadTree(new URL('../../examples/desk.yaml', import.meta.url).pathname);
const offline = () => compileTree(desk, { model: 'offline' });

const texts = (messages: readonly BaseMessage[]) => messages.map((message) => `${message.type}: ${message.text}`);

describe('a message no model can be shown', () => {
  it.each([
    ['a number', 42],
    ['an object', { a: 1 }],
    ['null', null],
    ['an empty string', ''],
    ['blank text', ' \n\t '],
    ['only NULs and zero-width spaces', '\u0000\u200B\uFEFF'],
    ['a list of non-blocks', [1, 2]],
    ['half an emoji', 'hi \uD83D'],
  ])('through graph.invoke, %s: the turn ends INVALID_INPUT, the message leaves the thread, and the next message is answered', async (_name, content) => {
    const graph = offline();
    const { threadId, config } = newThread();

    const state = (await graph.invoke({ messages: [{ role: 'user', content }] } as never, config)) as SwitchboardState;
    expect(state.turn).toMatchObject({ status: 'error', error: { code: 'INVALID_INPUT' } });
    expect(state.messages.filter((message) => message.type === 'human')).toEqual([]);

    const next = await runTurn(graph, { threadId, message: 'I was charged twice on my invoice' });
    expect(next).toMatchObject({ status: 'done', agent: 'billing' });
    expect(texts(next.state.messages).filter((text) => text.startsWith('human'))).toEqual(['human: I was charged twice on my invoice']);
  });

  it.each([
    ['empty', ''],
    ['blank', '   \n'],
    ['invisible (NUL, zero-width space)', '\u0000 \u200B'],
  ])('runTurn refuses an %s message before anything is stored', async (_name, message) => {
    const graph = offline();
    const { threadId, config } = newThread();
    await expect(runTurn(graph, { threadId, message })).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('empty') });
    expect((await graph.getState(config)).values).toEqual({});
  });

  it('runTurn stores half an emoji as U+FFFD, and the provider is sent well-formed text', async () => {
    const graph = compileTree(desk, { model: 'openai', env: { OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: server.url } });
    server.enqueue({ content: 'Hello!' }, { content: 'Still here.' });
    const { threadId } = newThread();

    const first = await runTurn(graph, { threadId, message: 'ok \uD83D then \uDE00' });
    expect(first.status).toBe('done');
    expect(first.state.messages[0]?.text).toBe('ok \uFFFD then \uFFFD');
    await runTurn(graph, { threadId, message: 'and again' });
    const sent = JSON.stringify(server.requests.map((request) => request.messages));
    expect(sent).toContain('ok \uFFFD then \uFFFD');
    expect(sent.isWellFormed()).toBe(true);
  });

  it("a person's blank reply is INVALID_REPLY; half an emoji in it is stored as U+FFFD", async () => {
    const graph = offline();
    const { threadId } = newThread();
    await runTurn(graph, { threadId, message: 'I was charged twice on my invoice' });
    const waiting = await runTurn(graph, { threadId, message: 'I want to talk to a person' });
    expect(waiting.status).toBe('waiting');

    await expect(resumeThread(graph, threadId, { reply: '  \n ' })).rejects.toMatchObject({ code: 'INVALID_REPLY', message: expect.stringContaining('empty') });
    await expect(resumeThread(graph, threadId, { reply: '\u0000\u0000' })).rejects.toMatchObject({ code: 'INVALID_REPLY', message: expect.stringContaining('empty') });
    const answered = await resumeThread(graph, threadId, { reply: 'Dana here \uD83D' });
    expect(answered.reply).toBe('Dana here \uFFFD');
  });
});
