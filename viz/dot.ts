/**
 * Graphviz DOT text. Node ids are generated (`a0`, `a1`…) and every string is quoted and escaped,
 * so any agent name is valid DOT. Nodes and edges carry SVG ids and classes (`sb-node-<n>`,
 * `role-<role>`, `sb-edge-<n>`, `kind-<kind>`) that the dev page uses to highlight a conversation.
 */
import type { Diagram, DiagramNode } from './diagram.js';
import type { LayoutDirection } from './direction.js';
import { EDGE_STYLES, legendOf, ROLE_STYLES, wrapWords } from './styles.js';
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
  /** `TB`: the root at the top, each level below (default). `LR`: the root on the left, each level to its right. */
  direction?: LayoutDirection | undefined;
  /**
   * Rewrites every text the drawing shows (names, descriptions, edge labels, the title, the legend)
   * before Graphviz measures it. PNG drawings use it to spell out characters the fonts cannot draw.
   */
  drawableText?: ((text: string) => string) | undefined;
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
  const shown = options.drawableText ?? ((text: string) => text);
  const direction = options.direction ?? 'TB';
  const lines = [
    `digraph ${dotString(diagram.name)} {`,
    `  graph [${attributes({
      id: 'sb-graph',
      rankdir: direction,
      bgcolor: '#ffffff',
      pad: '0.3',
      nodesep: '0.5',
      ranksep: '0.7',
      fontname: DRAWING_FONT,
      fontsize: '16',
      labelloc: 't',
      newrank: 'true',
      ...(options.title === false ? {} : { label: shown(diagram.name) }),
    })}];`,
    `  node [${attributes({ fontname: DRAWING_FONT, fontsize: '12', margin: '0.2,0.08', fontcolor: '#111827' })}];`,
    `  edge [${attributes({ fontname: DRAWING_FONT, fontsize: '9', fontcolor: '#374151' })}];`,
  ];
  diagram.nodes.forEach((node, index) => {
    lines.push(
      `  a${index} [${attributes({ id: nodeElementId(index), class: `sb-node role-${node.role}`, label: shown(nodeLabel(node, options)), tooltip: tooltipOf(node), ...roleAttributes(ROLE_STYLES[node.role]) })}];`,
    );
  });
  diagram.edges.forEach((edge, index) => {
    const from = ids.get(edge.from);
    const to = ids.get(edge.to);
    if (from === undefined || to === undefined)
      throw new Error(`The diagram has an edge ${edge.from} → ${edge.to} to an agent it does not list.`);
    const tooltip = `${edge.from} → ${edge.to} (${EDGE_STYLES[edge.kind].legend})`;
    lines.push(
      `  ${from} -> ${to} [${attributes({ id: edgeElementId(index), class: `sb-edge kind-${edge.kind}`, label: shown(edge.label), tooltip, ...edgeAttributes(EDGE_STYLES[edge.kind]) })}];`,
    );
  });
  if (options.legend !== false) lines.push(...legend(diagram, direction, shown));
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
 * A legend cluster after the tree (below it top to bottom, right of it left to right), listing only
 * the kinds of agent and edge the tree has. Top to bottom it holds a row of sample agents, then a row
 * of sample edges; left to right, a column of sample agents beside a column of sample edges. Invisible
 * edges from every agent (weight 0, so they do not pull agents aside) keep it after the tree;
 * `newrank` ranks the cluster together with the tree.
 */
