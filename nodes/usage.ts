/**
 * Accounting for one model call: the turn's counters, and a usage record (tokens from the
 * provider's usage, latency, cost from the price table) attributed to the agent and the path. The
 * record is added to the turn's own usage (`turn.usage`), which the thread's usage takes when the
 * turn settles: a step writes its bookkeeping to one channel.
 */
import { usageOf } from '../models/messages.js';
import type { TreeRuntime } from './context.js';
import { costOf } from '../models/prices.js';
import { addUsage } from '../state/schema.js';
import type { Turn, Usage } from '../state/schema.js';
import type { ModelCallResult } from './model-call.js';
import { count, usageOf as usageRecord } from './turn.js';

export function accountUsage(runtime: TreeRuntime, agent: string, turn: Turn, result: ModelCallResult): { turn: Turn; usage: Usage } {
  const metadata = usageOf(result.message);
  const inputTokens = metadata?.input_tokens ?? 0;
  const outputTokens = metadata?.output_tokens ?? 0;
  const cost = costOf(result.modelId, inputTokens, outputTokens, runtime.prices);
  const usage = usageRecord(agent, turn, result.attempts, inputTokens, outputTokens, cost, Math.round(result.latencyMs));
  const counted = count(turn, agent, 'modelCalls', result.attempts);
  return { turn: { ...counted, usage: counted.usage ? addUsage(counted.usage, usage) : usage }, usage };
}
