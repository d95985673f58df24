import { describe, expect, it } from 'vitest';
import { SpanStatusCode } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { hashThreadId } from '../../nodes/events.js';
import { resumeThread, runTurn } from '../../runtime/turn.js';
import { openTelemetryObserver } from '../../tracing/index.js';
import type { OpenTelemetryObserverOptions } from '../../tracing/index.js';
import { parseTree } from '../../config/load.js';
import { compileTree } from '../../graphs/compile.js';
import { captureLogs } from '../../testing/capture-logs.js';
import { compileExample, fakeOpenAIForFile, newThread, viaFakeOpenAI } from '../helpers.js';

const server = await fakeOpenAIForFile();

/** A support tree traced into an in-memory exporter, as an app's SDK would. */
async function traced(options: OpenTelemetryObserverOptions = {}) {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const observer = openTelemetryObserver({ tracer: provider.getTracer('test'), ...options });
  const { graph } = await compileExample('support', { ...viaFakeOpenAI(server), observers: [observer] });
  return { graph, spans: () => exporter.getFinishedSpans() };
}

const named = (spans: ReadableSpan[], name: string) => spans.filter((span) => span.name === name);
const one = (spans: ReadableSpan[], name: string) => {
  const found = named(spans, name);
  expect(found.map((span) => span.name)).toEqual([name]);
  return found[0]!;
};
const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;
const idOf = (span: ReadableSpan) => span.spanContext().spanId;
const millis = ([seconds, nanos]: [number, number]) => seconds * 1000 + nanos / 1e6;

/** Every attribute value and event attribute value of every span, as text. */
function everythingRecorded(spans: ReadableSpan[]): string {
  return JSON.stringify(spans.map((span) => ({ name: span.name, attributes: span.attributes, events: span.events.map((event) => [event.name, event.attributes]), status: span.status })));
}

