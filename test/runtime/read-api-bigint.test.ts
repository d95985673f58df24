/**
 * A read API given a BigInt (or a value JSON cannot hold) where it takes a number refuses it with
 * `INVALID_INPUT` naming the option and the value, on every store, as it does any other wrong value:
 * showing the value must not throw a TypeError of its own.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { parseTree } from '../../config/load.js';
import { compileTree } from '../../graphs/compile.js';
import { ScriptedChatModel } from '../../models/scripted.js';
import { threadAtTurn } from '../../runtime/fork.js';
import { getTrace, getTranscript, listThreads } from '../../runtime/transcript.js';
import { runTurn } from '../../runtime/turn.js';
import { captureLogs } from '../../testing/capture-logs.js';
import { storeKinds, withStore } from '../store/stores.js';

const STORES = storeKinds(mkdtempSync(`${tmpdir()}/switchboard-read-bigint-`));
const INVALID = { code: 'INVALID_INPUT', name: 'InputError' };

describe.each(Object.keys(STORES) as (keyof typeof STORES)[])('read APIs given a BigInt on %s', (kind) => {
  it('refuse it with INVALID_INPUT, showing it as a BigInt', async () => {
    await withStore(STORES[kind], async (store) => {
      const tree = parseTree('version: 1\nname: read-bigint\nroot: triage\nagents:\n  triage: { description: Front desk., prompt: Answer. }\n', 'read-bigint.yaml');
      const graph = compileTree(tree, { model: new ScriptedChatModel(['reply']), checkpointer: store.saver, threadLock: store.threadLock, logger: captureLogs('debug').logger });
      const threadId = `bigint-${randomUUID()}`;
      await runTurn(graph, { threadId, message: 'hello' });
      const big = 5n as unknown as number;
      await expect(getTranscript(graph, threadId, { limit: big })).rejects.toMatchObject({ ...INVALID, message: 'A journal page limit must be a whole number of at least 1 (got 5n).' });
      await expect(getTranscript(graph, threadId, { after: big })).rejects.toMatchObject({ ...INVALID, message: "A journal page's `after` must be a whole number from 0 (a page's `next`; got 5n)." });
      await expect(listThreads(graph, { offset: big })).rejects.toMatchObject({ ...INVALID, message: "A thread list's `offset` must be a whole number from 0 (got 5n)." });
      await expect(listThreads(graph, { limit: big })).rejects.toMatchObject({ ...INVALID, message: expect.stringContaining('(got 5n)') });
      await expect(getTrace(graph, threadId, big)).rejects.toMatchObject({ ...INVALID, message: 'The turn must be a whole number from 1 (got 5n).' });
      await expect(threadAtTurn(graph, threadId, big)).rejects.toMatchObject({ ...INVALID, message: 'The turn must be a whole number from 1 (got 5n).' });
      // A BigInt inside a value: said to be one JSON cannot hold.
      await expect(getTranscript(graph, threadId, { limit: { value: 5n } as unknown as number })).rejects.toMatchObject({ ...INVALID, message: 'A journal page limit must be a whole number of at least 1 (got an object JSON cannot hold).' });
    });
  });
});
