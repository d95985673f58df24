/**
 * Handoff hooks (compile option `hooks`): what they return reaches the receiving model; a refusal,
 * a throw or a timeout never moves control and the model is told; a crash between the hook and the
 * move does not run the hook twice.
 */
import { describe, expect, it } from 'vitest';
import type { ToolMessage } from '@langchain/core/messages';
import { resumeThread, runTurn } from '../../runtime/turn.js';
import { openCheckpointer } from '../../store/checkpointer.js';
import { compileTree } from '../../graphs/compile.js';
import type { HandoffHook, HandoffHookContext } from '../../nodes/hooks.js';
import type { SwitchboardEvent } from '../../nodes/events.js';
import { compileExample, expectEveryCallAnswered, fakeOpenAIForFile, loadFaultsTree, newThread, viaFakeOpenAI } from '../helpers.js';

const server = fakeOpenAIForFile();

const toBilling = { toolCalls: [{ name: 'transfer_to_billing', arguments: { reason: 'charged twice' } }] };

function systemText(request: { messages: { role: string; content?: unknown }[] }): string {
  return String(request.messages.find((message) => message.role === 'system')?.content ?? '');
}

function toolAnswers(messages: { type: string }[]): string[] {
  return messages.filter((message) => message.type === 'tool').map((message) => String((message as ToolMessage).content));
}

