/**
 * Answering the tool calls of one model response. Every call gets exactly one ToolMessage:
 * function tools and helpers run (in order); the first valid handoff is kept for last (a handoff is
 * the last action of a response); another agent's tool, an unknown tool, invalid arguments or
 * malformed JSON are refused with a ToolMessage that says why and what is allowed. A second handoff
 * is refused too, once the first is done or refused (see {@link LaterHandoff}).
 */
import { randomUUID } from 'node:crypto';
import { ToolMessage } from '@langchain/core/messages';
import type { AIMessage, InvalidToolCall, ToolCall } from '@langchain/core/messages';
import type { StructuredToolInterface } from '@langchain/core/tools';
import type { LangGraphRunnableConfig } from '@langchain/langgraph';
import type { z } from 'zod';
import { currentFields, HelperRequestSchema } from './context.js';
import type { AgentRuntime, HandoffTarget, TreeRuntime } from './context.js';
import { emit } from './events.js';
import type { HandoffRefuseCode } from './events.js';
import type { CallUsage, SwitchboardState, Turn } from '../state/schema.js';
import { runFunctionTool } from './function-tool.js';
import { runHelper } from './helper.js';
import { agentCount, count, logFields, threadIdOf } from './turn.js';
import { hiddenHandoffs } from './conditions.js';
import { jsonKindOf } from '../models/reply-check.js';

/**
 * The answer to a tool call, with its own id, made here: LangGraph's reducer gives a message without
 * one a new id each time it applies the write, so a step's answers saved before a crash would be new
 * messages at every read (and twice in the journal).
 */
export function toolAnswer(call: { id?: string | undefined; name: string }, content: string, status?: 'success' | 'error'): ToolMessage {
  return new ToolMessage({ content, tool_call_id: call.id ?? '', name: call.name, ...(status ? { status } : {}), id: randomUUID() });
}

export interface ChosenHandoff {
  target: HandoffTarget;
  payload: Record<string, unknown>;
  call: ToolCall;
}

/**
 * A handoff called after the chosen one: refused (SECOND_HANDOFF) by the agent step once the chosen
 * one is done or refused, so the stream and the thread show the first handoff's outcome first.
 */
export interface LaterHandoff {
  call: ToolCall;
  to: string;
  /** The refusal the model is told. */
  reason: string;
}

export interface ToolStep {
  messages: ToolMessage[];
  handoff?: ChosenHandoff;
  /** Handoffs after the chosen one, in order: not answered yet (see {@link LaterHandoff}). */
  laterHandoffs?: LaterHandoff[];
  /** A function tool that threw (not a refusal): the agent's fallback may take over. */
  toolFailure?: { tool: string; message: string };
  /** A function tool that did not answer in time: the turn ends (whether it took effect is not known). */
  toolTimeout?: { tool: string; message: string };
  /** The tool-call ceiling was crossed (the calls past it were refused). */
  limitHit?: boolean;
  turn: Turn;
  /** The model calls of the helpers the step ran. */
  calls: CallUsage[];
}

/** Whether the response calls a tool that may have side effects (so it must be checkpointed first). */
export function needsExecution(agent: AgentRuntime, message: AIMessage): boolean {
  const invalid = new Set((message.invalid_tool_calls ?? []).map((call) => call.id));
  return (message.tool_calls ?? []).some((call) => !invalid.has(call.id) && (agent.functionTools.has(call.name) || agent.helpers.has(call.name)));
}

/** The calls of `message` that no ToolMessage in `messages` answers yet. */
export function unansweredCalls(message: AIMessage, answered: ReadonlySet<string>): ToolCall[] {
  return (message.tool_calls ?? []).filter((call) => call.id !== undefined && !answered.has(call.id));
}

