/**
 * Running a dataset on a compiled tree: each case on its own fresh thread, cases concurrently up
 * to a limit, every turn through {@link runTurn} — the same path backend code takes, with whatever
 * model the graph was compiled with (offline or a real provider).
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { SwitchboardGraph } from '../graphs/compile.js';
import { runtimeOf } from '../graphs/compile.js';
import { SwitchboardError } from '../errors/switchboard-error.js';
import { runTurn } from '../runtime/turn.js';
import type { TurnResult } from '../runtime/turn.js';
import type { UsageTotals } from '../state/schema.js';
import { emptyTotals } from '../state/schema.js';
import { priceOf } from '../models/prices.js';
import type { Dataset } from './dataset.js';
import type { DatasetCase, NormalizedTurn } from './dataset-schema.js';
import { ERROR_AGENT } from './outcome.js';
import type { CaseFailure, CaseOutcome, RefusedHandoff, TurnOutcome } from './outcome.js';
import { mergePayloads, pathMatches, payloadMatches } from './match.js';
import { mapConcurrently } from './pool.js';
import { buildReport } from './report.js';
import type { EvalReport } from './report.js';

/** Cases in flight at once unless told otherwise. */
export const DEFAULT_CONCURRENCY = 4;

export interface RunEvalOptions {
  /** Cases in flight at once (default {@link DEFAULT_CONCURRENCY}). */
  concurrency?: number | undefined;
  /** Called when a case starts (its first turn is about to run). */
  onCaseStart?: ((testCase: DatasetCase) => void) | undefined;
  /** Called after each case, e.g. to move a progress bar. */
  onCaseEnd?: ((outcome: CaseOutcome, progress: { done: number; total: number }) => void) | undefined;
  /** Cancels the run: running turns are aborted, no further case starts, and `runEval` rejects with the abort reason. */
  signal?: AbortSignal | undefined;
  /** The tree file, for the report. */
  treeFile?: string | undefined;
  /** Prefix of the thread ids (default `eval-`). */
  threadPrefix?: string | undefined;
}

/**
 * Runs every case of `dataset` on `graph` and returns the report: routing accuracy, per-agent
 * precision and recall, the confusion matrix, mismatches, tokens, cost and latency.
 */
export async function runEval(graph: SwitchboardGraph, dataset: Dataset, options: RunEvalOptions = {}): Promise<EvalReport> {
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  const started = performance.now();
  let done = 0;
  const outcomes = await mapConcurrently(dataset.cases, concurrency, async (testCase) => {
    options.signal?.throwIfAborted();
    options.onCaseStart?.(testCase);
    const outcome = await runCase(graph, testCase, options);
    done += 1;
    options.onCaseEnd?.(outcome, { done, total: dataset.cases.length });
    return outcome;
  });
  options.signal?.throwIfAborted();
  const runtime = runtimeOf(graph);
  const models = [...new Set([...runtime.agents.values()].flatMap((agent) => agent.models.map((model) => model.id)))];
  return buildReport(outcomes, {
    tree: { name: runtime.tree.name, ...(options.treeFile ? { file: options.treeFile } : {}) },
    dataset: { name: dataset.name, file: dataset.file },
    agentOrder: [...runtime.agents.keys()],
    models,
    unpricedModels: models.filter((model) => priceOf(model, runtime.prices) === undefined),
    concurrency,
    durationMs: performance.now() - started,
  });
}

/**
 * Runs one case on a fresh thread. A turn that throws ends the case: its later turns are `skipped`
 * (a scored one counts as routed to {@link ERROR_AGENT}). A turn that ends with status `error` (a
 * model that failed, a limit that ended the turn) does not: the later turns run on, and are scored,
 * on a conversation that lacks its answer. Either way the case fails with the reason (`failure`),
 * whether or not the failed turn was scored.
 */
