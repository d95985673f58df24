import { instance } from '@viz-js/viz';
import { describe, expect, it } from 'vitest';
import type { EdgeKind } from '../../config/edges.js';
import { describeGraph } from '../../viz/diagram.js';
import type { Diagram, NodeRole } from '../../viz/diagram.js';
import { toDot } from '../../viz/dot.js';
import { toMermaid } from '../../viz/mermaid.js';
import { EDGE_STYLES, ROLE_STYLES } from '../../viz/styles.js';
import { compileExample, EXAMPLES } from '../helpers.js';
import { parseFlowchart } from './mermaid-parser.js';

async function diagramOf(name: string): Promise<Diagram> {
  const { graph } = await compileExample(name, { model: 'offline', checkpointer: false });
  return describeGraph(graph);
}

/** The legend as Graphviz lays it out: the labels of its sample agents and sample edges, in order. */
async function dotLegend(diagram: Diagram, direction: 'TB' | 'LR' = 'TB') {
  const layout = (await instance()).renderJSON(toDot(diagram, { direction })) as {
    objects: { label?: string; class?: string; pos?: string }[];
    edges: { label?: string; class?: string; lp?: string }[];
  };
  const roles = layout.objects.filter((object) => object.class?.startsWith('sb-legend '));
  const edges = layout.edges.filter((edge) => edge.class?.startsWith('sb-legend '));
  const along = (pos: string | undefined) => {
    const [x = 0, y = 0] = (pos ?? '').split(',').map(Number);
    return direction === 'TB' ? x : -y; // left to right, or top down (Graphviz's y grows upwards)
  };
  return {
    roles: [...roles].sort((a, b) => along(a.pos) - along(b.pos)).map((object) => object.label),
    edges: [...edges].sort((a, b) => along(a.lp) - along(b.lp)).map((edge) => edge.label),
  };
}

describe('the legend', () => {
  it('names the root agent, whatever it is called', async () => {
    const diagram = await diagramOf('after-hours');
    expect(diagram.root).toBe('primary');
    const { roles } = await dotLegend(diagram);
    expect(roles[0]).toBe('root (primary)');
    const parsed = await parseFlowchart(toMermaid(diagram));
    const legend = new Set(parsed.subgraphs.find((subgraph) => subgraph.id === 'legend')?.nodes);
    const texts = [...parsed.vertices.values()].filter((vertex) => legend.has(vertex.id)).map((vertex) => vertex.lines.join(' '));
    expect(texts).toContain('root (primary)');
    expect(toDot(diagram) + toMermaid(diagram)).not.toContain('triage');
  });

  it.each(EXAMPLES)('lists only the kinds of agent and edge %s has, in legend order', async (name) => {
    const diagram = await diagramOf(name);
    const roles = new Set<NodeRole>(diagram.nodes.map((node) => node.role));
    const kinds = new Set<EdgeKind>(diagram.edges.map((edge) => edge.kind));
    const expectedRoles = (Object.keys(ROLE_STYLES) as NodeRole[])
      .filter((role) => roles.has(role))
      .map((role) => (role === 'root' ? `root (${diagram.root})` : ROLE_STYLES[role].legend));
    const expectedEdges = (Object.keys(EDGE_STYLES) as EdgeKind[])
      .filter((kind) => kinds.has(kind))
      .map((kind) => EDGE_STYLES[kind].legend);
    for (const direction of ['TB', 'LR'] as const)
      expect(await dotLegend(diagram, direction)).toEqual({ roles: expectedRoles, edges: expectedEdges });

    const parsed = await parseFlowchart(toMermaid(diagram));
    const legend = new Set(parsed.subgraphs.find((subgraph) => subgraph.id === 'legend')?.nodes);
    const shown = [...parsed.vertices.values()].filter((vertex) => legend.has(vertex.id) && vertex.lines.join('').trim() !== '');
    expect(shown.map((vertex) => vertex.lines.join(' '))).toEqual(expectedRoles);
    expect(parsed.edges.filter((edge) => legend.has(edge.from)).map((edge) => edge.text)).toEqual(expectedEdges);
  });

  it('leaves out what a tree does not use: support has no lead, helper or fallback agent', async () => {
    const { roles, edges } = await dotLegend(await diagramOf('support'));
    expect(roles).toEqual(['root (triage)', 'specialist', 'person']);
    expect(edges).toEqual(['delegate', 'hand back', 'escalate', 'on limit']);
  });
});
