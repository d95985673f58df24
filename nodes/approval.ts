/**
 * Approval gates: a handoff into an agent with `approval: required` (or `handoff.approval`), or
 * along an edge its source gates (`approval: { target: required }`), waits for a person. The agent's
 * tool step pauses the thread with LangGraph's `interrupt()` before anything with a side effect runs
 * (its function tools, the handoff hook, the move); LangGraph runs the step again from the top when
 * the decision comes, and `interrupt()` then returns it.
 */
import type { AIMessage } from '@langchain/core/messages';
import type { LangGraphRunnableConfig } from '@langchain/langgraph';
import { z } from 'zod';
import { handoffNeedsApproval } from '../config/edges.js';
import type { HandoffKind } from '../config/edges.js';
import { textOf } from '../models/messages.js';
import { PERSON_TRANSCRIPT_TURNS, transcript } from '../state/history.js';
import type { SwitchboardState } from '../state/schema.js';
import type { AgentRuntime, TreeRuntime } from './context.js';
import { hiddenHandoffs } from './conditions.js';
import { hookFor } from './hooks.js';
import { pauseFor, pauseUntil } from './pause.js';
import { withoutNulls } from './tool-calls.js';
import { lastUserMessage, threadIdOf } from './turn.js';

/** What a person sees for a handoff waiting for approval (an item of the threads waiting for a person). */
export interface ApprovalRequest {
  type: 'approval';
  threadId: string;
  /** The agent whose handoff waits (the same as `from`). */
  agent: string;
  from: string;
  /** The agent the conversation would move to. */
  to: string;
  kind: HandoffKind;
  /** The handoff tool the model called, and its call id (the decision answers that call). */
  tool: string;
  toolCallId: string;
  /** The payload's `reason`, when it has one. */
  reason: string | undefined;
  /** The validated payload. */
  payload: Record<string, unknown>;
  turn: number;
  /** The user's latest message. */
  message: string;
  /** The last turns, one line a message. */
  transcript: string;
  /** Always empty: an approval is not answered with a reply (kept so waiting items read alike). */
  handBackTargets: string[];
}

/** The person's decision on an {@link ApprovalRequest}. */
export const ApprovalDecisionSchema = z.strictObject({
  approved: z.boolean(),
  /** Why (told to the model when denied; kept with the decision). */
  reason: z.string().max(2_000).optional(),
  /** Who decided. */
  operator: z.string().max(200).optional(),
  /**
   * The request decided on: its `toolCallId` (from `pendingApprovals`, `switchboard pending`). When
   * the thread waits on another one by then (the named one was decided elsewhere, and the turn that
   * followed asked again), the decision is refused instead of deciding a request nobody looked at.
   */
  toolCallId: z
    .string()
    .min(1, { error: 'is empty' })
    .max(200)
    // eslint-disable-next-line no-control-regex -- what it refuses
    .refine((id) => !/[\u0000-\u001f\u007f]/.test(id), { error: 'holds a control character (a call id never does)' })
    .optional(),
});
export type ApprovalDecision = z.output<typeof ApprovalDecisionSchema>;

/** A decision on one handoff call. */
export interface DecidedApproval extends ApprovalDecision {
  toolCallId: string;
  to: string;
  tool: string;
}

/** Whether the handoff from `from` to `to` needs a person's approval (see `handoffNeedsApproval`). */
export function requiresApproval(runtime: TreeRuntime, from: string, to: string): boolean {
  return handoffNeedsApproval(runtime.tree, from, to);
}

/**
 * The handoff `answerToolCalls` would accept from `message` (the first handoff call that parses,
 * whose condition holds and whose payload is valid), when its target needs approval. Reads only.
 */
export function gatedHandoff(
  runtime: TreeRuntime,
  agent: AgentRuntime,
  state: SwitchboardState,
  message: AIMessage,
): { to: string; kind: HandoffKind; tool: string; toolCallId: string; payload: Record<string, unknown> } | undefined {
  const invalid = new Set((message.invalid_tool_calls ?? []).map((call) => call.id));
  // A handoff refused for its condition is passed over there too: the next one is the one that moves.
  const hidden = hiddenHandoffs(runtime, agent, state);
  for (const call of message.tool_calls ?? []) {
    if (invalid.has(call.id) || hidden.has(call.name)) continue;
    const target = agent.handoffs.get(call.name);
    if (!target) continue;
    const parsed = target.payload.safeParse(withoutNulls(call.args));
    if (!parsed.success) continue;
    if (!requiresApproval(runtime, agent.name, target.to)) return undefined;
    return { to: target.to, kind: target.kind, tool: call.name, toolCallId: call.id ?? '', payload: parsed.data };
  }
  return undefined;
}

/**
 * Pauses for a person's decision when the response's handoff needs one; returns the decision once
 * given. Runs before any side effect of the step (LangGraph runs the step again on resume).
 * `onPause`/`onDecision` are told when the thread pauses and when it resumes; `onInvalid` when a
 * malformed decision was given (the thread pauses again).
 */