describe('onHandoff', () => {
  it('gives the receiving model the fields the hook returns, with the move, payload and key it was told', async () => {
    const fake = await server;
    const seen: HandoffHookContext[] = [];
    const { graph } = await compileExample('support', {
      ...viaFakeOpenAI(fake),
      hooks: {
        onHandoff: {
          billing: (context) => {
            seen.push(context);
            return { fields: { customer_id: 'C-42', department: 'billing-eu' } };
          },
        },
      },
    });
    const { threadId } = newThread();
    fake.enqueue(toBilling, { content: 'I see the double charge.' });
    const result = await runTurn(graph, { threadId, message: 'I was charged twice', fields: { priority: 'low' } });
    expect(result).toMatchObject({ status: 'done', agent: 'billing', reply: 'I see the double charge.' });
    expect(result.state.fields).toMatchObject({ customer_id: 'C-42', department: 'billing-eu', priority: 'medium' });
    // What billing's model was sent: the hook's fields in its system prompt.
    const billingRequest = fake.requests[1]!;
    expect(systemText(billingRequest)).toContain('customer_id: "C-42"');
    expect(systemText(billingRequest)).toContain('department: "billing-eu"');
    expect(seen).toHaveLength(1);
    const context = seen[0]!;
    expect(context).toMatchObject({ from: 'triage', to: 'billing', kind: 'delegate', tool: 'transfer_to_billing', payload: { reason: 'charged twice', priority: 'medium' }, fields: { priority: 'low' }, threadId, turn: 1 });
    expect(context.idempotencyKey).toBe(`${threadId}:${context.toolCallId}`);
    expect(context.signal).toBeInstanceOf(AbortSignal);
  });

  it('never moves control when the hook refuses, and tells the model why', async () => {
    const fake = await server;
    const events: SwitchboardEvent[] = [];
    const { graph } = await compileExample('support', {
      ...viaFakeOpenAI(fake),
      observers: [(event) => events.push(event)],
      hooks: { onHandoff: () => ({ refuse: 'billing is closed on Sundays' }) },
    });
    const { threadId } = newThread();
    fake.enqueue({ toolCalls: [{ name: 'transfer_to_billing', arguments: { reason: 'sunday refund' } }] }, { content: 'Billing is closed today; I can note your case.' });
    const result = await runTurn(graph, { threadId, message: 'I was charged twice' });
    expect(result).toMatchObject({ status: 'done', agent: 'triage', reply: 'Billing is closed today; I can note your case.', handoffs: [] });
    expect(result.state.activeAgent).toBe('triage');
    expect(toolAnswers(result.state.messages)).toEqual([expect.stringMatching(/^Refused: the handoff to billing is not allowed: billing is closed on Sundays\./)]);
    // Triage's second call was sent the refusal.
    expect(fake.requests.at(-1)!.messages.find((message) => message.role === 'tool')?.content).toMatch(/billing is closed on Sundays/);
    // Billing's model was never called.
    expect(fake.requests.filter((request) => systemText(request).includes('sunday refund'))).toEqual([]);
    expect(events.filter((event) => event.type === 'handoff-accept')).toEqual([]);
    expect(events.find((event) => event.type === 'handoff-refuse')).toMatchObject({ code: 'HOOK_REFUSED', to: 'billing', tool: 'transfer_to_billing' });
    expectEveryCallAnswered(result.state.messages);
  });

  it('refuses the handoff when the hook throws, with a log record that quotes nothing the user wrote', async () => {
    const fake = await server;
    const { graph, logs } = await compileExample('support', {
      ...viaFakeOpenAI(fake),
      hooks: { onHandoff: () => { throw new Error('CRM down while looking up "I was charged twice"'); } },
    });
    const { threadId } = newThread();
    fake.enqueue(toBilling, { content: 'Let me help you here.' });
    const result = await runTurn(graph, { threadId, message: 'I was charged twice' });
    expect(result).toMatchObject({ status: 'done', agent: 'triage', handoffs: [] });
    expect(toolAnswers(result.state.messages)).toEqual([expect.stringMatching(/^Refused: the handoff to billing could not be checked right now \(the check failed\)/)]);
    const record = logs.records.find((entry) => entry.event === 'hook-fail');
    expect(record).toMatchObject({ hook: 'onHandoff', from: 'triage', to: 'billing', kind: 'threw', level: 40 });
    expect(logs.lines.join('\n')).not.toContain('charged twice');
  });

  it('refuses the handoff when the hook exceeds its time limit, and aborts its signal', async () => {
    const fake = await server;
    let aborted = false;
    const { graph } = await compileExample('support', {
      ...viaFakeOpenAI(fake),
      hooks: {
        timeoutMs: 30,
        onHandoff: ({ signal }) =>
          new Promise((resolve) => {
            signal.addEventListener('abort', () => {
              aborted = true;
              resolve({ fields: { department: 'too late' } });
            });
          }),
      },
    });
    const { threadId } = newThread();
    fake.enqueue(toBilling, { content: 'Let me help you here.' });
    const result = await runTurn(graph, { threadId, message: 'I was charged twice' });
    expect(result).toMatchObject({ status: 'done', agent: 'triage', handoffs: [] });
    expect(result.state.fields.department).toBeUndefined();
    expect(toolAnswers(result.state.messages)[0]).toMatch(/could not be checked right now \(the check took too long\)/);
    expect(aborted).toBe(true);
  });

  it("ends the turn with HOOK_FAILED when onError is 'fail-turn'", async () => {
    const fake = await server;
    const { graph } = await compileExample('support', {
      ...viaFakeOpenAI(fake),
      hooks: { onError: 'fail-turn', onHandoff: () => Promise.reject(new Error('boom')) },
    });
    const { threadId } = newThread();
    fake.enqueue(toBilling);
    const result = await runTurn(graph, { threadId, message: 'I was charged twice' });
    expect(result).toMatchObject({ status: 'error', error: { code: 'HOOK_FAILED' }, handoffs: [] });
    expect(result.error?.message).toMatch(/the handoff hook for billing failed: the hook threw Error: boom/);
    expect(result.state.activeAgent).toBe('triage');
    expectEveryCallAnswered(result.state.messages);
  });

  it('refuses fields the tree does not declare or of the wrong type, naming them', async () => {
    const fake = await server;
    const { graph } = await compileExample('support', {
      ...viaFakeOpenAI(fake),
      hooks: { onError: 'fail-turn', onHandoff: () => ({ fields: { plan: 'gold', priority: 'urgent' } }) },
    });
    const { threadId } = newThread();
    fake.enqueue(toBilling);
    const result = await runTurn(graph, { threadId, message: 'I was charged twice' });
    expect(result).toMatchObject({ status: 'error', error: { code: 'HOOK_FAILED' } });
    expect(result.error?.message).toMatch(/"plan" not declared under state:/);
    expect(result.error?.message).toMatch(/the tree's fields: priority, department, customer_id/);
  });

  it('runs hooks by target: another target goes without', async () => {
    const fake = await server;
    let calls = 0;
    const { graph } = await compileExample('support', { ...viaFakeOpenAI(fake), hooks: { onHandoff: { technical: () => void calls++ } } });
    fake.enqueue(toBilling, { content: 'Billing here.' });
    expect(await runTurn(graph, { ...newThread(), message: 'I was charged twice' })).toMatchObject({ agent: 'billing' });
    expect(calls).toBe(0);
  });

  it('refuses hooks named for an agent the tree does not have', async () => {
    await expect(compileExample('support', { model: 'offline', hooks: { onHandoff: { biling: () => undefined } } })).rejects.toMatchObject({
      code: 'INVALID_HOOKS',
      message: expect.stringMatching(/"biling", which is not an agent of the tree "support"/),
    });
  });
});

describe('onEscalation', () => {
  it('runs when a person is reached, and its fields are in the state the person sees', async () => {
    const fake = await server;
    const escalations: string[] = [];
    const handoffs: string[] = [];
    const { graph } = await compileExample('support', {
      ...viaFakeOpenAI(fake),
      hooks: {
        onEscalation: ({ to }) => {
          escalations.push(to);
          return { fields: { department: 'people' } };
        },
        onHandoff: ({ to }) => void handoffs.push(to),
      },
    });
    fake.enqueue(
      { toolCalls: [{ name: 'transfer_to_billing', arguments: { reason: 'dispute' } }] },
      { toolCalls: [{ name: 'escalate_to_manager', arguments: { reason: 'customer is angry' } }] },
      { toolCalls: [{ name: 'escalate_to_human', arguments: { reason: 'wants a person', summary: 'double charge' } }] },
    );
    const result = await runTurn(graph, { ...newThread(), message: 'I want a person now' });
    expect(result).toMatchObject({ status: 'waiting', waitingFor: { type: 'escalation', agent: 'human_agent' } });
    expect(escalations).toEqual(['human_agent']);
    expect(handoffs).toEqual(['billing', 'escalation_manager']);
    expect(result.state.fields.department).toBe('people');
  });
});

describe('moves no model chose', () => {
  const pingPong = [
    { toolCalls: [{ name: 'transfer_to_billing', arguments: { reason: '1' } }] },
    { toolCalls: [{ name: 'transfer_to_triage', arguments: { reason: '2' } }] },
    { toolCalls: [{ name: 'transfer_to_billing', arguments: { reason: '3' } }] },
  ];

  it("runs the escalation target's hook when a limit redirects the turn, with its fields, once", async () => {
    const fake = await server;
    const seen: HandoffHookContext[] = [];
    const { graph } = await compileExample('support', {
      ...viaFakeOpenAI(fake),
      hooks: {
        onHandoff: {
          escalation_manager: (context) => {
            seen.push(context);
            return { fields: { department: 'escalations' } };
          },
        },
      },
    });
    const { threadId } = newThread();
    fake.enqueue(...pingPong, { content: 'Escalation manager here.' });
    const result = await runTurn(graph, { threadId, message: 'loop' });
    expect(result).toMatchObject({ status: 'done', agent: 'escalation_manager' });
    expect(result.state.fields.department).toBe('escalations');
    expect(systemText(fake.requests.at(-1)!)).toContain('department: "escalations"');
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ from: 'triage', to: 'escalation_manager', kind: 'limit', tool: '', toolCallId: '', turn: 1, payload: { reason: expect.stringMatching(/^ping-pong/) } });
    expect(seen[0]!.idempotencyKey).toBe(`${threadId}:turn-1:limit:triage>escalation_manager`);
  });

  it('ends the turn with the limit when the hook refuses the redirect, saying so', async () => {
    const fake = await server;
    const events: SwitchboardEvent[] = [];
    const { graph } = await compileExample('support', {
      ...viaFakeOpenAI(fake),
      observers: [(event) => events.push(event)],
      hooks: { onHandoff: { escalation_manager: () => ({ refuse: 'managers are off today' }) } },
    });
    fake.enqueue(...pingPong);
    const result = await runTurn(graph, { ...newThread(), message: 'loop' });
    expect(result).toMatchObject({ status: 'error', agent: 'triage', error: { code: 'PING_PONG', message: expect.stringMatching(/the move to escalation_manager was refused by a hook: managers are off today$/) } });
    expect(result.state.handoffs.map((record) => record.to)).toEqual(['billing', 'triage']);
    expect(events.find((event) => event.type === 'handoff-refuse')).toMatchObject({ from: 'triage', to: 'escalation_manager', code: 'HOOK_REFUSED', tool: '' });
    expect(events.find((event) => event.type === 'limit-reach')).toMatchObject({ limit: 'PING_PONG', action: 'end' });
    expectEveryCallAnswered(result.state.messages);
  });

  it("runs a fallback's hook; a refused fallback leaves the failure with the agent, as with none", async () => {
    const fake = await server;
    const { tree, tools } = await loadFaultsTree();
    const compile = (hook: HandoffHook) => {
      const events: SwitchboardEvent[] = [];
      const graph = compileTree(tree, { tools, ...viaFakeOpenAI(fake), observers: [(event) => events.push(event)], hooks: { onHandoff: { backup_desk: hook } } });
      return { graph, events };
    };
    const kinds: string[] = [];
    const accepted = compile(({ kind }) => void kinds.push(kind));
    fake.enqueue(toBilling, { toolCalls: [{ name: 'explode', arguments: {} }] }, { content: 'Backup desk here.' });
    expect(await runTurn(accepted.graph, { ...newThread(), message: 'invoice?' })).toMatchObject({ status: 'done', agent: 'backup_desk', reply: 'Backup desk here.' });
    expect(kinds).toEqual(['fallback']);

    const refused = compile(() => ({ refuse: 'the backup desk is closed' }));
    fake.enqueue(toBilling, { toolCalls: [{ name: 'explode', arguments: {} }] }, { content: 'Billing here: the invoice service is down, try later.' });
    const result = await runTurn(refused.graph, { ...newThread(), message: 'invoice?' });
    expect(result).toMatchObject({ status: 'done', agent: 'billing', reply: 'Billing here: the invoice service is down, try later.' });
    expect(refused.events.filter((event) => event.type === 'fallback-start')).toEqual([]);
    expect(refused.events.find((event) => event.type === 'handoff-refuse')).toMatchObject({ from: 'billing', to: 'backup_desk', code: 'HOOK_REFUSED' });
    expectEveryCallAnswered(result.state.messages);
  });

  it("runs the receiving agent's hook when a person hands back; a refusal keeps the conversation with the person", async () => {
    const seen: HandoffHookContext[] = [];
    const events: SwitchboardEvent[] = [];
    let refuse = true;
    const { graph } = await compileExample('support', {
      model: 'offline',
      observers: [(event) => events.push(event)],
      hooks: {
        onHandoff: (context) => {
          if (context.kind !== 'resume') return undefined;
          seen.push(context);
          return refuse ? { refuse: 'that desk is closed' } : { fields: { department: 'callback' } };
        },
      },
    });
    const waitingOnce = async () => {
      const { threadId } = newThread();
      await runTurn(graph, { threadId, message: 'My webhook is broken' });
      const waiting = await runTurn(graph, { threadId, message: 'I need to speak to a real person' });
      expect(waiting.status).toBe('waiting');
      return { threadId, to: waiting.waitingFor!.handBackTargets[0]! };
    };
    const first = await waitingOnce();
    events.length = 0;
    const kept = await resumeThread(graph, first.threadId, { reply: 'I will look into it.', handBackTo: first.to });
    expect(kept).toMatchObject({ status: 'done', agent: 'human_agent', reply: 'I will look into it.' });
    expect(kept.state.activeAgent).toBe('human_agent');
    expect(events).toContainEqual(expect.objectContaining({ type: 'handoff-refuse', from: 'human_agent', to: first.to, code: 'HOOK_REFUSED' }));
    expect(events.filter((event) => event.type === 'handoff-accept')).toEqual([]);
    expect(events.find((event) => event.type === 'escalation-end')).toMatchObject({ agent: 'human_agent', handBackTo: undefined });
    expect(seen.map(({ from, to, kind, tool }) => ({ from, to, kind, tool }))).toEqual([{ from: 'human_agent', to: first.to, kind: 'resume', tool: '' }]);

    refuse = false;
    const second = await waitingOnce();
    const moved = await resumeThread(graph, second.threadId, { reply: 'Sorted; they take it from here.', handBackTo: second.to });
    expect(moved).toMatchObject({ status: 'done' });
    expect(moved.state.activeAgent).toBe(second.to);
    expect(moved.state.fields.department).toBe('callback');
    expect(seen).toHaveLength(2);
  });
});

