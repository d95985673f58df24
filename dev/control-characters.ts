/**
 * Text from a model or a tree, made safe to print in a terminal or show on a page: control
 * characters become visible escapes, so a reply cannot retitle the terminal, clear it, ring it,
 * hide text or reorder a line (Trojan Source). Tabs and newlines stay; CRLF becomes a newline.
 *
 * Escaped: C0 controls but tab and newline (ESC `\x1b`, BEL `\x07`, CR `\x0d`, …), DEL `\x7f`, C1
 * controls `\x80`–`\x9f`, as `\xHH`; the bidi embeddings, overrides and isolates U+202A–U+202E and
 * U+2066–U+2069, as `\uHHHH`. An escape sequence loses its ESC, so the rest of it prints as text.
 */

// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
const CONTROLS = new RegExp(CONTROL.source, 'g');
/** What JSON.stringify leaves raw: DEL, C1 and the bidi controls. */
const JSON_RAW_CONTROLS = /[\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/** `text` with every control character (see the file's comment) replaced by a visible escape. */
export function escapeControlCharacters(text: string): string {
  if (!CONTROL.test(text)) return text;
  return text.replaceAll('\r\n', '\n').replace(CONTROLS, (character) => {
    const code = character.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** A copy of plain data (objects, arrays, strings) with {@link escapeControlCharacters} applied to every string and key. */
export function escapeControlCharactersIn<TValue>(value: TValue): TValue {
  return escapeDeep(value, NO_KEYS) as TValue;
}

/**
 * {@link escapeControlCharactersIn}, but the strings under the keys `rawKeys` (at any depth) are
 * left as they are: identifiers (a thread id) that must travel back unchanged to name the same
 * thread. Whoever shows them must make them visible itself.
 */
export function escapeControlCharactersExcept<TValue>(value: TValue, rawKeys: ReadonlySet<string>): TValue {
  return escapeDeep(value, rawKeys) as TValue;
}

const NO_KEYS: ReadonlySet<string> = new Set();

function escapeDeep(value: unknown, rawKeys: ReadonlySet<string>): unknown {
  if (typeof value === 'string') return escapeControlCharacters(value);
  if (Array.isArray(value)) return value.map((entry) => escapeDeep(entry, rawKeys));
  if (value === null || typeof value !== 'object') return value;
  const prototype = Object.getPrototypeOf(value) as unknown;
  if (prototype !== Object.prototype && prototype !== null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, entry]) => [
      escapeControlCharacters(key),
      typeof entry === 'string' && rawKeys.has(key) ? entry : escapeDeep(entry, rawKeys),
    ]),
  );
}

/**
 * `JSON.stringify` for a terminal: the same JSON value, with DEL, C1 and bidi controls written as
 * `\uHHHH` escapes too (JSON.stringify escapes only C0), so parsing it gives back the exact data.
 */
export function stringifyForTerminal(value: unknown, space?: number): string {
  return (JSON.stringify(value, null, space) ?? 'null').replace(JSON_RAW_CONTROLS, (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
