/**
 * The arithmetic of a routing evaluation, on plain (expected, actual) pairs: accuracy, per-agent
 * precision and recall, the confusion matrix, and percentiles.
 */

/** A count of successes out of a total; `rate` is null when nothing was counted. */
export interface Score {
  correct: number;
  total: number;
  rate: number | null;
}

/** One agent's precision and recall. */
export interface AgentScore {
  agent: string;
  /** Scored turns that expected this agent. */
  expected: number;
  /** Scored turns this agent actually answered. */
  actual: number;
  /** Turns both expected and answered by this agent. */
  correct: number;
  /** correct / actual: of the turns it got, how many were its own. Null when it got none. */
  precision: number | null;
  /** correct / expected: of its own turns, how many it got. Null when none were expected. */
  recall: number | null;
}

/** Rows are expected agents, columns actual agents, both in `labels` order. */
export interface ConfusionMatrix {
  labels: string[];
  counts: number[][];
}

export interface RoutingMetrics {
  accuracy: Score;
  agents: AgentScore[];
  confusion: ConfusionMatrix;
}

/** `correct` out of `total`. */
export function score(correct: number, total: number): Score {
  return { correct, total, rate: total === 0 ? null : correct / total };
}

/**
 * Accuracy, per-agent precision and recall, and the confusion matrix of `pairs`.
 * @param order agent names in the order to list them (e.g. the tree's); others follow alphabetically.
 * @param errorLabel an actual label that is not an agent (a failed turn): a column of the matrix, never a row of `agents`.
 */
export function routingMetrics(
  pairs: readonly { expected: string; actual: string }[],
  order: readonly string[] = [],
  errorLabel?: string,
): RoutingMetrics {
  const seen = new Set(pairs.flatMap(({ expected, actual }) => [expected, actual]));
  const rank = (label: string) =>
    label === errorLabel ? Number.MAX_SAFE_INTEGER : order.includes(label) ? order.indexOf(label) : order.length;
  const labels = [...seen].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  const counts = labels.map(() => labels.map(() => 0));
  for (const { expected, actual } of pairs) {
    const row = counts[labels.indexOf(expected)] as number[];
    const column = labels.indexOf(actual);
    row[column] = (row[column] ?? 0) + 1;
  }

  const agents = labels
    .filter((label) => label !== errorLabel)
    .map((agent): AgentScore => {
      const index = labels.indexOf(agent);
      const correct = counts[index]?.[index] ?? 0;
      const expected = sum(counts[index] ?? []);
      const actual = sum(counts.map((row) => row[index] ?? 0));
      return {
        agent,
        expected,
        actual,
        correct,
        precision: actual === 0 ? null : correct / actual,
        recall: expected === 0 ? null : correct / expected,
      };
    });
  const correct = pairs.filter(({ expected, actual }) => expected === actual).length;
  return { accuracy: score(correct, pairs.length), agents, confusion: { labels, counts } };
}

/** The nearest-rank percentile (`p` in 0–100) of `values`; null for no values. */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1] as number;
}

function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}
