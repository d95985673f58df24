/**
 * Case outcomes → the report: the numbers a person reads in a terminal and CI reads as JSON.
 */
import type { JudgeReport } from './judge.js';
import { ERROR_AGENT } from './outcome.js';
import type { CaseOutcome, TurnOutcome } from './outcome.js';
import { percentile, routingMetrics, score } from './metrics.js';
import type { AgentScore, ConfusionMatrix, Score } from './metrics.js';
import { roundUsd } from '../models/prices.js';

/** A scored turn whose expectation did not hold, with what actually happened. */
export interface Mismatch {
  case: string;
  /** The turn's line in the dataset file. */
  line: number;
  /** 1-based turn of the case. */
  turn: number;
  message: string;
  /** Which expectations failed. */
  failed: ('agent' | 'path' | 'payload' | 'approval')[];
  expected: NonNullable<TurnOutcome['expected']>;
  /**
   * `approval` only when the turn stopped waiting for approval of a handoff (to that agent); `refused`
   * only when the runtime refused handoffs in the turn (e.g. arguments that were not valid JSON).
   */
  actual: Pick<TurnOutcome['actual'], 'agent' | 'path' | 'payload' | 'status' | 'error'> & {
    approval?: string | undefined;
    refused?: TurnOutcome['actual']['refused'] | undefined;
  };
}

/** Model calls, tokens (from the providers' usage) and cost in US dollars. */
export interface UsageSum {
  modelCalls: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
}

export interface TagScore extends Score {
  tag: string;
}

/** Everything an evaluation run measured. Plain data: `JSON.stringify` it as is. */
export interface EvalReport {
  tree: { name: string; file?: string };
  dataset: { name: string; file: string; cases: number; turns: number; scoredTurns: number };
  /** The provider model ids the tree's agents are configured with, fallbacks included (`offline` for the offline model). */
  models: string[];
  /** Those of `models` (and the judge's) with no price (neither built in nor in the tree's `prices:`): their calls count as $0, so the costs leave them out. */
  unpricedModels: string[];
  concurrency: number;
  /** Routing accuracy (the answering agent), as a number for CI: `routing.rate`, or null without scored turns. */
  accuracy: number | null;
  /** Scored turns answered by the expected agent. */
  routing: Score;
  /** Turns with an expected path whose actual path was exactly that. */
  path: Score;
  /** Turns with expected payload fields whose handoffs carried them. */
  payload: Score;
  /**
   * Turns that expected a wait for a person's approval, or stopped for one, where both held and named
   * the same handoff target (a wait nobody expected, or an expected wait that did not come, is wrong).
   */
  approval: Score;
  /** Cases whose every expectation held. */
  cases: Score;
  agents: AgentScore[];
  /** Rows: expected agent; columns: actual agent (`(error)` for failed turns). */
  confusion: ConfusionMatrix;
  /** Routing accuracy per case tag. */
  tags: TagScore[];
  mismatches: Mismatch[];
  /** The tree's model calls (the agents'); with `--judge`, the judge's apart and both together. */
  usage: {
    modelCalls: number;
    inputTokens: number;
    outputTokens: number;
    costUsd: number;
    /** Mean cost of a case (a session). */
    costPerCaseUsd: number;
    /** Wall-clock time of one turn (includes waiting for other cases' calls when run concurrently). */
    turnLatencyMs: { p50: number | null; p95: number | null; max: number | null };
    /** The judge's calls (see {@link attachJudge}). */
    judge?: UsageSum | undefined;
    /** The agents' and the judge's calls together: what the run cost. */
    total?: UsageSum | undefined;
  };
  /** Wall-clock time of the whole run. */
  durationMs: number;
  /** Every case, turn by turn. */
  results: CaseOutcome[];
  /** The rationale judge's grades of the handoffs' reasons (`switchboard eval --judge`). */
  judge?: JudgeReport | undefined;
}

export interface ReportContext {
  tree: EvalReport['tree'];
  dataset: { name: string; file: string };
  /** Agent names in tree order, to list agents the way the tree does. */
  agentOrder: readonly string[];
  models: string[];
  /** Models with no price (default: none). */
  unpricedModels?: string[] | undefined;
  concurrency: number;
  durationMs: number;
}

