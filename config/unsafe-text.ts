/**
 * Characters a tree's text may not hold: it reaches terminals (lint output, `switchboard chat`, logs)
 * and models (prompts, tool descriptions, payload schemas). C0 controls other than tab and line feed,
 * DEL and the C1 controls can rewrite a terminal (`ESC ]0;` sets its title, `ESC [2J` clears it, a
 * carriage return overwrites a line); bidirectional overrides and isolates make text display in an
 * order other than the one a model reads (the "Trojan Source" trick). Noncharacters (U+FDD0–U+FDEF,
 * and the last two code points of every plane, U+FFFE, U+FFFF, U+1FFFE…) are reserved by Unicode
 * for a program's own use, never for text, and XML does not allow U+FFFE and U+FFFF: a description
 * holding one made the SVG drawing unreadable.
 */

/** The single code units refused: C0 and C1 controls, DEL, bidirectional controls, the noncharacters of the first plane. */
const UNSAFE_UNITS = '\\x00-\\x08\\x0B-\\x1F\\x7F-\\x9F\\u202A-\\u202E\\u2066-\\u2069\\uFDD0-\\uFDEF\\uFFFE\\uFFFF';
/**
 * U+nFFFE and U+nFFFF of the other planes (1 to 16) as UTF-16 surrogate pairs: the patterns have no
 * `u` flag, since SAFE_TEXT_PATTERN is also the JSON Schema's `pattern` (written without flags).
 */
const OTHER_PLANES = Array.from({ length: 16 }, (_, index) => `\\u${(0xd83f + index * 0x40).toString(16).toUpperCase()}`).join('');
const UNSAFE_PAIR = `[${OTHER_PLANES}][\\uDFFE\\uDFFF]`;

/** One character that is not allowed. */
export const UNSAFE_CHARACTER = new RegExp(`[${UNSAFE_UNITS}]|${UNSAFE_PAIR}`);
/** Text without any of them (the zod check and the JSON Schema `pattern` of every text field). */
export const SAFE_TEXT_PATTERN = new RegExp(`^(?![\\s\\S]*${UNSAFE_PAIR})[^${UNSAFE_UNITS}]*$`);

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

/** What is wrong with an unsafe character, by its code point. */
function kindOf(point: number): string {
  if (isNoncharacter(point)) return 'a noncharacter, which Unicode reserves for use inside programs, never in text';
  if (point >= 0x202a) return 'a bidirectional control that reorders how the text around it displays';
  return 'a control character that can rewrite a terminal';
}

/** U+FDD0–U+FDEF, and U+nFFFE and U+nFFFF in every plane. */
export function isNoncharacter(point: number): boolean {
  return (point >= 0xfdd0 && point <= 0xfdef) || (point & 0xfffe) === 0xfffe;
}

/** The first unsafe character of `text`, described (`U+001B (ESC), a control character …`), and where it is; undefined when there is none. */
export function findUnsafeCharacter(text: string): { index: number; description: string } | undefined {
  const found = UNSAFE_CHARACTER.exec(text);
  if (!found) return undefined;
  const point = found[0].codePointAt(0) ?? 0;
  const name = NAMES[point];
  return { index: found.index, description: `U+${point.toString(16).toUpperCase().padStart(4, '0')}${name ? ` (${name})` : ''}, ${kindOf(point)}` };
}
