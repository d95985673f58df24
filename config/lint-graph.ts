/**
 * The rules about the shape of the graph a tree defines: one parent per agent and no loops of
 * parents, sideways only between siblings, distinct tool names per agent, every agent reachable,
 * no dead end without a way to a person, and not too many handoff targets. They read the same edges
 * that compile and draw use (config/edges.ts). In a tree with schema errors they run on what was
 * salvaged: the rules that report an edge that exists (parents, loops, tool names) on the edges that
 * are known; the rules that report an edge missing (sideways, reachable, dead ends) count every edge
 * the broken parts may hide (graph-gaps.ts).
 */
import type { Tree } from './schema.js';
import type { IssueInput } from './source.js';
import { agentOf, fallbacksOf, HANDOFF_KINDS, listEdges, parentsOf } from './edges.js';
import type { Edge } from './edges.js';
import { GraphGaps } from './graph-gaps.js';
import { fileEntries, originalIndex } from './list-indices.js';

/** Beyond this many handoff targets, routing accuracy drops (the seeds' guideline). */
export const MAX_HANDOFF_TARGETS = 5;

/** The 1-based position of a path in the tree file. */
export type Locate = (path: (string | number)[], at?: 'key' | 'value') => { line: number; column: number };

export interface GraphLintOptions {
  /**
   * What the checks cannot see, in a tree that failed the schema. Every rule runs on the rest; the
   * ones a hidden edge could change count the edges the gaps may hide, so they never blame a broken part.
   */
  gaps?: GraphGaps | undefined;
  /** Where a path is in the file: a clash of tool names is reported at the later of the two. */
  locate?: Locate | undefined;
}

type Report = (issue: IssueInput) => void;
type Path = (string | number)[];

/** Edges the gaps may hide, from each agent; `anywhere`: agents that may lead to any agent. */
interface PossibleEdges {
  edges: Map<string, Set<string>>;
  anywhere: Set<string>;
}

/** Checks the shape of the graph `tree` defines (what `options.gaps` hides aside) and reports every problem through `report`. */
export function lintGraph(tree: Tree, options: GraphLintOptions, report: Report): void {
  const gaps = options.gaps ?? new GraphGaps();
  const outgoing = new Map<string, Edge[]>();
  for (const edge of listEdges(tree)) append(outgoing, edge.from, edge);
  const parents = parentsOf(tree);
  const loops = checkParents(tree, parents, report);
  checkSideways(tree, parents, gaps, report);
  checkToolNames(tree, outgoing, gaps, options.locate, report);
  const possible = possibleEdges(tree, parents, gaps);
  // A helper named as a handoff target, or given children, is reported as WRONG_AGENT_KIND: it and
  // the agents under it are not reported again as unreachable or dead ends.
  const misplaced = agentsUnder(misplacedHelpers(tree), parents);
  // An agent with no way out at all is a dead end whatever the root is, and whatever loop it is under.
  const stranded = strandedAgents(tree, outgoing, parents, possible, gaps);
  // In a loop of parents, and below one, "hand back" and "reachable" mean nothing: the loop is the
  // error to fix. The rest of the tree is checked all the same. Without a root, who reaches whom is
  // unknown: only the agents with no way out are reported.
  const underLoops = loops.size > 0 ? agentsUnder(loops, parents) : loops;
  const checked: Report = (issue) => {
    const agent = issue.path[0] === 'agents' ? String(issue.path[1]) : undefined;
    if (agent !== undefined && misplaced.has(agent)) return;
    if (agent !== undefined && issue.code === 'DEAD_END' && stranded.has(agent)) return report(issue);
    if (gaps.rootUnknown) return;
    if (agent === undefined ? loops.size === 0 : !underLoops.has(agent)) report(issue);
  };
  if (!gaps.rootUnknown) checkReachable(tree, outgoing, parents, possible, gaps, checked);
  checkDeadEnds(tree, outgoing, parents, possible, gaps, checked);
  checkTargetCount(tree, outgoing, report);
}

/**
 * The edges the gaps may hide: to the agents a broken part names, from an agent that may hand back
 * to its parent, and to the agents the checked tree leaves out (listEdges leaves out every edge to
 * an agent it does not have).
 */
