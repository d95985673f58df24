/**
 * One call from a compiled graph to a drawing in any format.
 */
import type { SwitchboardGraph } from '../graphs/compile.js';
import { describeGraph } from './diagram.js';
import type { Diagram } from './diagram.js';
import { chooseDirection } from './direction.js';
import type { DirectionChoice } from './direction.js';
import { toDot } from './dot.js';
import { fallbackText } from './font-fallback.js';
import { toMermaid } from './mermaid.js';
import { drawPng, findPngFonts, renderSvg } from './render.js';

export const DRAWING_FORMATS = ['mermaid', 'dot', 'svg', 'png'] as const;
export type DrawingFormat = (typeof DRAWING_FORMATS)[number];

export interface DrawOptions {
  /** Add a legend. Default: true. */
  legend?: boolean | undefined;
  /** Write each agent's description under its name. Default: false. */
  descriptions?: boolean | undefined;
  /**
   * `TB`: the root at the top, each level below. `LR`: the root on the left, each level to its
   * right. `auto` (the default): whichever Graphviz lays out narrower (see `chooseDirection()`), so
   * wide trees run left to right.
   */
  direction?: DirectionChoice | undefined;
  /** PNG only: pixels per SVG unit (default 2). */
  scale?: number | undefined;
  /** PNG only: font files to draw text with (default: DejaVu Sans and an emoji font from the system). */
  fontFiles?: string[] | undefined;
}

/** Draws a diagram: text for `mermaid`, `dot` and `svg`, bytes for `png`. */
export async function drawDiagram(diagram: Diagram, format: DrawingFormat, options: DrawOptions = {}): Promise<string | Buffer> {
  const text = { legend: options.legend, descriptions: options.descriptions };
  const choice = options.direction ?? 'auto';
  const direction = choice === 'auto' ? await chooseDirection(diagram, text) : choice;
  switch (format) {
    case 'mermaid':
      return toMermaid(diagram, { ...text, direction });
    case 'dot':
      return toDot(diagram, { ...text, direction });
    case 'svg':
      return renderSvg(toDot(diagram, { ...text, direction }));
    case 'png': {
      // Characters the fonts lack are spelled out before Graphviz sizes the boxes around them.
      const fonts = findPngFonts(options.fontFiles);
      const { faces } = fonts;
      const drawableText = faces ? (shown: string) => fallbackText(shown, faces) : undefined;
      return drawPng(await renderSvg(toDot(diagram, { ...text, direction, drawableText })), fonts, options.scale);
    }
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
