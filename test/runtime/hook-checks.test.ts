/**
 * What Switchboard checks of handoff hooks and what they return: option keys and values (a typo
 * must not silently drop a veto), the text a hook puts into the thread (well-formed, bounded), what
 * a failed hook leaves in the log, and a person's hand-back a hook refused (the caller is told).
 */
import type { ToolMessage } from '@langchain/core/messages';
import { describe, expect, it } from 'vitest';
import { call, ScriptedChatModel } from '../../models/scripted.js';
import type { ScriptStep } from '../../models/scripted.js';
import type { SwitchboardEvent } from '../../nodes/events.js';
import type { HandoffHook, HooksOptions } from '../../nodes/hooks.js';
import { resumeThread, runTurn } from '../../runtime/turn.js';
import { MemoryLedger } from '../../store/ledger.js';
import { compileExample, newThread } from '../helpers.js';

const toBilling = call('transfer_to_billing', { reason: 'charged twice' });

function toolAnswers(messages: { type: string }[]): string[] {
  return messages.filter((message) => message.type === 'tool').map((message) => String((message as ToolMessage).content));
}

/** The support tree with `hook` on billing, triage's model asking for billing, then answering. */
async function supportWith(hook: HandoffHook, options: Omit<HooksOptions, 'onHandoff'> = {}, script: ScriptStep[] = [toBilling, 'Triage here.']) {
  const events: SwitchboardEvent[] = [];
  const compiled = await compileExample('support', { model: new ScriptedChatModel(script), observers: [(event) => events.push(event)], hooks: { ...options, onHandoff: { billing: hook } } });
  return { ...compiled, events };
}

/** The HOOK_FAILED message of a turn whose billing hook is `hook`, run with `onError: 'fail-turn'`. */
async function failureOf(hook: HandoffHook): Promise<string | undefined> {
  const { graph } = await supportWith(hook, { onError: 'fail-turn' });
  const result = await runTurn(graph, { ...newThread(), message: 'I was charged twice' });
  expect(result.error?.code).toBe('HOOK_FAILED');
  return result.error?.message;
}

const veto = () => ({ refuse: 'no' });

describe('hook options', () => {
  it.each([
    [{ onhandoff: { billing: veto } }, /"onhandoff" \(did you mean "onHandoff"\?\)/],
    [{ onEscalate: { human_agent: veto } }, /"onEscalate" \(did you mean "onEscalation"\?\)/],
    [{ timeout: 100 }, /"timeout" \(did you mean "timeoutMs"\?\)/],
    [{ onHandoff: veto, veto: true }, /a key it does not take: "veto"\. The keys: onHandoff, onEscalation, timeoutMs, onError, ledger\./],
  ])('refuses a key hooks does not take, suggesting the one meant (%j)', async (hooks, message) => {
    await expect(compileExample('support', { model: 'offline', hooks: hooks as HooksOptions })).rejects.toMatchObject({ code: 'INVALID_HOOKS', message: expect.stringMatching(message) });
  });

  it("refuses an onError that is not 'refuse' or 'fail-turn', naming them", async () => {
    await expect(compileExample('support', { model: 'offline', hooks: { onHandoff: veto, onError: 'fail' as never } })).rejects.toMatchObject({
      code: 'INVALID_HOOKS',
      message: "hooks.onError must be 'refuse' or 'fail-turn' (got a string (\"fail\")).",
    });
    await expect(compileExample('support', { model: 'offline', hooks: { onError: 'Fail-Turn' as never } })).rejects.toMatchObject({ message: expect.stringMatching(/Did you mean "fail-turn"\?$/) });
  });

  it('says what timeoutMs got: a string is not a number', async () => {
    await expect(compileExample('support', { model: 'offline', hooks: { timeoutMs: '5000' as never } })).rejects.toMatchObject({
      code: 'INVALID_HOOKS',
      message: 'hooks.timeoutMs must be a whole number of milliseconds from 1 to 2147483647 (got a string ("5000")).',
    });
  });

  it('takes every documented key, a ledger given by hand included', async () => {
    const ledger = new MemoryLedger();
    const { graph } = await supportWith(veto, { timeoutMs: 1_000, onError: 'refuse', onEscalation: {}, ledger });
    await runTurn(graph, { ...newThread(), message: 'I was charged twice' });
    expect(await ledger.list('handoff-hook')).toHaveLength(1);
  });
});

