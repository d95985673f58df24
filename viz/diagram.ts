/**
 * What a drawing shows, taken from the compiled graph (the edges LangGraph will run) and the tree
 * (what each edge and agent means). Every renderer draws from this one description.
 */
import type { Tree } from '../config/schema.js';
import type { SwitchboardGraph } from '../graphs/compile.js';
import { runtimeOf } from '../graphs/compile.js';
import { parentsOf } from '../graphs/edges.js';
import type { EdgeKind } from '../graphs/edges.js';

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
  /** The handoff or helper tool name; for runtime edges, what takes them. */
  label: string;
}

export interface Diagram {
  name: string;
  root: string;
  nodes: DiagramNode[];
  edges: DiagramEdge[];
}

/** The diagram of a compiled graph: exactly its agent-to-agent edges, plus helper calls (tools, not nodes). */
export async function describeGraph(graph: SwitchboardGraph): Promise<Diagram> {
  const runtime = runtimeOf(graph);
  const drawable = await graph.getGraphAsync();
  const kinds = new Map(runtime.edges.map((edge) => [`${edge.from}>${edge.to}`, edge]));
  const edges: DiagramEdge[] = [];
  for (const edge of drawable.edges) {
    if (edge.source.startsWith('__') || edge.target.startsWith('__') || edge.source === edge.target) continue;
    const defined = kinds.get(`${edge.source}>${edge.target}`);
    if (!defined) throw new Error(`The compiled graph has an edge ${edge.source} → ${edge.target} that the tree does not define.`);
    edges.push({ from: edge.source, to: edge.target, kind: defined.kind, label: labelOf(defined.kind, defined.tool) });
  }
  for (const edge of runtime.edges) {
    if (edge.kind === 'helper') edges.push({ from: edge.from, to: edge.to, kind: 'helper', label: edge.tool ?? edge.to });
  }
  return { name: runtime.tree.name, root: runtime.tree.root, nodes: describeNodes(runtime.tree), edges };
}

function labelOf(kind: EdgeKind, tool: string | undefined): string {
  if (kind === 'fallback') return 'on failure';
  if (kind === 'limit') return 'on limit';
  return tool ?? kind;
}

function describeNodes(tree: Tree): DiagramNode[] {
  const parents = parentsOf(tree);
  const fallbacks = new Set(Object.values(tree.agents).flatMap((agent) => (agent.fallback === undefined ? [] : Array.isArray(agent.fallback) ? agent.fallback : [agent.fallback])));
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
