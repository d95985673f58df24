/**
 * Live conversations on a model the price table does not know (a local or a new model): its calls
 * count as $0 for want of a price, so the turn summaries, `switchboard stats` and the OpenTelemetry
 * cost name the model or leave the call out, instead of presenting the $0 as a real cost.
 */
import { describe, expect, it } from 'vitest';
import { AggregationTemporality, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import type { DataPoint } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { parseTree } from '../../config/load.js';
import { compileTree } from '../../graphs/compile.js';
import { formatStats } from '../../cli/commands/stats.js';
import { routingStats } from '../../runtime/stats.js';
import { getTurnSummaries } from '../../runtime/transcript.js';
import { runTurn } from '../../runtime/turn.js';
import { captureLogs } from '../../testing/capture-logs.js';
import { openTelemetryMetrics } from '../../tracing/metrics.js';
import { openTelemetryObserver } from '../../tracing/otel.js';
import { fakeOpenAIForFile, newThread, viaFakeOpenAI } from '../helpers.js';

const server = await fakeOpenAIForFile();

/** Triage on a priced model, billing on one with no price. */
const TREE = `version: 1
name: local-desk
root: triage
models:
  router: { provider: openai, name: gpt-4o-mini }
  local: { provider: openai, name: llama-3.1-8b-instruct }
defaults: { model: router }
agents:
  triage:
    description: Front desk.
    prompt: Route billing questions to billing.
    children: [billing]
  billing:
    description: Charges and refunds.
    prompt: You are the billing specialist.
    model: local
`;

/** Triage's call: 100 + 20 tokens on gpt-4o-mini ($0.15 / $0.60 per million). */
const TRIAGE_COST = (100 * 0.15 + 20 * 0.6) / 1e6;

/** A reader that collects on demand (no timers). */
class TestReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

/** One turn triage → billing on `tree`, observed by the metrics and the tracer. */
async function oneTurn(tree: string) {
  const reader = new TestReader({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  const metrics = openTelemetryMetrics({ meter: new MeterProvider({ readers: [reader] }).getMeter('test'), tree: 'local-desk' });
  const exporter = new InMemorySpanExporter();
  const tracer = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }).getTracer('test');
  const graph = compileTree(parseTree(tree, 'local-desk.yaml'), { ...viaFakeOpenAI(server), logger: captureLogs('warn').logger, observers: [metrics, openTelemetryObserver({ tracer })] });
  server.enqueue({ toolCalls: [{ name: 'transfer_to_billing', arguments: {} }] }, { content: 'I see both charges.', usage: { prompt_tokens: 5000, completion_tokens: 800 } });
  const { threadId } = newThread();
  const result = await runTurn(graph, { threadId, message: 'I was charged twice' });
  expect(result).toMatchObject({ status: 'done', agent: 'billing' });
  const { resourceMetrics } = await reader.collect();
  const costPoints = (resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics).find((metric) => metric.descriptor.name === 'switchboard.model.cost')?.dataPoints ?? []) as DataPoint<number>[];
  const chatSpans = exporter.getFinishedSpans().filter((span) => span.name.startsWith('chat '));
  return { graph, threadId, costPoints, chatSpans };
}

describe('stats of calls to a model with no price', () => {
  it('the turn summary and routingStats() name the model; switchboard stats says the cost leaves it out', async () => {
    const { graph, threadId } = await oneTurn(TREE);
    const [summary] = await getTurnSummaries(graph, threadId);
    expect(summary?.unpricedModels).toEqual(['llama-3.1-8b-instruct']);

    const stats = await routingStats(graph);
    expect(stats.cost.unpricedModels).toEqual(['llama-3.1-8b-instruct']);
    expect(stats.cost.totalUsd).toBeCloseTo(TRIAGE_COST, 12);
    expect(formatStats(stats)).toContain(
      "Cost leaves out llama-3.1-8b-instruct: no price is known for it. Add it to the tree's prices: (US dollars per million input and output tokens).",
    );
  });

  it('the OpenTelemetry cost counter and chat spans record no cost for the unpriced call', async () => {
    const { costPoints, chatSpans } = await oneTurn(TREE);
    expect(costPoints.map((point) => point.attributes['gen_ai.agent.name'])).toEqual(['triage']);
    expect(costPoints[0]?.value).toBeCloseTo(TRIAGE_COST, 12);
    const costs = Object.fromEntries(chatSpans.map((span) => [span.name, span.attributes['switchboard.usage.cost_usd']]));
    expect(costs).toEqual({ 'chat gpt-4o-mini': expect.closeTo(TRIAGE_COST, 12), 'chat llama-3.1-8b-instruct': undefined });
  });

  it('names none, and records every cost, when the tree prices its models', async () => {
    const priced = TREE.replace('defaults:', 'prices:\n  llama-3.1-8b-instruct: { input: 0.05, output: 0.08 }\ndefaults:');
    const { graph, threadId, costPoints } = await oneTurn(priced);
    const [summary] = await getTurnSummaries(graph, threadId);
    expect(summary).not.toHaveProperty('unpricedModels');
    const stats = await routingStats(graph);
    expect(stats.cost.unpricedModels).toEqual([]);
    expect(stats.cost.totalUsd).toBeCloseTo(TRIAGE_COST + (5000 * 0.05 + 800 * 0.08) / 1e6, 12);
    expect(formatStats(stats)).not.toContain('Cost leaves out');
    expect(costPoints.map((point) => point.attributes['gen_ai.agent.name']).sort()).toEqual(['billing', 'triage']);
  });
});