describe('a failed hook in the log', () => {
  function fetchFailed(): TypeError {
    return new TypeError('fetch failed', { cause: Object.assign(new Error('other side closed'), { name: 'SocketError', code: 'UND_ERR_SOCKET' }) });
  }

  it.each([
    ['a bug in the hook', () => new TypeError('Cannot read properties of undefined (reading "plan") for I was charged twice'), { name: 'TypeError' }],
    ["a service's 500", () => Object.assign(new Error('CRM answered 500 for I was charged twice'), { name: 'HTTPError', response: { statusCode: 500 } }), { name: 'HTTPError', status: 500 }],
    ['a socket closed mid-answer', fetchFailed, { name: 'TypeError', cause: { name: 'SocketError', code: 'UND_ERR_SOCKET' } }],
    ['a string', () => 'I was charged twice', { name: 'a string' }],
    ['a code that is prose', () => Object.assign(new Error('x'), { code: 'I was charged twice' }), { name: 'Error' }],
  ] as [string, () => unknown, object][])('says what failed, never its message (%s)', async (_, thrown, error) => {
    const { graph, logs } = await supportWith(() => {
      throw thrown();
    });
    await runTurn(graph, { ...newThread(), message: 'hello' });
    expect(logs.records.filter((record) => record.event === 'hook-fail')).toEqual([expect.objectContaining({ kind: 'threw', to: 'billing', error })]);
    expect(logs.lines.join('\n')).not.toContain('charged twice');
  });

  it("records the cause in the outcome's message: 'fetch failed' alone says nothing", async () => {
    expect(await failureOf(() => { throw fetchFailed(); })).toBe('the handoff hook for billing failed: the hook threw TypeError: fetch failed (cause: SocketError: other side closed)');
  });
});

describe('what a hook returns, in words', () => {
  it.each([
    ['a string', 'suspended', 'the hook returned a string; return nothing, { fields } or { refuse: "why" }'],
    ['a boolean', false, 'the hook returned a boolean; return nothing, { fields } or { refuse: "why" }'],
    ['a number refusal', { refuse: 42 }, 'the hook\'s refuse is a number, not a reason in words; return nothing, { fields } or { refuse: "why" }'],
  ])('names the kind of a wrong value with its article (%s)', async (_, returned, message) => {
    expect(await failureOf(() => returned as never)).toBe(`the handoff hook for billing failed: ${message}`);
  });
});

