/**
 * What drawings say about fallbacks and approval gates: an agent is a fallback cylinder only when
 * nothing but failures leads to it; a fallback to an agent that a handoff also reaches is drawn
 * beside that handoff; a handoff a person approves says so, and the legend says what that means.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { instance } from '@viz-js/viz';
import { describe, expect, it } from 'vitest';
import { loadTree } from '../../config/load.js';
import { compileTree } from '../../graphs/compile.js';
import { createExampleTools } from '../../tools/examples.js';
import { describeGraph } from '../../viz/diagram.js';
import type { Diagram } from '../../viz/diagram.js';
import { toDot } from '../../viz/dot.js';
import { toMermaid } from '../../viz/mermaid.js';
import { APPROVAL_NOTE } from '../../viz/styles.js';
import { parseFlowchart } from './mermaid-parser.js';

/**
 * manager: reached by escalation, a fallback too, with a child; clerk falls back to its parent;
 * backup is reached only when the manager fails.
 */
const ROLES = `version: 1
name: roles
root: triage
agents:
  triage:
    description: Front desk.
    prompt: Route.
    children: [billing]
    offline: { reply: Hello }
  billing:
    description: Billing.
    prompt: Billing.
    escalate: [manager]
    fallback: manager
    offline: { keywords: [invoice] }
  manager:
    description: The manager.
    prompt: Manager.
    children: [clerk]
    escalate: [person]
    fallback: backup
    offline: { keywords: [manager] }
  clerk:
    description: Clerk.
    prompt: Clerk.
    fallback: manager
    offline: { keywords: [clerk] }
  backup:
    description: Answers when the manager cannot.
    prompt: Apologise.
    escalate: [person]
    offline: { reply: Sorry }
  person:
    kind: human
    description: A person.
    offline: { keywords: [person] }
`;

async function diagramOf(text: string): Promise<Diagram> {
  const file = join(mkdtempSync(join(tmpdir(), 'switchboard-roles-')), 'tree.yaml');
  writeFileSync(file, text);
  const tools = createExampleTools();
  return describeGraph(compileTree(await loadTree(file, { tools }), { tools, model: 'offline', checkpointer: false }));
}

const edgesOf = (diagram: Diagram, from: string) =>
  diagram.edges.filter((edge) => edge.from === from).map((edge) => `${edge.kind} ${edge.to}: ${edge.label}`);

describe('fallbacks in a drawing', () => {
  it('draws an agent as a fallback only when nothing but failures leads to it', async () => {
    const diagram = await diagramOf(ROLES);
    expect(Object.fromEntries(diagram.nodes.map((node) => [node.name, node.role]))).toEqual({
      triage: 'root',
      billing: 'specialist',
      manager: 'lead',
      clerk: 'specialist',
      backup: 'fallback',
      person: 'human',
    });
  });

  it('draws a fallback beside a handoff to the same agent (an escalation, or the hand-back to a parent)', async () => {
    const diagram = await diagramOf(ROLES);
    expect(edgesOf(diagram, 'billing')).toEqual([
      'handback triage: transfer_to_triage',
      'escalate manager: transfer_to_manager',
      'fallback manager: on failure',
    ]);
    expect(edgesOf(diagram, 'clerk')).toEqual(['handback manager: transfer_to_manager', 'fallback manager: on failure']);
    // Graphviz lays out both edges between the two agents.
    const layout = (await instance()).renderJSON(toDot(diagram)) as {
      objects: { _gvid: number; label?: string }[];
      edges: { tail: number; head: number; class?: string }[];
    };
    const id = (name: string) => layout.objects.find((object) => object.label === name)?._gvid;
    const between = layout.edges.filter((edge) => edge.tail === id('billing') && edge.head === id('manager')).map((edge) => edge.class);
    expect(between).toEqual(['sb-edge kind-escalate', 'sb-edge kind-fallback']);
    // And Mermaid.
    const parsed = await parseFlowchart(toMermaid(diagram));
    const ids = new Map([...parsed.vertices.values()].map((vertex) => [vertex.lines[0], vertex.id]));
    expect(
      parsed.edges.filter((edge) => edge.from === ids.get('billing') && edge.to === ids.get('manager')).map((edge) => edge.text),
    ).toEqual(['transfer_to_manager', 'on failure']);
  });
});

describe('approval gates in a drawing', () => {
  const GATED = new URL('../fixtures/trees/gated-desk.yaml', import.meta.url).pathname;

  it('labels a handoff that waits for a person’s approval, and the legend says what that means', async () => {
    const tools = createExampleTools();
    const diagram = await describeGraph(compileTree(await loadTree(GATED, { tools }), { tools, model: 'offline', checkpointer: false }));
    expect(edgesOf(diagram, 'billing')).toContain('escalate person: transfer_to_person (approval)');
    expect(edgesOf(diagram, 'triage')).toEqual(['delegate billing: transfer_to_billing']);
    const layout = (await instance()).renderJSON(toDot(diagram)) as { objects: { label?: string; class?: string }[] };
    expect(layout.objects.filter((object) => object.class === 'sb-legend-note').map((object) => object.label)).toEqual([APPROVAL_NOTE]);
    const parsed = await parseFlowchart(toMermaid(diagram));
    const legend = new Set(parsed.subgraphs.find((subgraph) => subgraph.id === 'legend')?.nodes);
    expect([...parsed.vertices.values()].filter((vertex) => legend.has(vertex.id)).map((vertex) => vertex.lines.join(' '))).toContain(
      APPROVAL_NOTE,
    );
    // A person's hand-back into a gated agent is never gated: a person decides it themselves.
    const lead = await diagramOf(`
version: 1
name: lead
root: billing
agents:
  billing: { description: Billing., prompt: Billing., escalate: [billing_lead, paid_line] }
  billing_lead: { description: The lead., prompt: Lead., handoff: { approval: required }, escalate: [paid_line] }
  paid_line: { kind: human, description: A paid person. }
`);
    expect(edgesOf(lead, 'billing')).toContain('escalate billing_lead: transfer_to_billing_lead (approval)');
    expect(edgesOf(lead, 'paid_line').filter((edge) => edge.includes('billing_lead'))).toEqual([expect.not.stringContaining('(approval)')]);
    // Without a gate, no note.
    const open = await diagramOf(ROLES);
    expect(toDot(open)).not.toContain('sb-legend-note');
    expect(toMermaid(open)).not.toContain('legendNote');
  });
});
