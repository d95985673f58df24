/**
 * A model call that falls back to the agent's next model: each model is credited with its own
 * attempts, times, tokens and failure — in the chat spans, the GenAI client metrics and the usage
 * events — never the answering model with the failures of the one before it.
 */
import { describe, expect, it } from 'vitest';
import { SpanStatusCode } from '@opentelemetry/api';
import { AggregationTemporality, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import type { DataPoint, Histogram } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { parseTree } from '../../config/load.js';
import { compileTree } from '../../graphs/compile.js';
import type { SwitchboardEvent } from '../../nodes/events.js';
import { streamTurn } from '../../runtime/turn.js';
import type { TurnResult } from '../../runtime/turn.js';
import type { FakeResponse } from '../../testing/fake-openai-server.js';
import { captureLogs } from '../../testing/capture-logs.js';
import { openTelemetryMetrics, openTelemetryObserver } from '../../tracing/index.js';
import { fakeOpenAIForFile, newThread, viaFakeOpenAI } from '../helpers.js';

const server = await fakeOpenAIForFile();

/** One agent on gpt-4o, with gpt-4o-mini as its model fallback; two retries a model. */
const TREE = `version: 1
name: fallback-desk
root: desk
retry: { attempts: 2, initialDelayMs: 1, maxDelayMs: 5 }
models:
  primary: { provider: openai, name: gpt-4o }
  backup: { provider: openai, name: gpt-4o-mini }
agents:
  desk:
    description: Front desk.
    prompt: Answer.
    model: [primary, backup]
`;

/** A reader that collects on demand (no timers). */
class TestReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

/** Each failed attempt of gpt-4o takes this long: its span must hold them, the mini's must not. */
const SLOW_FAILURE_MS = 40;
const failure: FakeResponse = { status: 500, delayMs: SLOW_FAILURE_MS };

/** One turn through the scripted answers, traced, metered and streamed. */
async function oneTurn(...answers: FakeResponse[]) {
  const exporter = new InMemorySpanExporter();
  const tracer = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }).getTracer('test');
  const reader = new TestReader({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  const meter = new MeterProvider({ readers: [reader] }).getMeter('test');
  const graph = compileTree(parseTree(TREE, 'fallback-desk.yaml'), {
    ...viaFakeOpenAI(server),
    sleep: async () => {},
    logger: captureLogs('warn').logger,
    observers: [openTelemetryObserver({ tracer }), openTelemetryMetrics({ meter, tree: 'fallback-desk' })],
  });
  server.enqueue(...answers);
  const events: SwitchboardEvent[] = [];
  const stream = streamTurn(graph, { threadId: newThread().threadId, message: 'hello' });
  let next = await stream.next();
  for (; !next.done; next = await stream.next()) events.push(next.value);
  const result: TurnResult = next.value;
  const chats = exporter
    .getFinishedSpans()
    .filter((span) => span.name.startsWith('chat '))
    .sort((a, b) => millis(a.startTime) - millis(b.startTime));
  const { resourceMetrics } = await reader.collect();
  const durations = (resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics).find((metric) => metric.descriptor.name === 'gen_ai.client.operation.duration')?.dataPoints ?? []) as DataPoint<Histogram>[];
  const usage = events.filter((event): event is Extract<SwitchboardEvent, { type: 'usage' }> => event.type === 'usage');
  return { result, chats, durations, usage };
}

const millis = ([seconds, nanos]: [number, number]) => seconds * 1000 + nanos / 1e6;
const lengthOf = (span: ReadableSpan) => millis(span.endTime) - millis(span.startTime);

