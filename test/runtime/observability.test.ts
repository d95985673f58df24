import { describe, expect, it } from 'vitest';
import { parseTree } from '../../config/load.js';
import { compileTree } from '../../graphs/compile.js';
import { call, ScriptedChatModel } from '../../models/scripted.js';
import type { SwitchboardEvent } from '../../nodes/events.js';
import { resumeThread, runTurn, streamResume, streamTurn } from '../../runtime/turn.js';
import type { TurnResult } from '../../runtime/turn.js';
import { captureLogs } from '../../testing/capture-logs.js';
import { createExampleTools } from '../../tools/examples.js';
import { compileExample, fakeOpenAIForFile, newThread, viaFakeOpenAI } from '../helpers.js';

const server = await fakeOpenAIForFile();

async function collect(stream: AsyncGenerator<SwitchboardEvent, TurnResult>): Promise<{ events: SwitchboardEvent[]; result: TurnResult }> {
  const events: SwitchboardEvent[] = [];
  let next = await stream.next();
  while (!next.done) {
    events.push(next.value);
    next = await stream.next();
  }
  return { events, result: next.value };
}

const kinds = (events: SwitchboardEvent[]) => events.filter((event) => event.type !== 'text-delta' && event.type !== 'usage').map((event) => event.type);

describe('streamTurn()', () => {
  it('streams the answering agent’s tokens tagged with the agent, and typed events across the handoff', async () => {
    const { graph } = await compileExample('support', viaFakeOpenAI(server));
    server.enqueue({ content: 'Let me get billing. ', toolCalls: [{ name: 'transfer_to_billing', arguments: { reason: 'double charge' } }] }, { content: 'I can see both charges of $99 in May.' });
    const { events, result } = await collect(streamTurn(graph, { threadId: newThread().threadId, message: 'charged twice' }));

    expect(kinds(events)).toEqual(['turn-start', 'message-end', 'handoff-request', 'handoff-accept', 'message-end', 'turn-end']);
    // What triage said beside its handoff is a message of its own: it ends before the handoff.
    expect(events.filter((event) => event.type === 'message-end')).toEqual([
      { type: 'message-end', agent: 'triage', text: 'Let me get billing. ' },
      { type: 'message-end', agent: 'billing', text: 'I can see both charges of $99 in May.' },
    ]);
    const deltas = events.filter((event): event is Extract<SwitchboardEvent, { type: 'text-delta' }> => event.type === 'text-delta');
    expect(deltas.filter((event) => event.agent === 'billing').map((event) => event.delta).join('')).toBe('I can see both charges of $99 in May.');
    expect(deltas.filter((event) => event.agent === 'triage').map((event) => event.delta).join('')).toBe('Let me get billing. ');
    expect(deltas.filter((event) => event.agent === 'billing').length).toBeGreaterThan(3);
    expect(events.find((event) => event.type === 'handoff-accept')).toEqual({ type: 'handoff-accept', from: 'triage', to: 'billing', kind: 'delegate', tool: 'transfer_to_billing', payload: { reason: 'double charge', priority: 'medium' } });
    expect(events.at(-1)).toMatchObject({ type: 'turn-end', turn: 1, agent: 'billing', status: 'done' });
    expect(result.reply).toBe('I can see both charges of $99 in May.');
  });

  it('emits tool calls and results, escalation, refusal, fallback and limit events', async () => {
    const tools = createExampleTools();
    const tree = parseTree(
      `
version: 1
name: events
root: front
escalation: boss
limits: { toolCallsPerTurn: 1 }
agents:
  front: { description: Front, prompt: Front., children: [worker], escalate: [boss] }
  worker: { description: Worker, prompt: Worker., tools: [lookup_invoice], fallback: spare }
  spare: { description: Spare, prompt: Spare., escalate: [person] }
  boss: { description: Boss, prompt: Boss., escalate: [person] }
  person: { kind: human, description: A person }
`,
      'events.yaml',
      { tools },
    );
    const graph = compileTree(tree, {
      tools,
      model: new ScriptedChatModel([
        call('transfer_to_worker'),
        { toolCalls: [{ name: 'lookup_invoice', args: { invoice_id: 'A' } }, { name: 'lookup_invoice', args: { invoice_id: 'B' } }, { name: 'transfer_to_nobody' }] },
        call('transfer_to_person'),
      ]),
    });
    const { events, result } = await collect(streamTurn(graph, { threadId: newThread().threadId, message: 'go' }));

    expect(kinds(events)).toEqual([
      'turn-start',
      'handoff-request',
      'handoff-accept',
      'tool-call',
      'tool-result',
      'handoff-refuse',
      'limit-reach',
      'handoff-accept',
      'handoff-request',
      'handoff-accept',
      'escalation-start',
    ]);
    expect(events.find((event) => event.type === 'limit-reach')).toEqual({ type: 'limit-reach', agent: 'worker', limit: 'TOOL_CALL_LIMIT', action: 'escalate', to: 'boss' });
    expect(result.status).toBe('waiting');

    // The person's reply is carried by Command.update (absent from LangGraph's "messages" mode): the event stream still has it.
    const resumed = await collect(streamResume(graph, result.threadId, { reply: 'Hello, Dana here.' }));
    expect(resumed.events.find((event) => event.type === 'message-end')).toEqual({ type: 'message-end', agent: 'person', text: 'Hello, Dana here.' });
    expect(resumed.result).toMatchObject({ reply: 'Hello, Dana here.', agent: 'person', status: 'done' });
  });
});

