/**
 * Graphviz DOT text. Node ids are generated (`a0`, `a1`…) and every string is quoted and escaped,
 * so any agent name is valid DOT. Nodes and edges carry SVG ids and classes (`sb-node-<n>`,
 * `role-<role>`, `sb-edge-<n>`, `kind-<kind>`) that the dev page uses to highlight a conversation.
 */
import type { Diagram, DiagramNode } from './diagram.js';
import { EDGE_ORDER, EDGE_STYLES, ROLE_ORDER, ROLE_STYLES, wrapWords } from './styles.js';
import type { EdgeStyle, RoleStyle } from './styles.js';

/** The font the drawings use: Graphviz has its metrics built in, and the PNG renderer loads it. */
export const DRAWING_FONT = 'DejaVu Sans';

export interface DotOptions {
  /** Add a legend explaining shapes and arrows. Default: true. */
  legend?: boolean | undefined;
  /** Write each agent's description under its name. Default: false (it is always the tooltip). */
  descriptions?: boolean | undefined;
  /** Write the tree name above the drawing. Default: true. */
  title?: boolean | undefined;
}

/** The SVG id of the `index`th node of a diagram. */
export function nodeElementId(index: number): string {
  return `sb-node-${index}`;
}

/** The SVG id of the `index`th edge of a diagram. */
export function edgeElementId(index: number): string {
  return `sb-edge-${index}`;
}

/** The diagram as a Graphviz `digraph`. */
export function toDot(diagram: Diagram, options: DotOptions = {}): string {
  const ids = new Map(diagram.nodes.map((node, index) => [node.name, `a${index}`]));
  const lines = [
    `digraph ${dotString(diagram.name)} {`,
    `  graph [${attributes({
      id: 'sb-graph',
      rankdir: 'TB',
      bgcolor: '#ffffff',
      pad: '0.3',
      nodesep: '0.5',
      ranksep: '0.7',
      fontname: DRAWING_FONT,
      fontsize: '16',
      labelloc: 't',
      newrank: 'true',
      ...(options.title === false ? {} : { label: diagram.name }),
    })}];`,
    `  node [${attributes({ fontname: DRAWING_FONT, fontsize: '12', margin: '0.2,0.08', fontcolor: '#111827' })}];`,
    `  edge [${attributes({ fontname: DRAWING_FONT, fontsize: '9', fontcolor: '#374151' })}];`,
  ];
  diagram.nodes.forEach((node, index) => {
    lines.push(
      `  a${index} [${attributes({ id: nodeElementId(index), class: `sb-node role-${node.role}`, label: nodeLabel(node, options), tooltip: tooltipOf(node), ...roleAttributes(ROLE_STYLES[node.role]) })}];`,
    );
  });
  diagram.edges.forEach((edge, index) => {
    const from = ids.get(edge.from);
    const to = ids.get(edge.to);
    if (from === undefined || to === undefined)
      throw new Error(`The diagram has an edge ${edge.from} → ${edge.to} to an agent it does not list.`);
    const tooltip = `${edge.from} → ${edge.to} (${EDGE_STYLES[edge.kind].legend})`;
    lines.push(
      `  ${from} -> ${to} [${attributes({ id: edgeElementId(index), class: `sb-edge kind-${edge.kind}`, label: edge.label, tooltip, ...edgeAttributes(EDGE_STYLES[edge.kind]) })}];`,
    );
  });
  if (options.legend !== false) lines.push(...legend(diagram.nodes.length));
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

/** The name on one line (line breaks and tabs become spaces), then the wrapped description if asked. */
function nodeLabel(node: DiagramNode, options: DotOptions): string {
  const name = node.name.replace(/[\r\n\t]+/g, ' ');
  if (!options.descriptions || node.description.trim() === '') return name;
  return [name, ...wrapWords(node.description)].join('\n');
}

function tooltipOf(node: DiagramNode): string {
  return node.description.trim() === '' ? node.name : `${node.name}: ${node.description}`;
}

function roleAttributes(style: RoleStyle): Record<string, string> {
  return { shape: style.shape, style: style.dotStyle, fillcolor: style.fill, color: style.stroke, penwidth: String(style.penwidth) };
}

function edgeAttributes(style: EdgeStyle): Record<string, string> {
  return { color: style.color, style: style.line, arrowhead: style.arrowhead, penwidth: String(style.penwidth) };
}

/**
 * A legend cluster below the tree: one sample node per role in a row, then one sample edge per kind
 * in a row. Invisible edges from every agent (weight 0, so they do not pull agents sideways) keep it
 * under the tree; `newrank` ranks the cluster together with the tree.
 */
function legend(nodeCount: number): string[] {
  const lines = [
    '  subgraph cluster_legend {',
    `    graph [${attributes({ id: 'sb-legend', label: 'Legend', fontsize: '12', style: 'rounded,filled', fillcolor: '#f9fafb', color: '#d1d5db', margin: '12' })}];`,
    `    node [${attributes({ fontsize: '10', margin: '0.1,0.04', height: '0.3' })}];`,
  ];
  ROLE_ORDER.forEach((role, index) => {
    lines.push(
      `    lr${index} [${attributes({ id: `sb-legend-role-${index}`, class: `sb-legend role-${role}`, label: ROLE_STYLES[role].legend, tooltip: ROLE_STYLES[role].legend, ...roleAttributes(ROLE_STYLES[role]) })}];`,
    );
  });
  lines.push(`    { rank=same; ${ROLE_ORDER.map((_, index) => `lr${index};`).join(' ')} }`);
  const point = attributes({ shape: 'point', width: '0.05', color: '#9ca3af', label: '' });
  EDGE_ORDER.forEach((kind, index) => {
    lines.push(`    lk${index}s [${point}];`, `    lk${index}t [${point}];`);
    lines.push(
      `    lk${index}s -> lk${index}t [${attributes({ id: `sb-legend-edge-${index}`, class: `sb-legend kind-${kind}`, label: EDGE_STYLES[kind].legend, tooltip: EDGE_STYLES[kind].legend, ...edgeAttributes(EDGE_STYLES[kind]) })}];`,
    );
  });
  lines.push(`    { rank=same; ${EDGE_ORDER.map((_, index) => `lk${index}s; lk${index}t;`).join(' ')} }`);
  lines.push('    lr0 -> lk0s [style=invis];');
  lines.push('  }');
  for (let index = 0; index < nodeCount; index += 1) lines.push(`  a${index} -> lr0 [style=invis, weight=0];`);
  return lines;
}

function attributes(values: Record<string, string>): string {
  return Object.entries(values)
    .map(([key, value]) => `${key}=${dotString(value)}`)
    .join(', ');
}

/**
 * A DOT quoted string. Backslashes are doubled (so `\N`, `\G`… stay literal), quotes escaped, `&`
 * written as `&amp;` (Graphviz decodes entities in labels) and line breaks become `\n`.
 */
export function dotString(text: string): string {
  const escaped = text
    .replace(/\\/g, '\\\\')
    .replace(/"/g, '\\"')
    .replace(/&/g, '&amp;')
    .replace(/\r\n|\r|\n/g, '\\n');
  return `"${escaped}"`;
}
