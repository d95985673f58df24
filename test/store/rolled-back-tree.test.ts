/**
 * A tree rolled back (or an old worker still running the old YAML) after a thread's wait for a
 * removed node was closed: the node must not come back to life on the thread. PostgreSQL keeps each
 * channel's value by version and LangGraph copies every channel's version into each checkpoint, so
 * the removed node's trigger outlived it there (memory and SQLite keep only the values the graph
 * has); a person's wait reopened, or two agents answered one message.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseTree } from '../../config/load.js';
import { compileTree } from '../../graphs/compile.js';
import { recoverThread, runTurn } from '../../runtime/turn.js';
import { getTranscript } from '../../runtime/transcript.js';
import type { SwitchboardEvent } from '../../nodes/events.js';
import { openCheckpointer } from '../../store/checkpointer.js';
import { graphShape, SHAPE_KEY, withoutRemovedNodes } from '../../store/graph-shape.js';
import { fakeOpenAIForFile, newThread, viaFakeOpenAI } from '../helpers.js';
import { PG_URL } from '../postgres-url.js';
import { WITH_PERSON, WITHOUT_BILLING, WITHOUT_PERSON } from '../runtime/reshaped-desks.js';

const server = await fakeOpenAIForFile();
const dir = mkdtempSync(join(tmpdir(), 'switchboard-rolled-back-'));

const stores = {
  memory: () => openCheckpointer('memory'),
  sqlite: () => openCheckpointer(join(dir, `threads-${Math.random().toString(36).slice(2)}.sqlite`)),
  postgres: () => openCheckpointer(PG_URL),
};

describe.each(Object.entries(stores))('a tree rolled back after a node left it (%s)', (_name, open) => {
  it('does not reopen the wait the removed person left: the root answers, once', async () => {
    const store = await open();
    try {
      const options = { ...viaFakeOpenAI(server), sleep: async () => {}, checkpointer: store.saver, threadLock: store.threadLock, journal: store.journal };
      const v1 = () => compileTree(parseTree(WITH_PERSON, 'desk.yaml'), options);
      const v2 = () => compileTree(parseTree(WITHOUT_PERSON, 'desk.yaml'), options);
      const { threadId } = newThread();
      server.enqueue({ toolCalls: [{ name: 'transfer_to_person', arguments: {} }] });
      expect(await runTurn(v1(), { threadId, message: 'a person, please' })).toMatchObject({ status: 'waiting', agent: 'person' });
      server.enqueue({ content: 'Triage here.' });
      expect(await runTurn(v2(), { threadId, message: 'hello?' })).toMatchObject({ status: 'done', agent: 'triage', reply: 'Triage here.' });

      // Rolled back: the person is in the tree again, but nothing hands the thread to them.
      server.enqueue({ content: 'Triage again.' });
      expect(await runTurn(v1(), { threadId, message: 'still there?' })).toMatchObject({ status: 'done', agent: 'triage', reply: 'Triage again.' });
      expect(server.pending()).toBe(0);
      const said = (await getTranscript(v1(), threadId)).messages.map((message) => [message.type, message.content]);
      expect(said.slice(-2)).toEqual([
        ['human', 'still there?'],
        ['ai', 'Triage again.'],
      ]);

      // And a new escalation still reaches the person.
      server.enqueue({ toolCalls: [{ name: 'transfer_to_person', arguments: {} }] });
      expect(await runTurn(v1(), { threadId, message: 'a person, please, again' })).toMatchObject({ status: 'waiting', agent: 'person' });
    } finally {
      await store.close();
    }
  });

  it('does not run again the agent whose cut-short turn the removal closed: one agent answers', async () => {
    const store = await open();
    try {
      const stop = new AbortController();
      const options = { ...viaFakeOpenAI(server), sleep: async () => {}, checkpointer: store.saver, threadLock: store.threadLock, journal: store.journal };
      const observers = [(event: SwitchboardEvent) => event.type === 'step-start' && event.agent === 'billing' && stop.abort(new Error('the worker died'))];
      const v1 = () => compileTree(parseTree(WITH_PERSON, 'desk.yaml'), { ...options, observers });
      const v2 = () => compileTree(parseTree(WITHOUT_BILLING, 'desk.yaml'), options);
      const { threadId } = newThread();
      // The worker dies as billing's step begins: triage's handoff is saved, billing's trigger with it.
      server.enqueue({ toolCalls: [{ name: 'transfer_to_billing', arguments: {} }] });
      await expect(runTurn(v1(), { threadId, message: 'my invoice', signal: stop.signal })).rejects.toThrow();
      server.enqueue({ content: 'Triage here.' });
      expect(await runTurn(v2(), { threadId, message: 'hello?' })).toMatchObject({ status: 'done', agent: 'triage', reply: 'Triage here.' });

      // Rolled back: nothing is left to run (billing answering "hello?" again, as a turn recovered).
      expect((await v1().getState({ configurable: { thread_id: threadId } })).next).toEqual([]);
      expect(await recoverThread(v1(), threadId)).toBeUndefined();
      server.enqueue({ content: 'Triage again.' });
      expect(await runTurn(v1(), { threadId, message: 'still there?' })).toMatchObject({ status: 'done', agent: 'triage', reply: 'Triage again.' });
      expect(server.pending()).toBe(0);
      const said = (await getTranscript(v1(), threadId)).messages.map((message) => [message.type, message.name, message.content]);
      expect(said.slice(-2)).toEqual([
        ['human', undefined, 'still there?'],
        ['ai', 'triage', 'Triage again.'],
      ]);
    } finally {
      await store.close();
    }
  });
});

describe('a config of another graph passed to a graph', () => {
  it('does not make the saver forget the nodes of the graph it is passed to (the graph uses its own shape)', async () => {
    const store = await openCheckpointer(PG_URL);
    try {
      const options = { ...viaFakeOpenAI(server), sleep: async () => {}, checkpointer: store.saver, threadLock: store.threadLock, journal: store.journal };
      const older = compileTree(parseTree(WITHOUT_PERSON, 'desk.yaml'), options);
      const newer = compileTree(parseTree(WITH_PERSON, 'desk.yaml'), options);
      const { threadId } = newThread();
      // A config as LangGraph hands it out in a `checkpoints` stream event: the older graph's shape in it.
      const handedOut = { configurable: { thread_id: threadId, [SHAPE_KEY]: graphShape(older) } };
      server.enqueue({ toolCalls: [{ name: 'transfer_to_person', arguments: {} }] });
      await newer.invoke({ messages: [{ role: 'user', content: 'a person, please' }] }, handedOut);
      expect((await newer.getState({ configurable: { thread_id: threadId } })).next).toEqual(['person']);
      // updateState too: the checkpoint it writes keeps the person's trigger.
      await newer.updateState(handedOut, { fields: {} }, 'triage');
      const saved = await store.saver.getTuple({ configurable: { thread_id: threadId } });
      expect(Object.keys(saved?.checkpoint.channel_versions ?? {})).toContain('branch:to:person');
    } finally {
      await store.close();
    }
  });
});

describe('withoutRemovedNodes()', () => {
  const checkpoint = {
    v: 4,
    id: 'c1',
    ts: '2026-12-07T00:00:00.000Z',
    channel_values: {},
    channel_versions: { messages: 5, 'branch:to:triage': 4, 'branch:to:billing': 2 },
    versions_seen: { triage: { 'branch:to:triage': 4 }, billing: { 'branch:to:billing': 1 }, __input__: {}, __interrupt__: { messages: 4 } },
  };
  const shape = JSON.parse(JSON.stringify({ nodes: ['__start__', 'triage'], channels: ['messages', '__start__', 'branch:to:triage'] }));

  it('drops what the writing graph lacks, from a shape that went through JSON, and keeps LangGraph’s own keys', () => {
    expect(withoutRemovedNodes(checkpoint, { configurable: { checkpoint_ns: '', [SHAPE_KEY]: shape } })).toEqual({
      ...checkpoint,
      channel_versions: { messages: 5, 'branch:to:triage': 4 },
      versions_seen: { triage: { 'branch:to:triage': 4 }, __input__: {}, __interrupt__: { messages: 4 } },
    });
  });

  it('leaves a nested graph’s checkpoint, and one written without a shape (or a shape it cannot read), as they are', () => {
    for (const configurable of [{ checkpoint_ns: 'helper:1', [SHAPE_KEY]: shape }, {}, { [SHAPE_KEY]: {} }, { [SHAPE_KEY]: 'nodes' }]) {
      expect(withoutRemovedNodes(checkpoint, { configurable })).toBe(checkpoint);
    }
  });
});
