/**
 * Time travel: the state at the end of a turn, and forks into a new thread (with fields edited)
 * that continue differently, on memory and SQLite; the thread forked from is never written.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { forkThread, listTurnCheckpoints, threadAtTurn } from '../../runtime/fork.js';
import { getTranscript } from '../../runtime/transcript.js';
import { runTurn } from '../../runtime/turn.js';
import { openCheckpointer } from '../../store/checkpointer.js';
import type { Checkpointer } from '../../store/checkpointer.js';
import type { Retention } from '../../store/retention.js';
import type { SwitchboardState } from '../../state/schema.js';
import { compileExample } from '../helpers.js';
import { PG_URL } from '../postgres-url.js';

const stores: Checkpointer[] = [];
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
});

async function open(kind: 'memory' | 'sqlite' | 'postgres', retention: Retention = 'all', name = 'support') {
  const target = kind === 'memory' ? 'memory' : kind === 'postgres' ? PG_URL : join(mkdtempSync(join(tmpdir(), 'switchboard-fork-')), 'threads.sqlite');
  const store = await openCheckpointer(target);
  stores.push(store);
  const { graph } = await compileExample(name, { checkpointer: store.saver, model: 'offline', retention });
  return { store, graph };
}

/** Every checkpoint id of a thread, newest first. */
async function checkpointIds(store: Checkpointer, threadId: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const tuple of store.saver.list({ configurable: { thread_id: threadId } })) ids.push(tuple.checkpoint.id);
  return ids;
}

