/**
 * What becomes of a handoff hook that misbehaves: one that throws something that cannot be printed,
 * one that blocks the event loop past its time limit, one that returns while its turn is being
 * stopped, one that refuses at length. Each ends as a recorded outcome (the turn goes on, or the
 * message sent again reuses it), never a crash that runs the hook again.
 */
import type { ToolMessage } from '@langchain/core/messages';
import { describe, expect, it } from 'vitest';
import { parseTree } from '../../config/load.js';
import { compileTree } from '../../graphs/compile.js';
import { call, ScriptedChatModel } from '../../models/scripted.js';
import type { ScriptStep } from '../../models/scripted.js';
import type { SwitchboardEvent } from '../../nodes/events.js';
import type { HandoffHook } from '../../nodes/hooks.js';
import { approveHandoff } from '../../runtime/approval.js';
import { runTurn } from '../../runtime/turn.js';
import { openCheckpointer } from '../../store/checkpointer.js';
import { captureLogs } from '../../testing/capture-logs.js';
import { compileExample, expectEveryCallAnswered, newThread } from '../helpers.js';

const toBilling = call('transfer_to_billing', { reason: 'charged twice' });

function toolAnswers(messages: { type: string }[]): string[] {
  return messages.filter((message) => message.type === 'tool').map((message) => String((message as ToolMessage).content));
}

/** The support tree with `hook` on billing, triage's model asking for billing, then answering. */
async function supportWith(hook: HandoffHook, options: { timeoutMs?: number; onError?: 'refuse' | 'fail-turn' } = {}, script: ScriptStep[] = [toBilling, 'Triage here.']) {
  const events: SwitchboardEvent[] = [];
  const compiled = await compileExample('support', { model: new ScriptedChatModel(script), observers: [(event) => events.push(event)], hooks: { ...options, onHandoff: { billing: hook } } });
  return { ...compiled, events };
}

