/**
 * What a thread waits on, read from its state: an escalation a person answers, or a handoff a person
 * approves. A person's hand-back choices are the tree's as it is now (the request was made by the
 * tree of its day, and the person's node checks a reply against the current one).
 */
import type { TreeRuntime } from '../nodes/context.js';
import type { ApprovalRequest } from '../nodes/approval.js';
import { handBackTargetsOf } from '../nodes/human.js';
import type { EscalationRequest } from '../nodes/human.js';
import type { SwitchboardState } from '../state/schema.js';

/** An item of the threads waiting for a person: an escalation to answer or a handoff to approve. */
export type WaitingRequest = EscalationRequest | ApprovalRequest;

export interface WaitingSnapshot {
  values: unknown;
  tasks: readonly { interrupts: readonly { value?: unknown }[] }[];
}

/** The requests a thread waits on (escalations and approvals), in order. */
export function waitingRequestsOf(runtime: TreeRuntime, snapshot: WaitingSnapshot): WaitingRequest[] {
  return snapshot.tasks
    .flatMap((task) => task.interrupts.map((entry) => entry.value as WaitingRequest | undefined))
    .filter((value): value is WaitingRequest => value?.type === 'escalation' || value?.type === 'approval')
    .map((request) => {
      const person = request.type === 'escalation' ? runtime.agents.get(request.agent) : undefined;
      return person && request.type === 'escalation' ? { ...request, handBackTargets: handBackTargetsOf(runtime, person, snapshot.values as SwitchboardState) } : request;
    });
}

/** The escalations a thread waits on. */
export function escalationsOf(runtime: TreeRuntime, snapshot: WaitingSnapshot): EscalationRequest[] {
  return waitingRequestsOf(runtime, snapshot).filter((request): request is EscalationRequest => request.type === 'escalation');
}

/**
 * What keeps a request a thread waits on from being met as it was made, when the tree changed while
 * it waited: the person it waits for, the agent a handoff would move to, or the agent that asked is
 * not in the tree any more, or that agent no longer hands off there (approving cannot move the
 * conversation; denying lets the agent that asked go on). Undefined when it can still be met.
 */
export function staleRequestReason(runtime: TreeRuntime, request: WaitingRequest): string | undefined {
  if (request.type === 'escalation') return runtime.agents.has(request.agent) ? undefined : `${request.agent} is not in the tree any more`;
  if (!runtime.agents.has(request.to)) return `${request.to} is not in the tree any more`;
  const from = runtime.agents.get(request.from);
  if (!from) return `${request.from} is not in the tree any more`;
  if (from.handoffs.get(request.tool)?.to !== request.to) return `${request.from} no longer hands off to ${request.to} (${request.tool} is not one of its tools any more)`;
  return undefined;
}
