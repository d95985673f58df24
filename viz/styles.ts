/**
 * How each kind of agent and each kind of edge looks, in one place: the Mermaid text, the DOT text
 * (and so the SVG and PNG drawings) and the dev page's legend all read these.
 */
import type { EdgeKind } from '../config/edges.js';
import type { Diagram, NodeRole } from './diagram.js';

/** The look of one kind of agent. */
export interface RoleStyle {
  /** What the legend calls it (the root's entry also names the root agent). */
  legend: string;
  fill: string;
  stroke: string;
  /** Graphviz shape; the Mermaid shape is chosen to match. */
  shape: 'box' | 'parallelogram' | 'hexagon' | 'cylinder';
  /** Graphviz `style` additions (always filled). */
  dotStyle: string;
  penwidth: number;
}

/** The look of one kind of edge. */
export interface EdgeStyle {
  /** What the legend calls it. */
  legend: string;
  color: string;
  line: 'solid' | 'dashed' | 'dotted' | 'bold';
  /** Graphviz arrowhead. */
  arrowhead: 'normal' | 'empty' | 'vee' | 'odot' | 'dot';
  penwidth: number;
}

/** Roles in legend order. */
export const ROLE_ORDER: readonly NodeRole[] = ['root', 'lead', 'specialist', 'human', 'helper', 'fallback'];

export const ROLE_STYLES: Readonly<Record<NodeRole, RoleStyle>> = {
  root: { legend: 'root', fill: '#fff4c2', stroke: '#b08900', shape: 'box', dotStyle: 'rounded,filled,bold', penwidth: 2 },
  lead: { legend: 'lead', fill: '#e0e7ff', stroke: '#4f46e5', shape: 'box', dotStyle: 'rounded,filled', penwidth: 1.5 },
  specialist: { legend: 'specialist', fill: '#ecfdf5', stroke: '#059669', shape: 'box', dotStyle: 'rounded,filled', penwidth: 1.2 },
  human: { legend: 'person', fill: '#fde2e2', stroke: '#c0392b', shape: 'parallelogram', dotStyle: 'filled,bold', penwidth: 2 },
  helper: {
    legend: 'helper (called as a tool)',
    fill: '#f3f4f6',
    stroke: '#6b7280',
    shape: 'hexagon',
    dotStyle: 'filled,dashed',
    penwidth: 1.2,
  },
  fallback: { legend: 'fallback', fill: '#fff1e6', stroke: '#d9480f', shape: 'cylinder', dotStyle: 'filled', penwidth: 1.5 },
};

/** Edge kinds in legend order. */
export const EDGE_ORDER: readonly EdgeKind[] = ['delegate', 'handback', 'sideways', 'escalate', 'fallback', 'limit', 'helper'];

export const EDGE_STYLES: Readonly<Record<EdgeKind, EdgeStyle>> = {
  delegate: { legend: 'delegate', color: '#1f2937', line: 'solid', arrowhead: 'normal', penwidth: 1.4 },
  handback: { legend: 'hand back', color: '#6b7280', line: 'dashed', arrowhead: 'empty', penwidth: 1.2 },
  sideways: { legend: 'sideways', color: '#7c3aed', line: 'solid', arrowhead: 'vee', penwidth: 1.4 },
  escalate: { legend: 'escalate', color: '#c0392b', line: 'bold', arrowhead: 'normal', penwidth: 2.4 },
  fallback: { legend: 'fallback (on failure)', color: '#d9480f', line: 'dashed', arrowhead: 'vee', penwidth: 1.6 },
  limit: { legend: 'on limit', color: '#9ca3af', line: 'dotted', arrowhead: 'vee', penwidth: 1.2 },
  helper: { legend: 'helper call (tool)', color: '#0e7490', line: 'dotted', arrowhead: 'odot', penwidth: 1.4 },
};

/** One legend entry: a kind of agent or of edge that the drawn tree has, and what the legend calls it. */
export interface LegendEntry<TKind> {
  kind: TKind;
  label: string;
}

/**
 * What a diagram's legend lists: only the kinds of agent and edge the diagram has, in legend order.
 * The root's entry names the root agent (`root (primary)`), whatever it is called.
 */
export function legendOf(diagram: Diagram): { roles: LegendEntry<NodeRole>[]; edges: LegendEntry<EdgeKind>[] } {
  const roles = new Set(diagram.nodes.map((node) => node.role));
  const kinds = new Set(diagram.edges.map((edge) => edge.kind));
  return {
    roles: ROLE_ORDER.filter((role) => roles.has(role)).map((role) => ({
      kind: role,
      label: role === 'root' ? `${ROLE_STYLES.root.legend} (${diagram.root.replace(/[\r\n\t]+/g, ' ')})` : ROLE_STYLES[role].legend,
    })),
    edges: EDGE_ORDER.filter((kind) => kinds.has(kind)).map((kind) => ({ kind, label: EDGE_STYLES[kind].legend })),
  };
}

/** The label of an edge in a drawing: the tool the model calls, or what makes the runtime take it. */
export function edgeLabel(kind: EdgeKind, tool: string | undefined): string {
  if (kind === 'fallback') return 'on failure';
  if (kind === 'limit') return 'on limit';
  return tool ?? kind;
}

/** Splits `text` into lines of about `width` characters at spaces (a longer word keeps its own line). */
export function wrapWords(text: string, width = 36): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter((part) => part !== '')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  if (line !== '') lines.push(line);
  return lines;
}
