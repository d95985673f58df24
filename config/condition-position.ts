/**
 * A character of a string value → its offset in the YAML text, so an error inside a condition
 * points at the very token (`when: vip && scor > 3` → the `s` of `scor`), through quotes, escapes
 * and block scalars alike.
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
