/**
 * Offline rendering: DOT → SVG with Graphviz compiled to WebAssembly (`@viz-js/viz`), SVG → PNG with
 * resvg. Neither makes a network call.
 */
import { existsSync } from 'node:fs';
import { Resvg } from '@resvg/resvg-js';
import type { ResvgRenderOptions } from '@resvg/resvg-js';
import { instance } from '@viz-js/viz';
import type { Viz } from '@viz-js/viz';
import { SwitchboardError } from '../errors/switchboard-error.js';
import { DRAWING_FONT } from './dot.js';
import { findFonts } from './fonts.js';

let graphviz: Promise<Viz> | undefined;

/** Lays out DOT text with Graphviz and returns the SVG. Throws `DRAWING_FAILED` for DOT Graphviz rejects. */
export async function renderSvg(dot: string): Promise<string> {
  graphviz ??= instance();
  const result = (await graphviz).render(dot, { format: 'svg' });
  if (result.status === 'failure') {
    throw new SwitchboardError(
      'DRAWING_FAILED',
      `Graphviz could not draw the DOT text: ${result.errors.map((error) => error.message.trim()).join('; ')}`,
    );
  }
  return result.output;
}

export interface PngOptions {
  /** Pixels per SVG unit. Default: 2 (sharp on high-density screens). */
  scale?: number | undefined;
  /** Font files to draw text with. Default: DejaVu Sans from the system font folders. */
  fontFiles?: string[] | undefined;
}

/**
 * Renders SVG to PNG. Throws `NO_FONTS` when no font file can be found (the text would be missing):
 * install DejaVu Sans (`fonts-dejavu-core` on Debian and Ubuntu) or pass `fontFiles`.
 */
export async function renderPng(svg: string, options: PngOptions = {}): Promise<Buffer> {
  const resvg = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: options.scale ?? 2 },
    background: '#ffffff',
    font: fontOptions(options.fontFiles),
    logLevel: 'off',
  });
  return resvg.render().asPng();
}

function fontOptions(fontFiles: string[] | undefined): NonNullable<ResvgRenderOptions['font']> {
  const families = { defaultFontFamily: DRAWING_FONT, sansSerifFamily: DRAWING_FONT };
  if (fontFiles?.length) {
    const missing = fontFiles.filter((file) => !existsSync(file));
    if (missing.length > 0) throw new SwitchboardError('NO_FONTS', `Font file not found: ${missing.join(', ')}.`);
    return { loadSystemFonts: false, fontFiles, ...families };
  }
  const found = findFonts();
  if (found.drawingFont.length > 0) return { loadSystemFonts: false, fontFiles: found.drawingFont, ...families };
  if (found.available > 0) return { loadSystemFonts: true };
  throw new SwitchboardError(
    'NO_FONTS',
    'No font files found to draw the PNG text with. Install DejaVu Sans (Debian and Ubuntu: apt-get install fonts-dejavu-core), or draw SVG instead.',
  );
}
