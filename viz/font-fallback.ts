/**
 * Text the PNG fonts can draw. The renderer (resvg) draws a character no loaded font has as an empty
 * box (an emoji in an agent name became `□`), and when one character of a text needs another font
 * that also has every other character (Symbola has Latin letters), it draws the whole text in that
 * font. So a character no font has is spelled out (`[U+1FA7A]`), and each run of characters the
 * text's own font lacks is placed on its own, in the font that has it, measured from the fonts'
 * advance widths.
 */
import type { FontFace } from './font-faces.js';
import { widthOf } from './font-faces.js';

interface Run {
  text: string;
  /** The face that draws it; undefined when the text's own font is not among the faces. */
  face: FontFace | undefined;
}

/**
 * `text` with every character no face has written as `[U+XXXX]`. Whitespace, control characters
 * and invisible ones (zero-width joiners, variation selectors) stay: they draw nothing either way.
 */
export function fallbackText(text: string, faces: readonly FontFace[]): string {
  return runsOf(text, faces, undefined)
    .map((run) => run.text)
    .join('');
}

/**
 * One SVG `<text>` element (its opening tag and its XML-escaped content) made drawable: unchanged
 * when its own font has every character; else characters no face has are spelled out and every run
 * is a `<tspan>` at its own `x`, in the font that has it.
 */
export function drawableTextElement(open: string, content: string, faces: readonly FontFace[], defaultFamily: string): string {
  const family = /\bfont-family="([^",]*)/.exec(open)?.[1]?.trim() ?? defaultFamily;
  const bold = /\bfont-weight="(bold|[6-9]00)"/.test(open);
  const home = faces.find((face) => face.family === family && face.bold === bold) ?? faces.find((face) => face.family === family);
  const text = decodeXml(content);
  const runs = runsOf(text, faces, home);
  if (runs.every((run) => run.face === home) && runs.map((run) => run.text).join('') === text) return `${open}${content}</text>`;
  const x = Number(/\bx="(-?[\d.]+)"/.exec(open)?.[1]);
  const fontSize = Number(/\bfont-size="([\d.]+)"/.exec(open)?.[1] ?? 16);
  if (home === undefined || !Number.isFinite(x)) return `${open}${encodeXml(runs.map((run) => run.text).join(''))}</text>`;
  const widths = runs.map((run) => widthOf(run.text, run.face ?? home, fontSize));
  const total = widths.reduce((sum, width) => sum + width, 0);
  const anchor = /\btext-anchor="(\w+)"/.exec(open)?.[1] ?? 'start';
  let position = anchor === 'middle' ? x - total / 2 : anchor === 'end' ? x - total : x;
  const spans = runs.map((run, index) => {
    const font = run.face && run.face !== home ? ` font-family="${encodeXml(run.face.family)}"` : '';
    const span = `<tspan x="${position.toFixed(2)}"${font}>${encodeXml(run.text)}</tspan>`;
    position += widths[index] ?? 0;
    return span;
  });
  const start = /\btext-anchor="/.test(open)
    ? open.replace(/\btext-anchor="\w+"/, 'text-anchor="start"')
    : open.replace(/>$/, ' text-anchor="start">');
  return `${start}${spans.join('')}</text>`;
}

/** Splits `text` into runs by the face that draws each character, `home` first. */
function runsOf(text: string, faces: readonly FontFace[], home: FontFace | undefined): Run[] {
  const runs: Run[] = [];
  let current: Run | undefined;
  for (const character of text) {
    const codePoint = character.codePointAt(0) ?? 0;
    let face: FontFace | undefined;
    let shown = character;
    if (/\p{Default_Ignorable_Code_Point}/u.test(character)) face = current ? current.face : home;
    else if (home?.glyphs.has(codePoint) || /[\s\p{Cc}]/u.test(character)) face = home;
    else {
      face = faces.find((candidate) => candidate.glyphs.has(codePoint));
      if (face === undefined) {
        shown = `[U+${codePoint.toString(16).toUpperCase().padStart(4, '0')}]`;
        face = home;
      }
    }
    if (current !== undefined && current.face === face) current.text += shown;
    else {
      current = { text: shown, face };
      runs.push(current);
    }
  }
  return runs;
}

function decodeXml(text: string): string {
  return text.replace(/&(#x[\da-f]+|#\d+|amp|lt|gt|quot|apos);/gi, (entity: string, name: string) => {
    if (name.startsWith('#')) {
      const codePoint = /^#x/i.test(name) ? Number.parseInt(name.slice(2), 16) : Number(name.slice(1));
      return codePoint <= 0x10ffff ? String.fromCodePoint(codePoint) : entity;
    }
    return { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }[name.toLowerCase()] ?? entity;
  });
}

function encodeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
