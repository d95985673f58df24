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
