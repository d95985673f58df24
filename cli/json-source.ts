/**
 * JSON parsed with the position of every value, so a mistake in a JSON file can be shown as
 * file:line:col. Strict JSON (RFC 8259): no comments, no trailing commas, no duplicate keys.
 */

export interface SourcePosition {
  line: number;
  column: number;
}

export type JsonPath = (string | number)[];

export interface JsonSource {
  value: unknown;
  /** Where the value at `path` starts (for a missing path, its nearest parent; the file's start for `[]`). */
  positionOf(path: JsonPath, of?: 'value' | 'key'): SourcePosition;
}

/** A syntax error at a position of the text. */
export class JsonSyntaxError extends Error {
  override readonly name = 'JsonSyntaxError';
  constructor(
    message: string,
    readonly position: SourcePosition,
  ) {
    super(message);
  }
}

export function parseJsonSource(text: string): JsonSource {
  const starts = new Map<string, { value: number; key?: number }>();
  const lineStarts = [0];
  for (let index = 0; index < text.length; index++) if (text[index] === '\n') lineStarts.push(index + 1);
  const positionAt = (offset: number): SourcePosition => {
    let low = 0;
    let high = lineStarts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (lineStarts[middle]! <= offset) low = middle;
      else high = middle - 1;
    }
    return { line: low + 1, column: offset - lineStarts[low]! + 1 };
  };
  let at = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const fail = (message: string, offset = at): never => {
    throw new JsonSyntaxError(message, positionAt(Math.min(offset, text.length)));
  };
  const describe = (offset: number) => (offset >= text.length ? 'the end of the file' : `"${text[offset]}"`);
  const skipSpace = () => {
    while (at < text.length && ' \t\n\r'.includes(text[at]!)) at++;
    if (text.startsWith('//', at) || text.startsWith('/*', at)) fail('JSON has no comments: remove it (notes can go in a "$comment" key).');
  };
  const keyOf = (path: JsonPath) => JSON.stringify(path);

  const parseString = (): string => {
    const start = at;
    at++;
    let result = '';
    for (;;) {
      if (at >= text.length) fail('A string is not closed: add the closing ".', start);
      const char = text[at]!;
      if (char === '"') {
        at++;
        return result;
      }
      if (char === '\n' || char.charCodeAt(0) < 0x20) fail('A string cannot hold a line break or control character: write it as \\n.');
      if (char === '\\') {
        const escape = text[at + 1];
        const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
        if (escape !== undefined && escape in simple) {
          result += simple[escape];
          at += 2;
        } else if (escape === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(at + 2, at + 6))) {
          result += String.fromCharCode(parseInt(text.slice(at + 2, at + 6), 16));
          at += 6;
        } else fail(`"\\${escape ?? ''}" is not a JSON escape: write a backslash as \\\\.`);
      } else {
        result += char;
        at++;
      }
    }
  };

  const parseValue = (path: JsonPath): unknown => {
    skipSpace();
    const start = at;
    starts.set(keyOf(path), { ...starts.get(keyOf(path)), value: start });
    const char = text[at];
    if (char === '{') {
      at++;
      const object: Record<string, unknown> = {};
      skipSpace();
      if (text[at] === '}') {
        at++;
        return object;
      }
      for (;;) {
        skipSpace();
        if (text[at] !== '"') fail(text[at] === '}' ? 'A comma before "}" is not allowed in JSON: remove it.' : `Expected a key in double quotes, found ${describe(at)}.`);
        const keyStart = at;
        const key = parseString();
        if (Object.hasOwn(object, key)) fail(`"${key}" is set twice: keep one.`, keyStart);
        starts.set(keyOf([...path, key]), { value: keyStart, key: keyStart });
        skipSpace();
        if (text[at] !== ':') fail(`Expected ":" after "${key}", found ${describe(at)}.`);
        at++;
        Object.defineProperty(object, key, { value: parseValue([...path, key]), enumerable: true, writable: true, configurable: true });
        starts.set(keyOf([...path, key]), { ...starts.get(keyOf([...path, key]))!, key: keyStart });
        skipSpace();
        if (text[at] === ',') {
          at++;
          continue;
        }
        if (text[at] === '}') {
          at++;
          return object;
        }
        fail(`Expected "," or "}" after the value of "${key}", found ${describe(at)}.`);
      }
    }
    if (char === '[') {
      at++;
      const array: unknown[] = [];
      skipSpace();
      if (text[at] === ']') {
        at++;
        return array;
      }
      for (;;) {
        array.push(parseValue([...path, array.length]));
        skipSpace();
        if (text[at] === ',') {
          at++;
          skipSpace();
          if (text[at] === ']') fail('A comma before "]" is not allowed in JSON: remove it.');
          continue;
        }
        if (text[at] === ']') {
          at++;
          return array;
        }
        fail(`Expected "," or "]" in the list, found ${describe(at)}.`);
      }
    }
    if (char === '"') return parseString();
    const literal = /^(?:true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(text.slice(at, at + 400))?.[0];
    if (literal) {
      at += literal.length;
      return JSON.parse(literal) as unknown;
    }
    if (char === "'") fail('JSON strings use double quotes: write "…" instead of \'…\'.');
    return fail(`Expected a value (a string in double quotes, a number, true, false, null, {…} or […]), found ${describe(start)}.`);
  };

  const value = parseValue([]);
  skipSpace();
  if (at < text.length) fail(`Unexpected ${describe(at)} after the end of the JSON value.`);
  return {
    value,
    positionOf(path, of = 'value') {
      for (let length = path.length; length >= 0; length--) {
        const start = starts.get(keyOf(path.slice(0, length)));
        if (start) return positionAt(of === 'key' && length === path.length ? (start.key ?? start.value) : start.value);
      }
      return positionAt(0);
    },
  };
}
