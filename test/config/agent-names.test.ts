/**
 * Agent names that break LangGraph's own `drawMermaid()`, which writes each node id as it is: a name
 * starting with a Mermaid keyword and "-" (`end-user`, read as the keyword `end`), or holding "--"
 * (an arrow: `a--b` fails to parse, `a---b` draws an edge a → b). Lint refuses exactly those; a tree
 * whose names it allows draws as the graph it is, checked with mermaid's own parser.
 */
import { END, MessagesAnnotation, START, StateGraph } from '@langchain/langgraph';
import { describe, expect, it } from 'vitest';
import { lintTreeText, parseTree } from '../../config/load.js';
import { compileTree } from '../../graphs/compile.js';
import { parseFlowchart } from '../viz/mermaid-parser.js';
import { showIssues } from './lint-fixtures.js';

/** A valid tree but for `name`: triage delegates to it, and it escalates to a person. */
function treeWith(name: string): string {
  return `version: 1
name: desk
root: triage
agents:
  triage:
    description: Front desk.
    prompt: Route.
    children: [${JSON.stringify(name)}]
  ${JSON.stringify(name)}:
    description: An agent.
    prompt: Help.
    escalate: [person]
  person:
    kind: human
    description: A person.
`;
}

interface DrawableGraph {
  nodes: Record<string, unknown>;
  edges: { source: string; target: string }[];
  drawMermaid(): string;
}

/** Whether mermaid reads LangGraph's drawing of `graph` as that graph: the same nodes, the same edges. */
async function drawsAsItself(graph: DrawableGraph): Promise<boolean> {
  let parsed;
  try {
    parsed = await parseFlowchart(graph.drawMermaid());
  } catch {
    return false;
  }
  const edges = (list: { from: string; to: string }[]) => list.map(({ from, to }) => `${from} → ${to}`).sort();
  return (
    JSON.stringify([...parsed.vertices.keys()].sort()) === JSON.stringify(Object.keys(graph.nodes).sort()) &&
    JSON.stringify(edges(parsed.edges)) === JSON.stringify(edges(graph.edges.map(({ source, target }) => ({ from: source, to: target }))))
  );
}

/** The tree's shape as a plain LangGraph graph (compileTree refuses these names), nodes named as the tree's agents. */
function plainGraph(name: string): DrawableGraph {
  const graph = new StateGraph(MessagesAnnotation)
    .addNode('triage', () => ({}), { ends: [name, END] })
    .addNode(name, () => ({}), { ends: ['triage', 'person', END] })
    .addNode('person', () => ({}), { ends: [name, END] })
    .addEdge(START, 'triage');
  return graph.compile().getGraph();
}

const ALLOWED = ['billing', 'end_user', 'endx', 'x-end', 'graph2', 'class_a', 'default-x', 'click-x', 'a-b', 'ab-', 'o-x', 'x-o', 'flow-chart'];
const REFUSED = ['end-x', 'graph-x', 'style-x', 'class-x', 'subgraph-x', 'flowchart-x', 'interpolate', 'o--x', 'ab--', 'a--b', 'a---b'];

describe('agent names and Mermaid (LangGraph drawMermaid())', () => {
  it.each(ALLOWED)('allows %s, and LangGraph draws the compiled tree as it is', async (name) => {
    const text = treeWith(name);
    expect(lintTreeText(text, 'desk.yaml').filter((issue) => issue.code === 'RESERVED_NAME')).toEqual([]);
    const graph = compileTree(parseTree(text, 'desk.yaml'), { model: 'offline' }).getGraph() as unknown as DrawableGraph;
    expect(Object.keys(graph.nodes)).toContain(name);
    expect(await drawsAsItself(graph)).toBe(true);
  });

  it.each(REFUSED)('refuses %s at the agent and where it is listed: LangGraph draws a graph mermaid cannot read as it is', async (name) => {
    const issues = lintTreeText(treeWith(name), 'desk.yaml').filter((issue) => issue.code === 'RESERVED_NAME');
    expect(issues.map((issue) => issue.path)).toEqual([
      ['agents', 'triage', 'children', 0],
      ['agents', name],
    ]);
    // The same rename is offered in both places, and that name is allowed.
    const offers = new Set(issues.map((issue) => /e\.g\. "([^"]*)"/.exec(issue.hint ?? '')?.[1]));
    expect(offers.size).toBe(1);
    const [rename] = [...offers] as [string];
    expect(lintTreeText(treeWith(rename), 'desk.yaml').filter((issue) => issue.severity === 'error')).toEqual([]);
    expect(await drawsAsItself(plainGraph(name))).toBe(false);
    expect(await drawsAsItself(plainGraph(rename))).toBe(true);
  });

  it('says why, and what to rename it to', () => {
    const text = treeWith('end-user');
    expect(showIssues(text, lintTreeText(text, 'desk.yaml'))).toMatchInlineSnapshot(`
      "desk.yaml:8:16 error RESERVED_NAME "end-user" (agents.triage.children[0]) starts with "end-", which Mermaid reads as its keyword end: it breaks Mermaid drawings, even LangGraph's own drawMermaid(). Rename it, e.g. "end_user".
            children: ["end-user"]
                       ^
      desk.yaml:9:3 error RESERVED_NAME "end-user" starts with "end-", which Mermaid reads as its keyword end: it breaks Mermaid drawings, even LangGraph's own drawMermaid(). Rename it, e.g. "end_user".
          "end-user":
          ^"
    `);
    const arrow = treeWith('a--b');
    expect(showIssues(arrow, lintTreeText(arrow, 'desk.yaml').slice(0, 1))).toMatchInlineSnapshot(`
      "desk.yaml:8:16 error RESERVED_NAME "a--b" (agents.triage.children[0]) holds "--", which Mermaid reads as an arrow: it breaks Mermaid drawings, even LangGraph's own drawMermaid(). Rename it, e.g. "a__b".
            children: ["a--b"]
                       ^"
    `);
  });

  it('refuses a reserved name at its key even when the rest of the agent failed the schema', () => {
    const text = treeWith('end-user').replace('    description: An agent.\n', '    kind: agnet\n    description: An agent.\n');
    expect(lintTreeText(text, 'desk.yaml').map((issue) => `${issue.code} ${issue.path.join('.')}`)).toEqual([
      'RESERVED_NAME agents.triage.children.0',
      'RESERVED_NAME agents.end-user',
      'INVALID_VALUE agents.end-user.kind',
    ]);
  });

  it('refuses a reserved name in every place that lists agents: root, escalation, lists, fallback, when and approval targets', () => {
    const text = `version: 1
name: desk
root: graph
escalation: graph
agents:
  graph:
    description: Front desk.
    prompt: Route.
    children: [billing]
    escalate: [person]
  billing:
    description: Billing.
    prompt: Help.
    sideways: []
    escalate: [graph, person]
    fallback: graph
    when: { graph: "true" }
    approval: { graph: required }
  person:
    kind: human
    description: A person.
`;
    expect(lintTreeText(text, 'desk.yaml').filter((issue) => issue.code === 'RESERVED_NAME').map((issue) => issue.path.join('.'))).toEqual([
      'root',
      'escalation',
      'agents.graph',
      'agents.billing.escalate.0',
      'agents.billing.fallback',
      'agents.billing.when.graph',
      'agents.billing.approval.graph',
    ]);
  });
});
