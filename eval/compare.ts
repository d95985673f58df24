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
  before: { agent: string; path: string[] };
  after: { agent: string; path: string[] };
  /**
   * `fixed`: wrong before, right after; `broken`: right before, wrong after; `changed`: the routing
   * moved but the verdict did not (or the turn is not scored). Right means the agent (and the path,
   * when one is expected) matched.
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
 * Every turn whose answering agent or path differs between `before` (e.g. the tree as committed)
 * and `after` (the edited tree), matched by case id and turn, in dataset order.
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
    if (!old || (old.actual.agent === turn.actual.agent && pathMatches(old.actual.path, turn.actual.path))) return [];
    const wasRight = routedRight(old);
    const isRight = routedRight(turn);
    return [
      {
        case: after.id,
        line: turn.line,
        turn: turn.turn,
        message: turn.message,
        expected: turn.expected?.agent,
        before: { agent: old.actual.agent, path: old.actual.path },
        after: { agent: turn.actual.agent, path: turn.actual.path },
        verdict: wasRight === isRight || wasRight === undefined ? 'changed' : isRight ? 'fixed' : 'broken',
      },
    ];
  });
}

/** Whether the routing matched the expectation; undefined for an unscored turn. */
function routedRight(turn: TurnOutcome): boolean | undefined {
  if (!turn.checks) return undefined;
  return turn.checks.agent && turn.checks.path !== false;
}