describe('text a hook puts into the thread', () => {
  const half = '\uD83D';

  it('shows malformed UTF-16 in fields and refusals as U+FFFD, as in a person\'s reply; control characters stay, as in a user\'s message', async () => {
    const fields = await supportWith(() => ({ fields: { department: `eu${half}\u0000x`, customer_id: `\uDE00C-1` } }), {}, [toBilling, 'Billing here.']);
    const moved = await runTurn(fields.graph, { ...newThread(), message: 'I was charged twice' });
    expect(moved).toMatchObject({ status: 'done', agent: 'billing' });
    expect(moved.state.fields).toMatchObject({ department: 'eu\uFFFD\u0000x', customer_id: '\uFFFDC-1' });

    const refused = await supportWith(() => ({ refuse: `closed ${half}today` }));
    const kept = await runTurn(refused.graph, { ...newThread(), message: 'I was charged twice' });
    expect(toolAnswers(kept.state.messages)[0]).toContain('is not allowed: closed \uFFFDtoday. triage keeps');
    expect(refused.events.find((event) => event.type === 'handoff-refuse')).toMatchObject({ reason: expect.stringContaining('closed \uFFFDtoday') });
  });

  it('reads a refusal that is nothing a model could read as the policy\'s', async () => {
    const { graph } = await supportWith(() => ({ refuse: '\u200B\u0000 .' }));
    const result = await runTurn(graph, { ...newThread(), message: 'I was charged twice' });
    expect(toolAnswers(result.state.messages)[0]).toContain('is not allowed: the handoff was refused by policy.');
  });

  it("refuses a string field longer than the tree's limits.messageChars, saying the limit; one at the limit goes through", async () => {
    expect(await failureOf(() => ({ fields: { department: 'd'.repeat(8_001) } }))).toBe(
      "the handoff hook for billing failed: the hook returned invalid fields (department: 8001 characters; a field a hook sets may have at most 8000 characters (the tree's limits.messageChars)); the tree's fields: priority, department, customer_id",
    );
    const { graph, events } = await supportWith(() => ({ fields: { department: 'd'.repeat(2_000_000) } }));
    const refused = await runTurn(graph, { ...newThread(), message: 'I was charged twice' });
    expect(refused).toMatchObject({ status: 'done', agent: 'triage' });
    expect(refused.state.fields.department).toBeUndefined();
    expect(events.find((event) => event.type === 'handoff-refuse')).toMatchObject({ code: 'HOOK_FAILED' });

    const atLimit = await supportWith(() => ({ fields: { department: 'd'.repeat(8_000) } }), {}, [toBilling, 'Billing here.']);
    const moved = await runTurn(atLimit.graph, { ...newThread(), message: 'I was charged twice' });
    expect(moved.state.fields.department).toHaveLength(8_000);
  });
});

describe("a person's hand-back a hook refuses", () => {
  async function waitingFor(hooks: HooksOptions) {
    const events: SwitchboardEvent[] = [];
    const { graph } = await compileExample('support', { model: 'offline', observers: [(event) => events.push(event)], hooks });
    const { threadId } = newThread();
    await runTurn(graph, { threadId, message: 'My webhook is broken' });
    const waiting = await runTurn(graph, { threadId, message: 'I need to speak to a real person' });
    expect(waiting.status).toBe('waiting');
    return { graph, threadId, events, to: waiting.waitingFor!.handBackTargets[0]! };
  }

  it('is done (the reply is delivered), with an error that says the person keeps the conversation', async () => {
    const { graph, threadId, events, to } = await waitingFor({ onHandoff: (context) => (context.kind === 'resume' ? { refuse: 'that desk is closed' } : undefined) });
    const result = await resumeThread(graph, threadId, { reply: 'Refund done.', handBackTo: to });
    expect(result).toMatchObject({
      status: 'done',
      agent: 'human_agent',
      reply: 'Refund done.',
      error: { code: 'HOOK_REFUSED', message: `the reply was delivered, but the hand-back to ${to} was refused by a hook: that desk is closed; human_agent keeps the conversation` },
    });
    expect(result.state.activeAgent).toBe('human_agent');
    expect(events.at(-1)).toMatchObject({ type: 'turn-end', status: 'done', error: { code: 'HOOK_REFUSED' } });
    // The next turn starts without it.
    const next = await runTurn(graph, { threadId, message: 'Thanks' });
    expect(next.error).toBeUndefined();
  });

  it('says so when the hook failed (HOOK_FAILED), and has no error when the hand-back is made', async () => {
    const failed = await waitingFor({ onHandoff: (context) => { if (context.kind === 'resume') throw new Error('CRM down'); } });
    expect(await resumeThread(failed.graph, failed.threadId, { reply: 'Refund done.', handBackTo: failed.to })).toMatchObject({
      status: 'done',
      error: { code: 'HOOK_FAILED', message: `the reply was delivered, but the hand-back to ${failed.to} was not made: the hook threw Error: CRM down; human_agent keeps the conversation` },
    });
    const made = await waitingFor({ onHandoff: () => undefined });
    const moved = await resumeThread(made.graph, made.threadId, { reply: 'Refund done.', handBackTo: made.to });
    expect(moved).toMatchObject({ status: 'done', error: undefined });
    expect(moved.state.activeAgent).toBe(made.to);
  });
});

