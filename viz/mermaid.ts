/**
 * Mermaid flowchart text. Node ids are generated (`a0`, `a1`…) and names go in quoted labels, so any
 * agent name is valid Mermaid — even ones that break LangGraph's own `drawMermaid()`.
 */
import type { Diagram, DiagramEdge, NodeRole } from './diagram.js';

const ARROWS: Record<DiagramEdge['kind'], string> = {
  delegate: '-->',
  handback: '-.->',
  sideways: '-->',
  escalate: '==>',
  fallback: '-.->',
  limit: '-.->',
  helper: '--o',
};

const SHAPES: Record<NodeRole, [string, string]> = {
  root: ['[["', '"]]'],
  lead: ['["', '"]'],
  specialist: ['("', '")'],
  human: ['[/"', '"/]'],
  helper: ['{{"', '"}}'],
  fallback: ['[("', '")]'],
};

const CLASSES: Record<NodeRole, string> = {
  root: 'fill:#fff4c2,stroke:#b08900,stroke-width:2px',
  lead: 'fill:#e0e7ff,stroke:#4f46e5',
  specialist: 'fill:#ecfdf5,stroke:#059669',
  human: 'fill:#fde2e2,stroke:#c0392b,stroke-width:2px',
  helper: 'fill:#f3f4f6,stroke:#6b7280,stroke-dasharray:4 2',
  fallback: 'fill:#fff1e6,stroke:#d9480f',
};

export interface MermaidOptions {
  /** Add a legend subgraph explaining shapes and arrows. Default: true. */
  legend?: boolean;
}

export function toMermaid(diagram: Diagram, options: MermaidOptions = {}): string {
  const ids = new Map(diagram.nodes.map((node, index) => [node.name, `a${index}`]));
  const lines = ['flowchart TD'];
  for (const node of diagram.nodes) {
    const [open, close] = SHAPES[node.role];
    lines.push(`  ${ids.get(node.name)}${open}${escapeLabel(node.name)}${close}:::${node.role}`);
  }
  diagram.edges.forEach((edge) => {
    lines.push(`  ${ids.get(edge.from)} ${ARROWS[edge.kind]}|"${escapeLabel(edge.label)}"| ${ids.get(edge.to)}`);
  });
  // linkStyle numbers follow the edge order above.
  diagram.edges.forEach((edge, index) => {
    const style = edgeStyle(edge.kind);
    if (style) lines.push(`  linkStyle ${index} ${style}`);
  });
  if (options.legend !== false) lines.push(...legend());
  for (const [role, style] of Object.entries(CLASSES)) lines.push(`  classDef ${role} ${style}`);
  return `${lines.join('\n')}\n`;
}

function edgeStyle(kind: DiagramEdge['kind']): string | undefined {
  switch (kind) {
    case 'escalate':
      return 'stroke:#c0392b,stroke-width:2px';
    case 'handback':
      return 'stroke:#6b7280';
    case 'sideways':
      return 'stroke:#7c3aed';
    case 'fallback':
      return 'stroke:#d9480f';
    case 'limit':
      return 'stroke:#9ca3af';
    case 'helper':
      return 'stroke:#6b7280';
    default:
      return undefined;
  }
}

function legend(): string[] {
  return [
    '  subgraph legend["Legend"]',
    '    direction LR',
    '    l0[["root"]]:::root',
    '    l1["lead"]:::lead',
    '    l2("specialist"):::specialist',
    '    l3[/"person"/]:::human',
    '    l4{{"helper (tool)"}}:::helper',
    '    l5[("fallback")]:::fallback',
    '  end',
  ];
}

/** Mermaid labels in double quotes: quotes become #quot; and line breaks spaces. */
function escapeLabel(text: string): string {
  return text.replace(/"/g, '#quot;').replace(/[\r\n]+/g, ' ');
}
