/**
 * The rules about the shape of the graph a tree defines: one parent per agent and no loops of
 * parents, sideways only between siblings, distinct tool names per agent, every agent reachable,
 * no dead end without a way to a person, and not too many handoff targets. They read the same edges
 * that compile and draw use (graphs/edges.ts).
 */
import type { Tree } from './schema.js';
import type { IssueInput } from './source.js';
import { agentOf, HANDOFF_KINDS, listEdges, parentsOf } from './edges.js';
import type { Edge } from './edges.js';

/** Beyond this many handoff targets, routing accuracy drops (the seeds' guideline). */
export const MAX_HANDOFF_TARGETS = 5;

type Report = (issue: IssueInput) => void;

/** `complete: false` skips the rules that need the whole graph (some of it failed the schema or points nowhere). */
export function lintGraph(tree: Tree, options: { complete: boolean }, report: Report): void {
  const outgoing = new Map<string, Edge[]>();
  for (const edge of listEdges(tree)) append(outgoing, edge.from, edge);
  const parents = parentsOf(tree);
  const loops = checkParents(tree, parents, report);
  checkSideways(tree, parents, report);
  checkToolNames(tree, outgoing, report);
  // In a loop of parents, "hand back" and "reachable" mean nothing: the loop is the error to fix.
  if (options.complete && !loops) {
    checkReachable(tree, outgoing, parents, report);
    checkDeadEnds(tree, outgoing, parents, report);
  }
  checkTargetCount(tree, outgoing, report);
}

/** `name`, its parent, its parent's parent … (stopping at a loop). */
function ancestorsOf(parents: Map<string, string>, name: string): string[] {
  const chain = new Set<string>();
  for (let current: string | undefined = name; current !== undefined && !chain.has(current); current = parents.get(current))
    chain.add(current);
  return [...chain];
}

/** Reports agents with two parents and loops of parents; true if there is a loop. */
function checkParents(tree: Tree, parents: Map<string, string>, report: Report): boolean {
  let loops = false;
  for (const [name, agent] of Object.entries(tree.agents)) {
    for (const [index, child] of (agent.children ?? []).entries()) {
      const path = ['agents', name, 'children', index];
      if (child === tree.root) {
        loops = true;
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
        loops = true;
        const loop = ancestors.slice(0, ancestors.indexOf(child) + 1).reverse();
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
    loops = true;
    const loop = walk.slice(walk.indexOf(current));
    if (loop.includes(tree.root)) continue; // reported above: the root listed as a child
    const last = loop[loop.length - 1] as string;
    const index = agentOf(tree, last)?.children?.indexOf(current) ?? 0;
    report({
      code: 'TREE_CYCLE',
      message: `The agents ${[...loop, current].join(' → ')} are each other's parents, and none is under the root.`,
      hint: 'Break the loop: one of them must not list the other as a child.',
      path: ['agents', last, 'children', index],
    });
  }
  return loops;
}

function checkSideways(tree: Tree, parents: Map<string, string>, report: Report): void {
  for (const [name, agent] of Object.entries(tree.agents)) {
    for (const [index, target] of (agent.sideways ?? []).entries()) {
      if (!agentOf(tree, target) || target === name) continue;
      const mine = parents.get(name);
      if (mine !== undefined && mine === parents.get(target)) continue;
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

/** Each agent's tools (function tools, handoffs, helpers) need distinct names; one report per clash. */
function checkToolNames(tree: Tree, outgoing: Map<string, Edge[]>, report: Report): void {
  const reported = new Set<string>();
  for (const [name, agent] of Object.entries(tree.agents)) {
    const owners = new Map<string, string>();
    const claim = (tool: string, owner: string, path: (string | number)[]) => {
      const previous = owners.get(tool);
      if (previous === undefined) return void owners.set(tool, owner);
      const key = `${path.join('\u0000')}\u0000${tool}`;
      if (reported.has(key)) return;
      reported.add(key);
      report({
        code: 'DUPLICATE_TOOL_NAME',
        message: `"${name}" has two tools named "${tool}" (${previous} and ${owner}).`,
        hint: 'Rename one with handoff.tool on the target agent, or rename the function tool.',
        path,
      });
    };
    for (const [index, tool] of (agent.tools ?? []).entries()) claim(tool, `function tool "${tool}"`, ['agents', name, 'tools', index]);
    for (const edge of outgoing.get(name) ?? []) {
      if (edge.tool === undefined) continue;
      const path = agentOf(tree, edge.to)?.handoff?.tool !== undefined ? ['agents', edge.to, 'handoff', 'tool'] : ['agents', edge.to];
      claim(edge.tool, edge.kind === 'helper' ? `helper "${edge.to}"` : `the handoff to "${edge.to}"`, path);
    }
  }
}

function checkReachable(tree: Tree, outgoing: Map<string, Edge[]>, parents: Map<string, string>, report: Report): void {
  if (!agentOf(tree, tree.root)) return;
  // A person may hand a conversation back to whoever escalated to them: that only reaches agents reached already.
  const leads = (edge: Edge) =>
    !(
      edge.kind === 'handback' &&
      agentOf(tree, edge.from)?.kind === 'human' &&
      edge.to !== parents.get(edge.from) &&
      edge.to !== tree.root
    );
  const reached = reachable(outgoing, [tree.root], leads);
  for (const name of Object.keys(tree.agents)) {
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

function checkDeadEnds(tree: Tree, outgoing: Map<string, Edge[]>, parents: Map<string, string>, report: Report): void {
  const humans = Object.entries(tree.agents)
    .filter(([, agent]) => agent.kind === 'human')
    .map(([name]) => name);
  // Who can reach a person: walk the handoff edges backwards from every person, once.
  const incoming = new Map<string, Edge[]>();
  for (const edge of [...outgoing.values()].flat()) {
    if (edge.kind !== 'helper') append(incoming, edge.to, { ...edge, from: edge.to, to: edge.from });
  }
  const reachesHuman = reachable(incoming, humans, () => true);
  const escalateTo = humans.length > 0 ? `add escalate: [${humans[0]}]` : 'add a kind: human agent and list it under escalate:';
  for (const [name, agent] of Object.entries(tree.agents)) {
    if (agent.kind !== 'agent' || name === tree.root || reachesHuman.has(name)) continue;
    if ((outgoing.get(name) ?? []).some((edge) => edge.kind === 'handback')) continue;
    const parent = parents.get(name);
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

function append(map: Map<string, Edge[]>, key: string, edge: Edge): void {
  const list = map.get(key);
  if (list) list.push(edge);
  else map.set(key, [edge]);
}

/** Every agent reachable from `starts` along the edges `follow` accepts. */
function reachable(outgoing: Map<string, Edge[]>, starts: string[], follow: (edge: Edge) => boolean): Set<string> {
  const reached = new Set<string>(starts);
  const queue = [...starts];
  for (let current = queue.pop(); current !== undefined; current = queue.pop()) {
    for (const edge of outgoing.get(current) ?? []) {
      if (reached.has(edge.to) || !follow(edge)) continue;
      reached.add(edge.to);
      queue.push(edge.to);
    }
  }
  return reached;
}

function checkTargetCount(tree: Tree, outgoing: Map<string, Edge[]>, report: Report): void {
  for (const name of Object.keys(tree.agents)) {
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