export async function runCase(
  graph: SwitchboardGraph,
  testCase: DatasetCase,
  options: Pick<RunEvalOptions, 'signal' | 'threadPrefix'> = {},
): Promise<CaseOutcome> {
  const threadId = `${options.threadPrefix ?? 'eval-'}${testCase.id}-${randomUUID().slice(0, 8)}`;
  const fields = Object.keys(testCase.fields).length > 0 ? testCase.fields : undefined;
  const turns: TurnOutcome[] = [];
  let failure: CaseFailure | undefined;
  let thrown: { code: string; message: string } | undefined;
  for (const [index, turn] of testCase.turns.entries()) {
    if (thrown) {
      turns.push(outcomeOf(testCase, index, turn, notRun('skipped', thrown), emptyTotals(), 0));
      continue;
    }
    const started = performance.now();
    try {
      const result = await runTurn(graph, { threadId, message: turn.message, fields, signal: options.signal });
      turns.push(outcomeOf(testCase, index, turn, actualOf(result, result.refused ?? []), result.usage.total, performance.now() - started));
      if (result.status === 'error') failure ??= { turn: index + 1, code: result.error?.code ?? 'TURN_FAILED', message: result.error?.message ?? 'the turn failed' };
    } catch (error) {
      thrown = { code: error instanceof SwitchboardError ? error.code : 'TURN_THREW', message: (error as Error).message ?? String(error) };
      failure ??= { turn: index + 1, ...thrown };
      turns.push(outcomeOf(testCase, index, turn, notRun('failed', thrown), emptyTotals(), performance.now() - started));
    }
  }
  const passed =
    failure === undefined &&
    turns.every(
      (outcome) =>
        !outcome.checks ||
        (outcome.checks.agent && outcome.checks.path !== false && outcome.checks.payload !== false && outcome.checks.approval !== false),
    );
  return { id: testCase.id, line: testCase.line, tags: testCase.tags, threadId, turns, ...(failure ? { failure } : {}), passed };
}

/** What a turn that threw, or was not run, did: nothing. */
function notRun(status: 'failed' | 'skipped', error: { code: string; message: string }): TurnOutcome['actual'] {
  return { agent: ERROR_AGENT, path: [], payload: {}, approval: undefined, handoffs: [], refused: [], status, error };
}

function actualOf(result: TurnResult, refused: RefusedHandoff[]): TurnOutcome['actual'] {
  const answered = result.status === 'done' || result.status === 'waiting';
  const handoffs = result.handoffs.map(({ from, to, kind, tool, payload }) => ({
    from,
    to,
    kind,
    ...(tool === undefined ? {} : { tool }),
    payload,
  }));
  // A handoff waiting for approval has not moved control, but the model chose it: its payload counts, last.
  const pending = result.waitingFor?.type === 'approval' ? result.waitingFor : undefined;
  return {
    agent: answered ? result.agent : ERROR_AGENT,
    path: pathOf(result),
    payload: mergePayloads(pending ? [...handoffs, { kind: pending.kind, payload: pending.payload }] : handoffs),
    approval: pending?.to,
    handoffs,
    refused,
    status: result.status,
    ...(result.error ? { error: result.error } : {}),
    ...(result.reply === undefined ? {} : { reply: result.reply }),
  };
}

/**
 * The agents that held control in the turn. A message written while a person is awaited opens a
 * turn that carries on the path that led to the person (the runtime keeps it: it says who the
 * person may hand back to), though nobody moved in it. A turn without a move was held by one agent.
 */
function pathOf(result: TurnResult): string[] {
  const path = result.state.turn.path;
  return result.handoffs.length === 0 ? path.slice(-1) : [...path];
}

function outcomeOf(
  testCase: DatasetCase,
  index: number,
  turn: NormalizedTurn,
  actual: TurnOutcome['actual'],
  usage: UsageTotals,
  durationMs: number,
): TurnOutcome {
  const expected = turn.expect;
  // A wait for approval is checked whenever one was expected or happened: an unexpected wait fails the turn.
  const checks = expected && {
    agent: actual.agent === expected.agent,
    ...(expected.path ? { path: pathMatches(expected.path, actual.path) } : {}),
    ...(expected.payload ? { payload: payloadMatches(expected.payload, actual.payload) } : {}),
    ...(expected.approval !== undefined || actual.approval !== undefined ? { approval: expected.approval === actual.approval } : {}),
  };
  return {
    turn: index + 1,
    line: testCase.turnLines[index] ?? testCase.line,
    message: turn.message,
    expected,
    actual,
    checks,
    usage,
    durationMs: Math.round(durationMs),
  };
}