function possibleEdges(tree: Tree, parents: Map<string, string>, gaps: GraphGaps): PossibleEdges {
  const possible: PossibleEdges = { edges: new Map(), anywhere: new Set() };
  const add = (from: string, to: string) => {
    const targets = possible.edges.get(from);
    if (targets) targets.add(to);
    else possible.edges.set(from, new Set([to]));
  };
  const everyone = [...Object.keys(tree.agents), ...gaps.lostAgents];
  const sources = gaps.sources();
  for (const name of sources.includes(null) ? everyone : (sources as string[])) {
    for (const to of gaps.leadsOf(name)) {
      if (to === null) possible.anywhere.add(name);
      else add(name, to);
    }
  }
  for (const name of gaps.mayHandBack) {
    const parent = parents.get(name);
    if (parent !== undefined) add(name, parent);
  }
  if (gaps.lostAgents.size === 0) return possible;
  for (const [name, agent] of Object.entries(tree.agents)) {
    const targets = [...(agent.children ?? []), ...(agent.sideways ?? []), ...(agent.escalate ?? []), ...(agent.helpers ?? []), ...fallbacksOf(agent)];
    if (tree.escalation !== undefined) targets.push(tree.escalation);
    for (const target of targets) if (gaps.lostAgents.has(target)) add(name, target);
  }
  return possible;
}

/** `name`, its parent, its parent's parent … (stopping at a loop). */
function ancestorsOf(parents: Map<string, string>, name: string): string[] {
  const chain = new Set<string>();
  for (let current: string | undefined = name; current !== undefined && !chain.has(current); current = parents.get(current))
    chain.add(current);
  return [...chain];
}

/** The helpers another agent lists as a handoff target (children:, sideways:, escalate:, fallback:), or that list children. */
function misplacedHelpers(tree: Tree): Set<string> {
  const helpers = new Set(Object.entries(tree.agents).filter(([, agent]) => agent.kind === 'helper').map(([name]) => name));
  const misplaced = new Set<string>();
  for (const [name, agent] of Object.entries(tree.agents)) {
    if (helpers.has(name) && (agent.children?.length ?? 0) > 0) misplaced.add(name);
    for (const target of [...(agent.children ?? []), ...(agent.sideways ?? []), ...(agent.escalate ?? []), ...fallbacksOf(agent)]) if (helpers.has(target)) misplaced.add(target);
  }
  return misplaced;
}

/** The agents in `roots` and every agent whose chain of parents leads into one of them (each chain walked once). */
function agentsUnder(roots: ReadonlySet<string>, parents: Map<string, string>): Set<string> {
  const under = new Set(roots);
  if (roots.size === 0) return under;
  const known = new Map<string, boolean>();
  for (const start of parents.keys()) {
    const chain: string[] = [];
    let leads = false;
    for (let current: string | undefined = start; current !== undefined; current = parents.get(current)) {
      const settled = known.get(current);
      if (settled !== undefined || roots.has(current)) {
        leads = settled ?? true;
        break;
      }
      if (chain.includes(current)) break; // a loop that is not among the roots
      chain.push(current);
    }
    for (const name of chain) {
      known.set(name, leads);
      if (leads) under.add(name);
    }
  }
  return under;
}

