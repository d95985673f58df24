/**
 * Guesses at the fix of one YAML syntax mistake, so the rest of the file can still be checked: a
 * line re-indented (a tab, or a key or list item a space off), a quote or bracket closed at the end
 * of its line, a value holding ": " quoted, a value inside `{ }` that a comma (a call's), a ": " or a
 * bracket cuts short quoted. Each guess changes only the inside of a line, so lines
 * keep their numbers and every other line its columns. {@link TreeSource} parses each guess and keeps
 * the one that leaves the fewest problems; what the mistake broke (the lines changed) is not checked.
 */
import type { YAMLError } from 'yaml';

/** One guess: the text with it applied, the (0-based) lines it changed, and where the line after them starts in `text`. */
export interface Repair {
  text: string;
  lines: number[];
  end: number;
  /**
   * Offsets in `text` where a node must start for the guess to be read as meant: a re-indented line
   * must start a key or a list item, not become part of the value above it.
   */
  starts: number[];
  /** What was wrong, when the guess moved a line other than the one the parser complained about. */
  indent?: { from: string; to: number; item: boolean };
}

/** A line that starts with a key as trees name them (`prompt:`, `billing:`), not prose that holds a colon. */
const KEY = /^[A-Za-z_][\w-]*:(?:\s|$)/;

/**
 * The guesses for the syntax mistake `error`, which {@link describeSyntaxError} placed at `reported`.
 * Empty when there is no plausible one (the file is then not checked past its syntax).
 */
