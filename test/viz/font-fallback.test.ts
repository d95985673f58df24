import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { facesOf, readFaces, widthOf } from '../../viz/font-faces.js';
import { drawableTextElement, fallbackText } from '../../viz/font-fallback.js';
import { findFonts } from '../../viz/fonts.js';

const { drawingFont, emojiFont } = findFonts();
const regular = drawingFont.find((file) => file.endsWith('DejaVuSans.ttf')) ?? '';
const open = '<text xml:space="preserve" text-anchor="middle" x="100" y="-14.4" font-family="DejaVu Sans" font-size="12.00">';

describe('readFaces()', () => {
  it('reads the family, style, characters and advance widths of a font file', () => {
    const faces = drawingFont.flatMap((file) => readFaces(readFileSync(file)));
    expect(faces.map(({ family, bold }) => ({ family, bold }))).toEqual(
      expect.arrayContaining([
        { family: 'DejaVu Sans', bold: false },
        { family: 'DejaVu Sans', bold: true },
      ]),
    );
    const [face] = readFaces(readFileSync(regular));
    expect(face?.glyphs.has('é'.codePointAt(0) ?? 0)).toBe(true);
    expect(face?.glyphs.has('🚑'.codePointAt(0) ?? 0)).toBe(false);
    // DejaVu Sans's "i" is narrower than its "m", and a 12-unit "m" is about 11.7 units wide.
    expect(widthOf('i', face!, 12)).toBeLessThan(widthOf('m', face!, 12));
    expect(widthOf('m', face!, 12)).toBeCloseTo(11.7, 1);
  });

  it('reads nothing from a file that is not a font', () => {
    expect(facesOf([new URL(import.meta.url).pathname])).toBeUndefined();
  });
});

describe('fallbackText()', () => {
  it('spells out what no font has, and keeps spaces, joiners and variation selectors', () => {
    const faces = facesOf([regular]) ?? [];
    expect(fallbackText('nurse 🩺 ☎️ 👩\u200d⚕\n', faces)).toBe('nurse [U+1FA7A] ☎️ [U+1F469]\u200d⚕\n');
  });
});

describe('drawableTextElement()', () => {
  it('leaves a text its font can draw untouched', () => {
    const faces = facesOf([...drawingFont, ...emojiFont]) ?? [];
    expect(drawableTextElement(open, 'triage &amp; billing', faces, 'DejaVu Sans')).toBe(`${open}triage &amp; billing</text>`);
  });

  it('puts each run of emoji in its own span, in the emoji font, placed after the text before it', () => {
    const faces = facesOf([...drawingFont, ...emojiFont]) ?? [];
    const element = drawableTextElement(open, 'triage 🚑 &amp; 🩺', faces, 'DejaVu Sans');
    const spans = [...element.matchAll(/<tspan x="([\d.-]+)"( font-family="(\w+)")?>([^<]*)<\/tspan>/g)].map((match) => ({
      x: Number(match[1]),
      family: match[3],
      text: match[4],
    }));
    expect(spans.map(({ family, text }) => ({ family, text }))).toEqual([
      { family: undefined, text: 'triage ' },
      { family: 'Symbola', text: '🚑' },
      { family: undefined, text: ' &amp; [U+1FA7A]' },
    ]);
    expect(element.startsWith(open.replace('text-anchor="middle"', 'text-anchor="start"'))).toBe(true);
    const [word, emoji, rest] = spans;
    const dejavu = facesOf([regular])?.[0];
    expect((emoji?.x ?? 0) - (word?.x ?? 0)).toBeCloseTo(widthOf('triage ', dejavu!, 12), 1);
    // Still centred on x=100.
    const end = (rest?.x ?? 0) + widthOf(' & [U+1FA7A]', dejavu!, 12);
    expect(((word?.x ?? 0) + end) / 2).toBeCloseTo(100, 0);
  });
});
