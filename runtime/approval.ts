/**
 * Approval gates, from backend code: the handoffs a thread waits on, and a person's decision —
 * {@link approveHandoff} (the move happens and the receiving agent answers in the same call) or
 * {@link denyHandoff} (the model that asked is told, and goes on). Under the thread's lock and fences,
 * like `resumeThread`.
 */
import type { SwitchboardGraph } from '../graphs/compile.js';
import { ApprovalDecisionSchema } from '../nodes/approval.js';
import type { ApprovalDecision, ApprovalRequest } from '../nodes/approval.js';
import type { SwitchboardEvent } from '../nodes/events.js';
import { SwitchboardError } from '../errors/switchboard-error.js';
import { runtimeOf } from '../graphs/compile.js';
import { checkId, streamResumeWith } from './turn.js';
import { askerGone, nextOwner, staleRequestReason, waitingRequestsOf } from './waiting.js';
import { strandedRequests } from './threads.js';
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
 * approval (an escalation is answered with `resumeThread`).
 */
export async function* streamApproval(graph: SwitchboardGraph, threadId: string, decision: ApprovalDecision): AsyncGenerator<SwitchboardEvent, TurnResult> {
  return yield* decide(graph, threadId, decision, true);
}

/** Delivers a person's decision on the handoff a thread waits on; returns the turn's result. */
export async function resolveApproval(graph: SwitchboardGraph, threadId: string, decision: ApprovalDecision): Promise<TurnResult> {
  const stream = decide(graph, threadId, decision, false);
  let next = await stream.next();
  while (!next.done) next = await stream.next();
  return next.value;
}

/** Approves the handoff a thread waits on: control moves, and the receiving agent answers in this call. */
export function approveHandoff(graph: SwitchboardGraph, threadId: string, options: { operator?: string; reason?: string } = {}): Promise<TurnResult> {
  return resolveApproval(graph, threadId, { approved: true, ...options });
}

/** Denies the handoff a thread waits on: the model that asked is told (with the reason) and goes on. */
export function denyHandoff(graph: SwitchboardGraph, threadId: string, options: { reason?: string; operator?: string } = {}): Promise<TurnResult> {
  return resolveApproval(graph, threadId, { approved: false, ...options });
}

async function* decide(graph: SwitchboardGraph, threadId: string, decision: ApprovalDecision, listening: boolean): AsyncGenerator<SwitchboardEvent, TurnResult> {
  const parsed = ApprovalDecisionSchema.safeParse(decision);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'decision'}: ${issue.message}`).join('; ');
    throw new SwitchboardError('INVALID_DECISION', `The decision is invalid (${problems}). Pass { approved: true } or { approved: false, reason: "…" }.`);
  }
  // An approval asked by an agent the YAML has removed or renamed since: LangGraph shows no wait for
  // the lost node, but the request is there (pending lists it), and no decision can reach it.
  const stranded = (await strandedRequests(graph, threadId)).find((request): request is ApprovalRequest => request.type === 'approval');
  if (stranded) throw cannotDecide(graph, threadId, stranded, askerGone(runtimeOf(graph), stranded) ?? `${stranded.from} is not an agent any more`);
  return yield* streamResumeWith(
    graph,
    threadId,
    (snapshot) => {
      // Checked under the lock: of two concurrent decisions, the second finds nothing pending.
      const waiting = waitingRequestsOf(runtimeOf(graph), snapshot);
      const approval = waiting.find((request) => request.type === 'approval');
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
      throw new SwitchboardError('NOTHING_PENDING', `Thread ${threadId} is not waiting for an approval.`);
    },
    { listening },
  );
}

/** An approval whose asker is gone: neither approving nor denying can reach it. */
function cannotDecide(graph: SwitchboardGraph, threadId: string, approval: ApprovalRequest, why: string): SwitchboardError {
  const next = nextOwner(runtimeOf(graph), approval.from);
  return new SwitchboardError('NOTHING_PENDING', `Thread ${threadId} waits for approval of ${approval.from} → ${approval.to}, which cannot be decided now: ${why}. The thread's next message withdraws it and goes to ${next}.`);
}
