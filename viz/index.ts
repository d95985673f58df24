/**
 * `switchboard/viz`: drawings of a compiled tree (Mermaid, DOT, SVG, PNG) and the diagram they are
 * drawn from. Its own entry, so a backend that imports `switchboard` never loads Graphviz
 * (WebAssembly) or resvg.
 *
 * ```ts
 * import { drawGraph } from 'switchboard/viz';
 * await writeFile('tree.svg', await drawGraph(graph, 'svg'));
 * ```
 */
export { describeGraph } from './diagram.js';
export type { Diagram, DiagramEdge, DiagramNode, NodeRole } from './diagram.js';
export { toMermaid } from './mermaid.js';
export type { MermaidOptions } from './mermaid.js';
export { toDot } from './dot.js';
export type { DotOptions } from './dot.js';
export { renderSvg, renderPng } from './render.js';
export type { PngOptions } from './render.js';
export { drawGraph, drawDiagram, DRAWING_FORMATS } from './draw.js';
export type { DrawingFormat, DrawOptions } from './draw.js';
export { chooseDirection, DIRECTION_CHOICES } from './direction.js';
export type { DirectionChoice, LayoutDirection } from './direction.js';