describe.each(['memory', 'sqlite', 'postgres'] as const)('forkThread on %s', (kind) => {
  // PostgreSQL: one database for the whole run, so this file's thread ids are its own.
  const prefix = kind === 'postgres' ? `fork-${randomUUID().slice(0, 8)}-` : '';
  const id = (name: string) => `${prefix}${name}`;
  it('starts a new thread from the end of turn 1, with a field edited, that continues differently; the old thread is untouched', async () => {
    const { store, graph } = await open(kind);
    await runTurn(graph, { threadId: id('original'), message: 'I was charged twice on my invoice' });
    await runTurn(graph, { threadId: id('original'), message: 'And can I get a refund for it?' });
    const before = await checkpointIds(store, id('original'));

    expect((await listTurnCheckpoints(graph, id('original'))).map((entry) => entry.turn)).toEqual([1, 2]);
    const atOne = await threadAtTurn(graph, id('original'), 1);
    expect(atOne.state.messages.filter((message) => message.type === 'human').map((message) => message.text)).toEqual(['I was charged twice on my invoice']);
    expect(atOne.state.activeAgent).toBe('billing');
    expect(atOne.state.fields.priority).toBe('high');

    const fork = await forkThread(graph, { threadId: id('original'), turn: 1, newThreadId: id('forked'), fields: { priority: 'low' } });
    expect(fork).toMatchObject({ threadId: id('forked'), from: { threadId: id('original'), turn: 1, checkpointId: atOne.checkpointId } });
    expect(fork.state.fields.priority).toBe('low');
    expect(fork.state.activeAgent).toBe('billing');
    expect(fork.state.tree).toBe('support');
    expect(fork.state.turn.number).toBe(1);
    expect(fork.state.messages.map((message) => message.id)).toEqual(atOne.state.messages.map((message) => message.id));
    // Its transcript (the journal) holds turn 1 only.
    const transcript = await getTranscript(graph, id('forked'));
    expect(new Set(transcript.messages.map((message) => message.turn))).toEqual(new Set([1]));
    expect(transcript.messages.find((message) => message.type === 'human')?.content).toBe('I was charged twice on my invoice');

    // A different second message: billing hands back, triage sends it to technical.
    const next = await runTurn(graph, { threadId: id('forked'), message: 'Also the app crashes when I open settings' });
    expect(next).toMatchObject({ turn: 2, status: 'done', agent: 'technical' });
    expect(next.handoffs.map((handoff) => `${handoff.from}→${handoff.to}`)).toEqual(['billing→triage', 'triage→technical']);

    // The original: not one checkpoint more or less, still billing's, two user messages.
    expect(await checkpointIds(store, id('original'))).toEqual(before);
    const original = (await graph.getState({ configurable: { thread_id: id('original') } })).values as SwitchboardState;
    expect(original.activeAgent).toBe('billing');
    expect(original.messages.filter((message) => message.type === 'human')).toHaveLength(2);
  });

  it('refuses a taken id, an unknown thread, a turn no longer kept, a turn waiting for a person, and fields the tree does not declare', async () => {
    const { graph } = await open(kind);
    await runTurn(graph, { threadId: id('a'), message: 'I was charged twice on my invoice' });
    await runTurn(graph, { threadId: id('b'), message: 'hello' });
    await expect(forkThread(graph, { threadId: id('a'), turn: 1, newThreadId: id('b') })).rejects.toMatchObject({ code: 'THREAD_EXISTS' });
    await expect(forkThread(graph, { threadId: id('nobody'), turn: 1 })).rejects.toMatchObject({ code: 'UNKNOWN_THREAD' });
    await expect(forkThread(graph, { threadId: id('a'), turn: 3 })).rejects.toMatchObject({ code: 'UNKNOWN_TURN', message: `Thread ${id('a')} has one turn: there is no turn 3.` });
    await expect(forkThread(graph, { threadId: id('a'), turn: 0 })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(forkThread(graph, { threadId: id('a'), turn: 1, newThreadId: id('a') })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(forkThread(graph, { threadId: id('a'), turn: 1, fields: { colour: 'red' } })).rejects.toMatchObject({
      code: 'INVALID_FIELDS',
      message: expect.stringContaining('"colour" not declared under state:'),
    });
    await runTurn(graph, { threadId: id('a'), message: 'This is unacceptable, I want a real person now' });
    await expect(forkThread(graph, { threadId: id('a'), turn: 2 })).rejects.toMatchObject({ code: 'FORK_WAITING' });
    // Two forks into one new id at once: one wins, the other finds it taken.
    const results = await Promise.allSettled([1, 2].map(() => forkThread(graph, { threadId: id('a'), turn: 1, newThreadId: id('twin') })));
    expect(results.map((result) => result.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(results.find((result) => result.status === 'rejected')).toMatchObject({ reason: { code: 'THREAD_EXISTS' } });
  });

  it('with the default retention only the last turn can be forked, and the message says how to keep every turn', async () => {
    const { graph } = await open(kind, 1);
    await runTurn(graph, { threadId: id('short'), message: 'I was charged twice on my invoice' });
    await runTurn(graph, { threadId: id('short'), message: 'And can I get a refund for it?' });
    expect((await listTurnCheckpoints(graph, id('short'))).map((entry) => entry.turn)).toEqual([2]);
    await expect(threadAtTurn(graph, id('short'), 1)).rejects.toMatchObject({ code: 'TURN_NOT_KEPT', message: expect.stringContaining("retention 'all'") });
    const fork = await forkThread(graph, { threadId: id('short'), turn: 2 });
    expect(fork.threadId).toMatch(new RegExp(`^${id('short')}-fork-[0-9a-f]{8}$`));
    expect(fork.state.messages.filter((message) => message.type === 'human')).toHaveLength(2);
  });
});

describe('forkThread across trees', () => {
  it("refuses another tree's thread", async () => {
    const store = await openCheckpointer('memory');
    stores.push(store);
    const { graph: support } = await compileExample('support', { checkpointer: store.saver, model: 'offline', retention: 'all' });
    const { graph: clinic } = await compileExample('clinic', { checkpointer: store.saver, model: 'offline', retention: 'all' });
    await runTurn(support, { threadId: 'support-thread', message: 'I was charged twice on my invoice' });
    await expect(forkThread(clinic, { threadId: 'support-thread', turn: 1 })).rejects.toMatchObject({ code: 'THREAD_OF_ANOTHER_TREE' });
  });
});
