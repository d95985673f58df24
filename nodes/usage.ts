/**
 * Accounting for one model call: the turn's counters, and the call's usage (tokens from the
 * provider's usage, latency, cost from the price table) attributed to the agent and the path. The
 * call joins the turn's own calls (`turn.calls`), whose usage the thread's usage takes when the turn
 * settles: a step writes its bookkeeping to one channel.
 */
import type { BaseMessage } from '@langchain/core/messages';
import { textOf, usageOf } from '../models/messages.js';
import type { TreeRuntime } from './context.js';
import { costOf, priceOf } from '../models/prices.js';
import type { CallUsage, Turn, UsageTotals } from '../state/schema.js';
import { addCalls, totalsOf } from '../state/turn-usage.js';
import type { ModelCallResult } from './model-call.js';
import { count } from './turn.js';

/**
 * `unpriced`: no price is known for the model, so the call's cost is 0 for want of one (not a real
 * cost): the usage event says so, and the turn's summary and routing analytics name the model.
 * `estimated`: the provider sent no usage (an OpenAI-compatible server that ignores
 * `stream_options.include_usage`, say), so the tokens are estimated from the characters sent and
 * received (about four a token): counted as 0, a session would never reach `tokensPerSession`.
 */
export function accountUsage(
  runtime: TreeRuntime,
  agent: string,
  turn: Turn,
  result: ModelCallResult,
  input: readonly BaseMessage[] = [],
): { turn: Turn; call: CallUsage; usage: UsageTotals; unpriced: boolean; estimated: boolean } {
  const metadata = usageOf(result.message);
  const inputTokens = metadata ? (metadata.input_tokens ?? 0) : estimateTokens(input);
  const outputTokens = metadata ? (metadata.output_tokens ?? 0) : estimateTokens([result.message]);
  const cost = costOf(result.modelId, inputTokens, outputTokens, runtime.prices);
  // Made where the turn's path now ends (see `CallUsage`).
  const call: CallUsage = [agent, turn.path.length, result.attempts, inputTokens, outputTokens, cost, Math.round(result.latencyMs)];
  const counted = count(turn, agent, 'modelCalls', result.attempts);
  return { turn: { ...counted, calls: addCalls(counted.calls, [call]) }, call, usage: totalsOf(call), unpriced: priceOf(result.modelId, runtime.prices) === undefined, estimated: metadata === undefined };
}

/** Tokens estimated from characters (text and tool-call arguments), about four a token. */
function estimateTokens(messages: readonly BaseMessage[]): number {
  let chars = 0;
  for (const message of messages) {
    chars += textOf(message).length;
    for (const call of (message as { tool_calls?: { name: string; args: unknown }[] }).tool_calls ?? []) chars += call.name.length + JSON.stringify(call.args ?? {}).length;
  }
  return Math.ceil(chars / 4);
}
