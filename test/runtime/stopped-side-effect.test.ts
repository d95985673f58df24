/**
 * A turn stopped by its signal while a tool or a handoff hook ignores that signal: the call rejects
 * at once, but the thread stays held until the tool or hook ends, so the next call on the thread
 * (which finishes the stopped turn, replaying the call under the same idempotency key) never runs the
 * side effect beside the one still under way. On memory, SQLite and PostgreSQL.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tool } from '@langchain/core/tools';
import type { StructuredToolInterface } from '@langchain/core/tools';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseTree } from '../../config/load.js';
import { compileTree } from '../../graphs/compile.js';
import type { SwitchboardGraph } from '../../graphs/compile.js';
import { ScriptedChatModel } from '../../models/scripted.js';
import { FaultyChatModel } from '../../testing/faulty-model.js';
import type { HandoffHook } from '../../nodes/hooks.js';
import { getToolContext } from '../../nodes/tool-context.js';
import { recoverThread, runTurn, streamTurn } from '../../runtime/turn.js';
import { openCheckpointer } from '../../store/checkpointer.js';
import type { Checkpointer } from '../../store/checkpointer.js';
import { storeKinds, withStore } from '../store/stores.js';
import { expectEveryCallAnswered, newThread } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'switchboard-stopped-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const STORES = storeKinds(dir);

/** A side effect under way until `finish()`: it ignores its signal, and keeps its own record by idempotency key, read before it starts. */
function slowSideEffect() {
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  let started!: () => void;
  const begun = new Promise<void>((resolve) => (started = resolve));
  const done = new Map<string, number>();
  let runs = 0;
  const run = async (key: string) => {
    // Checked before the work and written after it, as a payment API without locks does.
    const earlier = done.get(key);
    if (earlier !== undefined) return earlier;
    runs += 1;
    started();
    await finished;
    done.set(key, runs);
    return runs;
  };
  return { run, begun, finish, runs: () => runs };
}

/** A refund tool running `effect`, which notes whether two of its runs ever overlapped. */
function watchedRefund(effect: ReturnType<typeof slowSideEffect>) {
  let running = 0;
  let overlapped = false;
  const pay = tool(
    async (_input, config) => {
      running += 1;
      if (running > 1) overlapped = true;
      try {
        return `Refund ${await effect.run(getToolContext(config).idempotencyKey)} paid.`;
      } finally {
        running -= 1;
      }
    },
    { name: 'pay_refund', description: 'Pays a refund.', schema: z.object({}) },
  );
  return { pay, overlapped: () => overlapped };
}

/** Runs a turn with `message` and stops it (a caller hanging up) once `effect` is under way; the call rejects at once. */
async function stopWhileItWorks(graph: SwitchboardGraph, threadId: string, effect: ReturnType<typeof slowSideEffect>, message: string): Promise<void> {
  const hangUp = new AbortController();
  const first = runTurn(graph, { threadId, message, signal: hangUp.signal });
  await effect.begun;
  hangUp.abort(new Error('the caller hung up'));
  await expect(first).rejects.toThrow('the caller hung up');
}

const DESK = `
version: 1
name: stopped-desk
root: triage
agents:
  triage: { description: Front desk., prompt: Route., children: [billing] }
  billing: { description: Billing., prompt: Bill., tools: [pay_refund] }
`;

function compile(store: Checkpointer, options: { hook?: HandoffHook; pay?: StructuredToolInterface; script: ConstructorParameters<typeof ScriptedChatModel>[0]; toolTimeoutMs?: number }): SwitchboardGraph {
  const tools: Record<string, StructuredToolInterface> = { pay_refund: options.pay ?? tool(async () => 'unused', { name: 'pay_refund', description: 'Pays a refund.', schema: z.object({}) }) };
  return compileTree(parseTree(DESK, 'stopped-desk.yaml', { tools }), {
    tools,
    model: new ScriptedChatModel(options.script),
    checkpointer: store.saver,
    threadLock: store.threadLock,
    journal: store.journal,
    sleep: async () => {},
    ...(options.toolTimeoutMs ? { toolTimeoutMs: options.toolTimeoutMs } : {}),
    ...(options.hook ? { hooks: { onHandoff: { billing: options.hook } } } : {}),
  });
}

