/**
 * Approval gates, from backend code: the handoffs a thread waits on, and a person's decision —
 * {@link approveHandoff} (the move happens and the receiving agent answers in the same call) or
 * {@link denyHandoff} (the model that asked is told, and goes on). Under the thread's lock and fences,
 * like `resumeThread`.
 */
import type { SwitchboardGraph } from '../graphs/compile.js';
import { ApprovalDecisionSchema, requiresApproval } from '../nodes/approval.js';
import type { AIMessage, BaseMessage, ToolMessage } from '@langchain/core/messages';
import type { ApprovalDecision, ApprovalRequest } from '../nodes/approval.js';
import type { TreeRuntime } from '../nodes/context.js';
import type { SwitchboardState } from '../state/schema.js';
import type { SwitchboardEvent } from '../nodes/events.js';
import { SwitchboardError } from '../errors/switchboard-error.js';
import { runtimeOf } from '../graphs/compile.js';
import { approvalOfLostAgent, checkId, journaledTurnOf, streamResumeWith } from './turn.js';
import type { AnswerOptions, SavedAnswer, SavedAnswerVerdict } from './turn.js';
import { askerGone, nextOwner, staleRequestReason, waitingRequestsOf } from './waiting.js';
import type { WaitingSnapshot } from './waiting.js';
import type { TurnResult } from './turn.js';

export type { WaitingRequest } from './waiting.js';

/** The handoffs a thread waits to have approved (empty when none). */
export async function pendingApprovals(graph: SwitchboardGraph, threadId: string): Promise<ApprovalRequest[]> {
  checkId(threadId, 'threadId');
  const snapshot = await graph.getState({ configurable: { thread_id: threadId } });
  return waitingRequestsOf(runtimeOf(graph), snapshot).filter((request): request is ApprovalRequest => request.type === 'approval');
}

/**
 * Delivers a person's decision on the handoff a thread waits on, streaming the turn's events.
 * Throws `INVALID_DECISION` for a malformed decision, `NOTHING_PENDING` when the thread waits for no
 * approval (an escalation is answered with `resumeThread`), saying what became of its latest one.
 * A decision saved before a failure cut its run short is carried out first: the same decision
 * (approved again, or denied again) returns that turn (`replayed: true`); the other is refused with
 * it as the error's `recovered` (a `NothingPendingError`).
 */
export async function* streamApproval(graph: SwitchboardGraph, threadId: string, decision: ApprovalDecision, options: AnswerOptions = {}): AsyncGenerator<SwitchboardEvent, TurnResult> {
  return yield* decide(graph, threadId, decision, { listening: true, signal: options?.signal });
}

/** Delivers a person's decision on the handoff a thread waits on; returns the turn's result. */
export async function resolveApproval(graph: SwitchboardGraph, threadId: string, decision: ApprovalDecision, options: AnswerOptions = {}): Promise<TurnResult> {
  const stream = decide(graph, threadId, decision, { listening: false, signal: options?.signal });
  let next = await stream.next();
  while (!next.done) next = await stream.next();
  return next.value;
}

/**
 * Who decides and why; `toolCallId` names the request decided on (an item of `pendingApprovals`):
 * pass it when a person decided on a request they were shown, so that a decision that lost a race
 * with another person's is refused rather than applied to the next request the thread waits on.
 */
export type DecisionOptions = Omit<ApprovalDecision, 'approved'> & AnswerOptions;

/** Approves the handoff a thread waits on: control moves, and the receiving agent answers in this call. */
export function approveHandoff(graph: SwitchboardGraph, threadId: string, options: DecisionOptions = {}): Promise<TurnResult> {
  const { signal, ...decision } = options ?? {};
  return resolveApproval(graph, threadId, { approved: true, ...decision }, { signal });
}

/** Denies the handoff a thread waits on: the model that asked is told (with the reason) and goes on. */
export function denyHandoff(graph: SwitchboardGraph, threadId: string, options: DecisionOptions = {}): Promise<TurnResult> {
  const { signal, ...decision } = options ?? {};
  return resolveApproval(graph, threadId, { approved: false, ...decision }, { signal });
}

