/**
 * Mermaid flowchart text. Node ids are generated (`a0`, `a1`…) and every label is quoted with each
 * character outside a safe set (letters, digits) written as a `#code;` entity, so any agent name or description
 * is valid Mermaid — even ones that break LangGraph's own `drawMermaid()` (end, graph, style…).
 */
import type { EdgeKind } from '../config/edges.js';
import type { Diagram, NodeRole } from './diagram.js';
import type { LayoutDirection } from './direction.js';
import { EDGE_STYLES, legendOf, ROLE_STYLES, wrapWords } from './styles.js';

const ARROWS: Record<EdgeKind, string> = {
  delegate: '-->',
  handback: '-.->',
  sideways: '-->',
  escalate: '==>',
  fallback: '-.->',
  limit: '-.->',
  helper: '-.-o',
};

const SHAPES: Record<NodeRole, [string, string]> = {
  root: ['[[', ']]'],
  lead: ['[', ']'],
  specialist: ['(', ')'],
  human: ['[/', '/]'],
  helper: ['{{', '}}'],
  fallback: ['[(', ')]'],
};

/** Mermaid line dash patterns that set kinds drawn with the same arrow apart. */
const DASHES: Partial<Record<EdgeKind, string>> = { fallback: '8 4', limit: '2 3', handback: '5 4' };

export interface MermaidOptions {
  /** Add a legend subgraph explaining shapes and arrows. Default: true. */
  legend?: boolean | undefined;
  /** Write each agent's description under its name. Default: false. */
  descriptions?: boolean | undefined;
  /** `TB`: the root at the top (`flowchart TD`, the default). `LR`: the root on the left (`flowchart LR`). */
  direction?: LayoutDirection | undefined;
}

/** The diagram as Mermaid flowchart text (`flowchart TD`, or `flowchart LR`). */
export function toMermaid(diagram: Diagram, options: MermaidOptions = {}): string {
  const ids = new Map(diagram.nodes.map((node, index) => [node.name, `a${index}`]));
  const across = options.direction === 'LR';
  const lines = [across ? 'flowchart LR' : 'flowchart TD'];
  for (const node of diagram.nodes) {
    const [open, close] = SHAPES[node.role];
    const description = options.descriptions && node.description.trim() !== '' ? wrapWords(node.description).map(mermaidText) : [];
    const label = [mermaidText(node.name), ...description].join('<br/>');
    lines.push(`  ${ids.get(node.name)}${open}"${label}"${close}:::${node.role}`);
  }
  const kinds: EdgeKind[] = [];
  for (const edge of diagram.edges) {
    const from = ids.get(edge.from);
    const to = ids.get(edge.to);
    if (from === undefined || to === undefined)
      throw new Error(`The diagram has an edge ${edge.from} → ${edge.to} to an agent it does not list.`);
    lines.push(`  ${from} ${ARROWS[edge.kind]}|"${mermaidText(edge.label)}"| ${to}`);
    kinds.push(edge.kind);
  }
  const legend = legendOf(diagram);
  if (options.legend !== false) {
    // Only the kinds this tree has; the legend runs across the tree's own direction.
    lines.push('  subgraph legend["Legend"]', `    direction ${across ? 'TB' : 'LR'}`);
    legend.roles.forEach(({ kind: role, label }, index) => {
      const [open, close] = SHAPES[role];
      lines.push(`    r${index}${open}"${mermaidText(label)}"${close}:::${role}`);
    });
    legend.edges.forEach(({ kind, label }, index) => {
      lines.push(`    k${index}s[" "]:::legendEnd ${ARROWS[kind]}|"${mermaidText(label)}"| k${index}t[" "]:::legendEnd`);
      kinds.push(kind);
    });
    legend.notes.forEach((note, index) => lines.push(`    n${index}["${mermaidText(note)}"]:::legendNote`));
    lines.push('  end');
  }
  // linkStyle numbers count every edge in the order written above, legend edges included.
  kinds.forEach((kind, index) => lines.push(`  linkStyle ${index} ${linkStyle(kind)}`));
  for (const { kind: role } of legend.roles) {
    const style = ROLE_STYLES[role];
    const dashed = role === 'helper' ? ',stroke-dasharray:4 2' : '';
    lines.push(`  classDef ${role} fill:${style.fill},stroke:${style.stroke},stroke-width:${style.penwidth}px,color:#111827${dashed}`);
  }
  lines.push('  classDef legendEnd fill:#ffffff,stroke:#d1d5db,color:#ffffff');
  if (options.legend !== false && legend.notes.length > 0) lines.push('  classDef legendNote fill:#f9fafb,stroke:#f9fafb,color:#374151');
  return `${lines.join('\n')}\n`;
}

function linkStyle(kind: EdgeKind): string {
  const style = EDGE_STYLES[kind];
  const dash = DASHES[kind];
  return `stroke:${style.color},stroke-width:${style.penwidth}px${dash ? `,stroke-dasharray:${dash}` : ''}`;
}

/**
 * Text for a quoted Mermaid label: letters and digits of any script (with their combining marks),
 * spaces and `_.,:-` stay; everything else (quotes, brackets, `#`, `;`, `|`, `%`, `<`, line
 * breaks, symbols, emoji, invisible format characters) becomes `#<code>;`. Letters stay as they
 * are because an entity is about eight characters: a tree described in Chinese or Japanese would
 * pass Mermaid's 50,000-character limit (`maxTextSize`) several times sooner.
 */
export function mermaidText(text: string): string {
  let result = '';
  for (const character of text.replace(/[\r\n\t]+/g, ' ')) {
    result += SAFE.test(character) ? character : `#${character.codePointAt(0)};`;
  }
  return result === '' ? '#160;' : result;
}

const SAFE = /^[\p{L}\p{M}\p{N} _.,:-]$/u;