describe('usage, latency and cost', () => {
  it('attributes tokens and cost (from provider usage and the price table) to agents and handoff paths, per turn and per session', async () => {
    const { graph } = await compileExample('support', viaFakeOpenAI(server));
    const { threadId } = newThread();
    server.enqueue(
      { toolCalls: [{ name: 'transfer_to_billing', arguments: { reason: 'x' } }], usage: { prompt_tokens: 1000, completion_tokens: 100 } },
      { content: 'Billing answer.', usage: { prompt_tokens: 2000, completion_tokens: 200 } },
      { content: 'Second answer.', usage: { prompt_tokens: 3000, completion_tokens: 300 } },
    );
    const first = await runTurn(graph, { threadId, message: 'charged twice' });
    const second = await runTurn(graph, { threadId, message: 'and?' });

    // triage: gpt-4o-mini ($0.15 / $0.60 per million); billing: gpt-4o ($2.50 / $10).
    const triageCost = (1000 * 0.15 + 100 * 0.6) / 1e6;
    const billingFirst = (2000 * 2.5 + 200 * 10) / 1e6;
    const billingSecond = (3000 * 2.5 + 300 * 10) / 1e6;
    expect(first.usage.total).toMatchObject({ modelCalls: 2, inputTokens: 3000, outputTokens: 300 });
    expect(first.usage.total.costUsd).toBeCloseTo(triageCost + billingFirst, 10);
    expect(first.usage.byAgent.triage?.costUsd).toBeCloseTo(triageCost, 10);
    expect(Object.keys(first.usage.byPath)).toEqual(['triage', 'triage→billing']);
    expect(second.usage.total).toMatchObject({ modelCalls: 1, inputTokens: 3000, outputTokens: 300 });
    expect(second.usage.byPath).toEqual({ billing: expect.objectContaining({ inputTokens: 3000 }) });
    expect(second.sessionUsage.total).toMatchObject({ modelCalls: 3, inputTokens: 6000, outputTokens: 600 });
    expect(second.sessionUsage.total.costUsd).toBeCloseTo(triageCost + billingFirst + billingSecond, 10);
    expect(second.sessionUsage.byAgent.billing?.modelCalls).toBe(2);
    expect(second.sessionUsage.total.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it('takes prices from the tree over the defaults, and from code over the tree', async () => {
    const tools = createExampleTools();
    const text = (price: string) => `
version: 1
name: priced
root: desk
prices: { gpt-4o-mini: ${price} }
models: { small: { name: gpt-4o-mini } }
defaults: { model: small }
agents:
  desk: { description: Desk, prompt: Desk., escalate: [person] }
  person: { kind: human, description: Person }
`;
    const env = { OPENAI_API_KEY: 'sk', OPENAI_BASE_URL: server.url };
    server.enqueue({ content: 'a', usage: { prompt_tokens: 1_000_000, completion_tokens: 0 } }, { content: 'b', usage: { prompt_tokens: 1_000_000, completion_tokens: 0 } });
    const fromTree = compileTree(parseTree(text('{ input: 1, output: 2 }'), 't.yaml', { tools }), { tools, model: 'openai', env });
    const fromCode = compileTree(parseTree(text('{ input: 1, output: 2 }'), 't.yaml', { tools }), { tools, model: 'openai', env, prices: { 'gpt-4o-mini': { input: 7, output: 7 } } });
    expect((await runTurn(fromTree, { threadId: newThread().threadId, message: 'x' })).usage.total.costUsd).toBeCloseTo(1);
    expect((await runTurn(fromCode, { threadId: newThread().threadId, message: 'x' })).usage.total.costUsd).toBeCloseTo(7);
  });
});

describe('logs', () => {
  it('writes one record per turn start and end, handoff, tool call, escalation, fallback and limit, each with thread, agent, turn and time', async () => {
    const logs = captureLogs('info');
    const tools = createExampleTools();
    const tree = parseTree(
      `
version: 1
name: logs
root: front
escalation: boss
limits: { toolCallsPerTurn: 1 }
agents:
  front: { description: Front, prompt: Front., children: [worker] }
  worker: { description: Worker, prompt: Worker., tools: [lookup_invoice], fallback: spare }
  spare: { description: Spare, prompt: Spare., escalate: [person] }
  boss: { description: Boss, prompt: Boss., escalate: [person] }
  person: { kind: human, description: A person }
`,
      'logs.yaml',
      { tools },
    );
    const graph = compileTree(tree, {
      tools,
      logger: logs.logger,
      model: new ScriptedChatModel([call('transfer_to_worker'), new Error('boom'), call('transfer_to_person'), { toolCalls: [] }]),
    });
    const { threadId } = newThread();
    const result = await runTurn(graph, { threadId, message: 'go' });
    await resumeThread(graph, threadId, { reply: 'Person here.' });

    const events = logs.records.map((record) => record.event);
    for (const event of ['turn-start', 'handoff-accept', 'fallback-start', 'escalation-start', 'turn-end']) expect(events).toContain(event);
    expect(result.handoffs.map((record) => record.kind)).toEqual(['delegate', 'fallback', 'escalate']);
    for (const record of logs.records.filter((entry) => typeof entry.event === 'string' && entry.event !== 'usage')) {
      expect(record).toMatchObject({ thread_id: threadId, agent: expect.any(String), turn: 1, elapsedMs: expect.any(Number) });
    }
    const agents = new Set(logs.records.map((record) => record.agent));
    expect([...agents].sort()).toEqual(['front', 'person', 'spare', 'worker']);
  });
});
