/**
 * The edges a tree defines. Lint, compile and draw all read them from here, so what is checked,
 * what runs and what is drawn are the same edges.
 */
import type { Agent, Tree } from './schema.js';

/**
 * - delegate: a parent to a child; handback: a child to its parent (or a person back to whoever escalated);
 * - sideways: to a sibling, where allowed; escalate: to an explicit escalation target;
 * - fallback: taken by the runtime when an agent fails; limit: taken by the runtime when a turn crosses a limit;
 * - helper: an agent called as a tool (control does not move).
 */
export type EdgeKind = 'delegate' | 'handback' | 'sideways' | 'escalate' | 'fallback' | 'limit' | 'helper';

/** The kinds of edge a model takes by calling a handoff tool. */
export type HandoffKind = 'delegate' | 'handback' | 'sideways' | 'escalate';

export interface Edge {
  from: string;
  to: string;
  kind: EdgeKind;
  /** The tool the model calls to take the edge (handoff and helper edges). */
  tool?: string;
}

/** The edge kinds a model takes by calling a handoff tool. */
export const HANDOFF_KINDS: ReadonlySet<EdgeKind> = new Set<HandoffKind>(['delegate', 'handback', 'sideways', 'escalate']);

/** The agent named `name`, if the tree defines it (never an inherited property such as `toString`). */
export function agentOf(tree: Pick<Tree, 'agents'>, name: string): Agent | undefined {
  return Object.hasOwn(tree.agents, name) ? tree.agents[name] : undefined;
}

/**
 * The parent of each agent that is someone's child (the first parent, if a tree lists two). An agent
 * listed among its own children is not its own parent (lint reports it as SELF_REFERENCE).
 */
export function parentsOf(tree: Pick<Tree, 'agents'>): Map<string, string> {
  const parents = new Map<string, string>();
  for (const [name, agent] of Object.entries(tree.agents)) {
    for (const child of agent.children ?? []) if (child !== name && !parents.has(child)) parents.set(child, name);
  }
  return parents;
}

/** The name of the tool that hands off to `target`. */
export function handoffToolName(tree: Pick<Tree, 'agents'>, target: string): string {
  return agentOf(tree, target)?.handoff?.tool ?? `transfer_to_${target}`;
}

/** The name of the tool that calls helper `helper`. */
export function helperToolName(tree: Pick<Tree, 'agents'>, helper: string): string {
  return agentOf(tree, helper)?.handoff?.tool ?? helper;
}

export function fallbacksOf(agent: Pick<Agent, 'fallback'>): string[] {
  return agent.fallback === undefined ? [] : Array.isArray(agent.fallback) ? agent.fallback : [agent.fallback];
}

export function handbackAllowed(tree: Pick<Tree, 'defaults'>, agent: Pick<Agent, 'handback'>): boolean {
  return agent.handback ?? tree.defaults?.handback ?? true;
}

/**
 * Every edge of the tree, in a stable order (by agent, then delegate, handback, sideways, escalate,
 * fallback, helper, limit). An edge to an agent the tree does not define is left out: lint reports it.
 */
