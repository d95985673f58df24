/**
 * Fonts for PNG drawings. The renderer (resvg) draws no text without font files, so the drawing font
 * (DejaVu Sans, whose metrics Graphviz lays text out with) is looked up in the usual font folders.
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

export interface FontFiles {
  /** DejaVu Sans (regular, bold) when installed. */
  drawingFont: string[];
  /** How many font files exist in the font folders at all. */
  available: number;
}

/** Finds the drawing font, and counts the other fonts, under `dirs`. */
export function findFonts(dirs: readonly string[] = FONT_DIRS): FontFiles {
  const drawingFont: string[] = [];
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
      }
    }
  };
  for (const dir of dirs) visit(dir, 0);
  return { drawingFont: drawingFont.sort(), available };
}
