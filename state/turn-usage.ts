/**
 * A running turn's model calls, kept small (see `CallUsage`), and the `Usage` made from them: by
 * agent, and by handoff path (`triage→billing`, the path when the call was made).
 */
import { roundUsd } from '../models/prices.js';
import { addUsage, emptyUsage } from './schema.js';
import type { CallUsage, Turn, Usage, UsageTotals } from './schema.js';

/** The calls with `added` counted in: an agent's calls at the same point of the path share one entry. */
export function addCalls(calls: readonly CallUsage[] | undefined, added: readonly CallUsage[]): CallUsage[] {
  const result = calls ? [...calls] : [];
  for (const call of added) {
    const index = result.findIndex(([agent, at]) => agent === call[0] && at === call[1]);
    const same = index === -1 ? undefined : result[index];
    if (!same) result.push(call);
    else result[index] = [same[0], same[1], same[2] + call[2], same[3] + call[3], same[4] + call[4], roundUsd(same[5] + call[5]), same[6] + call[6]];
  }
  return result;
}

export function totalsOf(call: CallUsage): UsageTotals {
  return { modelCalls: call[2], inputTokens: call[3], outputTokens: call[4], costUsd: call[5], latencyMs: call[6] };
}

/** The usage of `calls` made along `path`. */
export function usageOfCalls(calls: readonly CallUsage[], path: readonly string[]): Usage {
  let usage = emptyUsage();
  for (const call of calls) {
    const totals = totalsOf(call);
    usage = addUsage(usage, { total: totals, byAgent: { [call[0]]: totals }, byPath: { [path.slice(0, call[1]).join('→')]: totals } });
  }
  return roundedCosts(usage);
}

/** `usage` with every cost rounded (see {@link roundUsd}): for sums made with `addUsage`, which adds costs as they are. */
export function roundedCosts(usage: Usage): Usage {
  const round = (totals: UsageTotals): UsageTotals => ({ ...totals, costUsd: roundUsd(totals.costUsd) });
  const each = (byKey: Record<string, UsageTotals>) => Object.fromEntries(Object.entries(byKey).map(([key, totals]) => [key, round(totals)]));
  return { total: round(usage.total), byAgent: each(usage.byAgent), byPath: each(usage.byPath) };
}

/** A turn's usage so far (a running turn's; a settled turn's usage is in the thread's `usage`). */
export function usageOfTurn(turn: Turn): Usage | undefined {
  if (turn.calls?.length) return usageOfCalls(turn.calls, turn.path);
  return turn.usage;
}

/** Input and output tokens of the calls, all of them or one agent's. */
export function tokensOf(calls: readonly CallUsage[] | undefined, agent?: string): number {
  let tokens = 0;
  for (const call of calls ?? []) if (agent === undefined || call[0] === agent) tokens += call[3] + call[4];
  return tokens;
}

/**
 * The tokens a session has used so far, all of them and `agent`'s: the thread's settled turns
 * (`usages`: the thread's usage, and an unsettled earlier turn's), and this turn's calls.
 */
export function tokensUsed(usages: readonly (Usage | undefined)[], calls: readonly CallUsage[] | undefined, agent: string): { session: number; agent: number } {
  let session = tokensOf(calls);
  let mine = tokensOf(calls, agent);
  for (const usage of usages) {
    if (!usage) continue;
    session += usage.total.inputTokens + usage.total.outputTokens;
    mine += (usage.byAgent[agent]?.inputTokens ?? 0) + (usage.byAgent[agent]?.outputTokens ?? 0);
  }
  return { session, agent: mine };
}