describe('what a hook may return', () => {
  it('fails the hook (the move does not happen) for anything but nothing, { fields } or { refuse }', async () => {
    const fake = await server;
    for (const returned of [{ refused: 'suspended' }, { allowed: false }, ['no'], new Date(), new Map(), { refuse: 42 }, { fields: {}, refuse: 'no' }]) {
      const events: SwitchboardEvent[] = [];
      const { graph } = await compileExample('support', { ...viaFakeOpenAI(fake), observers: [(event) => events.push(event)], hooks: { onHandoff: { billing: () => returned as never } } });
      fake.enqueue(toBilling, { content: 'Triage here.' });
      const result = await runTurn(graph, { ...newThread(), message: 'I was charged twice' });
      expect(result, JSON.stringify(returned)).toMatchObject({ status: 'done', agent: 'triage' });
      expect(events.find((event) => event.type === 'handoff-refuse')).toMatchObject({ to: 'billing', code: 'HOOK_FAILED' });
    }
  });

  it('refuses hooks under the wrong name for their target: a person under onHandoff, an agent under onEscalation', async () => {
    await expect(compileExample('support', { model: 'offline', hooks: { onHandoff: { human_agent: () => ({ refuse: 'no' }) } } })).rejects.toMatchObject({
      code: 'INVALID_HOOKS',
      message: expect.stringMatching(/"human_agent" is a person; a move to a person runs onEscalation/),
    });
    await expect(compileExample('support', { model: 'offline', hooks: { onEscalation: { billing: () => undefined } } })).rejects.toMatchObject({
      code: 'INVALID_HOOKS',
      message: expect.stringMatching(/"billing" is an agent, not a person/),
    });
  });
});

