import { readdirSync } from 'node:fs';
import { instance } from '@viz-js/viz';
import { describe, expect, it } from 'vitest';
import { loadTree } from '../../config/load.js';
import { compileTree, runtimeOf } from '../../graphs/compile.js';
import { fallbacksBesideHandoffs, handoffNeedsApproval, listEdges } from '../../config/edges.js';
import type { EdgeKind } from '../../config/edges.js';
import type { Tree } from '../../config/schema.js';
import { createExampleTools } from '../../tools/examples.js';
import { describeGraph } from '../../viz/diagram.js';
import type { NodeRole } from '../../viz/diagram.js';
import { toDot } from '../../viz/dot.js';
import { toMermaid } from '../../viz/mermaid.js';
import { EDGE_STYLES, edgeLabel } from '../../viz/styles.js';
import { EXAMPLES, examplePath } from '../helpers.js';
import { parseFlowchart } from './mermaid-parser.js';

const fixtures = new URL('../fixtures/drawing/', import.meta.url);
const TREES: [string, string][] = [
  ...EXAMPLES.map((name): [string, string] => [name, examplePath(name)]),
  ['desk', new URL('../../examples/desk.yaml', import.meta.url).pathname],
  // A person behind an approval gate: the handoff to them says "(approval)".
  ['gated desk', new URL('../fixtures/trees/gated-desk.yaml', import.meta.url).pathname],
  ...readdirSync(fixtures)
    .filter((file) => file.endsWith('.yaml'))
    .map((file): [string, string] => [`fixture ${file}`, new URL(file, fixtures).pathname]),
];

interface DrawnEdge {
  from: string;
  to: string;
  kind: EdgeKind;
  label: string;
}

function isConditional(spec: Tree, edge: { from: string; to: string; kind: EdgeKind }): boolean {
  if (!['delegate', 'handback', 'sideways', 'escalate'].includes(edge.kind)) return false;
  const source = spec.agents[edge.from] as { when?: Record<string, string> } | undefined;
  return spec.agents[edge.to]?.handoff?.when !== undefined || source?.when?.[edge.to] !== undefined;
}

function isGated(spec: Tree, edge: { from: string; to: string; kind: EdgeKind }): boolean {
  return ['delegate', 'handback', 'sideways', 'escalate'].includes(edge.kind) && handoffNeedsApproval(spec, edge.from, edge.to);
}

async function compile(path: string) {
  const tools = createExampleTools();
  const tree = await loadTree(path, { tools });
  const graph = compileTree(tree, { tools, model: 'offline', checkpointer: false });
  // Every edge the runtime has, then the fallbacks it leaves out where a handoff leads to the same agent.
  const expected: DrawnEdge[] = [...listEdges(tree.spec), ...fallbacksBesideHandoffs(tree.spec)].map((edge) => ({
    from: edge.from,
    to: edge.to,
    kind: edge.kind,
    // A handoff with a condition (`when:` on the target's handoff, or per target on the source) says so, and one a person approves.
    label: `${edgeLabel(edge.kind, edge.tool)}${isConditional(tree.spec, edge) ? ' (when)' : ''}${isGated(tree.spec, edge) ? ' (approval)' : ''}`,
  }));
  return { tree, graph, expected };
}

const kindOfColor = new Map(Object.entries(EDGE_STYLES).map(([kind, style]) => [style.color, kind as EdgeKind]));

describe.each(TREES)('the drawing of %s', (_, path) => {
  it('describes exactly the edges listEdges() gives, in its order, then the fallbacks beside handoffs', async () => {
    const { graph, expected } = await compile(path);
    const diagram = await describeGraph(graph);
    expect(diagram.edges.map(({ from, to, kind, label }) => ({ from, to, kind, label }))).toEqual(expected);
  });

  it('matches the edges LangGraph compiled, helpers aside (they are tools, not nodes)', async () => {
    const { graph, expected } = await compile(path);
    const compiled = (await graph.getGraphAsync()).edges
      .filter((edge) => !edge.source.startsWith('__') && !edge.target.startsWith('__'))
      .map((edge) => `${edge.source} → ${edge.target}`);
    const defined = [...new Set(expected.filter((edge) => edge.kind !== 'helper').map((edge) => `${edge.from} → ${edge.to}`))];
    expect(compiled.sort()).toEqual(defined.sort());
  });

  it('writes Mermaid the real parser reads back to the same agents and edges', async () => {
    const { tree, graph, expected } = await compile(path);
    const diagram = await describeGraph(graph);
    const parsed = await parseFlowchart(toMermaid(diagram));
    const legend = new Set(parsed.subgraphs.find((subgraph) => subgraph.id === 'legend')?.nodes);
    expect(legend.size).toBeGreaterThan(0);
    const agents = [...parsed.vertices.values()].filter((vertex) => !legend.has(vertex.id));
    const nameOf = new Map(agents.map((vertex) => [vertex.id, vertex.lines[0] ?? '']));
    expect(agents.map((vertex) => vertex.lines[0])).toEqual(Object.keys(tree.spec.agents));
    const roles = new Map(diagram.nodes.map((node) => [node.name, node.role]));
    for (const vertex of agents) expect(vertex.classes).toEqual([roles.get(nameOf.get(vertex.id) ?? '')]);
    const drawn = parsed.edges
      .filter((edge) => !legend.has(edge.from))
      .map((edge) => {
        const color = /stroke:(#[0-9a-f]{6})/.exec(edge.style.join(';'))?.[1] ?? '';
        return { from: nameOf.get(edge.from), to: nameOf.get(edge.to), kind: kindOfColor.get(color), label: edge.text };
      });
    expect(drawn).toEqual(expected);
  });

  it('writes DOT that Graphviz lays out with the same agents and edges', async () => {
    const { tree, graph, expected } = await compile(path);
    const diagram = await describeGraph(graph);
    const layout = (await instance()).renderJSON(toDot(diagram)) as {
      objects: { _gvid: number; label?: string; class?: string }[];
      edges: { tail: number; head: number; class?: string; label?: string }[];
    };
    const agents = layout.objects.filter((object) => object.class?.startsWith('sb-node '));
    expect(agents.map((object) => object.label)).toEqual(Object.keys(tree.spec.agents));
    const roles = new Map<string, NodeRole>(diagram.nodes.map((node) => [node.name, node.role]));
    for (const object of agents) expect(object.class).toBe(`sb-node role-${roles.get(object.label ?? '')}`);
    const nameOf = new Map(agents.map((object) => [object._gvid, object.label]));
    const drawn = layout.edges
      .filter((edge) => edge.class?.startsWith('sb-edge '))
      .map((edge) => ({
        from: nameOf.get(edge.tail),
        to: nameOf.get(edge.head),
        kind: edge.class?.replace('sb-edge kind-', ''),
        label: edge.label,
      }));
    expect(drawn).toEqual(expected);
  });
});

describe('describeGraph()', () => {
  it('refuses to draw when the tree and the compiled graph disagree', async () => {
    const { graph } = await compile(examplePath('support'));
    runtimeOf(graph).edges.push({ from: 'sales', to: 'technical', kind: 'sideways', tool: 'transfer_to_technical' });
    await expect(describeGraph(graph)).rejects.toThrow('The tree defines the edge sales → technical but the compiled graph lacks it.');
  });
});