/** Reports agents with two parents and loops of parents; returns the agents in loops. */
function checkParents(tree: Tree, parents: Map<string, string>, report: Report): Set<string> {
  const loops = new Set<string>();
  for (const [name, agent] of Object.entries(tree.agents)) {
    for (const [index, child] of fileEntries(agent.children ?? [])) {
      const path = ['agents', name, 'children', index];
      // An agent listing itself is SELF_REFERENCE (lint.ts), not a loop of parents as well.
      if (child === name) continue;
      if (child === tree.root) {
        loops.add(tree.root).add(name);
        report({
          code: 'TREE_CYCLE',
          message: `The root "${tree.root}" is listed as a child of "${name}".`,
          hint: 'The root has no parent: remove it from the list (hand back to it instead).',
          path,
        });
        continue;
      }
      const parent = parents.get(child);
      if (parent === undefined || parent === name) continue;
      const ancestors = ancestorsOf(parents, name);
      if (ancestors.includes(child)) {
        const loop = ancestors.slice(0, ancestors.indexOf(child) + 1).reverse();
        [...loop, name, child].forEach((member) => loops.add(member));
        report({
          code: 'TREE_CYCLE',
          message: `"${name}" lists its own ancestor "${child}" as a child: ${[...loop, child].join(' → ')} is a loop.`,
          hint: `Remove "${child}" from this list; to send a conversation back up, hand back or escalate instead.`,
          path,
        });
      } else {
        report({
          code: 'MULTIPLE_PARENTS',
          message: `"${child}" is a child of both "${parent}" and "${name}".`,
          hint: 'An agent has one parent: keep it under one, and use escalate: or sideways: for the other edge.',
          path,
        });
      }
    }
  }
  // A loop of parents that never reaches the root (each agent in it has one parent).
  const done = new Set<string>();
  for (const start of parents.keys()) {
    const walk: string[] = [];
    const onWalk = new Set<string>();
    let current: string | undefined = start;
    while (current !== undefined && !done.has(current) && !onWalk.has(current)) {
      walk.push(current);
      onWalk.add(current);
      current = parents.get(current);
    }
    walk.forEach((name) => done.add(name));
    if (current === undefined || !onWalk.has(current)) continue;
    const loop = walk.slice(walk.indexOf(current));
    loop.forEach((member) => loops.add(member));
    if (loop.includes(tree.root)) continue; // reported above: the root listed as a child
    const last = loop[loop.length - 1] as string;
    const children = agentOf(tree, last)?.children ?? [];
    const index = originalIndex(children, Math.max(children.indexOf(current), 0));
    report({
      code: 'TREE_CYCLE',
      message: `The agents ${[...loop, current].join(' → ')} are each other's parents, and none is under the root.`,
      hint: 'Break the loop: one of them must not list the other as a child.',
      path: ['agents', last, 'children', index],
    });
  }
  return loops;
}

function checkSideways(tree: Tree, parents: Map<string, string>, gaps: GraphGaps, report: Report): void {
  for (const [name, agent] of Object.entries(tree.agents)) {
    for (const [index, target] of fileEntries(agent.sideways ?? [])) {
      if (!agentOf(tree, target) || target === name) continue;
      const mine = parents.get(name);
      if (mine !== undefined && mine === parents.get(target)) continue;
      if (maySiblings(name, target, parents, gaps)) continue;
      const siblings = mine === undefined ? [] : (agentOf(tree, mine)?.children ?? []).filter((child) => child !== name);
      report({
        code: 'SIDEWAYS_NOT_ALLOWED',
        message: `"${target}" is not a sibling of "${name}", so a sideways handoff to it is not allowed.`,
        hint: `${siblings.length ? `Siblings: ${siblings.join(', ')}. ` : ''}To reach an agent elsewhere in the tree, list it under escalate:.`,
        path: ['agents', name, 'sideways', index],
      });
    }
  }
}

/** Whether a list that failed the schema may make `name` and `other` children of the same agent. */
function maySiblings(name: string, other: string, parents: Map<string, string>, gaps: GraphGaps): boolean {
  const possibleParents = (agent: string) => {
    const leaders = gaps.leadersOf(agent);
    const known = parents.get(agent);
    if (known !== undefined) leaders.agents.add(known);
    return leaders;
  };
  const mine = possibleParents(name);
  const theirs = possibleParents(other);
  if (mine.any || theirs.any) return true;
  return [...mine.agents].some((parent) => theirs.agents.has(parent));
}

/** One name in an agent's tools: who it belongs to, and where it is written. */
interface ToolClaim {
  owner: string;
  path: Path;
  at: 'key' | 'value';
}

/**
 * Each agent's tools (function tools, handoffs, helpers) need distinct names; one report per clash,
 * at the later of the two names in the file: a name in `tools:`, a target's `handoff.tool`, or the
 * key of a target whose tool has the default name (`transfer_to_<agent>`, a helper's own name).
 */
