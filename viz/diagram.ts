/**
 * What a drawing shows, taken from the compiled graph (the edges LangGraph will run) and the tree
 * (what each edge and agent means). Every renderer draws from this one description.
 */
import type { Tree } from '../config/schema.js';
import type { SwitchboardGraph } from '../graphs/compile.js';
import { runtimeOf } from '../graphs/compile.js';
import { fallbacksOf, parentsOf } from '../config/edges.js';
import type { EdgeKind } from '../config/edges.js';
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
}

export interface Diagram {
  name: string;
  root: string;
  nodes: DiagramNode[];
  /** In the order `listEdges()` gives them. */
  edges: DiagramEdge[];
}

/**
 * The diagram of a compiled graph: every edge the tree defines (the order of `listEdges()`), each
 * checked against the edges LangGraph compiled (helpers are tools, not nodes, so theirs come from
 * the tree alone). A mismatch either way is a bug in Switchboard and throws.
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
  const edges = runtime.edges.map((edge): DiagramEdge => {
    if (edge.kind !== 'helper' && !compiled.has(edgeKey(edge.from, edge.to))) {
      throw new Error(`The tree defines the edge ${edgeKey(edge.from, edge.to)} but the compiled graph lacks it.`);
    }
    const label = edgeLabel(edge.kind, edge.tool);
    if (conditionsOfEdge(runtime.tree, edge).length === 0) return { from: edge.from, to: edge.to, kind: edge.kind, tool: edge.tool, label };
    return { from: edge.from, to: edge.to, kind: edge.kind, tool: edge.tool, label: `${label} (when)`, conditional: true };
  });
  return { name: runtime.tree.name, root: runtime.tree.root, nodes: describeNodes(runtime.tree), edges };
}

/** LangGraph's own `__start__` and `__end__`. */
function isInternalNode(name: string): boolean {
  return name.startsWith('__') && name.endsWith('__');
}

function edgeKey(from: string, to: string): string {
  return `${from} → ${to}`;
}

function describeNodes(tree: Tree): DiagramNode[] {
  const parents = parentsOf(tree);
  const fallbacks = new Set(Object.values(tree.agents).flatMap((agent) => fallbacksOf(agent)));
  return Object.entries(tree.agents).map(([name, agent]) => {
    let role: NodeRole;
    if (agent.kind === 'human') role = 'human';
    else if (agent.kind === 'helper') role = 'helper';
    else if (name === tree.root) role = 'root';
    else if (fallbacks.has(name) && !parents.has(name)) role = 'fallback';
    else if ((agent.children ?? []).length > 0) role = 'lead';
    else role = 'specialist';
    return { name, role, description: agent.description };
  });
}
