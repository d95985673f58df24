/**
 * OpenTelemetry metrics for a tree's live conversations, through `@opentelemetry/api` only (the
 * app brings its MeterProvider and exporter): the routing figures of `switchboard stats` as
 * counters and histograms, beside the spans of {@link openTelemetryObserver}.
 *
 * Instruments (attributes in brackets; only names the tree chose — never what a user or model wrote):
 * - `switchboard.turns` [switchboard.tree, switchboard.turn.status, switchboard.turn.resumed]: turns that
 *   stopped — ended (done, error) or waiting for a person (an escalation, an approval gate); a turn that
 *   waited counts again, with `switchboard.turn.resumed=true`, when it stops after the person's reply or decision
 * - `switchboard.turn.duration` histogram, s [switchboard.tree, switchboard.turn.status, switchboard.turn.resumed]:
 *   a resumed turn is timed from the person's reply or decision (the wait for the person is no part of it)
 * - `switchboard.turn.handoffs` histogram: moves of control per turn, a person's reply turn (its hand-back) included [switchboard.tree]
 * - `switchboard.handoffs` [switchboard.tree, switchboard.handoff.from, .to, .kind]
 * - `switchboard.handoff.refusals` [switchboard.tree, switchboard.handoff.from, switchboard.handoff.refuse_code]
 * - `switchboard.escalations` [switchboard.tree, switchboard.handoff.from, .to, switchboard.escalation.target: person|agent]
 * - `switchboard.limits` [switchboard.tree, gen_ai.agent.name, switchboard.limit]; a ping-pong is `switchboard.limit=PING_PONG`
 * - `switchboard.fallbacks` [switchboard.tree, switchboard.fallback.type: agent|model, .from, .to]
 * - `switchboard.model.cost` counter, USD [switchboard.tree, gen_ai.agent.name, switchboard.path]: priced calls only (a
 *   model with no price adds nothing, rather than a $0 that reads as free; its tokens are in `gen_ai.client.token.usage`)
 * - `gen_ai.client.token.usage` histogram, {token} [gen_ai.operation.name, gen_ai.request.model, gen_ai.token.type, gen_ai.agent.name]
 * - `gen_ai.client.operation.duration` histogram, s [gen_ai.operation.name, gen_ai.request.model, error.type on failure]:
 *   one point per model a call went to (a model that failed before a fallback model answered has its own)
 * The two `gen_ai.client.*` histograms follow the GenAI semantic conventions' client metrics
 * (https://opentelemetry.io/docs/specs/semconv/gen-ai/gen-ai-metrics/).
 */
import { metrics } from '@opentelemetry/api';
import type { Attributes, Meter } from '@opentelemetry/api';
import type { EventObserver } from '../nodes/events.js';

/** A turn this process saw start or resume, until it stops. */
interface RunningTurn {
  /** Its turn-start, or the person's reply or decision that resumed it. */
  startedAt: number;
  moves: number;
  resumed?: true | undefined;
}

export interface OpenTelemetryMetricsOptions {
  /** The meter to use. Default: `metrics.getMeter('switchboard')` from the globally registered provider. */
  meter?: Meter | undefined;
  /** The tree's name, on every instrument as `switchboard.tree`. */
  tree: string;
  /** The tree's people (`kind: human` agents): a move to one counts as an escalation to a person. */
  humans?: Iterable<string> | undefined;
}

