/**
 * Input through LangGraph's own API (graph.invoke, graph.stream, LangGraph's server and Studio)
 * that brings no new user message — `{}`, `{ messages: [] }`, fields alone, or the last message sent
 * again with its id — answers nothing: no model is called, the last turn and its reply stand, and
 * the thread goes on as before. (The owner used to answer the last message again: an extra reply in
 * every later model's view, left out of the transcript, and a replay of the message returned it.)
 */
import { describe, expect, it } from 'vitest';
import { parseTree } from '../../config/load.js';
import { compileTree } from '../../graphs/compile.js';
import { approveHandoff } from '../../runtime/approval.js';
import { getTranscript } from '../../runtime/transcript.js';
import { resumeThread, runTurn } from '../../runtime/turn.js';
import type { SwitchboardState } from '../../state/schema.js';
import { openCheckpointer } from '../../store/checkpointer.js';
import { fakeOpenAIForFile, newThread, viaFakeOpenAI } from '../helpers.js';

const server = await fakeOpenAIForFile();

const DESK = `
version: 1
name: desk
root: triage
state:
  customer_id: { type: string, owner: backend }
agents:
  triage:
    description: Front desk.
    prompt: Route.
    children: [billing, lead]
    escalate: [person]
    approval: { lead: required }
  billing: { description: Billing., prompt: Billing. }
  lead: { description: The lead., prompt: Lead. }
  person: { kind: human, description: A person. }
`;

async function desk() {
  const store = await openCheckpointer('memory');
  const graph = compileTree(parseTree(DESK, 'desk.yaml'), { ...viaFakeOpenAI(server), sleep: async () => {}, checkpointer: store.saver, threadLock: store.threadLock, journal: store.journal });
  return graph;
}

const requests = () => server.requests.length;

