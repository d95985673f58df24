/**
 * Fonts for PNG drawings. The renderer (resvg) draws no text without font files, so the drawing font
 * (DejaVu Sans, whose metrics Graphviz lays text out with) is looked up in the usual font folders,
 * with an outline emoji font for the emoji DejaVu Sans lacks (Symbola: `fonts-symbola` on Debian and
 * Ubuntu). Bitmap colour emoji fonts (Noto Color Emoji) are not used: the resvg of
 * `@resvg/resvg-js` 2.6 draws nothing from them.
 */
import { readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

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
