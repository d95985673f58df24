/**
 * A turn whose caller gives up before it starts (the signal already aborted, or aborted while
 * another turn holds the thread) rejects with the signal's reason and saves nothing, on every store:
 * its message is not answered later, unasked, beside the next one. (It was saved or not by timing
 * and store; a wait for the lock went on until the other turn ended.)
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseTree } from '../../config/load.js';
import { compileTree } from '../../graphs/compile.js';
import { getTranscript } from '../../runtime/transcript.js';
import { runTurn, streamTurn } from '../../runtime/turn.js';
import type { TurnInput } from '../../runtime/turn.js';
import type { SwitchboardGraph } from '../../graphs/compile.js';
import { openCheckpointer } from '../../store/checkpointer.js';
import type { Checkpointer } from '../../store/checkpointer.js';
import { fakeOpenAIForFile, newThread, viaFakeOpenAI } from '../helpers.js';
import { PG_URL } from '../postgres-url.js';

const server = await fakeOpenAIForFile();
const dir = mkdtempSync(join(tmpdir(), 'switchboard-abort-before-'));
const DESK = `
version: 1
name: desk
root: triage
agents:
  triage: { description: Front desk., prompt: Answer. }
`;

const stores: Checkpointer[] = [];
afterAll(async () => {
  for (const store of stores) await store.close();
});

const opens = {
  memory: () => openCheckpointer('memory'),
  sqlite: () => openCheckpointer(join(dir, `threads-${Math.random().toString(36).slice(2)}.sqlite`)),
  postgres: () => openCheckpointer(PG_URL),
};

async function desk(open: () => Promise<Checkpointer>): Promise<SwitchboardGraph> {
  const store = await open();
  stores.push(store);
  return compileTree(parseTree(DESK, 'desk.yaml'), { ...viaFakeOpenAI(server), sleep: async () => {}, checkpointer: store.saver, threadLock: store.threadLock, journal: store.journal });
}

const calls = {
  runTurn: (graph: SwitchboardGraph, input: TurnInput) => runTurn(graph, input),
  streamTurn: async (graph: SwitchboardGraph, input: TurnInput) => {
    const events = streamTurn(graph, input);
    for (;;) if ((await events.next()).done) return;
  },
};

async function said(graph: SwitchboardGraph, threadId: string) {
  return (await getTranscript(graph, threadId)).messages.filter((message) => message.type === 'human').map((message) => message.content);
}

describe.each(Object.entries(opens))('a turn given up before it starts (%s)', (_store, open) => {
  it.each(Object.keys(calls) as (keyof typeof calls)[])('with a signal already aborted, %s rejects with its reason and saves nothing', async (call) => {
    const graph = await desk(open);
    for (const existing of [false, true]) {
      const { threadId } = newThread();
      if (existing) {
        server.enqueue({ content: 'Hello.' });
        await runTurn(graph, { threadId, message: 'first' });
      }
      const asked = server.requests.length;
      const reason = new Error('the caller left');
      await expect(calls[call](graph, { threadId, message: 'never mind', signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
      expect(server.requests.length).toBe(asked);
      server.enqueue({ content: 'Next answer.' });
      const next = await runTurn(graph, { threadId, message: 'next' });
      expect(next).toMatchObject({ status: 'done', reply: 'Next answer.', turn: existing ? 2 : 1 });
      expect(next.recovered).toBeUndefined();
      expect(await said(graph, threadId)).toEqual(existing ? ['first', 'next'] : ['next']);
    }
  });

  it('aborted while another turn holds the thread, stops waiting at once and saves nothing', async () => {
    const graph = await desk(open);
    const { threadId } = newThread();
    // The first turn's model call answers only when the test says so: it holds the thread till then.
    let answer!: () => void;
    const held = new Promise<void>((resolve) => (answer = resolve));
    let started!: () => void;
    const calling = new Promise<void>((resolve) => (started = resolve));
    server.enqueue(async () => {
      started();
      await held;
      return { content: 'First answer.' };
    });
    const first = runTurn(graph, { threadId, message: 'first' });
    await calling;

    const stop = new AbortController();
    const second = runTurn(graph, { threadId, message: 'second', signal: stop.signal });
    stop.abort(new Error('the caller left'));
    await expect(second).rejects.toThrow('the caller left');
    // Rejected while the first turn still holds the thread.
    answer();
    expect(await first).toMatchObject({ status: 'done', reply: 'First answer.' });

    server.enqueue({ content: 'Third answer.' });
    const third = await runTurn(graph, { threadId, message: 'third' });
    expect(third).toMatchObject({ turn: 2, reply: 'Third answer.' });
    expect(third.recovered).toBeUndefined();
    expect(await said(graph, threadId)).toEqual(['first', 'third']);
  });
});
