/**
 * Accounting for one model call: the turn's counters, and the call's usage (tokens from the
 * provider's usage, latency, cost from the price table) attributed to the agent and the path. The
 * call joins the turn's own calls (`turn.calls`), whose usage the thread's usage takes when the turn
 * settles: a step writes its bookkeeping to one channel.
 */
import { usageOf } from '../models/messages.js';
import type { TreeRuntime } from './context.js';
import { costOf, priceOf } from '../models/prices.js';
import type { CallUsage, Turn, UsageTotals } from '../state/schema.js';
import { addCalls, totalsOf } from '../state/turn-usage.js';
import type { ModelCallResult } from './model-call.js';
import { count } from './turn.js';

/**
 * `unpriced`: no price is known for the model, so the call's cost is 0 for want of one (not a real
 * cost): the usage event says so, and the turn's summary and routing analytics name the model.
 */
export function accountUsage(runtime: TreeRuntime, agent: string, turn: Turn, result: ModelCallResult): { turn: Turn; call: CallUsage; usage: UsageTotals; unpriced: boolean } {
  const metadata = usageOf(result.message);
  const inputTokens = metadata?.input_tokens ?? 0;
  const outputTokens = metadata?.output_tokens ?? 0;
  const cost = costOf(result.modelId, inputTokens, outputTokens, runtime.prices);
  // Made where the turn's path now ends (see `CallUsage`).
  const call: CallUsage = [agent, turn.path.length, result.attempts, inputTokens, outputTokens, cost, Math.round(result.latencyMs)];
  const counted = count(turn, agent, 'modelCalls', result.attempts);
  return { turn: { ...counted, calls: addCalls(counted.calls, [call]) }, call, usage: totalsOf(call), unpriced: priceOf(result.modelId, runtime.prices) === undefined };
}
