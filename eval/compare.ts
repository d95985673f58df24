/**
 * Two runs of one dataset (two versions of a tree) → the turns whose routing changed: the check to
 * run after a config edit.
 */
import type { CaseOutcome, TurnOutcome } from './outcome.js';
import { pathMatches } from './match.js';
import type { EvalReport } from './report.js';

/** How a turn's routing changed between the two runs. */
export interface RoutingChange {
  case: string;
  /** The turn's line in the dataset file. */
  line: number;
  /** 1-based turn of the case. */
  turn: number;
  message: string;
  /** The expected agent, when the turn is scored. */
  expected: string | undefined;
  /** `approval`: the agent a handoff waiting for a person's approval would move to, when the turn stopped for one. */
  before: { agent: string; path: string[]; approval?: string };
  after: { agent: string; path: string[]; approval?: string };
  /**
   * `fixed`: wrong before, right after; `broken`: right before, wrong after; `changed`: the routing
   * moved but the verdict did not (or the turn is not scored). Right means the agent (and the path,
   * when one is expected, and the wait for approval, when one was expected or met) matched.
   */
  verdict: 'fixed' | 'broken' | 'changed';
}

/** The two runs of a comparison and what changed between them. */
export interface EvalComparison {
  before: EvalReport;
  after: EvalReport;
  changes: RoutingChange[];
}

/**
 * Every turn whose answering agent, path or wait for approval differs between `before` (e.g. the
 * tree as committed) and `after` (the edited tree), matched by case id and turn, in dataset order.
 */
export function compareReports(before: EvalReport, after: EvalReport): RoutingChange[] {
  const earlier = new Map(before.results.map((outcome) => [outcome.id, outcome]));
  return after.results.flatMap((outcome) => {
    const baseline = earlier.get(outcome.id);
    return baseline ? compareCase(baseline, outcome) : [];
  });
}

function compareCase(before: CaseOutcome, after: CaseOutcome): RoutingChange[] {
  return after.turns.flatMap((turn, index) => {
    const old = before.turns[index];
    if (
      !old ||
      (old.actual.agent === turn.actual.agent && pathMatches(old.actual.path, turn.actual.path) && old.actual.approval === turn.actual.approval)
    )
      return [];
    const wasRight = routedRight(old);
    const isRight = routedRight(turn);
    return [
      {
        case: after.id,
        line: turn.line,
        turn: turn.turn,
        message: turn.message,
        expected: turn.expected?.agent,
        before: routingOf(old),
        after: routingOf(turn),
        verdict: wasRight === isRight || wasRight === undefined ? 'changed' : isRight ? 'fixed' : 'broken',
      },
    ];
  });
}

function routingOf(turn: TurnOutcome): RoutingChange['before'] {
  const { agent, path, approval } = turn.actual;
  return { agent, path, ...(approval === undefined ? {} : { approval }) };
}

/** Whether the routing matched the expectation; undefined for an unscored turn. */
function routedRight(turn: TurnOutcome): boolean | undefined {
  if (!turn.checks) return undefined;
  return turn.checks.agent && turn.checks.path !== false && turn.checks.approval !== false;
}
