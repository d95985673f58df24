/**
 * Offline rendering: DOT → SVG with Graphviz compiled to WebAssembly (`@viz-js/viz`), SVG → PNG with
 * resvg. Neither makes a network call.
 */
import { Resvg } from '@resvg/resvg-js';
import type { ResvgRenderOptions } from '@resvg/resvg-js';
import { instance } from '@viz-js/viz';
import type { Viz } from '@viz-js/viz';
import { SwitchboardError } from '../errors/switchboard-error.js';
import { DRAWING_FONT } from './dot.js';
import { facesOf } from './font-faces.js';
import type { FontFace } from './font-faces.js';
import { drawableTextElement } from './font-fallback.js';
import { findFonts, fontFilesOf } from './fonts.js';

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

/**
 * The largest PNG drawn: 100 megapixels (400 MB of pixels while drawing) and 32767 pixels a side
 * (more than many image viewers and browsers open). A large tree at a large scale would otherwise
 * take all the memory there is and be killed without a word.
 */
export const MAX_PNG_PIXELS = 100_000_000;
export const MAX_PNG_SIDE = 32_767;

/**
 * {@link renderPng} with fonts already found. Throws `DRAWING_TOO_LARGE`, before drawing anything,
 * when the PNG would pass {@link MAX_PNG_PIXELS} or {@link MAX_PNG_SIDE}.
 */
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
  // Parsing sized the picture (in pixels at scale 1); only rendering allocates its pixels.
  checkPngSize(resvg.width, resvg.height, scale);
  return resvg.render().asPng();
}

/** Refuses a PNG of `width` × `height` pixels at `scale` that passes the limits, naming a scale that fits. */
function checkPngSize(width: number, height: number, scale: number): void {
  const [wide, high] = [Math.ceil(width * scale), Math.ceil(height * scale)];
  if (wide * high <= MAX_PNG_PIXELS && Math.max(wide, high) <= MAX_PNG_SIDE) return;
  const largest = Math.min(Math.sqrt(MAX_PNG_PIXELS / (width * height)), MAX_PNG_SIDE / Math.max(width, height));
  // Rounded down, so the scale named does fit.
  const fitting = Math.floor(largest * 100) / 100;
  const instead = fitting > 0 ? `Draw it at a scale of at most ${fitting} (draw --scale ${fitting}), or as SVG` : 'Draw it as SVG';
  throw new SwitchboardError(
    'DRAWING_TOO_LARGE',
    `At scale ${scale} the PNG would be ${wide} × ${high} pixels (${Math.round((wide * high) / 1e6)} megapixels): more than a PNG may have (${MAX_PNG_PIXELS / 1e6} megapixels, ${MAX_PNG_SIDE} pixels a side). ${instead}, which has no size limit.`,
  );
}

/** The given font files (or folders of them), else DejaVu Sans and any emoji font from the system, else every system font. */
export function findPngFonts(fontFiles: string[] | undefined): PngFonts {
  const families = { defaultFontFamily: DRAWING_FONT, sansSerifFamily: DRAWING_FONT };
  if (fontFiles?.length) {
    // Checked here: resvg skips a file it cannot read as a font, and would draw the PNG without text.
    const files = fontFilesOf(fontFiles);
    return { font: { loadSystemFonts: false, fontFiles: files, ...families }, faces: facesOf(files) };
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