export async function answerToolCalls(
  runtime: TreeRuntime,
  agent: AgentRuntime,
  state: SwitchboardState,
  message: AIMessage,
  startTurn: Turn,
  config: LangGraphRunnableConfig,
): Promise<ToolStep> {
  const logger = runtime.logger.child({ agent: agent.name, thread_id: threadIdOf(config) });
  const messages: ToolMessage[] = [];
  const calls: CallUsage[] = [];
  let turn = startTurn;
  let handoff: ChosenHandoff | undefined;
  const laterHandoffs: LaterHandoff[] = [];
  let toolFailure: ToolStep['toolFailure'];
  let toolTimeout: ToolStep['toolTimeout'];
  let limitHit = false;
  const answer = (call: { id?: string | undefined; name: string }, content: string, status: 'success' | 'error' = 'success') => {
    messages.push(toolAnswer(call, content, status));
  };
  const refuse = (call: { id?: string | undefined; name: string }, code: HandoffRefuseCode, reason: string, to?: string) => {
    emit(config, logger, { type: 'handoff-refuse', from: agent.name, tool: call.name, to, reason, code }, logFields(turn), runtime.observers);
    answer(call, reason, 'error');
  };

  // Handoffs whose condition (`when:`) is false now: not offered to the model, and refused if called anyway.
  const hidden = hiddenHandoffs(runtime, agent, state);
  const invalid = new Map((message.invalid_tool_calls ?? []).map((call) => [call.id, call]));
  for (const call of message.tool_calls ?? []) {
    const target = agent.handoffs.get(call.name);
    const malformed = invalid.get(call.id);
    const notObject = notAnObject(agent, call, malformed);
    if (notObject !== undefined) {
      const reason = `Refused: the arguments of ${call.name} are JSON but not an object (${notObject}). Call it again with a JSON object.`;
      if (target) refuse(call, 'INVALID_PAYLOAD', reason, target.to);
      else answer(call, reason, 'error');
      continue;
    }
    if (malformed) {
      const reason = `Refused: the arguments of ${call.name} are not valid JSON (${jsonError(malformed.error)}). Call it again with a JSON object.`;
      if (target) refuse(call, 'INVALID_JSON', reason, target.to);
      else answer(call, reason, 'error');
      continue;
    }
    if (target) {
      if (handoff) {
        // Whether the first one moves is not known yet (an approval, a hook or a limit may stop it):
        // its request, and its refusal, come after the first one's outcome.
        laterHandoffs.push({ call, to: target.to, reason: `Refused: only one handoff per response, and ${handoff.call.name} (to ${handoff.target.to}) came first, so ${call.name} was not done. Call it again on its own if it is still needed.` });
        continue;
      }
      emit(config, logger, { type: 'handoff-request', from: agent.name, to: target.to, tool: call.name, payload: call.args }, logFields(turn), runtime.observers);
      if (hidden.has(call.name)) {
        const text = `Refused: ${call.name} is not available now (its condition is false), so ${agent.name} keeps the conversation. ${allowedText(agent, hidden)}`;
        refuse(call, 'CONDITION_FALSE', text, target.to);
        continue;
      }
      const parsed = target.payload.safeParse(withoutNulls(call.args));
      const problems = parsed.success ? unfitForState(agent, target, parsed.data) : issuesText(parsed.error.issues);
      if (!parsed.success || problems !== undefined) {
        refuse(call, 'INVALID_PAYLOAD', `Refused: the handoff payload is invalid (${problems}). Call ${call.name} again with a valid payload.`, target.to);
        continue;
      }
      handoff = { target, payload: parsed.data, call };
      continue;
    }

    const isFunction = agent.functionTools.has(call.name);
    const helper = agent.helpers.get(call.name);
    if (!isFunction && helper === undefined) {
      const why = refusal(runtime, agent, call.name, hidden);
      refuse(call, why.code, why.text, guessTarget(runtime, call.name));
      continue;
    }
    // A helper is a model call: its request is checked first, so a bad one costs nothing and the
    // model is told how to ask (never a failed tool that hands the turn to the fallback).
    const request = helper === undefined ? undefined : HelperRequestSchema.safeParse(call.args);
    if (request && (!request.success || request.data.request.trim() === '')) {
      const why = request.success ? 'request: it is blank' : issuesText(request.error.issues);
      answer(call, `Refused: ${call.name} was not asked (${why}). Call it again with {"request": "what you need from it, with every detail it needs"}.`, 'error');
      continue;
    }
    if (turn.toolCalls >= runtime.limits.toolCallsPerTurn || agentCount(turn, agent.name, 'toolCalls') >= agent.limits.toolCallsPerTurn) {
      limitHit = true;
      answer(call, `Refused: the limit of tool calls in one turn is reached; ${call.name} was not run.`, 'error');
      continue;
    }
    // After a tool whose outcome is not known, no further tool runs: the turn ends.
    if (toolTimeout) {
      answer(call, `Not run: ${toolTimeout.tool} did not answer in time, so the turn ends before ${call.name}.`, 'error');
      continue;
    }
    // A turn that lost its hold on the thread runs no further tool.
    config.signal?.throwIfAborted();
    turn = count(turn, agent.name, 'toolCalls');
    const started = performance.now();
    emit(config, logger, { type: 'tool-call', agent: agent.name, tool: call.name, toolCallId: call.id ?? '', args: call.args }, logFields(turn), runtime.observers);
    const result =
      helper !== undefined
        ? await runHelper(runtime, helper, request?.data?.request ?? '', state, turn, call.id ?? '', config)
        : await runFunctionTool(agent.functionTools.get(call.name) as StructuredToolInterface, agent.name, call, currentFields(agent, state.fields), turn, config, runtime);
    turn = result.turn ?? turn;
    if (result.calls) calls.push(...result.calls);
    const durationMs = Math.round(performance.now() - started);
    emit(config, logger, { type: 'tool-result', agent: agent.name, tool: call.name, toolCallId: call.id ?? '', ok: result.ok, content: result.content, durationMs }, logFields(turn), runtime.observers);
    answer(call, result.content, result.ok ? 'success' : 'error');
    if (!result.ok && result.failed) toolFailure = { tool: call.name, message: result.content };
    if (result.timedOut) toolTimeout = { tool: call.name, message: result.content };
  }
  return { messages, turn, calls, ...(handoff ? { handoff } : {}), ...(laterHandoffs.length ? { laterHandoffs } : {}), ...(toolFailure ? { toolFailure } : {}), ...(toolTimeout ? { toolTimeout } : {}), ...(limitHit ? { limitHit } : {}) };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * A payload's arguments with `null` values left out: models often send `null` for an optional field
 * they have no value for, which means the same as leaving it out (a required one is then missing).
 */
export function withoutNulls(args: Record<string, unknown> | undefined): Record<string, unknown> {
  return Object.fromEntries(Object.entries(args ?? {}).filter(([, value]) => value !== null));
}

/**
 * What a call's arguments are when they are JSON but not an object (`an array`, `null` …: see
 * {@link jsonKindOf}), for one of the agent's tools or handoffs; undefined otherwise. A reply not
 * streamed has them read by the client (a valid call with such `args`); a streamed one keeps them
 * as an invalid call's raw text (models/reply-check.ts), as broken JSON is.
 */
function notAnObject(agent: AgentRuntime, call: ToolCall, malformed: InvalidToolCall | undefined): string | undefined {
  if (malformed === undefined) {
    const known = agent.handoffs.has(call.name) || agent.helpers.has(call.name) || agent.functionTools.has(call.name);
    return known && !isPlainObject(call.args) ? jsonKindOf(call.args) : undefined;
  }
  try {
    const value: unknown = JSON.parse(malformed.args ?? '');
    return isPlainObject(value) ? undefined : jsonKindOf(value);
  } catch {
    return undefined;
  }
}

/** The parser's complaint, without LangChain's troubleshooting boilerplate. */
function jsonError(error: string | undefined): string {
  return /Error: (.*)/.exec(error ?? '')?.[1]?.trim() ?? 'parse error';
}

/** Why a tool name is refused (as a code and in words), and what the agent may call instead. */
function refusal(runtime: TreeRuntime, agent: AgentRuntime, name: string, hidden: ReadonlySet<string>): { code: HandoffRefuseCode; text: string } {
  const allowed = allowedText(agent, hidden);
  const owners = runtime.toolOwners.get(name);
  if (owners?.length) {
    const isHandoff = owners.some((owner) => runtime.agents.get(owner)?.handoffs.has(name));
    return isHandoff
      ? { code: 'NOT_ALLOWED', text: `Refused: ${name} is not a handoff you are allowed to make from ${agent.name}. ${allowed}` }
      : { code: 'OTHER_AGENTS_TOOL', text: `Refused: ${name} belongs to another agent; ${agent.name} cannot call it. ${allowed}` };
  }
  // A tool the code still has but no agent of the tree holds: the YAML took it away, maybe after this
  // call was made (a turn cut short, run on after the edit). An earlier attempt may have run it.
  if (runtime.codeTools.has(name)) {
    return { code: 'UNKNOWN_TOOL', text: `Not run: ${name} is not one of ${agent.name}'s tools any more (the tree changed). If this call was made before that, an earlier attempt may have run it: check before acting as if it did not. ${allowed}` };
  }
  return { code: 'UNKNOWN_TOOL', text: `Refused: there is no tool named ${name}. ${allowed}` };
}

/** What the agent may call now: its handoffs (those whose condition holds) and its tools. */
function allowedText(agent: AgentRuntime, hidden: ReadonlySet<string>): string {
  const handoffs = [...agent.handoffs.values()].filter((target) => !hidden.has(target.tool)).map((target) => `${target.tool} (to ${target.to})`);
  const tools = [...agent.functionTools.keys(), ...agent.helpers.keys()];
  return `You can hand off with: ${handoffs.join(', ') || 'nothing'}; your tools are: ${tools.join(', ') || 'none'}.`;
}

/** For a refused handoff, the agent it aimed at (for events and audits). */
function guessTarget(runtime: TreeRuntime, name: string): string | undefined {
  for (const agent of runtime.agents.values()) {
    const target = agent.handoffs.get(name);
    if (target) return target.to;
  }
  const match = /^transfer_to_(.+)$/.exec(name);
  return match?.[1];
}

function issuesText(issues: readonly z.core.$ZodIssue[], prefix = ''): string {
  return issues.map((issue) => `${[prefix, ...issue.path.map(String)].filter(Boolean).join('.') || 'payload'}: ${issue.message}`).join('; ');
}

/**
 * What the state fields a payload `sets:` could not hold (a payload default outside a state field's
 * limits, which lint refuses too): refused like any invalid payload, never a failed state write.
 */
function unfitForState(agent: AgentRuntime, target: HandoffTarget, payload: Record<string, unknown>): string | undefined {
  for (const [payloadField, stateField] of target.sets) {
    const checked = payload[payloadField] === undefined ? undefined : agent.fields.get(stateField)?.safeParse(payload[payloadField]);
    if (checked && !checked.success) return issuesText(checked.error.issues, payloadField);
  }
  return undefined;
}
