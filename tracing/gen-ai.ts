/**
 * The OpenTelemetry GenAI semantic conventions Switchboard's spans follow: attribute names, operation
 * names, and the opt-in message format. Source: open-telemetry/semantic-conventions, docs/gen-ai
 * (gen-ai-spans.md: "Inference", "Execute tool span"; gen-ai-agent-spans.md: "Invoke agent internal
 * span", "Invoke workflow span"), status Development, as of 2026-05; the conventions have since moved
 * to open-telemetry/semantic-conventions-genai under the same names. Names of Switchboard's own
 * (turn numbers, handoffs, costs) live under `switchboard.*`.
 */
import type { AIMessage, BaseMessage } from '@langchain/core/messages';

/** `gen_ai.operation.name` values (the well-known list of both documents). */
export const OPERATION = {
  /** Inference span: "chat {gen_ai.request.model}", kind CLIENT. */
  chat: 'chat',
  /** Invoke agent internal span: "invoke_agent {gen_ai.agent.name}", kind INTERNAL. */
  invokeAgent: 'invoke_agent',
  /** Invoke workflow span: "invoke_workflow {gen_ai.workflow.name}", kind INTERNAL, for a process composed of several agents (a tree). */
  invokeWorkflow: 'invoke_workflow',
  /** Execute tool span: "execute_tool {gen_ai.tool.name}", kind INTERNAL. */
  executeTool: 'execute_tool',
} as const;

/** Attribute names of the conventions (registry: docs/registry/attributes/gen-ai.md, error.md). */
export const ATTRIBUTE = {
  operationName: 'gen_ai.operation.name',
  providerName: 'gen_ai.provider.name',
  conversationId: 'gen_ai.conversation.id',
  agentName: 'gen_ai.agent.name',
  agentDescription: 'gen_ai.agent.description',
  workflowName: 'gen_ai.workflow.name',
  requestModel: 'gen_ai.request.model',
  responseModel: 'gen_ai.response.model',
  responseId: 'gen_ai.response.id',
  responseFinishReasons: 'gen_ai.response.finish_reasons',
  inputTokens: 'gen_ai.usage.input_tokens',
  outputTokens: 'gen_ai.usage.output_tokens',
  toolName: 'gen_ai.tool.name',
  toolCallId: 'gen_ai.tool.call.id',
  toolType: 'gen_ai.tool.type',
  /** Opt-in (may hold sensitive data). */
  inputMessages: 'gen_ai.input.messages',
  /** Opt-in. */
  outputMessages: 'gen_ai.output.messages',
  /** Opt-in. */
  toolCallArguments: 'gen_ai.tool.call.arguments',
  /** Opt-in. */
  toolCallResult: 'gen_ai.tool.call.result',
  /** Stable (error.md): a low-cardinality class of the error. */
  errorType: 'error.type',
} as const;

/** Switchboard's own attributes and span events. */
export const SWITCHBOARD = {
  turnNumber: 'switchboard.turn.number',
  turnStatus: 'switchboard.turn.status',
  /** The agent that answered, or the person the turn waits for. */
  turnAgent: 'switchboard.turn.agent',
  turnResumed: 'switchboard.turn.resumed',
  attempts: 'switchboard.model.attempts',
  costUsd: 'switchboard.usage.cost_usd',
  handoffFrom: 'switchboard.handoff.from',
  handoffTo: 'switchboard.handoff.to',
  handoffKind: 'switchboard.handoff.kind',
  handoffTool: 'switchboard.handoff.tool',
  handoffCode: 'switchboard.handoff.code',
  /** Opt-in: the accepted payload, or the refusal's words for the model. */
  handoffPayload: 'switchboard.handoff.payload',
  handoffReason: 'switchboard.handoff.reason',
  /** Span event names. */
  handoffEvent: 'switchboard.handoff',
  handoffRefuseEvent: 'switchboard.handoff.refuse',
  escalationStartEvent: 'switchboard.escalation.start',
  escalationEndEvent: 'switchboard.escalation.end',
  approvalStartEvent: 'switchboard.approval.start',
  approvalEndEvent: 'switchboard.approval.end',
  /** On `switchboard.approval.end`: the person's decision, and whether nobody decided (the user wrote again first). */
  approvalApproved: 'switchboard.approval.approved',
  approvalWithdrawn: 'switchboard.approval.withdrawn',
  /** Opt-in: who decided, and why, as given with the decision. */
  approvalOperator: 'switchboard.approval.operator',
  approvalReason: 'switchboard.approval.reason',
  fallbackEvent: 'switchboard.fallback',
  modelFallbackEvent: 'switchboard.model.fallback',
  modelRetryEvent: 'switchboard.model.retry',
  limitEvent: 'switchboard.limit',
} as const;

/**
 * Messages in the conventions' input-messages form (gen-ai-input-messages.json): `{ role, parts }`
 * with `text`, `tool_call` and `tool_call_response` parts, as a JSON string (spans take no nested
 * values). Only written with `recordContent`.
 */
export function inputMessagesOf(messages: readonly BaseMessage[]): string {
  return JSON.stringify(messages.map(messageParts));
}

/** The response in the output-messages form (gen-ai-output-messages.json), as a JSON string. */
export function outputMessagesOf(message: AIMessage): string {
  const finishReason = finishReasonOf(message);
  return JSON.stringify([{ ...messageParts(message), ...(finishReason ? { finish_reason: finishReason } : {}) }]);
}

export function finishReasonOf(message: AIMessage): string | undefined {
  const reason = (message.response_metadata as { finish_reason?: unknown } | undefined)?.finish_reason;
  return typeof reason === 'string' ? reason : undefined;
}

const ROLES: Record<string, string> = { human: 'user', ai: 'assistant', system: 'system', tool: 'tool' };

function messageParts(message: BaseMessage): { role: string; parts: Record<string, unknown>[] } {
  const type = message.type;
  const parts: Record<string, unknown>[] = [];
  const text = typeof message.content === 'string' ? message.content : message.content.map((part) => ('text' in part && typeof part.text === 'string' ? part.text : '')).join('');
  if (type === 'tool') {
    parts.push({ type: 'tool_call_response', id: (message as { tool_call_id?: string }).tool_call_id, result: text });
  } else if (text !== '') {
    parts.push({ type: 'text', content: text });
  }
  for (const call of (message as AIMessage).tool_calls ?? []) parts.push({ type: 'tool_call', id: call.id, name: call.name, arguments: call.args });
  return { role: ROLES[type] ?? type, parts };
}