export function awaitApproval(
  runtime: TreeRuntime,
  agent: AgentRuntime,
  state: SwitchboardState,
  message: AIMessage,
  turn: number,
  config: LangGraphRunnableConfig,
  events: { onPause: (request: ApprovalRequest) => void; onDecision: (decision: DecidedApproval) => void; onInvalid: (problems: string) => void },
): DecidedApproval | undefined {
  const gated = gatedHandoff(runtime, agent, state, message);
  if (!gated) return decisionWaiting(config) ? staleDecision(agent, message, config, events) : undefined;
  const user = lastUserMessage(state.messages);
  const request: ApprovalRequest = {
    type: 'approval',
    threadId: threadIdOf(config),
    agent: agent.name,
    from: agent.name,
    to: gated.to,
    kind: gated.kind,
    tool: gated.tool,
    toolCallId: gated.toolCallId,
    reason: typeof gated.payload.reason === 'string' ? gated.payload.reason : undefined,
    payload: gated.payload,
    turn,
    message: user ? textOf(user) : '',
    transcript: transcript(state.messages, PERSON_TRANSCRIPT_TURNS),
    handBackTargets: [],
  };
  const decision = pauseUntil<ApprovalDecision>(
    request,
    (raw) => {
      // A decision on another call (a condition changed while the thread waited, so another handoff
      // is the one that would move now) does not decide this one: the person is asked again.
      const call = decidedCallOf(raw);
      if (call !== undefined && call !== gated.toolCallId) return 'ask-again';
      const { toolCallId: _decidedCall, ...given } = typeof raw === 'boolean' ? { approved: raw } : typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : { decision: raw };
      const parsed = ApprovalDecisionSchema.safeParse(given);
      return parsed.success ? { value: parsed.data } : { invalid: parsed.error.issues.map((issue) => `${issue.path.join('.') || 'decision'}: ${issue.message}`).join('; ') };
    },
    // The thread pauses (told each time; the run on resume gets the decision).
    { onPause: () => events.onPause(request), onInvalid: events.onInvalid },
  );
  const decided = { ...decision, toolCallId: gated.toolCallId, to: gated.to, tool: gated.tool };
  events.onDecision(decided);
  return decided;
}

/**
 * Whether LangGraph holds an answer for this step's next interrupt: a decision given while the step
 * waited. (LangGraph's own scratchpad, `CONFIG_KEY_SCRATCHPAD`; read only.)
 */
function decisionWaiting(config: LangGraphRunnableConfig): boolean {
  const scratchpad = config.configurable?.__pregel_scratchpad as { resume?: unknown[]; interruptCounter?: number; nullResume?: unknown } | undefined;
  if (!scratchpad) return false;
  return (scratchpad.resume?.length ?? 0) > (scratchpad.interruptCounter ?? -1) + 1 || scratchpad.nullResume !== undefined;
}

/**
 * A decision on a handoff the tree no longer gates (its YAML changed while the thread waited): a
 * person's denial still stands (the move does not happen); an approval, or no decision that parses,
 * leaves the handoff to go ahead as the tree now allows. Every answer waiting is read (a malformed
 * one before it was asked again for): the latest that parses counts.
 */
function staleDecision(agent: AgentRuntime, message: AIMessage, config: LangGraphRunnableConfig, events: { onDecision: (decision: DecidedApproval) => void }): DecidedApproval | undefined {
  let decided: DecidedApproval | undefined;
  while (decisionWaiting(config)) {
    const raw = pauseFor(undefined);
    const { toolCallId, ...given } = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : { approved: raw };
    // A decision that names no call decides the response's handoff, as a gated one does.
    const call = (message.tool_calls ?? []).find((candidate) => (toolCallId === undefined ? agent.handoffs.has(candidate.name) : candidate.id === toolCallId));
    const target = call ? agent.handoffs.get(call.name) : undefined;
    const parsed = ApprovalDecisionSchema.safeParse(given);
    if (call && target && parsed.success) decided = { ...parsed.data, toolCallId: call.id ?? '', to: target.to, tool: call.name };
  }
  if (decided) events.onDecision(decided);
  return decided;
}

/** The handoff call a decision was given on (`resolveApproval` sends it with the decision). */
function decidedCallOf(raw: unknown): unknown {
  return typeof raw === 'object' && raw !== null ? (raw as { toolCallId?: unknown }).toolCallId : undefined;
}

/** What the model is told when a person denied its handoff. */
export function deniedText(decision: DecidedApproval, from: string): string {
  const why = decision.reason?.trim() ? `: ${decision.reason.trim()}` : '';
  return `Refused: the handoff to ${decision.to} needs a person's approval, and it was denied${why}. ${from} keeps the conversation: help the user yourself, or choose another way.`;
}

/**
 * Whether a response must be checkpointed before its handoff is handled: the handoff waits for
 * approval or runs a hook, and a replay (on resume, or after a crash) must meet the very same call.
 */
export function needsCheckpointBeforeHandoff(runtime: TreeRuntime, agent: AgentRuntime, message: AIMessage): boolean {
  return (message.tool_calls ?? []).some((call) => {
    const target = agent.handoffs.get(call.name);
    return target !== undefined && (requiresApproval(runtime, agent.name, target.to) || hookFor(runtime, target.to) !== undefined);
  });
}