describe('openTelemetryObserver()', () => {
  it('traces a turn as GenAI spans: the workflow, each agent step, each model call with its tokens, each tool call, handoffs as events', async () => {
    const { graph, spans } = await traced();
    server.enqueue(
      { toolCalls: [{ name: 'transfer_to_billing', arguments: { reason: 'double charge on INV-1001', priority: 'high' } }], usage: { prompt_tokens: 111, completion_tokens: 11 } },
      { toolCalls: [{ name: 'lookup_invoice', arguments: { invoice_id: 'INV-1001' } }], usage: { prompt_tokens: 222, completion_tokens: 22 } },
      { content: 'Both charges of $49.99 are there; I will refund one.', usage: { prompt_tokens: 333, completion_tokens: 33 } },
    );
    const { threadId } = newThread();
    const result = await runTurn(graph, { threadId, message: 'I was charged twice, my email is jane.doe@example.com' });
    expect(result.reply).toBe('Both charges of $49.99 are there; I will refund one.');
    const all = spans();

    // One trace, rooted in the turn's workflow span.
    const root = one(all, 'invoke_workflow support');
    expect(parentOf(root)).toBeUndefined();
    expect(new Set(all.map((span) => span.spanContext().traceId)).size).toBe(1);
    expect(root.attributes).toMatchObject({
      'gen_ai.operation.name': 'invoke_workflow',
      'gen_ai.workflow.name': 'support',
      'gen_ai.conversation.id': threadId,
      'switchboard.turn.number': 1,
      'switchboard.turn.status': 'done',
      'switchboard.turn.agent': 'billing',
    });
    expect(root.status.code).toBe(SpanStatusCode.UNSET);

    // An agent span per step: triage's model step, billing's model step, its tool step, its answer.
    const steps = all.filter((span) => span.name.startsWith('invoke_agent ')).sort((a, b) => millis(a.startTime) - millis(b.startTime));
    expect(steps.map((span) => span.name)).toEqual(['invoke_agent triage', 'invoke_agent billing', 'invoke_agent billing', 'invoke_agent billing']);
    expect(steps.every((span) => parentOf(span) === idOf(root))).toBe(true);
    expect(steps[0]!.attributes).toMatchObject({ 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'triage', 'gen_ai.provider.name': 'openai', 'gen_ai.conversation.id': threadId });
    // Every step names its provider (Required on the span), billing's step that only runs its tool too.
    expect(steps.map((span) => span.attributes['gen_ai.provider.name'])).toEqual(['openai', 'openai', 'openai', 'openai']);

    // A chat span per model call, under its step, with the fake server's model and token counts.
    const chats = all.filter((span) => span.name.startsWith('chat ')).sort((a, b) => millis(a.startTime) - millis(b.startTime));
    expect(chats).toHaveLength(3);
    expect(chats.map((span) => span.name)).toEqual(server.requests.map((request) => `chat ${request.model}`));
    expect(chats.map((span) => [span.attributes['gen_ai.usage.input_tokens'], span.attributes['gen_ai.usage.output_tokens']])).toEqual([
      [111, 11],
      [222, 22],
      [333, 33],
    ]);
    expect(chats[0]!.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': server.requests[0]!.model,
      'gen_ai.response.model': server.requests[0]!.model,
      'gen_ai.agent.name': 'triage',
      'switchboard.model.attempts': 1,
    });
    expect(chats[2]!.attributes['gen_ai.response.finish_reasons']).toEqual(['stop']);
    expect(chats.map(parentOf)).toEqual([idOf(steps[0]!), idOf(steps[1]!), idOf(steps[3]!)]);
    for (const chat of chats) expect(millis(chat.endTime) - millis(chat.startTime)).toBeGreaterThanOrEqual(0);

    // The tool span, under the step that ran the tool.
    const tool = one(all, 'execute_tool lookup_invoice');
    expect(parentOf(tool)).toBe(idOf(steps[2]!));
    expect(tool.attributes).toMatchObject({ 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'lookup_invoice', 'gen_ai.agent.name': 'billing' });
    const messages = result.state.messages;
    const callId = messages.flatMap((message) => ('tool_calls' in message ? ((message.tool_calls as { id: string; name: string }[] | undefined) ?? []) : [])).find((call) => call.name === 'lookup_invoice')?.id;
    expect(tool.attributes['gen_ai.tool.call.id']).toBe(callId);
    expect(tool.status.code).toBe(SpanStatusCode.UNSET);

    // The handoff, as an event of triage's step.
    expect(steps[0]!.events.map((event) => [event.name, event.attributes])).toEqual([
      ['switchboard.handoff', { 'switchboard.handoff.from': 'triage', 'switchboard.handoff.to': 'billing', 'switchboard.handoff.kind': 'delegate', 'switchboard.handoff.tool': 'transfer_to_billing' }],
    ]);

    // Nothing the user, the model or the tool wrote.
    const recorded = everythingRecorded(all);
    for (const text of ['charged twice', 'jane.doe@example.com', 'double charge', 'Both charges', '$49.99', 'INV-1001']) expect(recorded).not.toContain(text);
  });

  it('marks a failed model call and its turn as errors, with the failure kind and turn code but not the provider message', async () => {
    const { graph, spans } = await traced();
    server.enqueue({ status: 400, error: { message: 'Your request mentions jane.doe@example.com', type: 'invalid_request_error' } });
    const result = await runTurn(graph, { threadId: newThread().threadId, message: 'hello, I am jane.doe@example.com' });
    expect(result.status).toBe('error');
    const all = spans();
    const chat = all.find((span) => span.name.startsWith('chat '))!;
    expect(chat.status).toEqual({ code: SpanStatusCode.ERROR, message: 'rejected' });
    expect(chat.attributes['error.type']).toBe('rejected');
    expect(chat.attributes['gen_ai.usage.input_tokens']).toBeUndefined();
    const root = one(all, 'invoke_workflow support');
    expect(root.status).toEqual({ code: SpanStatusCode.ERROR, message: 'MODEL_FAILED' });
    expect(root.attributes).toMatchObject({ 'error.type': 'MODEL_FAILED', 'switchboard.turn.status': 'error' });
    expect(everythingRecorded(all)).not.toContain('jane.doe@example.com');
  });

  it('ends a turn that waits for a person as waiting, and traces the answer as a linked turn with the hand-back', async () => {
    const { graph, spans } = await traced();
    const { threadId } = newThread();
    server.enqueue(
      { toolCalls: [{ name: 'transfer_to_billing', arguments: { reason: 'refund' } }] },
      { toolCalls: [{ name: 'escalate_to_manager', arguments: { reason: 'refund over policy' } }] },
      { toolCalls: [{ name: 'escalate_to_human', arguments: { reason: 'customer insists', summary: 'refund of $900' } }] },
    );
    const waiting = await runTurn(graph, { threadId, message: 'I want a $900 refund now or a person' });
    expect(waiting.status).toBe('waiting');
    const first = one(spans(), 'invoke_workflow support');
    expect(first.attributes).toMatchObject({ 'switchboard.turn.status': 'waiting', 'switchboard.turn.agent': 'human_agent' });
    const manager = spans().find((span) => span.name === 'invoke_agent escalation_manager')!;
    expect(manager.events.map((event) => [event.name, event.attributes?.['switchboard.handoff.to']])).toEqual([
      ['switchboard.handoff', 'human_agent'],
      ['switchboard.escalation.start', 'human_agent'],
    ]);
    expect(manager.events[0]!.attributes?.['switchboard.handoff.kind']).toBe('escalate');

    const answered = await resumeThread(graph, threadId, { reply: 'Refund approved.', handBackTo: 'billing' });
    expect(answered.status).toBe('done');
    const turns = named(spans(), 'invoke_workflow support');
    expect(turns).toHaveLength(2);
    const second = turns.find((span) => span !== first)!;
    expect(second.spanContext().traceId).not.toBe(first.spanContext().traceId);
    expect(second.links.map((link) => link.context.spanId)).toEqual([idOf(first)]);
    expect(second.attributes).toMatchObject({ 'switchboard.turn.number': 1, 'switchboard.turn.status': 'done', 'switchboard.turn.agent': 'human_agent', 'switchboard.turn.resumed': true });
    expect(second.events.map((event) => [event.name, event.attributes])).toEqual([
      ['switchboard.escalation.end', { 'gen_ai.agent.name': 'human_agent', 'switchboard.handoff.to': 'billing' }],
      ['switchboard.handoff', { 'switchboard.handoff.from': 'human_agent', 'switchboard.handoff.to': 'billing', 'switchboard.handoff.kind': 'resume' }],
    ]);
    const recorded = everythingRecorded(spans());
    for (const text of ['$900', 'refund over policy', 'customer insists', 'Refund approved']) expect(recorded).not.toContain(text);
  });

  it('records a refused handoff as an event with its code, leaving out a tool name the model invented', async () => {
    const { graph, spans } = await traced();
    server.enqueue({ toolCalls: [{ name: 'transfer_to_jane_doe', arguments: {} }] }, { content: 'Let me help.' });
    await runTurn(graph, { threadId: newThread().threadId, message: 'hi' });
    const triage = spans().find((span) => span.name === 'invoke_agent triage')!;
    expect(triage.events.map((event) => [event.name, event.attributes])).toEqual([['switchboard.handoff.refuse', { 'switchboard.handoff.from': 'triage', 'switchboard.handoff.code': 'UNKNOWN_TOOL' }]]);
    expect(everythingRecorded(spans())).not.toContain('jane_doe');
  });

  it("names the provider of a step that calls no model after its agent's model, where the observer saw none answer", () => {
    const exporter = new InMemorySpanExporter();
    const observer = openTelemetryObserver({ tracer: new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }).getTracer('test') });
    // A tool step (say, after the approval of its handoff) in a process that never saw the agent's model answer.
    const at = { threadId: 't-1', tree: 'support', at: Date.now() };
    observer({ type: 'step-start', agent: 'billing', turn: 1, model: 'offline' }, at);
    observer({ type: 'step-end', agent: 'billing', turn: 1, durationMs: 1 }, at);
    observer({ type: 'step-start', agent: 'triage', turn: 1, model: 'gpt-4o-mini' }, at);
    observer({ type: 'step-end', agent: 'triage', turn: 1, durationMs: 1 }, at);
    expect(exporter.getFinishedSpans().map((span) => [span.name, span.attributes['gen_ai.provider.name']])).toEqual([
      ['invoke_agent billing', 'switchboard.offline'],
      ['invoke_agent triage', 'openai'],
    ]);
  });

  it('leaves the tool out of a refusal of a move no model chose (a fallback a hook refused), in the trace and the logs', async () => {
    const exporter = new InMemorySpanExporter();
    const observer = openTelemetryObserver({ tracer: new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }).getTracer('test') });
    const logs = captureLogs('info');
    const tree = parseTree(
      `version: 1
name: desk
root: triage
retry: { attempts: 0 }
agents:
  triage: { description: Front desk., prompt: Answer., fallback: backup, escalate: [person] }
  backup: { description: Backup desk., prompt: Answer., escalate: [person] }
  person: { kind: human, description: A person. }
`,
      'desk.yaml',
    );
    const graph = compileTree(tree, { ...viaFakeOpenAI(server), logger: logs.logger, observers: [observer], hooks: { onHandoff: () => ({ refuse: 'the backup desk is closed' }) } });
    server.enqueue({ status: 500 });
    const result = await runTurn(graph, { threadId: newThread().threadId, message: 'hi' });
    expect(result.error?.code).toBe('MODEL_FAILED');
    const triage = exporter.getFinishedSpans().find((span) => span.name === 'invoke_agent triage')!;
    expect(triage.events.filter((event) => event.name === 'switchboard.handoff.refuse').map((event) => event.attributes)).toEqual([
      { 'switchboard.handoff.from': 'triage', 'switchboard.handoff.code': 'HOOK_REFUSED', 'switchboard.handoff.to': 'backup' },
    ]);
    const refusals = logs.records.filter((record) => record.event === 'handoff-refuse');
    expect(refusals).toEqual([expect.objectContaining({ from: 'triage', to: 'backup', code: 'HOOK_REFUSED' })]);
    expect(refusals[0]).not.toHaveProperty('tool');
  });

  it('writes the thread id hashed with the logs’ key when asked', async () => {
    const key = 'a-key-of-at-least-16-bytes';
    const { graph, spans } = await traced({ hashThreadIds: { key } });
    server.enqueue({ content: 'Hello.' });
    const threadId = 'whatsapp:+15551234567';
    await runTurn(graph, { threadId, message: 'hi' });
    const ids = new Set(spans().map((span) => span.attributes['gen_ai.conversation.id']).filter((id) => id !== undefined));
    expect([...ids]).toEqual([hashThreadId(threadId, key)]);
    expect(everythingRecorded(spans())).not.toContain('15551234567');
    expect(() => openTelemetryObserver({ hashThreadIds: { key: 'short' } })).toThrow(/at least 16 bytes \(got 5\)/);
  });

  it('records messages, tool arguments and results in the conventions’ format only with recordContent', async () => {
    const { graph, spans } = await traced({ recordContent: true });
    server.enqueue(
      { toolCalls: [{ name: 'transfer_to_billing', arguments: { reason: 'double charge' } }] },
      { toolCalls: [{ name: 'lookup_invoice', arguments: { invoice_id: 'INV-1001' } }] },
      { content: 'Both charges are there.' },
    );
    await runTurn(graph, { threadId: newThread().threadId, message: 'charged twice' });
    const all = spans();
    const chats = all.filter((span) => span.name.startsWith('chat ')).sort((a, b) => millis(a.startTime) - millis(b.startTime));
    const input = JSON.parse(chats[0]!.attributes['gen_ai.input.messages'] as string) as { role: string; parts: { type: string; content?: string }[] }[];
    expect(input.at(-1)).toEqual({ role: 'user', parts: [{ type: 'text', content: 'charged twice' }] });
    expect(input[0]!.role).toBe('system');
    expect(JSON.parse(chats[2]!.attributes['gen_ai.output.messages'] as string)).toEqual([{ role: 'assistant', parts: [{ type: 'text', content: 'Both charges are there.' }], finish_reason: 'stop' }]);
    const tool = one(all, 'execute_tool lookup_invoice');
    expect(JSON.parse(tool.attributes['gen_ai.tool.call.arguments'] as string)).toEqual({ invoice_id: 'INV-1001' });
    expect(tool.attributes['gen_ai.tool.call.result']).toContain('"invoice_id":"INV-1001"');
    const triage = all.find((span) => span.name === 'invoke_agent triage')!;
    expect(JSON.parse(triage.events[0]!.attributes!['switchboard.handoff.payload'] as string)).toMatchObject({ reason: 'double charge' });
  });
});
