/**
 * Characters a tree's text may not hold: it reaches terminals (lint output, `switchboard chat`, logs)
 * and models (prompts, tool descriptions, payload schemas). C0 controls other than tab and line feed,
 * DEL and the C1 controls can rewrite a terminal (`ESC ]0;` sets its title, `ESC [2J` clears it, a
 * carriage return overwrites a line); bidirectional overrides and isolates make text display in an
 * order other than the one a model reads (the "Trojan Source" trick).
 */

/** One character that is not allowed. */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
export const UNSAFE_CHARACTER = /[\x00-\x08\x0B-\x1F\x7F-\x9F\u202A-\u202E\u2066-\u2069]/;
/** Text without any of them (the zod check and the JSON Schema `pattern` of every text field). */
// eslint-disable-next-line no-control-regex -- refusing control characters is the point
export const SAFE_TEXT_PATTERN = /^[^\x00-\x08\x0B-\x1F\x7F-\x9F\u202A-\u202E\u2066-\u2069]*$/;

const NAMES: Record<number, string> = {
  0x00: 'NUL',
  0x07: 'BEL',
  0x08: 'BACKSPACE',
  0x0d: 'CARRIAGE RETURN',
  0x1b: 'ESC',
  0x7f: 'DEL',
  0x85: 'NEXT LINE',
  0x9b: 'CSI',
  0x202a: 'LEFT-TO-RIGHT EMBEDDING',
  0x202b: 'RIGHT-TO-LEFT EMBEDDING',
  0x202c: 'POP DIRECTIONAL FORMATTING',
  0x202d: 'LEFT-TO-RIGHT OVERRIDE',
  0x202e: 'RIGHT-TO-LEFT OVERRIDE',
  0x2066: 'LEFT-TO-RIGHT ISOLATE',
  0x2067: 'RIGHT-TO-LEFT ISOLATE',
  0x2068: 'FIRST STRONG ISOLATE',
  0x2069: 'POP DIRECTIONAL ISOLATE',
};

/** The first unsafe character of `text`, described (`U+001B (ESC), a control character …`), and where it is; undefined when there is none. */
export function findUnsafeCharacter(text: string): { index: number; description: string } | undefined {
  const found = UNSAFE_CHARACTER.exec(text);
  if (!found) return undefined;
  const point = found[0].codePointAt(0) ?? 0;
  const name = NAMES[point];
  const kind =
    point >= 0x202a
      ? 'a bidirectional control that reorders how the text around it displays'
      : 'a control character that can rewrite a terminal';
  return { index: found.index, description: `U+${point.toString(16).toUpperCase().padStart(4, '0')}${name ? ` (${name})` : ''}, ${kind}` };
}