describe('a model fallback in spans, metrics and usage', () => {
  it("gives the failed model a chat span of its own (its attempts, times and error) before the answering model's", async () => {
    const { result, chats, durations, usage } = await oneTurn(failure, failure, failure, { content: 'Hi from the backup.', usage: { prompt_tokens: 1000, completion_tokens: 100 } });
    expect(result).toMatchObject({ status: 'done', reply: 'Hi from the backup.' });
    expect(server.requests.map((request) => request.model)).toEqual(['gpt-4o', 'gpt-4o', 'gpt-4o', 'gpt-4o-mini']);

    const [primary, backup] = chats;
    expect(chats.map((span) => span.name)).toEqual(['chat gpt-4o', 'chat gpt-4o-mini']);
    expect(primary!.attributes).toMatchObject({ 'gen_ai.request.model': 'gpt-4o', 'switchboard.model.attempts': 3, 'error.type': 'server' });
    expect(primary!.attributes['gen_ai.usage.input_tokens']).toBeUndefined();
    expect(primary!.status.code).toBe(SpanStatusCode.ERROR);
    expect(backup!.attributes).toMatchObject({ 'gen_ai.request.model': 'gpt-4o-mini', 'switchboard.model.attempts': 1, 'gen_ai.usage.input_tokens': 1000, 'gen_ai.usage.output_tokens': 100 });
    expect(backup!.attributes['error.type']).toBeUndefined();
    expect(backup!.status.code).toBe(SpanStatusCode.UNSET);
    // Each span has its model's own times: the failures in gpt-4o's, the mini's call after them.
    expect(lengthOf(primary!)).toBeGreaterThanOrEqual(3 * SLOW_FAILURE_MS - 1);
    expect(millis(backup!.startTime)).toBeGreaterThanOrEqual(millis(primary!.endTime));

    // gen_ai.client.operation.duration: a point per model, the failure under gpt-4o with its error.type.
    const point = (model: string) => durations.find((found) => found.attributes['gen_ai.request.model'] === model)!;
    expect(durations.map((found) => [found.attributes['gen_ai.request.model'], found.attributes['error.type'], found.value.count])).toEqual([
      ['gpt-4o', 'server', 1],
      ['gpt-4o-mini', undefined, 1],
    ]);
    expect(point('gpt-4o').value.sum).toBeCloseTo(lengthOf(primary!) / 1000, 2);
    expect(point('gpt-4o-mini').value.sum).toBeCloseTo(lengthOf(backup!) / 1000, 2);

    // The usage events credit each model with its own calls; the turn's totals are unchanged.
    expect(usage.map((event) => [event.model, event.usage.modelCalls, event.usage.inputTokens, event.usage.outputTokens])).toEqual([
      ['gpt-4o', 3, 0, 0],
      ['gpt-4o-mini', 1, 1000, 100],
    ]);
    expect(result.usage.total).toMatchObject({ modelCalls: 4, inputTokens: 1000, outputTokens: 100 });
  });

  it('gives each model its own failed span when every model fails', async () => {
    const { result, chats, usage } = await oneTurn(failure, failure, failure, { status: 400, error: { message: 'bad request', type: 'invalid_request_error' } });
    expect(result.error?.code).toBe('MODEL_FAILED');
    expect(chats.map((span) => [span.name, span.attributes['switchboard.model.attempts'], span.attributes['error.type'], span.status.code])).toEqual([
      ['chat gpt-4o', 3, 'server', SpanStatusCode.ERROR],
      ['chat gpt-4o-mini', 1, 'rejected', SpanStatusCode.ERROR],
    ]);
    expect(usage.map((event) => [event.model, event.usage.modelCalls])).toEqual([
      ['gpt-4o', 3],
      ['gpt-4o-mini', 1],
    ]);
    expect(result.usage.total.modelCalls).toBe(4);
  });

  it("credits a helper's models the same way: the failed model's own span and usage, the answering model's own", async () => {
    const tree = `version: 1
name: helper-desk
root: desk
retry: { attempts: 2, initialDelayMs: 1, maxDelayMs: 5 }
models:
  primary: { provider: openai, name: gpt-4o }
  backup: { provider: openai, name: gpt-4o-mini }
agents:
  desk:
    description: Front desk.
    prompt: DESK answers with the lookup's help.
    model: backup
    helpers: [lookup]
  lookup:
    kind: helper
    description: Looks things up.
    prompt: LOOKUP answers.
    model: [primary, backup]
`;
    const exporter = new InMemorySpanExporter();
    const tracer = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }).getTracer('test');
    const graph = compileTree(parseTree(tree, 'helper-desk.yaml'), { ...viaFakeOpenAI(server), sleep: async () => {}, logger: captureLogs('warn').logger, observers: [openTelemetryObserver({ tracer })] });
    const answered = { prompt_tokens: 10, completion_tokens: 5 };
    server.enqueue({ toolCalls: [{ name: 'lookup', arguments: { request: 'the opening hours' } }], usage: answered }, failure, failure, failure, { content: 'Nine to five.', usage: { prompt_tokens: 300, completion_tokens: 30 } }, { content: 'We open at nine.', usage: answered });
    const events: SwitchboardEvent[] = [];
    const stream = streamTurn(graph, { threadId: newThread().threadId, message: 'when do you open?' });
    let next = await stream.next();
    for (; !next.done; next = await stream.next()) events.push(next.value);
    expect(next.value).toMatchObject({ status: 'done', reply: 'We open at nine.' });
    const usage = events.filter((event): event is Extract<SwitchboardEvent, { type: 'usage' }> => event.type === 'usage');
    expect(usage.map((event) => [event.agent, event.model, event.usage.modelCalls, event.usage.inputTokens])).toEqual([
      ['desk', 'gpt-4o-mini', 1, 10],
      ['lookup', 'gpt-4o', 3, 0],
      ['lookup', 'gpt-4o-mini', 1, 300],
      ['desk', 'gpt-4o-mini', 1, 10],
    ]);
    const chats = exporter.getFinishedSpans().filter((span) => span.name.startsWith('chat ') && span.attributes['gen_ai.agent.name'] === 'lookup');
    expect(chats.map((span) => [span.name, span.attributes['switchboard.model.attempts'], span.attributes['error.type']])).toEqual([
      ['chat gpt-4o', 3, 'server'],
      ['chat gpt-4o-mini', 1, undefined],
    ]);
  });
});
