/**
 * A character of a string value → its offset in the YAML text, so an error inside a condition
 * points at the very token (`when: vip && scor > 3` → the `s` of `scor`), through quotes, escapes
 * and block scalars alike; and an unsafe character at itself, or at the escape that writes it.
 */

/**
 * The offset in `text` of character `index` of `value`, a string scalar written from offset `start`.
 * The value's characters are matched in order against the text, skipping what the YAML adds
 * (quotes, escapes, a block header, indentation, folded line breaks). `start` when they do not line
 * up (an escape such as \u00e9 spells a character differently).
 */
export function offsetWithin(text: string, start: number, value: string, index: number): number {
  if (index < 0 || index > value.length) return start;
  const limit = Math.min(text.length, start + value.length * 4 + 256);
  let offset = start;
  for (let position = 0; position <= index && position < value.length; position += 1) {
    const char = value[position] as string;
    // A line break of a folded scalar is a space in the value; a literal one stays a line break.
    while (offset < limit && text[offset] !== char && !(char === ' ' && text[offset] === '\n')) offset += 1;
    if (offset >= limit) return start;
    if (position === index) return offset;
    offset += 1;
  }
  // Past the last character (an unexpected end): just after the last one found.
  return offset;
}

/** A scalar as the YAML parser gives it: its style and where it is written (start, end of its value). */
export interface WrittenScalar {
  type?: string | null;
  range?: readonly number[] | null;
}

/** What a double-quoted escape (the letter after `\`) stands for; \x, \u and \U take hex digits. */
const ESCAPES: Readonly<Record<string, string>> = {
  '0': '\0',
  a: '\x07',
  b: '\b',
  t: '\t',
  '\t': '\t',
  n: '\n',
  v: '\v',
  f: '\f',
  r: '\r',
  e: '\x1B',
  ' ': ' ',
  '"': '"',
  '/': '/',
  '\\': '\\',
  N: '\x85',
  _: '\xA0',
  L: '\u2028',
  P: '\u2029',
};
const HEX_DIGITS: Readonly<Record<string, number>> = { x: 2, u: 4, U: 8 };
/** What line folding and indentation may add, drop or change in a value: never a character worth pointing at. */
const FOLDABLE = /[ \t\n]/;
/** The same, written in the file: a carriage return there is part of a line break (in a value, only an escape writes one). */
const FOLDABLE_WRITTEN = /[ \t\n\r]/;

/**
 * The offset in `text` where the file writes character `index` of `value`, the string of `scalar`:
 * that character itself, on its own line of a block scalar, or the `\` of the escape that writes it
 * in double quotes (`\e`, `\u202E`). Undefined when that cannot be told for sure: `index` is a space
 * or a line break (folding makes and drops those), or the characters written do not read back as
 * `value`.
 */
export function exactOffsetWithin(text: string, scalar: WrittenScalar, value: string, index: number): number | undefined {
  const [start, end] = scalar.range ?? [];
  const target = value[index];
  if (start === undefined || end === undefined || target === undefined || FOLDABLE.test(target)) return undefined;
  const written = writtenCharacters(text.slice(start, end), scalar.type ?? 'PLAIN');
  if (written === undefined) return undefined;
  // Folding aside, the characters written are the value's, one for one.
  let kept = '';
  let rank = 0;
  for (let position = 0; position < value.length; position += 1) {
    const character = value[position] as string;
    if (FOLDABLE.test(character)) continue;
    if (position === index) rank = kept.length;
    kept += character;
  }
  if (written.characters !== kept) return undefined;
  const offset = written.offsets[rank];
  return offset === undefined ? undefined : start + offset;
}

/**
 * The characters a scalar written as `source` holds, but for spaces, tabs and line breaks, each with
 * its offset in `source` (an escape's is its `\`). Undefined for an escape it does not know.
 */
function writtenCharacters(source: string, type: string): { characters: string; offsets: number[] } | undefined {
  let characters = '';
  const offsets: number[] = [];
  // Each code unit of `written` (two for a character past U+FFFF) at `offset`.
  const add = (written: string, offset: number) => {
    if (FOLDABLE.test(written)) return;
    characters += written;
    for (let unit = 0; unit < written.length; unit += 1) offsets.push(offset);
  };
  const quoted = type === 'QUOTE_DOUBLE' || type === 'QUOTE_SINGLE';
  const block = type === 'BLOCK_LITERAL' || type === 'BLOCK_FOLDED';
  // A block scalar's first line is its header (| or > and their indicators, maybe a comment).
  const from = block ? source.indexOf('\n') + 1 : quoted ? 1 : 0;
  const to = quoted ? source.length - 1 : source.length;
  if (block && from === 0) return { characters, offsets };
  for (let offset = from; offset < to; offset += 1) {
    const character = source[offset] as string;
    if (type === 'QUOTE_SINGLE' && character === "'") {
      add("'", offset);
      offset += 1;
    } else if (type === 'QUOTE_DOUBLE' && character === '\\') {
      const letter = source[offset + 1] as string;
      const digits = HEX_DIGITS[letter];
      if (digits !== undefined) {
        const hex = source.slice(offset + 2, offset + 2 + digits);
        const point = /^[0-9A-Fa-f]+$/.test(hex) && hex.length === digits ? Number.parseInt(hex, 16) : Infinity;
        if (point > 0x10ffff) return undefined;
        add(String.fromCodePoint(point), offset);
        offset += 1 + digits;
      } else if (letter === '\n' || letter === '\r') {
        // An escaped line break: nothing, and the next line's indentation is dropped (FOLDABLE).
        offset += 1;
      } else if (Object.hasOwn(ESCAPES, letter)) {
        add(ESCAPES[letter] as string, offset);
        offset += 1;
      } else {
        return undefined;
      }
    } else if (!FOLDABLE_WRITTEN.test(character)) {
      add(character, offset);
    }
  }
  return { characters, offsets };
}