/** An observer recording routing metrics: give it to `compileTree(tree, { observers: [...] })`. */
export function openTelemetryMetrics(options: OpenTelemetryMetricsOptions): EventObserver {
  const meter = options.meter ?? metrics.getMeter('switchboard');
  const humans = new Set(options.humans ?? []);
  const tree = { 'switchboard.tree': options.tree };
  const turns = meter.createCounter('switchboard.turns', { description: 'User turns that ended', unit: '{turn}' });
  const turnDuration = meter.createHistogram('switchboard.turn.duration', { description: 'Wall-clock time of a turn', unit: 's' });
  const turnHandoffs = meter.createHistogram('switchboard.turn.handoffs', {
    description: 'Moves of control in one turn',
    unit: '{handoff}',
    advice: { explicitBucketBoundaries: [0, 1, 2, 3, 4, 6, 8, 12, 16] },
  });
  const handoffs = meter.createCounter('switchboard.handoffs', { description: 'Moves of control between agents', unit: '{handoff}' });
  const refusals = meter.createCounter('switchboard.handoff.refusals', { description: 'Handoffs refused in code', unit: '{handoff}' });
  const escalations = meter.createCounter('switchboard.escalations', { description: 'Escalations to a person or to another agent', unit: '{escalation}' });
  const limits = meter.createCounter('switchboard.limits', { description: 'Limits reached', unit: '{limit}' });
  const fallbacks = meter.createCounter('switchboard.fallbacks', { description: 'Agent and model fallbacks', unit: '{fallback}' });
  const cost = meter.createCounter('switchboard.model.cost', { description: 'Model cost by agent and path', unit: 'USD' });
  const tokens = meter.createHistogram('gen_ai.client.token.usage', {
    description: 'Number of input and output tokens used',
    unit: '{token}',
    advice: { explicitBucketBoundaries: [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864] },
  });
  const operationDuration = meter.createHistogram('gen_ai.client.operation.duration', {
    description: 'GenAI operation duration',
    unit: 's',
    advice: { explicitBucketBoundaries: [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92] },
  });
  // Each thread's running turn: when it started (or resumed) and its moves of control (a turn's events come in order on its thread).
  const running = new Map<string, RunningTurn>();
  const stopped = (threadId: string, status: string, durationMs: number | undefined) => {
    const turn = running.get(threadId);
    const attributes: Attributes = { ...tree, 'switchboard.turn.status': status, ...(turn?.resumed ? { 'switchboard.turn.resumed': true } : {}) };
    turns.add(1, attributes);
    if (durationMs !== undefined) turnDuration.record(durationMs / 1000, attributes);
    if (turn) turnHandoffs.record(turn.moves, tree);
    running.delete(threadId);
  };
  /** How long the running turn has run: since its start, or since the reply or decision that resumed it. */
  const sinceStart = (threadId: string, at: number) => {
    const turn = running.get(threadId);
    return turn ? at - turn.startedAt : undefined;
  };
  /** A person's reply or decision resumes the turn that waited (no turn-start): timed from here, its moves (a hand-back, the approved move) counted. */
  const resumed = (threadId: string, at: number) => {
    running.set(threadId, { startedAt: at, moves: running.get(threadId)?.moves ?? 0, resumed: true });
  };

  return (event, { threadId, at }) => {
    switch (event.type) {
      case 'turn-start':
        running.set(threadId, { startedAt: at, moves: 0 });
        return;
      case 'turn-end':
        // A resumed turn's own `durationMs` counts from its start, the hours it waited for a person included.
        stopped(threadId, event.status, running.get(threadId)?.resumed ? sinceStart(threadId, at) : event.durationMs);
        return;
      case 'escalation-start':
        // The turn stops here to wait for a person (no turn-end until the person replies).
        if (humans.has(event.to)) stopped(threadId, 'waiting', sinceStart(threadId, at));
        return;
      case 'approval-start':
        // Likewise until a person decides (a decision may come in another process: nothing is left running
        // here). A malformed decision pauses again, with no decision between: the turn already stopped.
        if (running.has(threadId)) stopped(threadId, 'waiting', sinceStart(threadId, at));
        return;
      case 'escalation-end':
        resumed(threadId, at);
        return;
      case 'approval-end':
        // A withdrawn request resumes nothing: the user's new message is a turn of its own.
        if (!event.withdrawn) resumed(threadId, at);
        return;
      case 'handoff-accept': {
        const turn = running.get(threadId);
        if (turn) turn.moves += 1;
        const move = { 'switchboard.handoff.from': event.from, 'switchboard.handoff.to': event.to };
        handoffs.add(1, { ...tree, ...move, 'switchboard.handoff.kind': event.kind });
        if (humans.has(event.to)) escalations.add(1, { ...tree, ...move, 'switchboard.escalation.target': 'person' });
        else if (event.kind === 'escalate' || event.kind === 'limit') escalations.add(1, { ...tree, ...move, 'switchboard.escalation.target': 'agent' });
        return;
      }
      case 'handoff-refuse':
        refusals.add(1, { ...tree, 'switchboard.handoff.from': event.from, 'switchboard.handoff.refuse_code': event.code });
        return;
      case 'limit-reach':
        limits.add(1, { ...tree, 'gen_ai.agent.name': event.agent, 'switchboard.limit': event.limit });
        return;
      case 'fallback-start':
        fallbacks.add(1, { ...tree, 'switchboard.fallback.type': 'agent', 'switchboard.fallback.from': event.from, 'switchboard.fallback.to': event.to });
        return;
      case 'model-fallback':
        fallbacks.add(1, { ...tree, 'switchboard.fallback.type': 'model', 'switchboard.fallback.from': event.from, 'switchboard.fallback.to': event.to });
        return;
      case 'usage':
        if (!event.unpriced) cost.add(event.usage.costUsd, { ...tree, 'gen_ai.agent.name': event.agent, 'switchboard.path': event.path });
        return;
      case 'model-call': {
        const call: Attributes = { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': event.model, 'gen_ai.agent.name': event.agent };
        operationDuration.record(event.durationMs / 1000, event.error ? { ...call, 'error.type': event.error.kind } : call);
        if (event.usage) {
          tokens.record(event.usage.inputTokens, { ...call, 'gen_ai.token.type': 'input' });
          tokens.record(event.usage.outputTokens, { ...call, 'gen_ai.token.type': 'output' });
        }
        return;
      }
      default:
        return;
    }
  };
}
