/**
 * What a PNG drawing refuses, before resvg runs, with a reason instead of a crash or a picture
 * without text: more pixels than a PNG may have, and font files that are not fonts.
 */
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findFonts } from '../../viz/fonts.js';
import { drawPng, findPngFonts, MAX_PNG_PIXELS, renderPng } from '../../viz/render.js';

/** An empty drawing of `width` × `height` CSS pixels. */
function blankSvg(width: number, height: number): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="10" height="10"/></svg>`;
}

describe('the size of a PNG', () => {
  const fonts = findPngFonts(undefined);

  it('refuses more pixels than the limit, naming a scale that fits', () => {
    const attempt = () => drawPng(blankSvg(2600, 2600), fonts, 4);
    expect(attempt).toThrow(
      expect.objectContaining({
        code: 'DRAWING_TOO_LARGE',
        message:
          'At scale 4 the PNG would be 10400 × 10400 pixels (108 megapixels): more than a PNG may have (100 megapixels, 32767 pixels a side). Draw it at a scale of at most 3.84 (draw --scale 3.84), or as SVG, which has no size limit.',
      }),
    );
    // The scale it names does fit.
    const png = drawPng(blankSvg(2600, 2600), fonts, 3.84);
    expect(png.readUInt32BE(16) * png.readUInt32BE(20)).toBeLessThanOrEqual(MAX_PNG_PIXELS);
  });

  it('refuses a side longer than 32767 pixels, however few pixels in all', () => {
    expect(() => drawPng(blankSvg(2100, 10), fonts, 16)).toThrow(
      expect.objectContaining({ code: 'DRAWING_TOO_LARGE', message: expect.stringContaining('(draw --scale 15.6)') }),
    );
  });
});

describe('font files given for a PNG', () => {
  const svg = blankSvg(20, 20);
  const [dejavu] = findFonts().drawingFont;

  it('refuses a file that is not a font, instead of drawing without text', async () => {
    await expect(renderPng(svg, { fontFiles: ['/etc/passwd'] })).rejects.toMatchObject({
      code: 'NO_FONTS',
      message: '/etc/passwd is not a font file: pass a TrueType or OpenType font (.ttf, .otf, .ttc).',
    });
    const web = join(mkdtempSync(join(tmpdir(), 'web-font-')), 'font.woff2');
    writeFileSync(web, 'wOF2 and the rest');
    await expect(renderPng(svg, { fontFiles: [web] })).rejects.toMatchObject({
      code: 'NO_FONTS',
      message: expect.stringContaining('is a WOFF web font'),
    });
  });

  it('takes the fonts of a folder, and refuses a folder without any', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'no-fonts-'));
    writeFileSync(join(empty, 'fake.ttf'), 'not a font at all');
    await expect(renderPng(svg, { fontFiles: [empty] })).rejects.toMatchObject({
      code: 'NO_FONTS',
      message: `No font files in the folder ${empty}: it needs a TrueType or OpenType font (.ttf, .otf, .ttc).`,
    });
    const folder = mkdtempSync(join(tmpdir(), 'fonts-'));
    mkdirSync(join(folder, 'dejavu'));
    copyFileSync(dejavu ?? '', join(folder, 'dejavu', 'DejaVuSans.ttf'));
    expect(findPngFonts([folder]).font.fontFiles).toEqual([join(folder, 'dejavu', 'DejaVuSans.ttf')]);
    expect(findPngFonts([folder]).faces?.[0]?.family).toBe('DejaVu Sans');
  });
});