export function listEdges(tree: Pick<Tree, 'agents' | 'defaults' | 'escalation' | 'root'>): Edge[] {
  const parents = parentsOf(tree);
  const edges: Edge[] = [];
  const exists = (name: string) => Object.hasOwn(tree.agents, name);
  // Who can hand off to each agent (for a person's hand-back), in the order of the agents.
  const sources = new Map<string, string[]>();
  for (const [source, sourceAgent] of Object.entries(tree.agents)) {
    if (sourceAgent.kind === 'helper') continue;
    for (const target of [...(sourceAgent.children ?? []), ...(sourceAgent.sideways ?? []), ...(sourceAgent.escalate ?? [])]) {
      const list = sources.get(target) ?? [];
      if (list[list.length - 1] !== source) list.push(source);
      sources.set(target, list);
    }
  }
  for (const [name, agent] of Object.entries(tree.agents)) {
    const seen = new Set<string>([name]);
    const add = (to: string, kind: EdgeKind) => {
      if (!exists(to) || seen.has(to) || agentOf(tree, to)?.kind === 'helper') return;
      // A person hands the conversation back to agents only (nodes/human.ts): an edge from one person
      // to another is never taken, so it is neither checked as a way through the tree nor drawn.
      if (agent.kind === 'human' && agentOf(tree, to)?.kind === 'human') return;
      seen.add(to);
      edges.push(HANDOFF_KINDS.has(kind) ? { from: name, to, kind, tool: handoffToolName(tree, to) } : { from: name, to, kind });
    };
    if (agent.kind === 'helper') continue;
    for (const child of agent.children ?? []) add(child, 'delegate');
    const parent = parents.get(name);
    if (agent.kind === 'human') {
      // A person can hand the conversation back to any agent who can hand off to them, or to the front desk.
      for (const source of sources.get(name) ?? []) add(source, 'handback');
      if (parent !== undefined) add(parent, 'handback');
      add(tree.root, 'handback');
    } else if (parent !== undefined && handbackAllowed(tree, agent)) {
      add(parent, 'handback');
    }
    for (const sibling of agent.sideways ?? []) add(sibling, 'sideways');
    for (const target of agent.escalate ?? []) add(target, 'escalate');
    for (const fallback of fallbacksOf(agent)) add(fallback, 'fallback');
    for (const helper of agent.helpers ?? []) {
      if (agentOf(tree, helper)?.kind === 'helper') edges.push({ from: name, to: helper, kind: 'helper', tool: helperToolName(tree, helper) });
    }
    if (tree.escalation !== undefined && agent.kind !== 'human') add(tree.escalation, 'limit');
  }
  return edges;
}

/**
 * The fallback edges {@link listEdges} leaves out because a handoff already leads from the agent to
 * its fallback (`escalate: [boss]` with `fallback: boss`, a specialist that falls back to its
 * parent). The runtime needs one edge between two agents, and lint one way through; a drawing shows
 * both ways, the handoff and `on failure`. `edges`: the tree's, if already listed.
 */
export function fallbacksBesideHandoffs(tree: Pick<Tree, 'agents' | 'defaults' | 'escalation' | 'root'>, edges: readonly Edge[] = listEdges(tree)): Edge[] {
  const handoffs = new Set(edges.filter((edge) => HANDOFF_KINDS.has(edge.kind)).map((edge) => `${edge.from}\u0000${edge.to}`));
  return Object.entries(tree.agents).flatMap(([name, agent]) =>
    [...new Set(fallbacksOf(agent))]
      .filter((fallback) => handoffs.has(`${name}\u0000${fallback}`))
      .map((fallback): Edge => ({ from: name, to: fallback, kind: 'fallback' })),
  );
}

/** The edges that leave `agent`, by kind. */
export function edgesFrom(edges: readonly Edge[], agent: string): Edge[] {
  return edges.filter((edge) => edge.from === agent);
}

/** The gate an agent sets on the handoffs into it: `handoff.approval`, else `approval:` written as one value. */
export function incomingApproval(agent: Pick<Agent, 'approval' | 'handoff'> | undefined): 'required' | 'none' | undefined {
  return agent?.handoff?.approval ?? (typeof agent?.approval === 'string' ? agent.approval : undefined);
}

/**
 * Whether a model's handoff from `from` to `to` waits for a person's approval: `from`'s own
 * `approval:` entry for `to` if it writes one, otherwise the gate `to` sets on the handoffs into it.
 * A person's hand-back never waits: a person decides it themselves.
 */
export function handoffNeedsApproval(tree: Pick<Tree, 'agents'>, from: string, to: string): boolean {
  if (agentOf(tree, from)?.kind === 'human') return false;
  const own = agentOf(tree, from)?.approval;
  if (typeof own === 'object' && Object.hasOwn(own, to)) return own[to] === 'required';
  return incomingApproval(agentOf(tree, to)) === 'required';
}

/** Each agent's handoff targets (the edges a model takes by a tool). */
export function handoffTargets(tree: Tree): Map<string, Set<string>> {
  const targets = new Map<string, Set<string>>();
  for (const edge of listEdges(tree)) {
    if (!HANDOFF_KINDS.has(edge.kind)) continue;
    const set = targets.get(edge.from) ?? new Set<string>();
    set.add(edge.to);
    targets.set(edge.from, set);
  }
  return targets;
}
