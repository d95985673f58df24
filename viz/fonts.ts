/**
 * Fonts for PNG drawings. The renderer (resvg) draws no text without font files, so the drawing font
 * (DejaVu Sans, whose metrics Graphviz lays text out with) is looked up in the usual font folders,
 * with an outline emoji font for the emoji DejaVu Sans lacks (Symbola: `fonts-symbola` on Debian and
 * Ubuntu). Bitmap colour emoji fonts (Noto Color Emoji) are not used: the resvg of
 * `@resvg/resvg-js` 2.6 draws nothing from them.
 */
import { closeSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { SwitchboardError } from '../errors/switchboard-error.js';

/** Where operating systems keep fonts. */
export const FONT_DIRS: readonly string[] = [
  '/usr/share/fonts',
  '/usr/local/share/fonts',
  join(homedir(), '.local/share/fonts'),
  join(homedir(), '.fonts'),
  '/Library/Fonts',
  '/System/Library/Fonts',
  join(homedir(), 'Library/Fonts'),
  'C:\\Windows\\Fonts',
];

const FONT_FILE = /\.(ttf|otf|ttc)$/i;
/** Outline fonts with emoji: Symbola (Debian's is `Symbola_hint.ttf`) and the monochrome Noto Emoji. */
const EMOJI_FONT_FILE = /^(Symbola(_hint)?|NotoEmoji[-_][\w-]*)\.(ttf|otf)$/i;

export interface FontFiles {
  /** DejaVu Sans (regular, bold) when installed. */
  drawingFont: string[];
  /** Outline emoji fonts when installed (Symbola, Noto Emoji). */
  emojiFont: string[];
  /** How many font files exist in the font folders at all. */
  available: number;
}

/** Finds the drawing font and emoji fonts, and counts the other fonts, under `dirs`. */
export function findFonts(dirs: readonly string[] = FONT_DIRS): FontFiles {
  const drawingFont: string[] = [];
  const emojiFont: string[] = [];
  let available = 0;
  const visit = (dir: string, depth: number) => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return; // a folder this system does not have
    }
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory() && depth < 5) visit(path, depth + 1);
      else if (FONT_FILE.test(entry.name)) {
        available += 1;
        if (/^DejaVuSans(-Bold)?\.ttf$/.test(entry.name)) drawingFont.push(path);
        else if (EMOJI_FONT_FILE.test(entry.name)) emojiFont.push(path);
      }
    }
  };
  for (const dir of dirs) visit(dir, 0);
  return { drawingFont: drawingFont.sort(), emojiFont: emojiFont.sort(), available };
}

/** What the first four bytes of a font file say it is: the formats resvg reads, and the web fonts it does not. */
const SIGNATURES: ReadonlyMap<string, 'font' | 'web font'> = new Map([
  ['\x00\x01\x00\x00', 'font'], // TrueType (or OpenType with TrueType outlines)
  ['true', 'font'], // TrueType, Apple's tag
  ['OTTO', 'font'], // OpenType with CFF outlines
  ['ttcf', 'font'], // a TrueType or OpenType collection
  ['wOFF', 'web font'],
  ['wOF2', 'web font'],
]);

/**
 * The font files `paths` name, each a font file or a folder holding some (every font file in it is
 * taken). Throws `NO_FONTS` naming the first path that is missing, cannot be read, is not a font
 * (`/etc/passwd`), is a web font resvg cannot read, or is a folder without fonts: resvg itself skips
 * such a file without a word and draws the PNG without any text.
 */
export function fontFilesOf(paths: readonly string[]): string[] {
  const missing = paths.filter((path) => kindOf(path) === 'missing');
  if (missing.length > 0) throw new SwitchboardError('NO_FONTS', `Font file not found: ${missing.join(', ')}.`);
  return paths.flatMap((path) => {
    if (kindOf(path) === 'folder') {
      const found = fontsIn(path);
      if (found.length === 0) throw new SwitchboardError('NO_FONTS', `No font files in the folder ${path}: it needs a TrueType or OpenType font (.ttf, .otf, .ttc).`);
      return found;
    }
    const signature = signatureOf(path);
    if (signature === 'unreadable') throw new SwitchboardError('NO_FONTS', `Font file ${path} cannot be read.`);
    if (signature === 'web font') throw new SwitchboardError('NO_FONTS', `${path} is a WOFF web font, which the PNG renderer cannot read: pass the font's .ttf or .otf file.`);
    if (signature !== 'font') throw new SwitchboardError('NO_FONTS', `${path} is not a font file: pass a TrueType or OpenType font (.ttf, .otf, .ttc).`);
    return [path];
  });
}

function kindOf(path: string): 'missing' | 'folder' | 'file' {
  try {
    return statSync(path).isDirectory() ? 'folder' : 'file';
  } catch {
    return 'missing';
  }
}

/** The font files under `dir` (a few levels deep, as findFonts looks), by name and then by signature. */
function fontsIn(dir: string): string[] {
  const found: string[] = [];
  const visit = (folder: string, depth: number) => {
    let entries;
    try {
      entries = readdirSync(folder, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const path = join(folder, entry.name);
      if (entry.isDirectory() && depth < 5) visit(path, depth + 1);
      else if (entry.isFile() && FONT_FILE.test(entry.name) && signatureOf(path) === 'font') found.push(path);
    }
  };
  visit(dir, 0);
  return found.sort();
}

/** What a file's first four bytes say it is. */
function signatureOf(path: string): 'font' | 'web font' | 'other' | 'unreadable' {
  const bytes = Buffer.alloc(4);
  let read: number;
  try {
    const descriptor = openSync(path, 'r');
    try {
      read = readSync(descriptor, bytes, 0, 4, 0);
    } finally {
      closeSync(descriptor);
    }
  } catch {
    return 'unreadable';
  }
  return (read === 4 && SIGNATURES.get(bytes.toString('latin1'))) || 'other';
}