describe('input that brings no new user message', () => {
  it.each([
    ['nothing ({})', {}],
    ['no messages ({ messages: [] })', { messages: [] }],
    ['fields alone', { fields: { customer_id: 'C-42' } }],
    ['the last message again, with its id', { messages: [{ role: 'user', content: 'my invoice', id: 'm-1' }] }],
  ])('answers nothing on a settled thread: %s', async (_name, input) => {
    const graph = await desk();
    const { threadId, config } = newThread();
    server.enqueue({ toolCalls: [{ name: 'transfer_to_billing', arguments: {} }] }, { content: 'Billing here.' });
    expect(await runTurn(graph, { threadId, message: 'my invoice', messageId: 'm-1' })).toMatchObject({ status: 'done', agent: 'billing', reply: 'Billing here.' });
    const before = (await graph.getState(config)).values as SwitchboardState;
    const asked = requests();

    await graph.invoke(input, config);
    for await (const _chunk of await graph.stream(input, { ...config, streamMode: 'messages' })) void _chunk;
    const after = (await graph.getState(config)).values as SwitchboardState;
    expect(requests()).toBe(asked);
    expect(after.messages).toEqual(before.messages);
    expect(after.turn).toEqual(before.turn);
    // The message sent again through runTurn still replays the first (and only) answer.
    expect(await runTurn(graph, { threadId, message: 'my invoice', messageId: 'm-1' })).toMatchObject({ replayed: true, reply: 'Billing here.' });

    // The thread goes on: the next message is turn 2, to the owner, and the transcript holds each reply once.
    server.enqueue({ content: 'Still billing.' });
    expect(await runTurn(graph, { threadId, message: 'and?' })).toMatchObject({ turn: 2, status: 'done', agent: 'billing', reply: 'Still billing.' });
    expect((await getTranscript(graph, threadId)).messages.filter((message) => message.type !== 'tool').map((message) => [message.turn, message.type, message.content])).toEqual([
      [1, 'human', 'my invoice'],
      [1, 'ai', ''],
      [1, 'ai', 'Billing here.'],
      [2, 'human', 'and?'],
      [2, 'ai', 'Still billing.'],
    ]);
    const last = server.requests.at(-1)!.messages.filter((message) => message.role === 'assistant').map((message) => message.content);
    expect(last.filter((content) => content === 'Billing here.')).toHaveLength(1);
  });

  it('leaves a wait for a person as it is, and the person can still answer', async () => {
    const graph = await desk();
    const { threadId, config } = newThread();
    server.enqueue({ toolCalls: [{ name: 'transfer_to_person', arguments: {} }] });
    expect(await runTurn(graph, { threadId, message: 'a person, please' })).toMatchObject({ status: 'waiting', agent: 'person' });
    const asked = requests();
    await graph.invoke({ messages: [] }, config);
    expect(requests()).toBe(asked);
    expect((await graph.getState(config)).next).toEqual(['person']);
    expect(await resumeThread(graph, threadId, { reply: 'Dana here.' })).toMatchObject({ status: 'done', reply: 'Dana here.' });
  });

  it('leaves a wait for an approval as it is, and it can still be decided', async () => {
    const graph = await desk();
    const { threadId, config } = newThread();
    server.enqueue({ toolCalls: [{ name: 'transfer_to_lead', arguments: {} }] });
    expect(await runTurn(graph, { threadId, message: 'the lead, please' })).toMatchObject({ status: 'waiting' });
    const asked = requests();
    await graph.invoke({ messages: [] }, config);
    expect(requests()).toBe(asked);
    expect((await graph.getState(config)).next).toEqual(['triage']);
    server.enqueue({ content: 'Lead here.' });
    expect(await approveHandoff(graph, threadId)).toMatchObject({ status: 'done', agent: 'lead', reply: 'Lead here.' });
  });

  it('answers nothing after a message refused as too long (it left the thread): the answered one before it stands', async () => {
    const graph = await desk();
    const { threadId, config } = newThread();
    server.enqueue({ content: 'Hi there.' });
    await runTurn(graph, { threadId, message: 'hello', messageId: 'm-1' });
    expect(await runTurn(graph, { threadId, message: 'x'.repeat(9_000), messageId: 'm-2' })).toMatchObject({ status: 'error', error: { code: 'MESSAGE_TOO_LONG' } });
    const asked = requests();
    await graph.invoke({}, config);
    await graph.invoke({ messages: [] }, config);
    expect(requests()).toBe(asked);
    expect(((await graph.getState(config)).values as SwitchboardState).turn).toMatchObject({ number: 2, status: 'error' });
  });

  it('answers nothing on a wait for a person the tree no longer has (the next message closes it)', async () => {
    const graph = await desk();
    const { threadId, config } = newThread();
    server.enqueue({ toolCalls: [{ name: 'transfer_to_person', arguments: {} }] });
    expect(await runTurn(graph, { threadId, message: 'a person, please' })).toMatchObject({ status: 'waiting', agent: 'person' });
    const store = { checkpointer: graph.checkpointer };
    const withoutPerson = compileTree(parseTree(DESK.replace('    escalate: [person]\n', '').replace('  person: { kind: human, description: A person. }\n', ''), 'desk.yaml'), {
      ...viaFakeOpenAI(server),
      sleep: async () => {},
      checkpointer: store.checkpointer as never,
    });
    const asked = requests();
    await withoutPerson.invoke({}, config);
    expect(requests()).toBe(asked);
    expect(((await withoutPerson.getState(config)).values as SwitchboardState).turn.status).toBe('waiting');
  });

  it('keeps fields sent alone, for the next turn', async () => {
    const graph = await desk();
    const { threadId, config } = newThread();
    server.enqueue({ content: 'Triage here.' });
    await runTurn(graph, { threadId, message: 'hello' });
    await graph.invoke({ fields: { customer_id: 'C-42' } }, config);
    expect(((await graph.getState(config)).values as SwitchboardState).fields).toMatchObject({ customer_id: 'C-42' });
  });

  it('calls no model on a new thread, and its first message is turn 1', async () => {
    const graph = await desk();
    const { threadId, config } = newThread();
    const asked = requests();
    await graph.invoke({ messages: [] }, config);
    expect(requests()).toBe(asked);
    server.enqueue({ content: 'Triage here.' });
    expect(await runTurn(graph, { threadId, message: 'hello' })).toMatchObject({ turn: 1, status: 'done', agent: 'triage', reply: 'Triage here.' });
  });
});
