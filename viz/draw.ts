/**
 * One call from a compiled graph to a drawing in any format.
 */
import type { SwitchboardGraph } from '../graphs/compile.js';
import { describeGraph } from './diagram.js';
import type { Diagram } from './diagram.js';
import { toDot } from './dot.js';
import { toMermaid } from './mermaid.js';
import { renderPng, renderSvg } from './render.js';

export const DRAWING_FORMATS = ['mermaid', 'dot', 'svg', 'png'] as const;
export type DrawingFormat = (typeof DRAWING_FORMATS)[number];

export interface DrawOptions {
  /** Add a legend. Default: true. */
  legend?: boolean | undefined;
  /** Write each agent's description under its name. Default: false. */
  descriptions?: boolean | undefined;
  /** PNG only: pixels per SVG unit (default 2). */
  scale?: number | undefined;
  /** PNG only: font files to draw text with (default: DejaVu Sans from the system). */
  fontFiles?: string[] | undefined;
}

/** Draws a diagram: text for `mermaid`, `dot` and `svg`, bytes for `png`. */
export async function drawDiagram(diagram: Diagram, format: DrawingFormat, options: DrawOptions = {}): Promise<string | Buffer> {
  const text = { legend: options.legend, descriptions: options.descriptions };
  switch (format) {
    case 'mermaid':
      return toMermaid(diagram, text);
    case 'dot':
      return toDot(diagram, text);
    case 'svg':
      return renderSvg(toDot(diagram, text));
    case 'png':
      return renderPng(await renderSvg(toDot(diagram, text)), { scale: options.scale, fontFiles: options.fontFiles });
  }
}

/** Draws a compiled graph (see {@link describeGraph}). */
export async function drawGraph(graph: SwitchboardGraph, format: DrawingFormat, options: DrawOptions = {}): Promise<string | Buffer> {
  return drawDiagram(await describeGraph(graph), format, options);
}

/** The format a file name implies (`tree.png` → `png`), if any. */
export function formatOfFile(file: string): DrawingFormat | undefined {
  const extension = /\.([a-z]+)$/i.exec(file)?.[1]?.toLowerCase();
  if (extension === 'mmd' || extension === 'mermaid') return 'mermaid';
  if (extension === 'dot' || extension === 'gv') return 'dot';
  if (extension === 'svg' || extension === 'png') return extension;
  return undefined;
}
