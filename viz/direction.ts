/**
 * Which way a drawing runs. Top to bottom suits deep, narrow trees; a wide tree (many agents on one
 * level, such as config/clinic.yaml) drawn top to bottom is several times wider than high and
 * unreadable once shrunk to a page's width. Left to right puts each level in a column instead.
 */
import type { Diagram } from './diagram.js';
import { toDot } from './dot.js';
import type { DotOptions } from './dot.js';
import { renderSvg } from './render.js';

export const LAYOUT_DIRECTIONS = ['TB', 'LR'] as const;
/** `TB`: the root at the top, each level below. `LR`: the root on the left, each level to its right. */
export type LayoutDirection = (typeof LAYOUT_DIRECTIONS)[number];

/** What a caller may ask for: a direction, or `auto` to let {@link chooseDirection} pick. */
export const DIRECTION_CHOICES = ['auto', ...LAYOUT_DIRECTIONS] as const;
export type DirectionChoice = (typeof DIRECTION_CHOICES)[number];

/**
 * The direction that draws `diagram` narrower, as Graphviz lays it out (legend included): pictures
 * are shown at a page's or a column's width (a README, the docs, a pull request), so the narrower
 * drawing is the one whose text stays largest there. Top to bottom unless left to right is narrower.
 * For the example trees that is left to right for clinic and hybrid (each over three times as wide
 * as high top to bottom) and top to bottom for support and after-hours.
 */
export async function chooseDirection(diagram: Diagram, options: Omit<DotOptions, 'direction'> = {}): Promise<LayoutDirection> {
  const [down, across] = await Promise.all(
    LAYOUT_DIRECTIONS.map(async (direction) => svgSize(await renderSvg(toDot(diagram, { ...options, direction })))),
  );
  return across && down && across.width < down.width ? 'LR' : 'TB';
}

/** The size Graphviz gives an SVG, in points. */
export function svgSize(svg: string): { width: number; height: number } | undefined {
  const match = /<svg\b[^>]*?\bwidth="([\d.]+)pt"[^>]*?\bheight="([\d.]+)pt"/.exec(svg);
  return match ? { width: Number(match[1]), height: Number(match[2]) } : undefined;
}
