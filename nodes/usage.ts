/**
 * Accounting for one model call: the turn's counters, and a usage record (tokens from the
 * provider's usage, latency, cost from the price table) attributed to the agent and the path.
 */
import { usageOf } from '../models/messages.js';
import type { TreeRuntime } from './context.js';
import { costOf } from '../models/prices.js';
import type { Turn, Usage } from '../state/schema.js';
import type { ModelCallResult } from './model-call.js';
import { count, usageOf as usageRecord } from './turn.js';

export function accountUsage(runtime: TreeRuntime, agent: string, turn: Turn, result: ModelCallResult): { turn: Turn; usage: Usage } {
  const metadata = usageOf(result.message);
  const inputTokens = metadata?.input_tokens ?? 0;
  const outputTokens = metadata?.output_tokens ?? 0;
  const cost = costOf(result.modelId, inputTokens, outputTokens, runtime.prices);
  return {
    turn: count(turn, agent, 'modelCalls', result.attempts),
    usage: usageRecord(agent, turn, result.attempts, inputTokens, outputTokens, cost, Math.round(result.latencyMs)),
  };
}
