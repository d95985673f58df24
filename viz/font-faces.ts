/**
 * What the font files of a PNG drawing hold, read from the files themselves: each face's family
 * name (`name`), the characters it maps to a glyph (`cmap`) and how wide each glyph is (`hmtx`).
 * Enough to know which font draws a character, and how far a run of text reaches.
 */
import { readFileSync } from 'node:fs';

/** One font face. */
export interface FontFace {
  family: string;
  /** Bold, from the `head` table's style bits. */
  bold: boolean;
  /** Glyph ids by code point. */
  glyphs: ReadonlyMap<number, number>;
  /** Advance widths by glyph id, in font units (the last repeats for the glyphs after it). */
  advances: readonly number[];
  unitsPerEm: number;
}

const facesByFile = new Map<string, FontFace[]>();

/**
 * The faces of `files`, in order (each file read once per process). Undefined (unknown) when a file
 * cannot be read or is not a font with Unicode characters.
 */
export function facesOf(files: readonly string[]): FontFace[] | undefined {
  const faces: FontFace[] = [];
  for (const file of files) {
    let found = facesByFile.get(file);
    if (found === undefined) {
      try {
        found = readFaces(readFileSync(file));
      } catch {
        found = [];
      }
      facesByFile.set(file, found);
    }
    if (found.length === 0) return undefined;
    faces.push(...found);
  }
  return faces;
}

/** How wide `text` is in `face` at `fontSize`, from the glyphs' advances (kerning aside). */
export function widthOf(text: string, face: FontFace, fontSize: number): number {
  let units = 0;
  for (const character of text) {
    const glyph = face.glyphs.get(character.codePointAt(0) ?? 0) ?? 0;
    units += face.advances[Math.min(glyph, face.advances.length - 1)] ?? 0;
  }
  return (units * fontSize) / face.unitsPerEm;
}

/** The faces of a TrueType or OpenType font file (several for a collection, `.ttc`). */
export function readFaces(font: Buffer): FontFace[] {
  const offsets = font.toString('latin1', 0, 4) === 'ttcf' ? collectionOffsets(font) : [0];
  return offsets.flatMap((offset) => {
    const family = readFamily(font, offset);
    const glyphs = readGlyphs(font, offset);
    const head = tableOffset(font, offset, 'head');
    if (family === undefined || glyphs.size === 0 || head === undefined) return [];
    const bold = (font.readUInt16BE(head + 44) & 1) === 1;
    return [{ family, bold, glyphs, advances: readAdvances(font, offset), unitsPerEm: font.readUInt16BE(head + 18) }];
  });
}

function collectionOffsets(font: Buffer): number[] {
  const count = font.readUInt32BE(8);
  return Array.from({ length: count }, (_, index) => font.readUInt32BE(12 + index * 4));
}

function tableOffset(font: Buffer, offset: number, tag: string): number | undefined {
  const tables = font.readUInt16BE(offset + 4);
  for (let index = 0; index < tables; index += 1) {
    const record = offset + 12 + index * 16;
    if (font.toString('latin1', record, record + 4) === tag) return font.readUInt32BE(record + 8);
  }
  return undefined;
}

/** The family name (name id 16, the typographic family, else 1), as font matching sees it. */
function readFamily(font: Buffer, offset: number): string | undefined {
  const table = tableOffset(font, offset, 'name');
  if (table === undefined) return undefined;
  const count = font.readUInt16BE(table + 2);
  const strings = table + font.readUInt16BE(table + 4);
  const windows = new Map<number, string>();
  const mac = new Map<number, string>();
  for (let index = 0; index < count; index += 1) {
    const record = table + 6 + index * 12;
    const platform = font.readUInt16BE(record);
    const language = font.readUInt16BE(record + 4);
    const id = font.readUInt16BE(record + 6);
    if (id !== 1 && id !== 16) continue;
    const start = strings + font.readUInt16BE(record + 10);
    const bytes = font.subarray(start, start + font.readUInt16BE(record + 8));
    if (platform === 3 && language === 0x409 && !windows.has(id)) windows.set(id, utf16(bytes));
    else if (platform === 1 && language === 0 && !mac.has(id)) mac.set(id, bytes.toString('latin1'));
  }
  return windows.get(16) ?? windows.get(1) ?? mac.get(16) ?? mac.get(1);
}

