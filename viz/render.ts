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
import { facesOf } from './font-faces.js';
import type { FontFace } from './font-faces.js';
import { drawableTextElement } from './font-fallback.js';
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
  /** Font files to draw text with. Default: DejaVu Sans and an emoji font (Symbola) from the system font folders. */
  fontFiles?: string[] | undefined;
}

/** The fonts a PNG is drawn with, and their faces as read from the files (undefined: unknown). */
export interface PngFonts {
  font: NonNullable<ResvgRenderOptions['font']>;
  faces: FontFace[] | undefined;
}

/**
 * Renders SVG to PNG. A run of characters the text's font lacks is drawn with a font that has them
 * (an emoji with Symbola), and a character no font has is spelled out (`[U+1FA7A]`) rather than drawn
 * as an empty box. Throws `NO_FONTS` when no font file can be found (the text would be missing): install
 * DejaVu Sans (`fonts-dejavu-core` on Debian and Ubuntu) or pass `fontFiles`.
 */
export async function renderPng(svg: string, options: PngOptions = {}): Promise<Buffer> {
  return drawPng(svg, findPngFonts(options.fontFiles), options.scale);
}

/** {@link renderPng} with fonts already found. */
export function drawPng(svg: string, fonts: PngFonts, scale = 2): Buffer {
  const { faces } = fonts;
  const drawable = faces
    ? svg.replace(/(<text\b[^>]*>)([^<]*)<\/text>/g, (_, open: string, content: string) =>
        drawableTextElement(open, content, faces, DRAWING_FONT),
      )
    : svg;
  const resvg = new Resvg(drawable, {
    fitTo: { mode: 'zoom', value: scale },
    background: '#ffffff',
    font: fonts.font,
    logLevel: 'off',
  });
  return resvg.render().asPng();
}

/** The given font files, else DejaVu Sans and any emoji font from the system, else every system font. */
export function findPngFonts(fontFiles: string[] | undefined): PngFonts {
  const families = { defaultFontFamily: DRAWING_FONT, sansSerifFamily: DRAWING_FONT };
  if (fontFiles?.length) {
    const missing = fontFiles.filter((file) => !existsSync(file));
    if (missing.length > 0) throw new SwitchboardError('NO_FONTS', `Font file not found: ${missing.join(', ')}.`);
    return { font: { loadSystemFonts: false, fontFiles, ...families }, faces: facesOf(fontFiles) };
  }
  const found = findFonts();
  if (found.drawingFont.length > 0) {
    const files = [...found.drawingFont, ...found.emojiFont];
    return { font: { loadSystemFonts: false, fontFiles: files, ...families }, faces: facesOf(files) };
  }
  if (found.available > 0) return { font: { loadSystemFonts: true }, faces: undefined };
  throw new SwitchboardError(
    'NO_FONTS',
    'No font files found to draw the PNG text with. Install DejaVu Sans (Debian and Ubuntu: apt-get install fonts-dejavu-core), or draw SVG instead.',
  );
}
