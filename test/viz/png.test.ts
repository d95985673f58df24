import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Resvg } from '@resvg/resvg-js';
import { describe, expect, it } from 'vitest';
import { compileExample } from '../helpers.js';
import { describeGraph } from '../../viz/diagram.js';
import type { Diagram } from '../../viz/diagram.js';
import { toDot } from '../../viz/dot.js';
import { drawDiagram } from '../../viz/draw.js';
import { findFonts } from '../../viz/fonts.js';
import { renderPng, renderSvg } from '../../viz/render.js';
import { decodePng, inkColumns, sameColumns } from './png-pixels.js';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Width and height from the PNG header (IHDR). */
function pngSize(png: Buffer): { width: number; height: number } {
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

async function supportSvg(): Promise<string> {
  const { graph } = await compileExample('support', { model: 'offline', checkpointer: false });
  return renderSvg(toDot(await describeGraph(graph)));
}

describe('renderPng()', () => {
  it('draws the SVG at the asked scale', async () => {
    const svg = await supportSvg();
    const [, width = '0', height = '0'] = /<svg width="(\d+)pt"\s+height="(\d+)pt"/.exec(svg) ?? [];
    const png = await renderPng(svg, { scale: 2 });
    expect(png.subarray(0, 8)).toEqual(PNG_SIGNATURE);
    const size = pngSize(png);
    // Graphviz sizes the SVG in points; a point is 4/3 of a CSS pixel.
    expect(Math.abs(size.width - (2 * 4 * Number(width)) / 3)).toBeLessThanOrEqual(2);
    expect(Math.abs(size.height - (2 * 4 * Number(height)) / 3)).toBeLessThanOrEqual(2);
  });

  it('draws the text (a font was found and used)', async () => {
    const svg = await supportSvg();
    const withoutText = svg.replace(/<text[^>]*>[^<]*<\/text>/g, '');
    expect(withoutText).not.toBe(svg);
    const [withTextPng, withoutTextPng] = await Promise.all([renderPng(svg, { scale: 1 }), renderPng(withoutText, { scale: 1 })]);
    // The same picture without its text compresses smaller: the text pixels were really drawn.
    expect(withTextPng.length).toBeGreaterThan(withoutTextPng.length * 1.1);
  });

  it('says which font file is missing instead of drawing without text', async () => {
    await expect(renderPng(await supportSvg(), { fontFiles: ['/nowhere/DejaVuSans.ttf'] })).rejects.toMatchObject({
      code: 'NO_FONTS',
      message: 'Font file not found: /nowhere/DejaVuSans.ttf.',
    });
  });
});

describe('findFonts()', () => {
  it('finds DejaVu Sans and outline emoji fonts among other fonts, in nested folders', () => {
    const root = mkdtempSync(join(tmpdir(), 'fonts-'));
    for (const folder of ['truetype/dejavu', 'truetype/ancient-scripts', 'truetype/noto'])
      mkdirSync(join(root, folder), { recursive: true });
    for (const file of [
      'truetype/dejavu/DejaVuSans.ttf',
      'truetype/dejavu/DejaVuSans-Bold.ttf',
      'truetype/dejavu/DejaVuSerif.ttf',
      'truetype/ancient-scripts/Symbola_hint.ttf',
      'truetype/noto/NotoColorEmoji.ttf',
      'NotoEmoji-Regular.ttf',
      'Other.otf',
      'notes.txt',
    ])
      writeFileSync(join(root, file), '');
    expect(findFonts([root, join(root, 'missing')])).toEqual({
      drawingFont: [join(root, 'truetype/dejavu/DejaVuSans-Bold.ttf'), join(root, 'truetype/dejavu/DejaVuSans.ttf')],
      // Not the colour bitmaps of Noto Color Emoji: resvg draws nothing from them.
      emojiFont: [join(root, 'NotoEmoji-Regular.ttf'), join(root, 'truetype/ancient-scripts/Symbola_hint.ttf')],
      available: 7,
    });
  });

  it('reports no fonts in empty folders', () => {
    expect(findFonts([mkdtempSync(join(tmpdir(), 'no-fonts-'))])).toEqual({ drawingFont: [], emojiFont: [], available: 0 });
  });
});

const { drawingFont, emojiFont } = findFonts();

/** One line of text, 20 units high, starting 10 units in. */
function textSvg(text: string, family = 'DejaVu Sans'): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="240" height="40"><text xml:space="preserve" x="10" y="28" font-family="${family}" font-size="20">${text}</text></svg>`;
}

/** resvg itself, with these fonts and nothing done to the text. */
function plainPng(svg: string, fontFiles: string[]): Buffer {
  const font = { loadSystemFonts: false, fontFiles, defaultFontFamily: 'DejaVu Sans', sansSerifFamily: 'DejaVu Sans' };
  return new Resvg(svg, { fitTo: { mode: 'zoom', value: 1 }, background: '#ffffff', font, logLevel: 'off' }).render().asPng();
}

describe('emoji in PNG drawings', () => {
  it('finds an emoji font on this machine (Symbola, Debian package fonts-symbola)', () => {
    expect(emojiFont.map((file) => file.split('/').pop())).toContain('Symbola_hint.ttf');
  });

  it('draws an emoji with the emoji font, not as the empty box of a missing glyph', async () => {
    const png = await renderPng(textSvg('🚑'), { scale: 1 });
    const missingGlyph = plainPng(textSvg('\u{10FFFD}'), drawingFont);
    expect(png.equals(missingGlyph)).toBe(false);
    expect(png.equals(plainPng(textSvg('🚑', 'Symbola'), [...drawingFont, ...emojiFont]))).toBe(true);
  });

  it('keeps the text around an emoji in DejaVu Sans (resvg alone draws all of it in the emoji font)', async () => {
    const word = decodePng(await renderPng(textSvg('triage'), { scale: 1 }));
    const withEmoji = decodePng(await renderPng(textSvg('triage 🚑'), { scale: 1 }));
    const { first, last } = inkColumns(word);
    expect(sameColumns(word, withEmoji, first, last)).toBe(true);
    expect(inkColumns(withEmoji).last).toBeGreaterThan(last + 10);
    const resvgAlone = decodePng(plainPng(textSvg('triage 🚑'), [...drawingFont, ...emojiFont]));
    expect(sameColumns(word, resvgAlone, first, last)).toBe(false);
  });

  it('spells out a character no font has instead of drawing an empty box', async () => {
    for (const fontFiles of [undefined, drawingFont]) {
      const stethoscope = await renderPng(textSvg('🩺'), { scale: 1, fontFiles });
      expect(stethoscope.equals(await renderPng(textSvg('[U+1FA7A]'), { scale: 1, fontFiles }))).toBe(true);
    }
  });

  it('sizes the boxes of a drawing for the spelled-out text', async () => {
    const diagram: Diagram = {
      name: 'desk',
      root: 'triage',
      nodes: [{ name: 'triage', role: 'root', description: 'Front desk 🩺' }],
      edges: [],
    };
    const png = await drawDiagram(diagram, 'png', { descriptions: true, scale: 1, legend: false, fontFiles: drawingFont });
    const spelled = await drawDiagram(
      { ...diagram, nodes: [{ name: 'triage', role: 'root', description: 'Front desk [U+1FA7A]' }] },
      'png',
      {
        descriptions: true,
        scale: 1,
        legend: false,
        fontFiles: drawingFont,
      },
    );
    expect(Buffer.from(png).equals(Buffer.from(spelled))).toBe(true);
  });
});