async function* decide(graph: SwitchboardGraph, threadId: string, decision: ApprovalDecision, options: { listening: boolean; signal: AbortSignal | undefined }): AsyncGenerator<SwitchboardEvent, TurnResult> {
  const parsed = ApprovalDecisionSchema.safeParse(decision);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'decision'}: ${issue.message}`).join('; ');
    throw new SwitchboardError('INVALID_DECISION', `The decision is invalid (${problems}). Pass { approved: true } or { approved: false, reason: "…" }.`);
  }
  // An approval asked by an agent the YAML has removed or renamed since: LangGraph shows no wait for
  // the lost node, but the request is there (pending lists it), and no decision can reach it.
  const stranded = await approvalOfLostAgent(graph, threadId, 'decision');
  if (stranded) throw cannotDecide(graph, threadId, stranded, askerGone(runtimeOf(graph), stranded) ?? `${stranded.from} is not an agent any more`);
  return yield* streamResumeWith(
    graph,
    threadId,
    async (snapshot) => {
      // Checked under the lock: of two concurrent decisions, the second finds nothing pending.
      const waiting = waitingRequestsOf(runtimeOf(graph), snapshot);
      const approval = waiting.find((request) => request.type === 'approval');
      const named = parsed.data.toolCallId;
      // The request the person decided on was decided by another, and the thread now waits on another one.
      if (named !== undefined && approval?.toolCallId !== named) throw await notWaitingForApproval(graph, threadId, snapshot, named, approval);
      if (approval) {
        // The agent that asked is gone (removed, renamed, made a person or a helper): no decision can
        // reach it (its node would take the decision for something else and drop it).
        const asker = askerGone(runtimeOf(graph), approval);
        if (asker) throw cannotDecide(graph, threadId, approval, asker);
        // An approval that cannot move the conversation any more (the YAML lost its target, or the
        // handoff) is refused, not turned into a model's "no such tool": denying it lets the agent go on.
        const stale = parsed.data.approved ? staleRequestReason(runtimeOf(graph), approval) : undefined;
        if (stale) throw new SwitchboardError('NOTHING_PENDING', `Thread ${threadId} waits for approval of ${approval.from} → ${approval.to}, which cannot be approved now: ${stale}. Deny it (denyHandoff, switchboard deny) and ${approval.from} goes on.`);
        // The call decided on goes with the decision: it never decides another handoff.
        return { ...parsed.data, toolCallId: approval.toolCallId };
      }
      const escalation = waiting.find((request) => request.type === 'escalation');
      if (escalation) {
        throw new SwitchboardError('NOTHING_PENDING', `Thread ${threadId} waits for ${escalation.agent} to answer, not for an approval: answer it with resumeThread (switchboard resume).`);
      }
      throw await notWaitingForApproval(graph, threadId, snapshot);
    },
    { ...options, answer: 'decision', compare: (saved) => compareDecision(threadId, parsed.data, saved) },
  );
}

/**
 * A decision against the one a failure had left saved and a recovery carried out: the same decision
 * (approved again, or denied again), whoever gives it, or the other, refused with what was decided.
 */
function compareDecision(threadId: string, decision: ApprovalDecision, saved: SavedAnswer): SavedAnswerVerdict | undefined {
  if (saved.request.type !== 'approval') return undefined;
  // A decision on another request than the one carried out is not that decision given again.
  if (decision.toolCallId !== undefined && decision.toolCallId !== saved.request.toolCallId) return undefined;
  // As `awaitApproval` reads it: LangGraph's own `Command({ resume: true })` is a decision too.
  const given = (typeof saved.value === 'boolean' ? { approved: saved.value } : (saved.value ?? {})) as { approved?: unknown; operator?: unknown };
  if (typeof given.approved !== 'boolean') return undefined;
  if (given.approved === decision.approved) return { same: true };
  const { from, to, turn } = saved.request;
  const by = typeof given.operator === 'string' ? ` by ${given.operator}` : '';
  return {
    same: false,
    message: `Thread ${threadId} is not waiting for an approval: ${from} → ${to} was ${given.approved ? 'approved' : 'denied'}${by} in turn ${turn}, a decision saved before a failure cut its run short and carried out first. That turn's result is the error's \`recovered\`.`,
  };
}

/**
 * The refusal of a decision on a thread that waits for no approval, saying what the thread records
 * of its latest one: approved or denied (by whom, when the step trace kept it) and in which turn, or
 * withdrawn by the user's next message; or that the thread has no turns. A decision that names its
 * request (`named`, a tool call id) is told what became of that one, and which request the thread
 * waits on now (`waiting`). Only on this error's way.
 */
