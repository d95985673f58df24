import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileExample } from '../helpers.js';
import { describeGraph } from '../../viz/diagram.js';
import { toDot } from '../../viz/dot.js';
import { findFonts } from '../../viz/fonts.js';
import { renderPng, renderSvg } from '../../viz/render.js';

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
  it('finds DejaVu Sans among other fonts, in nested folders', () => {
    const root = mkdtempSync(join(tmpdir(), 'fonts-'));
    mkdirSync(join(root, 'truetype/dejavu'), { recursive: true });
    for (const file of [
      'truetype/dejavu/DejaVuSans.ttf',
      'truetype/dejavu/DejaVuSans-Bold.ttf',
      'truetype/dejavu/DejaVuSerif.ttf',
      'Other.otf',
      'notes.txt',
    ])
      writeFileSync(join(root, file), '');
    expect(findFonts([root, join(root, 'missing')])).toEqual({
      drawingFont: [join(root, 'truetype/dejavu/DejaVuSans-Bold.ttf'), join(root, 'truetype/dejavu/DejaVuSans.ttf')],
      available: 4,
    });
  });

  it('reports no fonts in empty folders', () => {
    expect(findFonts([mkdtempSync(join(tmpdir(), 'no-fonts-'))])).toEqual({ drawingFont: [], available: 0 });
  });
});
