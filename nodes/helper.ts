/**
 * Helper agents, called as tools (the hybrid pattern): the calling agent keeps the conversation;
 * the helper sees only its own prompt and the request, may call its own function tools, and returns
 * text. Its model and tool calls count toward the turn's limits (and the helper's own `limits:`) and
 * its model calls toward the turn's usage, attributed to the helper.
 */
import { HumanMessage, SystemMessage, ToolMessage } from '@langchain/core/messages';
import type { BaseMessage, ToolCall } from '@langchain/core/messages';
import type { StructuredToolInterface } from '@langchain/core/tools';
import type { LangGraphRunnableConfig } from '@langchain/langgraph';
import { textOf } from '../models/messages.js';
import { currentFields } from './context.js';
import type { TreeRuntime } from './context.js';
import type { CallUsage, SwitchboardState, Turn } from '../state/schema.js';
import { runFunctionTool } from './function-tool.js';
import type { ToolRun } from './function-tool.js';
import { callModel, ModelCallFailure } from './model-call.js';
import type { ModelTry } from './model-call.js';
import { accountFailedModel, accountUsage, modelPartEvents } from './usage.js';
import { tokensUsed } from '../state/turn-usage.js';
import { agentCount, count, logFields, threadIdOf } from './turn.js';
import { emit } from './events.js';

/** A helper answers within this many model calls (tool rounds included). */
export const HELPER_MAX_MODEL_CALLS = 4;

export async function runHelper(
  runtime: TreeRuntime,
  helperName: string,
  request: string,
  state: Pick<SwitchboardState, 'fields' | 'usage'>,
  startTurn: Turn,
  outerCallId: string,
  config: LangGraphRunnableConfig,
): Promise<ToolRun> {
  const helper = runtime.agents.get(helperName);
  if (!helper) return { ok: false, content: `Error: no helper ${helperName}.` };
  let turn = startTurn;
  const logger = runtime.logger.child({ agent: helperName, thread_id: threadIdOf(config) });
  const calls: CallUsage[] = [];
  const messages: BaseMessage[] = [new SystemMessage(helper.spec.prompt ?? helper.spec.description), new HumanMessage(request)];
  const threadId = threadIdOf(config);
  let toolIndex = 0;
  // A helper's tool runs are events as an agent's are (streams, traces, turn summaries).
  const runHelperTool = async (tool: StructuredToolInterface, call: ToolCall, idempotencyKey: string): Promise<ToolRun> => {
    const started = performance.now();
    const toolCallId = call.id ?? '';
    emit(config, logger, { type: 'tool-call', agent: helperName, tool: call.name, toolCallId, args: call.args, idempotencyKey }, logFields(turn), runtime.observers);
    const outcome = await runFunctionTool(tool, helperName, call, currentFields(helper, state.fields), turn, config, runtime, idempotencyKey);
    const durationMs = Math.round(performance.now() - started);
    emit(config, logger, { type: 'tool-result', agent: helperName, tool: call.name, toolCallId, ok: outcome.ok, content: outcome.content, durationMs }, logFields(turn), runtime.observers);
    return outcome;
  };
  for (let round = 0; round < HELPER_MAX_MODEL_CALLS; round += 1) {
    // The tree's limits, and the helper's own (`limits:` on the helper).
    if (turn.modelCalls >= runtime.limits.modelCallsPerTurn || agentCount(turn, helperName, 'modelCalls') >= helper.limits.modelCallsPerTurn) {
      return { ok: false, content: `Refused: the limit of model calls in one turn is reached; ${helperName} did not answer.`, turn, calls };
    }
    const tokens = tokensUsed([state.usage], turn.calls, helperName);
    if (tokens.session >= runtime.limits.tokensPerSession || tokens.agent >= helper.limits.tokensPerSession) {
      return { ok: false, content: `Refused: the session's token limit is reached; ${helperName} did not answer.`, turn, calls };
    }
    let result;
    const input = [...messages];
    // Each model is credited with its own attempts, as an agent's are: a model that failed before
    // a fallback model answered has its own usage (no tokens) and model-call events.
    const onModelFailed = (tried: ModelTry, failure: ModelCallFailure) => {
      const accounted = accountFailedModel(runtime, helperName, turn, tried);
      turn = accounted.turn;
      calls.push(accounted.call);
      for (const event of modelPartEvents(runtime, helperName, accounted, { tried, input, failure })) emit(config, logger, event, logFields(turn), runtime.observers);
    };
    try {
      result = await callModel(runtime, helperName, helper.models, input, config, { stream: false, turn, onModelFailed });
    } catch (error) {
      const kind = error instanceof ModelCallFailure ? error.kind : 'rejected';
      return { ok: false, failed: true, content: `Error: ${helperName} failed (${kind}).`, turn, calls };
    }
    const accounted = accountUsage(runtime, helperName, turn, { ...result, attempts: result.answered.attempts }, input);
    turn = accounted.turn;
    calls.push(accounted.call);
    for (const event of modelPartEvents(runtime, helperName, accounted, { tried: result.answered, input, output: result.message })) emit(config, logger, event, logFields(turn), runtime.observers);
    const reply = result.message;
    messages.push(reply);
    const toolCalls = reply.tool_calls ?? [];
    if (toolCalls.length === 0) {
      // An empty answer is no answer: the calling model is told so (not handed an empty result to read as one).
      if (textOf(reply).trim() === '') return { ok: false, content: `Error: ${helperName} answered nothing. Ask it again with more detail, or go on without it.`, turn, calls };
      return { ok: true, content: textOf(reply), turn, calls };
    }
    for (const call of toolCalls) {
      const tool = helper.functionTools.get(call.name);
      const limited = turn.toolCalls >= runtime.limits.toolCallsPerTurn || agentCount(turn, helperName, 'toolCalls') >= helper.limits.toolCallsPerTurn;
      if (tool && !limited) turn = count(turn, helperName, 'toolCalls');
      const outcome = !tool
        ? { ok: false, content: `Refused: ${call.name} is not one of your tools (${[...helper.functionTools.keys()].join(', ') || 'none'}).` }
        : limited
          ? { ok: false, content: `Refused: the limit of tool calls in one turn is reached; ${call.name} was not run.` }
          : await runHelperTool(tool, call, `${threadId}:${outerCallId}:${toolIndex}`);
      toolIndex += 1;
      // A tool that did not answer in time ends the helper's work, and the turn (see answerToolCalls).
      if ('timedOut' in outcome && outcome.timedOut) return { ...outcome, content: `Error: ${helperName} could not finish: ${outcome.content.replace(/^Error: /, '')}`, turn, calls };
      messages.push(new ToolMessage({ content: outcome.content, tool_call_id: call.id ?? '', name: call.name, status: outcome.ok ? 'success' : 'error' }));
    }
  }
  return { ok: false, content: `Error: ${helperName} did not finish within ${HELPER_MAX_MODEL_CALLS} model calls.`, turn, calls };
}