function checkToolNames(tree: Tree, outgoing: Map<string, Edge[]>, gaps: GraphGaps, locate: Locate | undefined, report: Report): void {
  const reported = new Set<string>();
  // Without positions, the one claimed second counts as later.
  const before = (first: ToolClaim, second: ToolClaim) => {
    if (!locate) return true;
    const a = locate(first.path, first.at);
    const b = locate(second.path, second.at);
    return a.line < b.line || (a.line === b.line && a.column <= b.column);
  };
  for (const [name, agent] of Object.entries(tree.agents)) {
    const claims = new Map<string, ToolClaim>();
    const claim = (tool: string, current: ToolClaim) => {
      const previous = claims.get(tool);
      if (previous === undefined) return void claims.set(tool, current);
      const [first, second] = before(previous, current) ? [previous, current] : [current, previous];
      claims.set(tool, first);
      const key = `${second.path.join('\u0000')}\u0000${tool}`;
      if (reported.has(key)) return;
      reported.add(key);
      report({
        code: 'DUPLICATE_TOOL_NAME',
        message: `"${name}" has two tools named "${tool}" (${first.owner} and ${second.owner}).`,
        hint: 'Rename one with handoff.tool on the target agent, or rename the function tool.',
        path: second.path,
        at: second.at,
      });
    };
    for (const [index, tool] of fileEntries(agent.tools ?? [])) claim(tool, { owner: `function tool "${tool}"`, path: ['agents', name, 'tools', index], at: 'value' });
    for (const edge of outgoing.get(name) ?? []) {
      // A target whose handoff: failed the schema may name its tool otherwise.
      if (edge.tool === undefined || gaps.unknownToolName.has(edge.to)) continue;
      const named = agentOf(tree, edge.to)?.handoff?.tool !== undefined;
      claim(edge.tool, {
        owner: edge.kind === 'helper' ? `helper "${edge.to}"` : `the handoff to "${edge.to}"`,
        path: named ? ['agents', edge.to, 'handoff', 'tool'] : ['agents', edge.to],
        at: named ? 'value' : 'key',
      });
    }
  }
}

function checkReachable(tree: Tree, outgoing: Map<string, Edge[]>, parents: Map<string, string>, possible: PossibleEdges, gaps: GraphGaps, report: Report): void {
  if (!agentOf(tree, tree.root) && !gaps.lostAgents.has(tree.root)) return;
  // A person may hand a conversation back to whoever escalated to them: that only reaches agents reached already.
  const leads = (edge: Edge) =>
    !(
      edge.kind === 'handback' &&
      agentOf(tree, edge.from)?.kind === 'human' &&
      edge.to !== parents.get(edge.from) &&
      edge.to !== tree.root
    );
  const reached = reachable([tree.root], (name) => [
    ...(outgoing.get(name) ?? []).filter(leads).map((edge) => edge.to),
    ...(possible.edges.get(name) ?? []),
  ]);
  // Past an agent whose broken part may lead anywhere, any agent may be reachable.
  if ([...possible.anywhere].some((name) => reached.has(name))) return;
  for (const name of [...Object.keys(tree.agents), ...gaps.lostAgents]) {
    if (reached.has(name)) continue;
    report({
      code: 'UNREACHABLE_AGENT',
      message: `No conversation can reach "${name}" from the root "${tree.root}".`,
      hint: 'List it under children: of an agent (or escalate:, helpers:, fallback:), or remove it.',
      path: ['agents', name],
      at: 'key',
    });
  }
}

