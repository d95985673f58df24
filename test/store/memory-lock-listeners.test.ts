/**
 * Many turns at once on the memory store print no MaxListenersExceededWarning: each hold of the
 * memory thread lock has a signal of its own (one shared by every hold gathered a listener per turn
 * running at once, and Node warns past 10).
 */
import { randomUUID } from 'node:crypto';
import type { BaseMessage } from '@langchain/core/messages';
import type { ChatResult } from '@langchain/core/outputs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseTree } from '../../config/load.js';
import { compileTree } from '../../graphs/compile.js';
import { ScriptedChatModel } from '../../models/scripted.js';
import { runTurn } from '../../runtime/turn.js';
import { openCheckpointer } from '../../store/checkpointer.js';
import { createMemoryThreadLock } from '../../store/thread-lock.js';
import { captureLogs } from '../../testing/capture-logs.js';

const warnings: Error[] = [];
const onWarning = (warning: Error) => warnings.push(warning);
beforeEach(() => {
  warnings.length = 0;
  process.on('warning', onWarning);
});
afterEach(() => {
  process.off('warning', onWarning);
});

/** A scripted model whose every call waits for `gate`. */
class GatedModel extends ScriptedChatModel {
  constructor(
    private readonly gate: Promise<void>,
    private readonly called: () => void,
  ) {
    super(Array.from({ length: 30 }, () => 'ok'));
  }
  override bindTools(): ScriptedChatModel {
    return this;
  }
  override async _generate(messages: BaseMessage[]): Promise<ChatResult> {
    this.called();
    await this.gate;
    return super._generate(messages);
  }
}

/** Warnings are emitted on the next tick: wait for them before looking. */
async function settledWarnings(): Promise<string[]> {
  await new Promise((resolve) => setImmediate(resolve));
  return warnings.map((warning) => `${warning.name}: ${warning.message}`);
}

describe('memory thread lock', () => {
  it('gives each hold a signal of its own that never aborts', async () => {
    const lock = createMemoryThreadLock();
    const signals = await Promise.all(['a', 'b'].map((threadId) => lock.withLock(threadId, async (lease) => lease.signal)));
    expect(signals[0]).not.toBe(signals[1]);
    expect(signals.map((signal) => signal.aborted)).toEqual([false, false]);
  });

  it('prints no MaxListenersExceededWarning with more than 10 holds listening at once', async () => {
    const lock = createMemoryThreadLock();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const holds = Array.from({ length: 25 }, (_, index) =>
      lock.withLock(`listen-${index}`, async (lease) => {
        // As runTurn does (runtime/turn.ts, runSignal): a listener on the lease's signal while the turn runs.
        const abort = () => {};
        lease.signal.addEventListener('abort', abort, { once: true });
        await gate;
        lease.signal.removeEventListener('abort', abort);
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 10));
    release();
    await Promise.all(holds);
    expect(await settledWarnings()).toEqual([]);
  });

  it('prints no warning with 30 turns running at once on the memory store', async () => {
    const store = await openCheckpointer('memory');
    try {
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      let waiting = 0;
      // Every turn's model call waits at the gate: the 30 turns hold their threads at once.
      const slow = new GatedModel(gate, () => (waiting += 1));
      const tree = parseTree('version: 1\nname: listeners\nroot: triage\nagents:\n  triage: { description: Front desk., prompt: Answer. }\n', 'listeners.yaml');
      const graph = compileTree(tree, { model: slow, checkpointer: store.saver, threadLock: store.threadLock, logger: captureLogs('debug').logger });
      const tag = randomUUID();
      const turns = Array.from({ length: 30 }, (_, index) => runTurn(graph, { threadId: `listeners-${tag}-${index}`, message: 'hi' }));
      for (let tries = 0; waiting < 30 && tries < 500; tries += 1) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(waiting).toBe(30);
      release();
      expect((await Promise.all(turns)).map((result) => result.status)).toEqual(Array.from({ length: 30 }, () => 'done'));
      expect(await settledWarnings()).toEqual([]);
    } finally {
      await store.close();
    }
  });
});
