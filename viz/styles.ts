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

/** The legend's note on the `(approval)` that ends the label of a handoff a person must approve. */
export const APPROVAL_NOTE = '(approval): a person approves the handoff first';

/**
 * What a diagram's legend lists: only the kinds of agent and edge the diagram has, in legend order,
 * and a note on `(approval)` when an edge is gated. The root's entry names the root agent
 * (`root (primary)`), whatever it is called.
 */
export function legendOf(diagram: Diagram): { roles: LegendEntry<NodeRole>[]; edges: LegendEntry<EdgeKind>[]; notes: string[] } {
  const roles = new Set(diagram.nodes.map((node) => node.role));
  const kinds = new Set(diagram.edges.map((edge) => edge.kind));
  return {
    roles: ROLE_ORDER.filter((role) => roles.has(role)).map((role) => ({
      kind: role,
      label: role === 'root' ? `${ROLE_STYLES.root.legend} (${diagram.root.replace(/[\r\n\t]+/g, ' ')})` : ROLE_STYLES[role].legend,
    })),
    edges: EDGE_ORDER.filter((kind) => kinds.has(kind)).map((kind) => ({ kind, label: EDGE_STYLES[kind].legend })),
    notes: diagram.edges.some((edge) => edge.approval) ? [APPROVAL_NOTE] : [],
  };
}

/** The label of an edge in a drawing: the tool the model calls, or what makes the runtime take it. */
export function edgeLabel(kind: EdgeKind, tool: string | undefined): string {
  if (kind === 'fallback') return 'on failure';
  if (kind === 'limit') return 'on limit';
  return tool ?? kind;
}

/**
 * Splits `text` into lines about `width` columns wide, at spaces. A run without spaces wider than
 * that (Chinese or Japanese text, a long URL) is broken where it must, between characters. A
 * character of the wide East Asian scripts takes two columns, as it is drawn about twice as wide.
 */
export function wrapWords(text: string, width = 36): string[] {
  const lines: string[] = [];
  let line = '';
  let columns = 0;
  for (const word of text.split(/\s+/).filter((part) => part !== '')) {
    for (const piece of breakRun(word, width)) {
      const pieceColumns = columnsOf(piece);
      if (line !== '' && columns + 1 + pieceColumns > width) {
        lines.push(line);
        line = '';
        columns = 0;
      }
      columns += (line === '' ? 0 : 1) + pieceColumns;
      line = line === '' ? piece : `${line} ${piece}`;
    }
  }
  if (line !== '') lines.push(line);
  return lines;
}

const graphemes = new Intl.Segmenter('en', { granularity: 'grapheme' });

/** A run without spaces in pieces of at most `width` columns, never splitting a character from its marks. */
function breakRun(run: string, width: number): string[] {
  if (columnsOf(run) <= width) return [run];
  const pieces: string[] = [];
  let piece = '';
  let columns = 0;
  for (const { segment } of graphemes.segment(run)) {
    const segmentColumns = columnsOf(segment);
    if (piece !== '' && columns + segmentColumns > width) {
      pieces.push(piece);
      piece = '';
      columns = 0;
    }
    piece += segment;
    columns += segmentColumns;
  }
  if (piece !== '') pieces.push(piece);
  return pieces;
}

/** Hangul, CJK ideographs and punctuation, kana, fullwidth forms: drawn about twice as wide as a Latin letter. */
const WIDE = /[\u1100-\u115F\u2E80-\u303E\u3041-\u33FF\u3400-\u4DBF\u4E00-\u9FFF\uA000-\uA4CF\uAC00-\uD7A3\uF900-\uFAFF\uFE30-\uFE4F\uFF00-\uFF60\uFFE0-\uFFE6\u{20000}-\u{3FFFD}]/u;

/** How many columns `text` takes: two for each wide character, one for any other (its marks take none). */
function columnsOf(text: string): number {
  let columns = 0;
  for (const character of text) columns += WIDE.test(character) ? 2 : /\p{M}/u.test(character) ? 0 : 1;
  return columns;
}
