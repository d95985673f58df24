/**
 * Forks of threads the tree has changed under (fields removed or retyped, the owner removed), of a
 * turn that never finished, and what a fork keeps of its source's transcript.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseTree } from '../../config/load.js';
import { SwitchboardError } from '../../errors/switchboard-error.js';
import { compileTree } from '../../graphs/compile.js';
import { forkThread, threadAtTurn } from '../../runtime/fork.js';
import { getTranscript } from '../../runtime/transcript.js';
import { recoverThread, runTurn } from '../../runtime/turn.js';
import { openCheckpointer } from '../../store/checkpointer.js';
import type { Checkpointer } from '../../store/checkpointer.js';
import { captureLogs } from '../../testing/capture-logs.js';
import type { SwitchboardEvent } from '../../nodes/events.js';
import { compileExample, newThread } from '../helpers.js';

const stores: Checkpointer[] = [];
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
});

/** Billing sets `priority` (an enum) on a handoff; the backend sets `note`. */
const BEFORE = `
version: 1
name: desk
root: triage
state:
  priority: { type: enum, values: [low, high], default: low }
  note: { type: string }
agents:
  triage:
    description: Front desk.
    prompt: Route.
    children: [billing, sales]
  billing:
    description: Billing.
    prompt: Billing.
    handoff:
      payload:
        priority: { type: enum, values: [low, high], default: high, sets: priority }
    offline: { keywords: [invoice], payload: { priority: high } }
  sales:
    description: Sales.
    prompt: Sales.
    offline: { keywords: [pricing] }
`;
/** The same desk after an edit: billing gone, `priority` a number, `note` removed, `tier` added. */
const AFTER = `
version: 1
name: desk
root: triage
state:
  priority: { type: number, default: 1 }
  tier: { type: string, default: gold }
agents:
  triage:
    description: Front desk.
    prompt: Route.
    children: [sales]
  sales:
    description: Sales.
    prompt: Sales.
    offline: { keywords: [pricing] }
`;

async function sqliteStore(): Promise<Checkpointer> {
  const store = await openCheckpointer(join(mkdtempSync(join(tmpdir(), 'switchboard-fork-reshaped-')), 'threads.sqlite'));
  stores.push(store);
  return store;
}

function desk(store: Checkpointer, yaml: string) {
  return compileTree(parseTree(yaml, 'desk.yaml'), { checkpointer: store.saver, threadLock: store.threadLock, model: 'offline', retention: 'all', logger: captureLogs('debug').logger });
}