describe('crash recovery', () => {
  it('does not run the hook twice when the store fails between the hook and the move, also in another worker (the store\'s ledger by default)', async () => {
    const fake = await server;
    const store = await openCheckpointer('memory');
    let runs = 0;
    let storeDown = false;
    let armed = true;
    // No hooks.ledger: outcomes go to the ledger openCheckpointer returned with the saver.
    const worker = () =>
      compileExample('support', {
        ...viaFakeOpenAI(fake),
        checkpointer: store.saver,
        threadLock: store.threadLock,
        hooks: {
          onHandoff: () => {
            runs += 1;
            return { fields: { customer_id: 'C-7' } };
          },
        },
      });
    const { graph } = await worker();
    // The store goes down right after the hook ran, until the turn has failed: the turn dies between
    // the hook and the checkpoint that moves control, as a crash would leave it.
    const saver = store.saver as unknown as Record<'put' | 'putWrites', (...args: unknown[]) => Promise<unknown>>;
    for (const method of ['put', 'putWrites'] as const) {
      const original = saver[method].bind(store.saver);
      saver[method] = async (...args: unknown[]) => {
        if (storeDown || (armed && runs === 1)) {
          storeDown = true;
          armed = false;
          throw Object.assign(new Error('Connection terminated unexpectedly'), { code: 'ECONNRESET' });
        }
        return original(...args);
      };
    }
    const { threadId } = newThread();
    fake.enqueue(toBilling);
    const failed = await runTurn(graph, { threadId, messageId: 'm-1', message: 'I was charged twice' }).catch((error: unknown) => error);
    expect(failed).toMatchObject({ name: 'StoreError', code: 'STORE_UNAVAILABLE', messageId: 'm-1' });
    expect(runs).toBe(1);
    storeDown = false;
    // The same message again: the turn finishes from its checkpoint; the hook's recorded outcome is
    // reused (its fields reach billing) and the hook does not run again.
    fake.enqueue({ content: 'Billing here, customer C-7.' });
    const other = (await worker()).graph;
    const second = await runTurn(other, { threadId, messageId: 'm-1', message: 'I was charged twice' });
    expect(second).toMatchObject({ status: 'done', agent: 'billing', reply: 'Billing here, customer C-7.' });
    expect(runs).toBe(1);
    expect(second.state.fields.customer_id).toBe('C-7');
    expect(systemText(fake.requests.at(-1)!)).toContain('customer_id: "C-7"');
    expect(await store.ledger.list('handoff-hook')).toHaveLength(1);
    expectEveryCallAnswered(second.state.messages);
    await store.close();
  });
});