async function notWaitingForApproval(graph: SwitchboardGraph, threadId: string, snapshot: WaitingSnapshot, named?: string, waiting?: ApprovalRequest): Promise<SwitchboardError> {
  const runtime = runtimeOf(graph);
  const { turn, messages = [], activeAgent } = snapshot.values as Partial<SwitchboardState>;
  const now = waiting ? `; it waits for approval of ${waiting.from} → ${waiting.to} now (toolCallId ${waiting.toolCallId}): decide that one only once a person has looked at it` : '';
  const refuse = (why: string) => new SwitchboardError('NOTHING_PENDING', `Thread ${threadId} is not waiting for ${named === undefined ? 'an approval' : `the approval this decision names (toolCallId ${named})`}: ${why}${now}.`);
  if (!turn) return refuse('it has no turns (no thread of that id on this store)');
  const owner = activeAgent === undefined || waiting ? '' : `; ${activeAgent} owns the conversation`;
  const last = latestApproval(runtime, messages, named);
  if (!last) return refuse(named === undefined ? `no handoff asked for one in its latest turns (turn ${turn.number} is its latest${owner})` : `no request of that id is in its latest turns${owner}`);
  const asked = `${last.from} → ${last.to}`;
  const at = await journaledTurnOf(runtime, threadId, last.answer.id);
  if (last.outcome === 'withdrawn') return refuse(`the request for ${asked} was withdrawn by the user's message${at === undefined ? '' : ` in turn ${at + 1}`}, before anyone decided${owner}`);
  const operator = at === undefined ? undefined : await operatorOf(runtime, threadId, at, last);
  return refuse(`${asked} was ${last.outcome}${operator === undefined ? '' : ` by ${operator}`}${at === undefined ? '' : ` in turn ${at}`}${owner}`);
}

/**
 * The thread's latest handoff that waited for approval and was answered (or the one of call `named`),
 * as its hot messages show it, with what became of it.
 */
function latestApproval(runtime: TreeRuntime, messages: readonly BaseMessage[], named?: string): { from: string; to: string; tool: string; answer: ToolMessage; outcome: 'approved' | 'denied' | 'withdrawn' } | undefined {
  const answers = new Map(messages.flatMap((message) => (message.type === 'tool' ? [[(message as ToolMessage).tool_call_id, message as ToolMessage] as const] : [])));
  for (const message of [...messages].reverse()) {
    const from = message.name;
    if (message.type !== 'ai' || from === undefined) continue;
    for (const call of [...((message as AIMessage).tool_calls ?? [])].reverse()) {
      const to = runtime.agents.get(from)?.handoffs.get(call.name)?.to;
      const answer = answers.get(call.id ?? '');
      if (named !== undefined && call.id !== named) continue;
      if (to === undefined || answer === undefined || !requiresApproval(runtime, from, to)) continue;
      const outcome = outcomeOf(answer);
      // A gated call never put to a person (a second handoff of its response, an invalid payload…): an earlier one may have been.
      if (outcome) return { from, to, tool: call.name, answer, outcome };
    }
  }
  return undefined;
}

/**
 * What the answer to a gated handoff call says became of it (the runtime's own answers: see
 * `deniedText`, the move's answer in nodes/agent.ts and the withdrawal in turn.ts); undefined for a
 * call no person decided (refused before it was asked: a second handoff, an invalid payload, a
 * false condition; the asker left the tree). Only a move counts as approved: a call approved and
 * then refused by a hook is not told apart from one never asked, so it is not named.
 */
function outcomeOf(answer: ToolMessage): 'approved' | 'denied' | 'withdrawn' | undefined {
  const text = typeof answer.content === 'string' ? answer.content : '';
  if (text.startsWith('Not decided: the user wrote again')) return 'withdrawn';
  if (text.includes("needs a person's approval, and it was denied")) return 'denied';
  if (text.startsWith('Transferred to ')) return 'approved';
  return undefined;
}

/** Who decided on `approval` in turn `turn`, from the `approval-end` event of the turn's step trace (kept with `trace: true`). */
async function operatorOf(runtime: TreeRuntime, threadId: string, turn: number, approval: { from: string; to: string; tool: string }): Promise<string | undefined> {
  const journal = runtime.journal;
  if (!journal) return undefined;
  let after: number | undefined;
  do {
    const page = await journal.read(threadId, { kinds: ['event'], turn, after, limit: 1000 });
    for (const entry of page.entries) {
      const event = entry.data as SwitchboardEvent;
      if (event.type === 'approval-end' && !event.withdrawn && event.from === approval.from && event.to === approval.to && event.tool === approval.tool) return event.operator;
    }
    after = page.next;
  } while (after !== undefined);
  return undefined;
}

/** An approval whose asker is gone: neither approving nor denying can reach it. */
function cannotDecide(graph: SwitchboardGraph, threadId: string, approval: ApprovalRequest, why: string): SwitchboardError {
  const next = nextOwner(runtimeOf(graph), approval.from);
  return new SwitchboardError('NOTHING_PENDING', `Thread ${threadId} waits for approval of ${approval.from} → ${approval.to}, which cannot be decided now: ${why}. The thread's next message withdraws it and goes to ${next}.`);
}