export function repairsFor(text: string, error: YAMLError, reported: number): Repair[] {
  const lines = new Lines(text);
  const repairs: Repair[] = [];
  const message = error.message.split('\n')[0] ?? '';
  const unclosed = /closing (["'])quote|end with an? ([\]}])/.exec(message);
  if (unclosed) {
    const closer = unclosed[1] ?? unclosed[2] ?? '';
    const line = lines.indexOf(reported);
    const content = lines.text(line);
    // Inside [ ] or { }, " #" starts a comment: the closer goes before it.
    const comment = closer === '"' || closer === "'" ? -1 : content.search(/\s#/);
    const end = comment === -1 ? content.trimEnd().length : content.slice(0, comment).trimEnd().length;
    repairs.push(lines.replace(line, `${content.slice(0, end)}${closer}${content.slice(end)}`));
    // `{ description: 'Text. }`: the quote closed before the bracket that ends the line.
    const bracket = /\s*[\]}]+\s*$/.exec(content);
    if ((closer === '"' || closer === "'") && bracket) repairs.push(lines.replace(line, `${content.slice(0, bracket.index)}${closer}${content.slice(bracket.index)}`));
    return repairs;
  }
  // The parser may place an error at the blank line before the line it is about.
  const errorLine = lines.significant(lines.indexOf(error.pos[0]), 1) ?? lines.indexOf(error.pos[0]);
  // `when: { office: business_hours("UTC", "09:00-17:00") }`: each value a comma or ": " cut short, quoted.
  const unquoted = unquotedFlowValues(lines.text(errorLine));
  if (unquoted.length > 0) repairs.push(lines.replace(errorLine, quoteValues(lines.text(errorLine), unquoted)));
  if (error.code === 'BLOCK_AS_IMPLICIT_KEY' && /compact mappings/.test(message)) {
    // `description: Note: the front desk.`: the value quoted.
    const content = lines.text(errorLine);
    const start = error.pos[0] - (lines.start(errorLine) as number);
    const rest = content.slice(start);
    const comment = rest.search(/\s#/);
    const value = (comment === -1 ? rest : rest.slice(0, comment)).trimEnd();
    if (/:\s+$/.test(content.slice(0, start)) && /^[^\s"'[\]{}|>&*!%@`#,-]/.test(value) && /: /.test(value) && !/\t/.test(content)) {
      const repair = lines.replace(errorLine, `${content.slice(0, start)}${JSON.stringify(value)}${rest.slice(value.length)}`);
      repair.starts = [error.pos[0]];
      repairs.push(repair);
    }
  }
  const suspects = new Set([errorLine, lines.indexOf(reported)]);
  // A line indented deeper than its siblings makes the parser complain about the next one.
  const above = lines.significant(errorLine - 1, -1);
  if (above !== undefined) suspects.add(above);
  // The first key of a mapping sets its column: one indented unlike the rest makes the parser complain about the rest.
  for (const line of firstSibling(lines, errorLine)) suspects.add(line);
  for (const line of suspects) {
    const content = lines.text(line);
    if (content.trim() === '') continue;
    const leading = /^[ \t]*/.exec(content)?.[0] ?? '';
    const body = content.slice(leading.length);
    const item = /^-(?: |$)/.test(body);
    for (const indent of contextIndents(lines, line)) {
      const candidate = `${' '.repeat(indent)}${body}`;
      if (candidate === content) continue;
      const repair = lines.replace(line, candidate);
      // A key or a list item must stay one; other text may be meant as a line of a `|` text.
      if (item || KEY.test(body)) repair.starts = [(lines.start(line) as number) + indent];
      repair.indent = { from: leading, to: indent, item };
      repairs.push(repair);
    }
    // `tools [book_demo]`: a key without its ":".
    const missing = /^((?:- +)?[A-Za-z_][\w-]*)( +)(?=[^\s:#])/.exec(body);
    if (missing) {
      const key = missing[1] as string;
      const repair = lines.replace(line, `${leading}${key}:${body.slice(key.length)}`);
      repair.starts = [(lines.start(line) as number) + leading.length + (/^- +/.exec(key)?.[0].length ?? 0)];
      repairs.push(repair);
    }
  }
  return repairs;
}

/** A plain value inside `{ }` that YAML cuts short: `key: value` at `start`…`end` of its line. */
export interface UnquotedFlowValue {
  key: string;
  value: string;
  start: number;
  end: number;
  /** What cuts it short: a comma (between brackets, as in a call), a ": ", a bracket, a " #". */
  cut: 'comma' | 'colon' | 'bracket' | 'comment';
}

/**
 * The plain values of the `{ }` mappings on a line that YAML cannot read as written: a condition
 * calling a function with several arguments (a comma ends a value inside `{ }`), a text holding
 * ": " or " #", a value holding brackets. Each value is taken to run to the `,` or `}` that closes
 * it outside parentheses, brackets and quotes.
 */
export function unquotedFlowValues(line: string): UnquotedFlowValue[] {
  const found: UnquotedFlowValue[] = [];
  const entry = /(?:\{|,)\s*([A-Za-z_][\w-]*|"[^"]*"|'[^']*'):\s+/g;
  for (let match = entry.exec(line); match !== null; match = entry.exec(line)) {
    if (insideQuotes(line, match.index)) continue;
    const start = match.index + match[0].length;
    if (/^["'[{|>&*!%@`#]/.test(line.slice(start))) continue;
    const end = valueEnd(line, start);
    if (end === undefined) continue;
    const value = line.slice(start, end).trimEnd();
    const cut = cutOf(value);
    if (cut !== undefined) found.push({ key: (match[1] as string).replace(/^["']|["']$/g, ''), value, start, end: start + value.length, cut });
    entry.lastIndex = end;
  }
  return found;
}

/** What cuts a plain value short inside `{ }`, if anything. */
function cutOf(value: string): UnquotedFlowValue['cut'] | undefined {
  if (/\s#/.test(value)) return 'comment';
  if (/:(?:\s|$)/.test(value)) return 'colon';
  if (/,/.test(value)) return 'comma';
  if (/[[\]{}]/.test(value)) return 'bracket';
  return undefined;
}

/** Where the value starting at `start` ends: at the first `,` or `}` outside parentheses, brackets and quotes. */
function valueEnd(line: string, start: number): number | undefined {
  let depth = 0;
  return scanQuotes(line, start, line.length, (character) => {
    if ('([{'.includes(character)) depth += 1;
    else if (')]'.includes(character) || (character === '}' && depth > 0)) depth = Math.max(0, depth - 1);
    else if (depth === 0 && (character === ',' || character === '}')) return true;
    return false;
  }).stop;
}

/** Whether `offset` is inside a quoted text of the line (a `{` or `,` there is text). */
function insideQuotes(line: string, offset: number): boolean {
  return scanQuotes(line, 0, offset).open;
}

/**
 * Reads `line` from `start` to `end`, stepping over quoted texts (in double quotes, `\` escapes the
 * next character): `visit` sees each character outside them, quote marks excluded, and stops the
 * scan by returning true. `stop`: the index it stopped at; `open`: whether a quote is still open
 * where the scan ended.
 */
function scanQuotes(line: string, start: number, end: number, visit: (character: string) => boolean = () => false): { stop: number | undefined; open: boolean } {
  let quote: string | undefined;
  for (let index = start; index < end; index += 1) {
    const character = line[index] as string;
    if (quote !== undefined) {
      if (character === '\\' && quote === '"') index += 1;
      else if (character === quote) quote = undefined;
    } else if (opensQuote(line, index)) {
      quote = character;
    } else if (visit(character)) {
      return { stop: index, open: false };
    }
  }
  return { stop: undefined, open: quote !== undefined };
}

/** Whether the character at `index` opens a quoted text: a quote that is no apostrophe (`customer's`). */
function opensQuote(line: string, index: number): boolean {
  const character = line[index];
  return (character === '"' || character === "'") && !/[\p{L}\p{N}]/u.test(line[index - 1] ?? '');
}

/** A value in quotes YAML reads back as it is: single quotes, unless it holds one. */
export function quoted(value: string): string {
  return value.includes("'") ? JSON.stringify(value) : `'${value}'`;
}

/** The line with each of `values` quoted. */
function quoteValues(line: string, values: readonly UnquotedFlowValue[]): string {
  let result = line;
  for (const { start, end, value } of [...values].reverse()) result = `${result.slice(0, start)}${quoted(value)}${result.slice(end)}`;
  return result;
}

/**
 * The first line of the block `line` is in (after the nearest line above it indented less than it)
 * and that line above: either may be the one a space off.
 */
function firstSibling(lines: Lines, line: number): number[] {
  const indent = indentOf(lines.text(line));
  let first: number | undefined;
  for (let above = lines.significant(line - 1, -1); above !== undefined; above = lines.significant(above - 1, -1)) {
    if (indentOf(lines.text(above)) < indent && !/^[ ]*\t/.test(lines.text(above))) return first === undefined ? [above] : [first, above];
    first = above;
  }
  return first === undefined ? [] : [first];
}

/**
 * The indentations a misplaced line may have been meant to have: that of the line below, that of the
 * line above and of each line it is nested in, one step deeper than a line above that opens a
 * mapping or a list item, and none.
 */
function contextIndents(lines: Lines, line: number): number[] {
  const indents: number[] = [];
  const add = (indent: number) => {
    if (!indents.includes(indent)) indents.push(indent);
  };
  const below = lines.significant(line + 1, 1);
  if (below !== undefined) add(indentOf(lines.text(below)));
  let smallest = Infinity;
  for (let above = lines.significant(line - 1, -1); above !== undefined; above = lines.significant(above - 1, -1)) {
    const content = lines.text(above);
    const indent = indentOf(content);
    if (indent >= smallest) continue;
    if (smallest === Infinity) {
      const body = content.slice(indent).replace(/\s+#.*$/, '');
      if (/:$/.test(body)) add(indent + 2);
      if (/^- /.test(body)) add(indent + 2);
    }
    add(indent);
    smallest = indent;
    if (indent === 0) break;
  }
  add(0);
  return indents;
}

/** How many spaces a line starts with. */
function indentOf(line: string): number {
  return line.length - line.replace(/^ +/, '').length;
}

/** The lines of a text, by offset. */
class Lines {
  private readonly starts: number[] = [0];

  constructor(private readonly source: string) {
    for (let index = source.indexOf('\n'); index !== -1; index = source.indexOf('\n', index + 1)) this.starts.push(index + 1);
  }

  /** The 0-based line of an offset. */
  indexOf(offset: number): number {
    let low = 0;
    let high = this.starts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if ((this.starts[middle] as number) <= offset) low = middle;
      else high = middle - 1;
    }
    return low;
  }

  start(line: number): number | undefined {
    return this.starts[line];
  }

  /** The text of a line, without its line break. */
  text(line: number): string {
    const start = this.starts[line];
    if (start === undefined) return '';
    const next = this.starts[line + 1];
    return this.source.slice(start, next === undefined ? this.source.length : next - 1).replace(/\r$/, '');
  }

  /** The nearest line from `line` on, in direction `step`, that holds more than blanks or a comment. */
  significant(line: number, step: 1 | -1): number | undefined {
    for (let index = line; index >= 0 && index < this.starts.length; index += step) {
      const content = this.text(index).trim();
      if (content !== '' && !content.startsWith('#')) return index;
    }
    return undefined;
  }

  /** The text with line `line` replaced by `content` (its line break kept). */
  replace(line: number, content: string): Repair {
    const start = this.starts[line] as number;
    const old = this.text(line);
    const text = `${this.source.slice(0, start)}${content}${this.source.slice(start + old.length)}`;
    const next = text.indexOf('\n', start + content.length);
    return { text, lines: [line], end: next === -1 ? text.length : next + 1, starts: [] };
  }
}
