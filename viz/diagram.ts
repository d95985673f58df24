/**
 * What a drawing shows, taken from the compiled graph (the edges LangGraph will run) and the tree
 * (what each edge and agent means). Every renderer draws from this one description.
 */
import type { Tree } from '../config/schema.js';
import type { SwitchboardGraph } from '../graphs/compile.js';
import { runtimeOf } from '../graphs/compile.js';
import { fallbacksBesideHandoffs, fallbacksOf, handoffNeedsApproval, HANDOFF_KINDS } from '../config/edges.js';
import type { Edge, EdgeKind } from '../config/edges.js';
import { edgeLabel } from './styles.js';
import { conditionsOfEdge } from '../config/conditions.js';

export type NodeRole = 'root' | 'lead' | 'specialist' | 'human' | 'helper' | 'fallback';

export interface DiagramNode {
  /** The agent name. */
  name: string;
  role: NodeRole;
  description: string;
}

export interface DiagramEdge {
  from: string;
  to: string;
  kind: EdgeKind;
  /** The handoff or helper tool a model calls to take it (none for fallback and limit edges). */
  tool?: string | undefined;
  /** What the drawing writes on it: the tool name, `on failure` or `on limit`; `(when)` after a conditional handoff's tool. */
  label: string;
  /** A handoff with a condition (`when:`): offered only while it holds. */
  conditional?: boolean | undefined;
  /** A handoff that waits for a person's approval (`approval: required`) before it is taken. */
  approval?: boolean | undefined;
}

export interface Diagram {
  name: string;
  root: string;
  nodes: DiagramNode[];
  /** In the order `listEdges()` gives them, then the fallbacks beside handoffs (`fallbacksBesideHandoffs()`). */
  edges: DiagramEdge[];
}

/**
 * The diagram of a compiled graph: every edge the tree defines (the order of `listEdges()`, then a
 * fallback beside each handoff that leads to the same agent), each checked against the edges LangGraph
 * compiled (helpers are tools, not nodes, so theirs come from the tree alone). A mismatch either way
 * is a bug in Switchboard and throws.
 */
export async function describeGraph(graph: SwitchboardGraph): Promise<Diagram> {
  const runtime = runtimeOf(graph);
  const drawable = await graph.getGraphAsync();
  const compiled = new Set<string>();
  for (const edge of drawable.edges) {
    if (isInternalNode(edge.source) || isInternalNode(edge.target) || edge.source === edge.target) continue;
    compiled.add(edgeKey(edge.source, edge.target));
  }
  const defined = new Set(runtime.edges.filter((edge) => edge.kind !== 'helper').map((edge) => edgeKey(edge.from, edge.to)));
  for (const key of compiled) {
    if (!defined.has(key)) throw new Error(`The compiled graph has an edge ${key} that the tree does not define.`);
  }
  const tree = runtime.tree;
  const drawn = [...runtime.edges, ...fallbacksBesideHandoffs(tree, runtime.edges)];
  const edges = drawn.map((edge): DiagramEdge => {
    if (edge.kind !== 'helper' && !compiled.has(edgeKey(edge.from, edge.to))) {
      throw new Error(`The tree defines the edge ${edgeKey(edge.from, edge.to)} but the compiled graph lacks it.`);
    }
    return describeEdge(tree, edge);
  });
  return { name: tree.name, root: tree.root, nodes: describeNodes(tree, drawn), edges };
}

/** An edge as drawn: its label says when a condition (`when:`) or a person's approval gates it. */
function describeEdge(tree: Tree, edge: Edge): DiagramEdge {
  const conditional = conditionsOfEdge(tree, edge).length > 0;
  const approval = HANDOFF_KINDS.has(edge.kind) && handoffNeedsApproval(tree, edge.from, edge.to);
  const label = [edgeLabel(edge.kind, edge.tool), conditional ? '(when)' : '', approval ? '(approval)' : ''].filter(Boolean).join(' ');
  return {
    from: edge.from,
    to: edge.to,
    kind: edge.kind,
    tool: edge.tool,
    label,
    ...(conditional ? { conditional: true } : {}),
    ...(approval ? { approval: true } : {}),
  };
}

/** LangGraph's own `__start__` and `__end__`. */
function isInternalNode(name: string): boolean {
  return name.startsWith('__') && name.endsWith('__');
}

function edgeKey(from: string, to: string): string {
  return `${from} → ${to}`;
}

/**
 * Each agent's role. An agent is drawn as a fallback only when nothing but failures leads to it: one
 * that a model can also hand off to (as a child, a sibling or by escalating) is drawn as the lead or
 * specialist it then is.
 */
function describeNodes(tree: Tree, edges: readonly Edge[]): DiagramNode[] {
  const fallbacks = new Set(Object.values(tree.agents).flatMap((agent) => fallbacksOf(agent)));
  // Hand-backs aside: they return to an agent that was reached before.
  const handedTo = new Set(edges.filter((edge) => HANDOFF_KINDS.has(edge.kind) && edge.kind !== 'handback').map((edge) => edge.to));
  return Object.entries(tree.agents).map(([name, agent]) => {
    let role: NodeRole;
    if (agent.kind === 'human') role = 'human';
    else if (agent.kind === 'helper') role = 'helper';
    else if (name === tree.root) role = 'root';
    else if (fallbacks.has(name) && !handedTo.has(name)) role = 'fallback';
    else if ((agent.children ?? []).length > 0) role = 'lead';
    else role = 'specialist';
    return { name, role, description: agent.description };
  });
}