function utf16(bytes: Buffer): string {
  let text = '';
  for (let index = 0; index + 1 < bytes.length; index += 2) text += String.fromCharCode(bytes.readUInt16BE(index));
  return text;
}

/** Advance widths by glyph id (`hhea` says how many `hmtx` holds). */
function readAdvances(font: Buffer, offset: number): number[] {
  const hhea = tableOffset(font, offset, 'hhea');
  const hmtx = tableOffset(font, offset, 'hmtx');
  if (hhea === undefined || hmtx === undefined) return [];
  const count = font.readUInt16BE(hhea + 34);
  return Array.from({ length: count }, (_, glyph) => font.readUInt16BE(hmtx + glyph * 4));
}

/** Glyph ids by code point, from the Unicode `cmap` subtables (the first to map a code point wins). */
function readGlyphs(font: Buffer, offset: number): Map<number, number> {
  const glyphs = new Map<number, number>();
  const cmap = tableOffset(font, offset, 'cmap');
  if (cmap === undefined) return glyphs;
  const subtables = font.readUInt16BE(cmap + 2);
  for (let index = 0; index < subtables; index += 1) {
    const record = cmap + 4 + index * 8;
    const platform = font.readUInt16BE(record);
    const encoding = font.readUInt16BE(record + 2);
    // Unicode subtables only: platform 0, or Windows with encoding 1 (BMP) or 10 (all planes).
    if (platform !== 0 && !(platform === 3 && (encoding === 1 || encoding === 10))) continue;
    readSubtable(font, cmap + font.readUInt32BE(record + 4), glyphs);
  }
  return glyphs;
}

/** Adds the glyphs of one `cmap` subtable (format 4: the BMP by segments; 12: groups in all planes). */
function readSubtable(font: Buffer, offset: number, glyphs: Map<number, number>): void {
  const add = (codePoint: number, glyph: number) => {
    if (glyph !== 0 && !glyphs.has(codePoint)) glyphs.set(codePoint, glyph);
  };
  const format = font.readUInt16BE(offset);
  if (format === 4) {
    const segments = font.readUInt16BE(offset + 6) / 2;
    const ends = offset + 14;
    const starts = ends + segments * 2 + 2;
    const deltas = starts + segments * 2;
    const rangeOffsets = deltas + segments * 2;
    for (let segment = 0; segment < segments; segment += 1) {
      const end = font.readUInt16BE(ends + segment * 2);
      const start = font.readUInt16BE(starts + segment * 2);
      const delta = font.readUInt16BE(deltas + segment * 2);
      const rangeOffsetAt = rangeOffsets + segment * 2;
      const rangeOffset = font.readUInt16BE(rangeOffsetAt);
      for (let codePoint = start; codePoint <= end && codePoint !== 0xffff; codePoint += 1) {
        if (rangeOffset === 0) add(codePoint, (codePoint + delta) & 0xffff);
        else {
          const at = rangeOffsetAt + rangeOffset + (codePoint - start) * 2;
          const glyph = at + 2 <= font.length ? font.readUInt16BE(at) : 0;
          add(codePoint, glyph === 0 ? 0 : (glyph + delta) & 0xffff);
        }
      }
    }
  } else if (format === 12) {
    const groups = font.readUInt32BE(offset + 12);
    for (let group = 0; group < groups; group += 1) {
      const record = offset + 16 + group * 12;
      const start = font.readUInt32BE(record);
      const end = Math.min(font.readUInt32BE(record + 4), 0x10ffff);
      const firstGlyph = font.readUInt32BE(record + 8);
      for (let codePoint = start; codePoint <= end; codePoint += 1) add(codePoint, firstGlyph + codePoint - start);
    }
  }
}
