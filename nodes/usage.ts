/**
 * Accounting for one model call: the turn's counters, and the call's usage (tokens from the
 * provider's usage, latency, cost from the price table) attributed to the agent and the path. The
 * call joins the turn's own calls (`turn.calls`), whose usage the thread's usage takes when the turn
 * settles: a step writes its bookkeeping to one channel.
 */
import type { BaseMessage } from '@langchain/core/messages';
import { convertToOpenAITool } from '@langchain/core/utils/function_calling';
import { z } from 'zod';
import { cacheTokensOf, textOf, usageOf } from '../models/messages.js';
import { HelperRequestSchema } from './context.js';
import type { AgentRuntime, TreeRuntime } from './context.js';
import { costOf, priceOf } from '../models/prices.js';
import type { CallUsage, Turn, UsageTotals } from '../state/schema.js';
import { addCalls, totalsOf } from '../state/turn-usage.js';
import type { ModelCallFailure, ModelCallResult, ModelTry } from './model-call.js';
import type { SwitchboardEvent } from './events.js';
import { count, pathKey } from './turn.js';

export interface AccountedCall {
  turn: Turn;
  call: CallUsage;
  usage: UsageTotals;
  unpriced: boolean;
}

/**
 * `unpriced`: no price is known for the model, so the call's cost is 0 for want of one (not a real
 * cost): the usage event says so, and the turn's summary and routing analytics name the model.
 * `estimated`: the provider sent no usage (an OpenAI-compatible server that ignores
 * `stream_options.include_usage`, say), so the tokens are estimated from the characters sent and
 * received (about four a token), the tools' schemas included: counted as 0, a session would never
 * reach `tokensPerSession`. `result.attempts` are the model calls counted (the answering model's
 * own, when the models that failed before it are accounted by {@link accountFailedModel}).
 * The input tokens are all the provider counted, those its prompt cache served or stored among
 * them; only the cost tells them apart (at the price's cache rates, see `costOf`).
 */
export function accountUsage(
  runtime: TreeRuntime,
  agent: string,
  turn: Turn,
  result: Pick<ModelCallResult, 'message' | 'modelId' | 'latencyMs' | 'attempts'>,
  input: readonly BaseMessage[] = [],
): AccountedCall & { estimated: boolean } {
  const metadata = reportedUsage(result.message);
  const inputTokens = metadata ? (metadata.input_tokens ?? 0) : estimateTokens(input, toolSchemaChars(runtime, agent));
  const outputTokens = metadata ? (metadata.output_tokens ?? 0) : estimateTokens([result.message]);
  // Input tokens the prompt cache served or stored cost less (or more) than the others: see `costOf`.
  const cost = costOf(result.modelId, inputTokens, outputTokens, runtime.prices, metadata ? cacheTokensOf(metadata) : undefined);
  // Made where the turn's path now ends (see `CallUsage`).
  const call: CallUsage = [agent, turn.path.length, result.attempts, inputTokens, outputTokens, cost, Math.round(result.latencyMs)];
  const counted = count(turn, agent, 'modelCalls', result.attempts);
  return { turn: { ...counted, calls: addCalls(counted.calls, [call]) }, call, usage: totalsOf(call), unpriced: priceOf(result.modelId, runtime.prices) === undefined, estimated: metadata === undefined };
}

/**
 * A model whose every attempt failed: its attempts count as model calls with no tokens (the
 * provider answered none), credited to that model, not to the fallback model that may answer next.
 */
export function accountFailedModel(runtime: TreeRuntime, agent: string, turn: Turn, tried: ModelTry): AccountedCall {
  const call: CallUsage = [agent, turn.path.length, tried.attempts, 0, 0, 0, Math.round(tried.durationMs)];
  const counted = count(turn, agent, 'modelCalls', tried.attempts);
  return { turn: { ...counted, calls: addCalls(counted.calls, [call]) }, call, usage: totalsOf(call), unpriced: priceOf(tried.modelId, runtime.prices) === undefined };
}

