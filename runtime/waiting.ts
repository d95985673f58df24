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
      if (request.type !== 'escalation') return request;
      // One who is no longer a person (the YAML made them an agent) cannot answer: nobody to hand back from.
      const person = isPerson(runtime, request.agent) ? runtime.agents.get(request.agent) : undefined;
      return { ...request, handBackTargets: person ? handBackTargetsOf(runtime, person, snapshot.values as SwitchboardState) : [] };
    });
}

/** Whether `name` is a person in the tree as it is now (a wait for them can be answered). */
export function isPerson(runtime: TreeRuntime, name: string): boolean {
  return runtime.tree.agents[name]?.kind === 'human';
}

/** Whether `name` is a model agent in the tree as it is now: not removed, not a person, not a helper. */
export function isModelAgent(runtime: TreeRuntime, name: string): boolean {
  const agent = runtime.tree.agents[name];
  return agent !== undefined && (agent.kind ?? 'agent') === 'agent';
}

/**
 * What the YAML made of `name` since a wait began, said of them ("is not in the tree any more", "is
 * not a person any more (it is an agent now)"); undefined while they are still a `was`.
 */
export function becameOther(runtime: TreeRuntime, name: string, was: 'person' | 'agent'): string | undefined {
  const agent = runtime.tree.agents[name];
  if (agent === undefined) return 'is not in the tree any more';
  const now = agent.kind === 'human' ? 'a person' : agent.kind === 'helper' ? 'a helper' : 'an agent';
  const then = was === 'person' ? 'a person' : 'an agent';
  return now === then ? undefined : `is not ${then} any more (it is ${now} now)`;
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
  if (request.type === 'escalation') return said(request.agent, becameOther(runtime, request.agent, 'person'));
  if (!runtime.agents.has(request.to) || runtime.tree.agents[request.to]?.kind === 'helper') return `${request.to} is not in the tree any more${runtime.agents.has(request.to) ? ' as an agent or a person (it is a helper now)' : ''}`;
  const asker = askerGone(runtime, request);
  if (asker) return asker;
  if (runtime.agents.get(request.from)?.handoffs.get(request.tool)?.to !== request.to) return `${request.from} no longer hands off to ${request.to} (${request.tool} is not one of its tools any more)`;
  return undefined;
}

/**
 * Why the agent that asked for an approval can no longer take its decision (removed, renamed, or
 * made a person or a helper), or undefined: neither approving nor denying can reach it then.
 */
export function askerGone(runtime: TreeRuntime, request: ApprovalRequest): string | undefined {
  return said(request.from, becameOther(runtime, request.from, 'agent'));
}

/** Who takes the thread's next message when `name` owned it: `name` while it is an agent or a person, else the root. */
export function nextOwner(runtime: TreeRuntime, name: string): string {
  const agent = runtime.tree.agents[name];
  return agent !== undefined && agent.kind !== 'helper' ? name : runtime.tree.root;
}

function said(name: string, what: string | undefined): string | undefined {
  return what === undefined ? undefined : `${name} ${what}`;
}