function legend(diagram: Diagram, direction: LayoutDirection, shown: (text: string) => string): string[] {
  const { roles, edges, notes } = legendOf(diagram);
  const lines = [
    '  subgraph cluster_legend {',
    `    graph [${attributes({ id: 'sb-legend', label: 'Legend', fontsize: '12', style: 'rounded,filled', fillcolor: '#f9fafb', color: '#d1d5db', margin: '12' })}];`,
    `    node [${attributes({ fontsize: '10', margin: '0.1,0.04', height: '0.3' })}];`,
  ];
  for (const { kind: role, label } of roles) {
    lines.push(
      `    ${dotString(`lr_${role}`)} [${attributes({ id: `sb-legend-role-${role}`, class: `sb-legend role-${role}`, label: shown(label), tooltip: label, ...roleAttributes(ROLE_STYLES[role]) })}];`,
    );
  }
  lines.push(`    { rank=same; ${roles.map(({ kind }) => `${dotString(`lr_${kind}`)};`).join(' ')} }`);
  lines.push(
    ...inOrder(
      roles.map(({ kind }) => dotString(`lr_${kind}`)),
      direction,
    ),
  );
  const point = attributes({ shape: 'point', width: '0.05', color: '#9ca3af', label: '' });
  for (const { kind, label } of edges) {
    lines.push(`    ${dotString(`lk_${kind}_s`)} [${point}];`, `    ${dotString(`lk_${kind}_t`)} [${point}];`);
    lines.push(
      `    ${dotString(`lk_${kind}_s`)} -> ${dotString(`lk_${kind}_t`)} [${attributes({ id: `sb-legend-edge-${kind}`, class: `sb-legend kind-${kind}`, label: shown(label), tooltip: label, ...edgeAttributes(EDGE_STYLES[kind]) })}];`,
    );
  }
  if (direction === 'TB') {
    // One row of sample edges.
    lines.push(`    { rank=same; ${edges.map(({ kind }) => `${dotString(`lk_${kind}_s`)}; ${dotString(`lk_${kind}_t`)};`).join(' ')} }`);
  } else {
    // One column of sample edges, each lying across: their starts share a rank, and so do their ends.
    lines.push(`    { rank=same; ${edges.map(({ kind }) => `${dotString(`lk_${kind}_s`)};`).join(' ')} }`);
    lines.push(`    { rank=same; ${edges.map(({ kind }) => `${dotString(`lk_${kind}_t`)};`).join(' ')} }`);
    lines.push(
      ...inOrder(
        edges.map(({ kind }) => dotString(`lk_${kind}_s`)),
        direction,
      ),
    );
  }
  const [firstRole] = roles;
  const [firstEdge] = edges;
  if (firstRole && firstEdge)
    lines.push(`    ${dotString(`lr_${firstRole.kind}`)} -> ${dotString(`lk_${firstEdge.kind}_s`)} [style=invis];`);
  // Notes on the words labels add, each after the sample edges (below them, or beside them left to right).
  notes.forEach((note, index) => {
    lines.push(`    ${dotString(`ln_${index}`)} [${attributes({ id: `sb-legend-note-${index}`, class: 'sb-legend-note', shape: 'plaintext', label: shown(note), tooltip: note })}];`);
    if (firstEdge) lines.push(`    ${dotString(`lk_${firstEdge.kind}_t`)} -> ${dotString(`ln_${index}`)} [style=invis];`);
  });
  lines.push('  }');
  if (firstRole) {
    for (let index = 0; index < diagram.nodes.length; index += 1)
      lines.push(`  a${index} -> ${dotString(`lr_${firstRole.kind}`)} [style=invis, weight=0];`);
  }
  return lines;
}

/**
 * Invisible edges between nodes of one rank, which keep them in this order: left to right, or top
 * down when the drawing runs left to right (Graphviz stacks such a rank from the bottom up).
 */
function inOrder(ids: string[], direction: LayoutDirection): string[] {
  const ordered = direction === 'LR' ? [...ids].reverse() : ids;
  return ordered.slice(1).map((id, index) => `    ${ordered[index]} -> ${id} [style=invis];`);
}

function attributes(values: Record<string, string>): string {
  return Object.entries(values)
    .map(([key, value]) => `${key}=${key === 'tooltip' ? tooltipString(value) : dotString(value)}`)
    .join(', ');
}

/**
 * A DOT quoted string for a `tooltip`. Graphviz expands the escapes of a tooltip (`\N`, `\G`, `\E`,
 * `\L`…) one more time than a label's, so a backslash doubled as in {@link dotString} still started
 * one: a description `C:\Network` read `C:a3etwork` on the node. Written four times, it stays one
 * backslash in the SVG's `xlink:title`, on nodes, edges and clusters alike.
 */
function tooltipString(text: string): string {
  return dotString(text.replace(/\\/g, '\\\\'));
}

/**
 * Characters XML does not allow (controls other than tab and line breaks, U+FFFE, U+FFFF) and the
 * other Unicode noncharacters. Graphviz copies them into the SVG as they are, and one made the whole
 * SVG unreadable: no PNG, and a blank drawing on the dev page. Lint refuses them in a tree; the
 * drawing spells out any that reach it anyway.
 */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const NOT_IN_XML = /[\x00-\x08\x0B\x0C\x0E-\x1F]|\p{Noncharacter_Code_Point}/gu;

/**
 * A DOT quoted string. Backslashes are doubled (so `\N`, `\G`… stay literal), quotes escaped, `&`
 * written as `&amp;` (Graphviz decodes entities in labels), line breaks become `\n`, and characters
 * an SVG cannot hold are spelled out (`[U+FFFE]`).
 */
export function dotString(text: string): string {
  const escaped = text
    .replace(NOT_IN_XML, (character) => `[U+${(character.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}]`)
    .replace(/\\/g, '\\\\')
    .replace(/"/g, '\\"')
    .replace(/&/g, '&amp;')
    .replace(/\r\n|\r|\n/g, '\\n');
  return `"${escaped}"`;
}