/**
 * The events of one model's part of a call, accounted (an agent's or a helper's): its `usage`
 * event, and its `model-call` event when observers listen (that one carries the whole input).
 * `part.output` is the answer; `part.failure` the failure of a model whose every attempt failed.
 */
export function modelPartEvents(
  runtime: TreeRuntime,
  agent: string,
  accounted: AccountedCall & { estimated?: boolean },
  part: { tried: ModelTry; input: readonly BaseMessage[]; output?: ModelCallResult['message']; failure?: ModelCallFailure },
): SwitchboardEvent[] {
  const { turn, unpriced, estimated } = accounted;
  // An unpriced model's failure is no $0 cost either (the cost counter leaves it out).
  const flags = { ...(unpriced ? { unpriced: true as const } : {}), ...(estimated ? { estimated: true as const } : {}) };
  const model = part.tried.modelId;
  const events: SwitchboardEvent[] = [{ type: 'usage', agent, model, path: pathKey(turn), usage: accounted.usage, ...flags }];
  if (runtime.observers.length === 0) return events;
  const { attempts, startedAt, durationMs } = part.tried;
  const outcome = part.failure
    ? { output: undefined, error: { kind: part.failure.kind, message: part.failure.message }, usage: undefined }
    : { output: part.output, usage: accounted.usage };
  events.push({ type: 'model-call', agent, model, turn: turn.number, input: part.input, ...outcome, ...flags, attempts, startedAt, durationMs });
  return events;
}

/**
 * The provider's usage, if it reported any. LangChain's OpenAI client gives a reply that came
 * without usage an empty `usage_metadata` when it was not streamed (`runTurn` with no listener):
 * no tokens at all is no usage, and is estimated like a stream's missing one.
 */
function reportedUsage(message: ModelCallResult['message']): ReturnType<typeof usageOf> {
  const metadata = usageOf(message);
  return metadata && (metadata.input_tokens ?? 0) + (metadata.output_tokens ?? 0) > 0 ? metadata : undefined;
}

/** Tokens estimated from characters (text and tool-call arguments, and `extraChars`), about four a token. */
function estimateTokens(messages: readonly BaseMessage[], extraChars = 0): number {
  let chars = extraChars;
  for (const message of messages) {
    chars += textOf(message).length;
    for (const call of (message as { tool_calls?: { name: string; args: unknown }[] }).tool_calls ?? []) chars += call.name.length + JSON.stringify(call.args ?? {}).length;
  }
  return Math.ceil(chars / 4);
}

const schemaChars = new WeakMap<AgentRuntime, number>();

/**
 * About the characters of the tools an agent's models are bound to (each tool's name, description
 * and JSON schema), which every request carries: often more than the prompt. Counted for every
 * tool of the agent, a handoff hidden by its condition included (an estimate errs high, never
 * letting a session pass its budget unseen). Computed once an agent.
 */
function toolSchemaChars(runtime: TreeRuntime, name: string): number {
  const agent = runtime.agents.get(name);
  if (!agent) return 0;
  let chars = schemaChars.get(agent);
  if (chars === undefined) {
    // A handoff's or a helper's description is its target's (see nodes/context.ts).
    const described = (target: string) => {
      const spec = runtime.tree.agents[target];
      return (spec?.handoff?.description ?? spec?.description ?? '').length;
    };
    chars = 0;
    for (const tool of agent.functionTools.values()) chars += JSON.stringify(convertToOpenAITool(tool)).length;
    for (const [tool, handoff] of agent.handoffs) chars += tool.length + described(handoff.to) + jsonSchemaChars(handoff.payload);
    for (const [tool, helper] of agent.helpers) chars += tool.length + described(helper) + jsonSchemaChars(HelperRequestSchema);
    schemaChars.set(agent, chars);
  }
  return chars;
}

function jsonSchemaChars(schema: z.ZodType): number {
  return JSON.stringify(z.toJSONSchema(schema, { target: 'draft-07', io: 'input', unrepresentable: 'any' })).length;
}