describe('forkThread after the YAML changed', () => {
  it('forks a thread whose fields were removed or retyped, as its next turn sees them, owned by the root when its owner is gone (SQLite)', async () => {
    const store = await sqliteStore();
    const before = desk(store, BEFORE);
    const { threadId } = newThread();
    expect(await runTurn(before, { threadId, message: 'my invoice is wrong', fields: { note: 'vip' } })).toMatchObject({ agent: 'billing', state: { fields: { priority: 'high', note: 'vip' } } });
    const after = desk(store, AFTER);

    const plain = await forkThread(after, { threadId, turn: 1 });
    expect(plain.state.fields).toEqual({ priority: 1, tier: 'gold' });
    expect(plain.state.activeAgent).toBe('triage');
    const edited = await forkThread(after, { threadId, turn: 1, fields: { priority: 3 } });
    expect(edited.state.fields).toEqual({ priority: 3, tier: 'gold' });
    expect(edited.state.activeAgent).toBe('triage');
    // The fork goes on under the tree as it is now.
    expect(await runTurn(after, { threadId: edited.threadId, message: 'what is your pricing' })).toMatchObject({
      status: 'done',
      turn: 2,
      agent: 'sales',
      state: { fields: { priority: 3, tier: 'gold' } },
    });

    // What the caller sets is held to the tree as it is now.
    await expect(forkThread(after, { threadId, turn: 1, fields: { priority: 'high' } })).rejects.toMatchObject({ code: 'INVALID_FIELDS' });
    await expect(forkThread(after, { threadId, turn: 1, fields: { note: 'x' } })).rejects.toMatchObject({ code: 'INVALID_FIELDS', message: expect.stringContaining('"note" not declared under state:') });
  });

  it('says with a code when LangGraph refuses the state the fork writes, and leaves no thread behind', async () => {
    const store = await openCheckpointer('memory');
    stores.push(store);
    const graph = desk(store, BEFORE);
    const { threadId } = newThread();
    await runTurn(graph, { threadId, message: 'my invoice is wrong' });
    // A state value no channel of the tree takes (written as the fork writes, through LangGraph's own check).
    const write = graph.updateState.bind(graph);
    vi.spyOn(graph, 'updateState').mockImplementationOnce((config, values, asNode) => write(config, { ...(values as object), activeAgent: 42 }, asNode));
    const refused = await forkThread(graph, { threadId, turn: 1, newThreadId: `${threadId}-fork` }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(SwitchboardError);
    expect(refused).toMatchObject({ code: 'FORK_STATE_INVALID', message: expect.stringMatching(new RegExp(`^Turn 1 of thread ${threadId} holds a state the tree cannot take as it is now \\(Validation failed for field "activeAgent"`)) });
    expect((await graph.getState({ configurable: { thread_id: `${threadId}-fork` } })).values).toEqual({});
  });
});

/** A support thread whose second turn stopped (its worker "died") at the first event `stopAt` picks, retention 'all'. */
async function turnCutShort(stopAt: (event: SwitchboardEvent) => boolean) {
  const controller = new AbortController();
  const store = await openCheckpointer('memory');
  stores.push(store);
  const { graph } = await compileExample('support', {
    checkpointer: store.saver,
    model: 'offline',
    retention: 'all',
    observers: [(event) => stopAt(event) && controller.abort(new Error('the worker died'))],
  });
  const { threadId } = newThread();
  await runTurn(graph, { threadId, message: 'hello' });
  await expect(runTurn(graph, { threadId, message: 'I was charged twice on my invoice', signal: controller.signal })).rejects.toThrow();
  return { graph, threadId };
}

describe('forkThread of a turn that did not finish', () => {
  it('says the turn has not finished and how it is finished, not that the store dropped it; once recovered, it forks', async () => {
    // The run stops as billing's step begins: triage's handoff is saved, the turn is left running.
    const { graph, threadId } = await turnCutShort((event) => event.type === 'step-start' && event.agent === 'billing');

    const unfinished = {
      code: 'TURN_UNFINISHED',
      message: `Turn 2 of thread ${threadId} has not finished, so it has no end to fork from: it is still running, or it was cut short (its process stopped) and the thread's next message or recoverThread finishes it. Fork from an earlier turn (turns kept: 1), or from this one once it has finished.`,
    };
    await expect(forkThread(graph, { threadId, turn: 2 })).rejects.toMatchObject(unfinished);
    await expect(threadAtTurn(graph, threadId, 2)).rejects.toMatchObject(unfinished);
    expect((await forkThread(graph, { threadId, turn: 1 })).state.turn.number).toBe(1);

    await recoverThread(graph, threadId);
    expect((await forkThread(graph, { threadId, turn: 2 })).state.turn).toMatchObject({ number: 2, status: 'done' });
  });

  it('says so too when the message was taken in before its turn began', async () => {
    const { graph, threadId } = await turnCutShort((event) => event.type === 'step-start' && event.turn === 2);
    await expect(forkThread(graph, { threadId, turn: 2 })).rejects.toMatchObject({ code: 'TURN_UNFINISHED' });
  });
});

describe('forkThread input and copies', () => {
  it('shows a turn given as text as text', async () => {
    const store = await openCheckpointer('memory');
    stores.push(store);
    const { graph } = await compileExample('support', { checkpointer: store.saver, model: 'offline', retention: 'all' });
    const { threadId } = newThread();
    await runTurn(graph, { threadId, message: 'hello' });
    await expect(forkThread(graph, { threadId, turn: '1' as unknown as number })).rejects.toMatchObject({ code: 'INVALID_INPUT', message: 'The turn must be a whole number from 1 (got "1").' });
    await expect(forkThread(graph, { threadId, turn: 1.5 })).rejects.toMatchObject({ message: 'The turn must be a whole number from 1 (got 1.5).' });
  });

  it('says a turn waiting for a handoff approval waits for a person (FORK_WAITING), not that it was cut short', async () => {
    const store = await openCheckpointer('memory');
    stores.push(store);
    const graph = compileTree(parseTree(readFileSync('test/fixtures/trees/gated-desk.yaml', 'utf8'), 'gated-desk.yaml'), { checkpointer: store.saver, threadLock: store.threadLock, model: 'offline', retention: 'all' });
    const { threadId } = newThread();
    await runTurn(graph, { threadId, message: 'hello' });
    expect(await runTurn(graph, { threadId, message: 'I want to talk to a person' })).toMatchObject({ status: 'waiting', waitingFor: { type: 'approval' } });
    await expect(forkThread(graph, { threadId, turn: 2 })).rejects.toMatchObject({ code: 'FORK_WAITING', message: expect.stringContaining('waits for a person to approve a handoff') });
    expect(await forkThread(graph, { threadId, turn: 1 })).toMatchObject({ from: { turn: 1 } });
  });

  it("keeps with each copied message its time in the source (the end of its turn), in a fork's fork too", async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      const store = await openCheckpointer('memory');
      stores.push(store);
      const { graph } = await compileExample('support', { checkpointer: store.saver, model: 'offline', retention: 'all' });
      const { threadId } = newThread();
      vi.setSystemTime(new Date('2026-01-01T10:00:00Z'));
      await runTurn(graph, { threadId, message: 'hello' });
      vi.setSystemTime(new Date('2026-01-01T11:00:00Z'));
      await runTurn(graph, { threadId, message: 'I was charged twice on my invoice' });
      const times = (await getTranscript(graph, threadId)).messages.map((message) => [message.id, message.at]);
      expect(new Set(times.map(([, at]) => at))).toEqual(new Set(['2026-01-01T10:00:00.000Z', '2026-01-01T11:00:00.000Z']));

      // The journal stamps an entry with the time it is appended: each copy carries its own time.
      const copiedTimes = async (fork: string) =>
        (await store.journal.read(fork, { kinds: ['message'], limit: 1000 })).entries.map((entry) => [(entry.data as { id: string }).id, (entry.data as { at?: string }).at]);
      vi.setSystemTime(new Date('2026-01-02T09:00:00Z'));
      const fork = await forkThread(graph, { threadId, turn: 2 });
      expect(await copiedTimes(fork.threadId)).toEqual(times);
      vi.setSystemTime(new Date('2026-01-03T09:00:00Z'));
      const forkOfFork = await forkThread(graph, { threadId: fork.threadId, turn: 2 });
      expect(await copiedTimes(forkOfFork.threadId)).toEqual(times);
      // What backend code reads: the transcript of each fork gives the source's times.
      for (const copy of [fork.threadId, forkOfFork.threadId]) expect((await getTranscript(graph, copy)).messages.map((message) => [message.id, message.at])).toEqual(times);
    } finally {
      vi.useRealTimers();
    }
  });
});
