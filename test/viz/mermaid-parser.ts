/**
 * The real `mermaid` parser, in Node: mermaid needs a DOM (DOMPurify), which jsdom provides.
 * Gives back what the parser understood: vertices with their decoded text, edges, subgraphs.
 */
import { JSDOM } from 'jsdom';

export interface ParsedVertex {
  id: string;
  /** The label as the reader sees it: entities decoded, `<br>` as a line break. */
  lines: string[];
  classes: string[];
  shape: string;
}

export interface ParsedEdge {
  from: string;
  to: string;
  text: string;
  /** `normal`, `dotted` or `thick`. */
  stroke: string;
  /** `arrow_point`, `arrow_circle`… */
  type: string;
  /** The styles linkStyle gave it. */
  style: string[];
}

export interface ParsedFlowchart {
  vertices: Map<string, ParsedVertex>;
  edges: ParsedEdge[];
  subgraphs: { id: string; title: string; nodes: string[] }[];
}

interface FlowDb {
  getVertices(): Map<string, { id: string; text?: string; classes: string[]; type?: string }>;
  getEdges(): { start: string; end: string; text: string; stroke: string; type: string; style?: string[] }[];
  getSubGraphs(): { id: string; title: string; nodes: string[] }[];
}

let mermaidModule: Promise<typeof import('mermaid').default> | undefined;

async function loadMermaid(): Promise<typeof import('mermaid').default> {
  const dom = new JSDOM('<!doctype html><html><body></body></html>');
  Object.assign(globalThis, { window: dom.window, document: dom.window.document });
  const { default: mermaid } = await import('mermaid');
  mermaid.initialize({ startOnLoad: false, securityLevel: 'strict' });
  return mermaid;
}

/** Parses flowchart text with mermaid; throws mermaid's own error when the text is invalid. */
export async function parseFlowchart(text: string): Promise<ParsedFlowchart> {
  mermaidModule ??= loadMermaid();
  const mermaid = await mermaidModule;
  const result = await mermaid.parse(text);
  if (!result || result.diagramType !== 'flowchart-v2') throw new Error(`Not a flowchart: ${JSON.stringify(result)}`);
  const diagram = await mermaid.mermaidAPI.getDiagramFromText(text);
  const db = diagram.db as unknown as FlowDb;
  const vertices = new Map<string, ParsedVertex>();
  for (const [id, vertex] of db.getVertices()) {
    vertices.set(id, { id, lines: decodeLabel(vertex.text ?? id), classes: vertex.classes, shape: vertex.type ?? '' });
  }
  const edges = db
    .getEdges()
    .map((edge) => ({
      from: edge.start,
      to: edge.end,
      text: decodeLabel(edge.text).join('\n'),
      stroke: edge.stroke,
      type: edge.type,
      style: edge.style ?? [],
    }));
  return {
    vertices,
    edges,
    subgraphs: db.getSubGraphs().map((subgraph) => ({ id: subgraph.id, title: subgraph.title, nodes: subgraph.nodes })),
  };
}

/** Mermaid keeps `#code;` entities as private markers until rendering; decode them like the renderer does. */
function decodeLabel(text: string): string[] {
  const decoded = text
    .replace(/ﬂ°°(\d+)¶ß/g, (_, code: string) => String.fromCodePoint(Number(code)))
    .replace(/ﬂ°(\w+)¶ß/g, (_, name: string) => ({ quot: '"', amp: '&', lt: '<', gt: '>', nbsp: '\u00a0' })[name] ?? `&${name};`);
  return decoded.split(/<br\s*\/?>/);
}