describe.each(Object.keys(STORES) as (keyof typeof STORES)[])('a stopped turn whose side effect ignores its signal, on %s', (kind) => {
  it('a handoff hook: the next message waits for it, and reuses its outcome (one run)', async () => {
    await withStore(STORES[kind], async (store) => {
      const effect = slowSideEffect();
      const hook: HandoffHook = async (context) => {
        await effect.run(context.idempotencyKey);
        return { fields: {} };
      };
      const graph = compile(store, { hook, script: [{ toolCalls: [{ name: 'transfer_to_billing' }] }, 'Billing here.', 'Billing again.'] });
      const { threadId } = newThread();
      await stopWhileItWorks(graph, threadId, effect, 'I was charged twice');

      // The next message comes while the hook still works.
      const next = runTurn(graph, { threadId, message: 'hello?' });
      await new Promise((resolve) => setTimeout(resolve, 200));
      effect.finish();
      const result = await next;
      expect(result).toMatchObject({ status: 'done', agent: 'billing' });
      expect(effect.runs()).toBe(1);
      expectEveryCallAnswered(result.state.messages);
    });
  });

  it('a tool: recoverThread waits for it, and the replay under the same key pays once', async () => {
    await withStore(STORES[kind], async (store) => {
      const effect = slowSideEffect();
      const keys: string[] = [];
      const pay = tool(
        async (_input, config) => {
          const { idempotencyKey } = getToolContext(config);
          keys.push(idempotencyKey);
          return `Refund ${await effect.run(idempotencyKey)} paid.`;
        },
        { name: 'pay_refund', description: 'Pays a refund.', schema: z.object({}) },
      );
      const graph = compile(store, { pay, script: [{ toolCalls: [{ name: 'transfer_to_billing' }] }, { toolCalls: [{ name: 'pay_refund' }] }, 'Refund paid.'] });
      const { threadId } = newThread();
      await stopWhileItWorks(graph, threadId, effect, 'refund me');

      const recovering = recoverThread(graph, threadId);
      await new Promise((resolve) => setTimeout(resolve, 200));
      effect.finish();
      const result = await recovering;
      expect(result).toMatchObject({ status: 'done', agent: 'billing', reply: 'Refund paid.' });
      // Replayed under one key, one after the other: paid once.
      expect(new Set(keys).size).toBe(1);
      expect(effect.runs()).toBe(1);
      expectEveryCallAnswered(result!.state.messages);
    });
  });

  it('a tool that also runs past its timeout: the replay answers it as timed out, and does not run it again', async () => {
    await withStore(STORES[kind], async (store) => {
      const effect = slowSideEffect();
      const { pay, overlapped } = watchedRefund(effect);
      const graph = compile(store, { pay, toolTimeoutMs: 300, script: [{ toolCalls: [{ name: 'transfer_to_billing' }] }, { toolCalls: [{ name: 'pay_refund' }] }, 'Unused.'] });
      const { threadId } = newThread();
      await stopWhileItWorks(graph, threadId, effect, 'refund me');

      // The stopped run's tool times out (300 ms) while it still works; the next message finishes the
      // stopped turn as a turn not stopped would have ended: the call answered as timed out, not run again.
      const next = await runTurn(graph, { threadId, message: 'hello?' });
      expect(next.recovered).toMatchObject({ status: 'error', error: { code: 'TOOL_TIMEOUT' } });
      effect.finish();
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(effect.runs()).toBe(1);
      expect(overlapped()).toBe(false);
      expectEveryCallAnswered(next.state.messages);
    });
  });
});

describe('closing a SQLite store right after a stopped turn', () => {
  it('lets the thread go first: the file reopened takes the thread at once', async () => {
    const file = join(dir, 'closed-early.sqlite');
    const store = await openCheckpointer(file);
    const effect = slowSideEffect();
    const pay = tool(async (_input, config) => `Refund ${await effect.run(getToolContext(config).idempotencyKey)} paid.`, { name: 'pay_refund', description: 'Pays a refund.', schema: z.object({}) });
    const graph = compile(store, { pay, script: [{ toolCalls: [{ name: 'transfer_to_billing' }] }, { toolCalls: [{ name: 'pay_refund' }] }] });
    const { threadId } = newThread();
    await stopWhileItWorks(graph, threadId, effect, 'refund me');
    const closing = store.close();
    effect.finish();
    await closing;

    // Reopened with a short wait: a lease left behind would make the thread busy past it.
    const reopened = await openCheckpointer(file, { lock: { waitMs: 1_000 } });
    try {
      const again = compile(reopened, { pay, script: ['Refund paid.', 'Hello.'] });
      const result = await runTurn(again, { threadId, message: 'hello?' });
      expect(result.status).toBe('done');
      expect(effect.runs()).toBe(1);
    } finally {
      await reopened.close();
    }
  });
});

describe('with the default store (no checkpointer given)', () => {
  it('a tool that runs past its timeout in a stopped turn is answered as timed out, not run again', async () => {
    const effect = slowSideEffect();
    const { pay, overlapped } = watchedRefund(effect);
    const tools = { pay_refund: pay };
    const graph = compileTree(parseTree(DESK, 'stopped-desk.yaml', { tools }), { tools, toolTimeoutMs: 300, model: new ScriptedChatModel([{ toolCalls: [{ name: 'transfer_to_billing' }] }, { toolCalls: [{ name: 'pay_refund' }] }, 'Unused.']) });
    const { threadId } = newThread();
    await stopWhileItWorks(graph, threadId, effect, 'refund me');
    const next = await runTurn(graph, { threadId, message: 'hello?' });
    expect(next.recovered).toMatchObject({ status: 'error', error: { code: 'TOOL_TIMEOUT' } });
    effect.finish();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(effect.runs()).toBe(1);
    expect(overlapped()).toBe(false);
  });
});

describe('a turn stopped during a pause between model retries', () => {
  it('lets the thread go at once: the next message does not wait out the pause', async () => {
    // The pause never ends by itself: only the stop ends it.
    const model = new FaultyChatModel(new ScriptedChatModel(['Hello.', 'Hello again.']), { status: 500 }, { times: 1 });
    const tools = { pay_refund: tool(async () => 'unused', { name: 'pay_refund', description: 'Pays a refund.', schema: z.object({}) }) };
    const graph = compileTree(parseTree(DESK, 'stopped-desk.yaml', { tools }), { tools, model, sleep: () => new Promise<void>(() => {}) });
    const { threadId } = newThread();
    const hangUp = new AbortController();
    const events: string[] = [];
    const first = (async () => {
      for await (const event of streamTurn(graph, { threadId, message: 'hello', signal: hangUp.signal })) {
        events.push(event.type);
        if (event.type === 'model-retry') hangUp.abort(new Error('the caller hung up'));
      }
    })();
    await expect(first).rejects.toThrow('the caller hung up');
    expect(events).toContain('model-retry');
    const next = await runTurn(graph, { threadId, message: 'hello?' });
    expect(next.status).toBe('done');
  });
});