/** Computes the report of a run. */
export function buildReport(results: CaseOutcome[], context: ReportContext): EvalReport {
  const turns = results.flatMap((outcome) => outcome.turns.map((turn) => ({ outcome, turn })));
  const scored = turns.filter(({ turn }) => turn.expected && turn.checks);
  const metrics = routingMetrics(
    scored.map(({ turn }) => ({ expected: turn.expected?.agent as string, actual: turn.actual.agent })),
    context.agentOrder,
    ERROR_AGENT,
  );
  const withPath = scored.filter(({ turn }) => turn.checks?.path !== undefined);
  const withPayload = scored.filter(({ turn }) => turn.checks?.payload !== undefined);
  const withApproval = scored.filter(({ turn }) => turn.checks?.approval !== undefined);
  const tags = [...new Set(results.flatMap((outcome) => outcome.tags))].sort();
  const durations = turns.filter(({ turn }) => turn.actual.status !== 'skipped').map(({ turn }) => turn.durationMs);
  const totals = turns.reduce(
    (sum, { turn }) => ({
      modelCalls: sum.modelCalls + turn.usage.modelCalls,
      inputTokens: sum.inputTokens + turn.usage.inputTokens,
      outputTokens: sum.outputTokens + turn.usage.outputTokens,
      costUsd: roundUsd(sum.costUsd + turn.usage.costUsd),
    }),
    { modelCalls: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 },
  );
  return {
    tree: context.tree,
    dataset: { ...context.dataset, cases: results.length, turns: turns.length, scoredTurns: scored.length },
    models: context.models,
    unpricedModels: context.unpricedModels ?? [],
    concurrency: context.concurrency,
    accuracy: metrics.accuracy.rate,
    routing: metrics.accuracy,
    path: score(withPath.filter(({ turn }) => turn.checks?.path).length, withPath.length),
    payload: score(withPayload.filter(({ turn }) => turn.checks?.payload).length, withPayload.length),
    approval: score(withApproval.filter(({ turn }) => turn.checks?.approval).length, withApproval.length),
    cases: score(results.filter((outcome) => outcome.passed).length, results.length),
    agents: metrics.agents,
    confusion: metrics.confusion,
    tags: tags.map((tag) => {
      const tagged = scored.filter(({ outcome }) => outcome.tags.includes(tag));
      return { tag, ...score(tagged.filter(({ turn }) => turn.checks?.agent).length, tagged.length) };
    }),
    mismatches: scored.flatMap(({ outcome, turn }) => mismatchOf(outcome, turn)),
    usage: {
      ...totals,
      costPerCaseUsd: results.length === 0 ? 0 : roundUsd(totals.costUsd / results.length),
      turnLatencyMs: {
        p50: percentile(durations, 50),
        p95: percentile(durations, 95),
        max: durations.length === 0 ? null : Math.max(...durations),
      },
    },
    durationMs: Math.round(context.durationMs),
    results,
  };
}

/**
 * The report with the judge's grades, and its calls in the usage: apart (`usage.judge`, it grades the
 * run rather than being part of it) and in `usage.total`, so what the run cost is one number.
 */
export function attachJudge(report: EvalReport, judge: JudgeReport): EvalReport {
  const { modelCalls, inputTokens, outputTokens, costUsd } = judge.usage;
  const judgeUsage = { modelCalls, inputTokens, outputTokens, costUsd };
  const unpriced = judge.usage.priced || report.unpricedModels.includes(judge.model) ? [] : [judge.model];
  return {
    ...report,
    unpricedModels: [...report.unpricedModels, ...unpriced],
    usage: { ...report.usage, judge: judgeUsage, total: addUsage(report.usage, judgeUsage) },
    judge,
  };
}

function addUsage(a: UsageSum, b: UsageSum): UsageSum {
  return {
    modelCalls: a.modelCalls + b.modelCalls,
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    costUsd: roundUsd(a.costUsd + b.costUsd),
  };
}

function mismatchOf(outcome: CaseOutcome, turn: TurnOutcome): Mismatch[] {
  const checks = turn.checks;
  if (!checks || !turn.expected) return [];
  const failed = (['agent', 'path', 'payload', 'approval'] as const).filter((check) => checks[check] === false);
  if (failed.length === 0) return [];
  const { agent, path, payload, approval, refused, status, error } = turn.actual;
  return [
    {
      case: outcome.id,
      line: turn.line,
      turn: turn.turn,
      message: turn.message,
      failed,
      expected: turn.expected,
      actual: {
        agent,
        path,
        payload,
        ...(approval === undefined ? {} : { approval }),
        ...(refused.length > 0 ? { refused } : {}),
        status,
        ...(error ? { error } : {}),
      },
    },
  ];
}