/** Busy-waits (blocking the event loop, as a synchronous call does) for `ms` milliseconds. */
function block(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

const unprintable: [string, () => never][] = [
  ['an object without a prototype', () => { throw Object.create(null) as Error; }],
  ['an object whose toString throws', () => { throw { toString() { throw new Error('no text'); } } as unknown as Error; }],
  ['an error whose message is not text', () => { throw Object.assign(new Error('x'), { message: 42 }); }],
];

describe('a hook that throws something that cannot be printed', () => {
  it.each(unprintable)('fails the hook as any throw does (%s): refused, logged, the turn goes on', async (_, hook) => {
    const { graph, logs, events } = await supportWith(hook);
    const result = await runTurn(graph, { ...newThread(), message: 'I was charged twice' });
    expect(result).toMatchObject({ status: 'done', agent: 'triage', reply: 'Triage here.', handoffs: [] });
    expect(toolAnswers(result.state.messages)).toEqual([expect.stringMatching(/^Refused: the handoff to billing could not be checked right now \(the check failed\)/)]);
    expect(events.find((event) => event.type === 'handoff-refuse')).toMatchObject({ to: 'billing', code: 'HOOK_FAILED' });
    expect(logs.records.filter((record) => record.event === 'hook-fail')).toEqual([expect.objectContaining({ kind: 'threw', to: 'billing' })]);
    expectEveryCallAnswered(result.state.messages);
  });

  it("says what was thrown without printing it when onError is 'fail-turn'", async () => {
    const messages: string[] = [];
    for (const [, hook] of unprintable) {
      const { graph } = await supportWith(hook, { onError: 'fail-turn' });
      const result = await runTurn(graph, { ...newThread(), message: 'I was charged twice' });
      expect(result).toMatchObject({ status: 'error', error: { code: 'HOOK_FAILED' } });
      messages.push(result.error!.message);
    }
    expect(messages).toEqual([
      'the handoff hook for billing failed: the hook threw an object',
      'the handoff hook for billing failed: the hook threw an object',
      'the handoff hook for billing failed: the hook threw Error: (a message that is a number)',
    ]);
  });

  it('refuses an approved handoff whose hook throws one, instead of failing the approval', async () => {
    const tree = parseTree(
      `version: 1
name: gated
root: billing
agents:
  billing: { description: Billing., prompt: Bill., escalate: [lead] }
  lead: { description: The lead., prompt: Lead., escalate: [person], approval: required }
  person: { kind: human, description: A person. }
`,
      'gated.yaml',
    );
    const store = await openCheckpointer('memory');
    const logs = captureLogs('debug');
    let runs = 0;
    const hook = () => {
      runs += 1;
      throw Object.create(null) as Error;
    };
    const model = new ScriptedChatModel([call('transfer_to_lead'), 'Billing again: the lead cannot take it now.']);
    const graph = compileTree(tree, { model, logger: logs.logger, checkpointer: store.saver, threadLock: store.threadLock, hooks: { onHandoff: { lead: hook } } });
    const { threadId } = newThread();
    expect(await runTurn(graph, { threadId, message: 'I want the lead' })).toMatchObject({ status: 'waiting', waitingFor: { type: 'approval' } });
    const approved = await approveHandoff(graph, threadId, { operator: 'op' });
    expect(approved).toMatchObject({ status: 'done', agent: 'billing', reply: 'Billing again: the lead cannot take it now.' });
    expect(toolAnswers(approved.state.messages)).toEqual([expect.stringMatching(/^Refused: the handoff to lead could not be checked right now \(the check failed\)/)]);
    expect(logs.records.filter((record) => record.event === 'hook-fail')).toEqual([expect.objectContaining({ kind: 'threw', to: 'lead' })]);
    expect(await store.ledger.list('handoff-hook')).toHaveLength(1);
    expect(runs).toBe(1);
    await store.close();
  });
});

describe('a hook that blocks the event loop', () => {
  it.each([
    ['synchronously', () => {
      block(300);
      return { fields: { department: 'blocked' } };
    }],
    ['after an await', async () => {
      await Promise.resolve();
      block(300);
      return { fields: { department: 'blocked' } };
    }],
  ] as [string, HandoffHook][])('counts as timed out when it returns past its limit (%s)', async (_, hook) => {
    const { graph, logs } = await supportWith(hook, { timeoutMs: 20 });
    const result = await runTurn(graph, { ...newThread(), message: 'I was charged twice' });
    expect(result).toMatchObject({ status: 'done', agent: 'triage', handoffs: [] });
    expect(result.state.fields.department).toBeUndefined();
    expect(toolAnswers(result.state.messages)).toEqual([expect.stringMatching(/could not be checked right now \(the check took too long\)/)]);
    expect(logs.records.filter((record) => record.event === 'hook-fail')).toEqual([expect.objectContaining({ kind: 'timeout' })]);
  });
});

describe('a hook that returns while its turn is stopped', () => {
  it('records what it returned before the turn stops: the message sent again uses it and does not run the hook again', async () => {
    const store = await openCheckpointer('memory');
    const hangUp = new AbortController();
    let runs = 0;
    // The turn is stopped while the hook works (a caller hanging up); the hook, ignoring its signal,
    // finishes its side effect and returns.
    const hook: HandoffHook = () => {
      runs += 1;
      hangUp.abort(new Error('the caller hung up'));
      return { fields: { customer_id: 'C-9' } };
    };
    const { graph } = await compileExample('support', {
      model: new ScriptedChatModel([toBilling, 'Billing here, customer C-9.']),
      checkpointer: store.saver,
      threadLock: store.threadLock,
      hooks: { onHandoff: { billing: hook } },
    });
    const { threadId } = newThread();
    await expect(runTurn(graph, { threadId, messageId: 'm-1', message: 'I was charged twice', signal: hangUp.signal })).rejects.toThrow('the caller hung up');
    expect(runs).toBe(1);
    const again = await runTurn(graph, { threadId, messageId: 'm-1', message: 'I was charged twice' });
    expect(again).toMatchObject({ status: 'done', agent: 'billing', reply: 'Billing here, customer C-9.' });
    expect(again.state.fields.customer_id).toBe('C-9');
    expect(runs).toBe(1);
    expect(await store.ledger.list('handoff-hook')).toHaveLength(1);
    expectEveryCallAnswered(again.state.messages);
    await store.close();
  });
});

describe("a hook's refusal", () => {
  function reasonOf(answer: string | undefined): string {
    return /^Refused: the handoff to billing is not allowed: ([\s\S]*)\. triage keeps the conversation/.exec(answer ?? '')?.[1] ?? `(not a refusal: ${answer})`;
  }

  it('joins the sentence without a second period', async () => {
    const { graph } = await supportWith(() => ({ refuse: 'billing is closed on Sundays.' }));
    const result = await runTurn(graph, { ...newThread(), message: 'I was charged twice' });
    expect(toolAnswers(result.state.messages)).toEqual([
      'Refused: the handoff to billing is not allowed: billing is closed on Sundays. triage keeps the conversation: help the user yourself, or choose another way.',
    ]);
  });

  it('is cut to 500 characters, between characters, with an ellipsis, for the model and in events', async () => {
    const family = '👨‍👩‍👧‍👦';
    const cases: [string, string][] = [
      ['r'.repeat(2_000_000), `${'r'.repeat(499)}…`],
      [family.repeat(600), `${family.repeat(499)}…`],
      // 500 characters (each an e and a combining accent, two code units) and the sentence's period.
      [`${'e\u0301'.repeat(500)}.`, 'e\u0301'.repeat(500)],
    ];
    for (const [refuse, reason] of cases) {
      const { graph, events } = await supportWith(() => ({ refuse }));
      const result = await runTurn(graph, { ...newThread(), message: 'I was charged twice' });
      expect(reasonOf(toolAnswers(result.state.messages)[0])).toBe(reason);
      const refused = events.find((event) => event.type === 'handoff-refuse');
      expect(refused && 'reason' in refused ? reasonOf(refused.reason) : undefined).toBe(reason);
    }
  });
});