function checkDeadEnds(tree: Tree, outgoing: Map<string, Edge[]>, parents: Map<string, string>, possible: PossibleEdges, gaps: GraphGaps, report: Report): void {
  const humans = Object.entries(tree.agents)
    .filter(([, agent]) => agent.kind === 'human')
    .map(([name]) => name);
  // An agent whose kind is unknown may be a person; one whose broken part leads anywhere may reach one.
  const people = [...humans, ...gaps.unknownKind];
  const starts = people.length > 0 ? [...people, ...possible.anywhere] : [];
  // Who can reach a person: walk the handoff edges backwards from every person, once.
  const incoming = new Map<string, string[]>();
  const addIncoming = (from: string, to: string) => {
    const list = incoming.get(to);
    if (list) list.push(from);
    else incoming.set(to, [from]);
  };
  for (const edge of [...outgoing.values()].flat()) if (edge.kind !== 'helper') addIncoming(edge.from, edge.to);
  for (const [from, targets] of possible.edges) for (const to of targets) addIncoming(from, to);
  const reachesHuman = reachable(starts, (name) => incoming.get(name) ?? []);
  const escalateTo = humans.length > 0 ? `add escalate: [${humans[0]}]` : 'add a kind: human agent and list it under escalate:';
  for (const [name, agent] of Object.entries(tree.agents)) {
    if (agent.kind !== 'agent' || name === tree.root || reachesHuman.has(name)) continue;
    if ((outgoing.get(name) ?? []).some((edge) => edge.kind === 'handback')) continue;
    const parent = parents.get(name);
    // It may hand back after all: its handback: failed the schema, or a list that failed the schema may make it a child.
    if (gaps.mayHandBack.has(name) || gaps.unknownKind.has(name) || (parent === undefined && mayHaveParent(name, gaps))) continue;
    const own = agent.handback === false;
    report({
      code: 'DEAD_END',
      message: `"${name}" is a dead end: it cannot hand back${parent ? ` to "${parent}"` : ''} and has no escalation path to a person.`,
      hint: parent
        ? `${own ? 'Remove handback: false' : 'Set handback: true'}, or ${escalateTo}.`
        : `Make it a child of an agent, or ${escalateTo}.`,
      path: own ? ['agents', name, 'handback'] : ['agents', name],
      at: 'key',
    });
  }
  if (agentOf(tree, tree.root) && !reachesHuman.has(tree.root)) {
    report({
      severity: 'warning',
      code: 'NO_HUMAN_ESCALATION',
      message: 'No conversation can reach a person: the tree has no path to a kind: human agent.',
      hint: 'Add a kind: human agent and list it under escalate: (or as the tree escalation:).',
      path: ['root'],
    });
  }
}

/**
 * The agents that have a parent (so none of them is the root) but no way out at all: no edge but
 * to helpers, and none a broken part may hide. Each is a dead end, whatever the root and the rest
 * of the tree are.
 */
function strandedAgents(tree: Tree, outgoing: Map<string, Edge[]>, parents: Map<string, string>, possible: PossibleEdges, gaps: GraphGaps): Set<string> {
  const stranded = new Set<string>();
  for (const [name, agent] of Object.entries(tree.agents)) {
    if (agent.kind !== 'agent' || !parents.has(name)) continue;
    if ((outgoing.get(name) ?? []).some((edge) => edge.kind !== 'helper')) continue;
    if ((possible.edges.get(name)?.size ?? 0) > 0 || possible.anywhere.has(name) || gaps.mayHandBack.has(name) || gaps.unknownKind.has(name)) continue;
    stranded.add(name);
  }
  return stranded;
}

function mayHaveParent(name: string, gaps: GraphGaps): boolean {
  const leaders = gaps.leadersOf(name);
  return leaders.any || leaders.agents.size > 0;
}

function append(map: Map<string, Edge[]>, key: string, edge: Edge): void {
  const list = map.get(key);
  if (list) list.push(edge);
  else map.set(key, [edge]);
}

/** Every agent reachable from `starts`, one step at a time along `next`. */
function reachable(starts: readonly string[], next: (name: string) => Iterable<string>): Set<string> {
  const reached = new Set<string>(starts);
  const queue = [...starts];
  for (let current = queue.pop(); current !== undefined; current = queue.pop()) {
    for (const to of next(current)) {
      if (reached.has(to)) continue;
      reached.add(to);
      queue.push(to);
    }
  }
  return reached;
}

function checkTargetCount(tree: Tree, outgoing: Map<string, Edge[]>, report: Report): void {
  for (const [name, agent] of Object.entries(tree.agents)) {
    // A person's targets are the person's choice of whom to hand back to, not a model's routing.
    if (agent.kind === 'human') continue;
    const targets = (outgoing.get(name) ?? []).filter((edge) => HANDOFF_KINDS.has(edge.kind));
    if (targets.length <= MAX_HANDOFF_TARGETS) continue;
    report({
      severity: 'warning',
      code: 'TOO_MANY_TARGETS',
      message: `"${name}" can hand off to ${targets.length} agents (${targets.map((edge) => edge.to).join(', ')}); routing accuracy drops beyond ${MAX_HANDOFF_TARGETS}.`,
      hint: 'Group some targets under a lead (a second triage level).',
      path: ['agents', name],
      at: 'key',
    });
  }
}
