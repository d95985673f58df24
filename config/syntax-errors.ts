/**
 * YAML parser errors → a message in the tree author's words, a hint that says what to type, and the
 * position an editor should jump to (the opening quote or bracket that is never closed, not the end
 * of the file where the parser gave up).
 */
import { isCollection, isScalar, Scalar, visit } from 'yaml';
import type { Document, ErrorCode, YAMLError } from 'yaml';
import { quoted, unquotedFlowValues } from './syntax-repair.js';
import type { UnquotedFlowValue } from './syntax-repair.js';

const HINTS: Partial<Record<ErrorCode, string>> = {
  TAB_AS_INDENT: 'Indent with spaces, not tabs.',
  BAD_INDENT: 'Indent this line like the other entries of its mapping or list.',
  BLOCK_AS_IMPLICIT_KEY: 'Put a nested mapping on its own lines under its key, or quote a value that contains ": ".',
  MULTILINE_IMPLICIT_KEY: 'Check the indentation and the ":" of this line and the line above.',
  UNEXPECTED_TOKEN: 'Check the indentation and the ":" of this line, or quote the value.',
  BAD_SCALAR_START: 'Quote the value: plain text cannot start with @ or `.',
  BAD_DQ_ESCAPE: 'Fix the backslash escape, or use single quotes (where \\ is an ordinary character).',
  KEY_OVER_1024_CHARS: 'Shorten the key, or add the missing ":" after it.',
  BLOCK_IN_FLOW: 'Inside [ ] or { } separate the entries with commas; "- " lines belong outside brackets.',
  MULTIPLE_ANCHORS: 'Give a value one &anchor at most.',
  MULTIPLE_TAGS: 'Remove the tags: the file needs none.',
  BAD_PROP_ORDER: 'Remove the tag, and put the &anchor right before the value.',
  BAD_ALIAS: 'Give the anchor a name, e.g. &shared, and refer to it as *shared.',
  BAD_DIRECTIVE: 'Remove the % directive line.',
  MULTIPLE_DOCS: 'Keep one document per file: remove the second "---" and what follows, or move it to a file of its own.',
};

/**
 * What to print for a parser error or warning, and where. With the `source` text, a line indented
 * with a tab is named as such, whatever the parser made of it (inside a `|` text it reports the line
 * as less indented), and a line indented unlike its siblings is found; not in a text with a tab in
 * its indentation, where the parser's idea of a line's depth is not the author's.
 */
export function describeSyntaxError(
  error: YAMLError,
  document: Document.Parsed | undefined,
  source?: string,
): { message: string; hint: string; offset: number } {
  const offset = error.pos[0];
  const text = error.message.split('\n')[0]?.trim() ?? error.message;
  if (error.code === 'MULTIPLE_DOCS')
    return { message: 'The file holds a second YAML document (after a "---" line).', hint: HINTS.MULTIPLE_DOCS as string, offset };
  const unclosed = /closing (["'])quote|end with an? ([\]}])/.exec(text);
  if (unclosed && document) {
    const closer = unclosed[1] ?? unclosed[2] ?? '';
    const start = openingBefore(document, offset, closer);
    const what =
      closer === ']' ? 'The list [ opened here' : closer === '}' ? 'The mapping { opened here' : `The text quoted with ${closer} here`;
    return {
      message: `${what} is never closed.`,
      hint: `Add the closing ${closer}${closer === '"' || closer === "'" ? ' quote' : ''}, or indent its continuation lines further than its key.`,
      offset: start ?? offset,
    };
  }
  const unquoted = source === undefined || !FLOW_CODES.has(error.code) ? undefined : unquotedFlowValues(lineAt(source, lineStart(source, offset)))[0];
  if (unquoted !== undefined && source !== undefined) return unquotedValue(unquoted, lineStart(source, offset));
  if (/followed by map values/.test(text))
    return {
      message: 'This line has no ":" after its key.',
      hint: 'Add ": " after the key, or indent the line to continue the value above.',
      offset,
    };
  const message = `${text.replace(/\.$/, '')}.`;
  if (source !== undefined && error.code !== 'TAB_AS_INDENT') {
    const start = source.lastIndexOf('\n', offset - 1) + 1;
    const indent = /^[ \t]*/.exec(lineAt(source, start))?.[0] ?? '';
    if (indent.includes('\t') && offset <= start + indent.length)
      return { message: 'This line is indented with a tab: YAML allows only spaces in indentation.', hint: HINTS.TAB_AS_INDENT as string, offset: start + indent.indexOf('\t') };
  }
  if (source !== undefined && INDENT_CODES.has(error.code) && !/^[ ]*\t/m.test(source)) {
    const misaligned = misalignedLine(source, offset, message, error.code !== 'MULTILINE_IMPLICIT_KEY');
    if (misaligned) return misaligned;
  }
  return { message, hint: HINTS[error.code] ?? 'Fix the YAML syntax here.', offset };
}

/** The errors a plain value inside `{ }` that holds a comma, a ": " or brackets gets. */
const FLOW_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['MISSING_CHAR', 'BLOCK_IN_FLOW', 'UNEXPECTED_TOKEN']);

const CUT_SHORT: Readonly<Record<UnquotedFlowValue['cut'], string>> = {
  comma: 'a comma ends a value (even one between the parentheses of a call)',
  colon: '": " separates a key from its value',
  bracket: 'a bracket starts a list or a mapping',
  comment: '" #" starts a comment',
};

/** The problem of a plain value inside `{ }` that YAML cuts short, at the value's start (its line starts at `start`). */
function unquotedValue(unquoted: UnquotedFlowValue, start: number): { message: string; hint: string; offset: number } {
  return {
    message: `Inside { }, ${CUT_SHORT[unquoted.cut]}: the value of "${unquoted.key}" is cut short.`,
    hint: `Quote the whole value: ${unquoted.key}: ${quoted(unquoted.value)}`,
    offset: start + unquoted.start,
  };
}

/** The offset where the line holding `offset` starts. */
function lineStart(source: string, offset: number): number {
  return source.lastIndexOf('\n', offset - 1) + 1;
}

/** The errors a line indented unlike its siblings gets (a multi-line key: when a deeper line was read into the value above). */
const INDENT_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['BAD_INDENT', 'BLOCK_AS_IMPLICIT_KEY', 'MULTILINE_IMPLICIT_KEY']);

/** The start of the innermost quoted text or flow collection that the parser reached the end of at `offset`. */
function openingBefore(document: Document.Parsed, offset: number, closer: string): number | undefined {
  let start: number | undefined;
  visit(document, (_key, node) => {
    const range = (node as { range?: [number, number, number] } | null)?.range;
    if (!range || range[0] >= offset || range[2] < offset) return;
    const fits =
      closer === '"'
        ? isScalar(node) && node.type === Scalar.QUOTE_DOUBLE
        : closer === "'"
          ? isScalar(node) && node.type === Scalar.QUOTE_SINGLE
          : isCollection(node) && node.flow === true;
    if (fits && (start === undefined || range[0] > start)) start = range[0];
  });
  return start;
}

/** A key, or a list item's key, at the start of a line's text: `prompt` of `prompt: Route.` and of `- prompt: Route.`. */
const LEADING_KEY = /^(?:- +)?([^\s#:][^:]*?):(?: |$)/;

/**
 * A line indented unlike its siblings. The parser reports one indented less than the entries above
 * it at the line's start (column 1, which says nothing), and one indented more at the value above
 * it, which it read the line into. Undefined when the value reported holds ": " itself: then
 * quoting it is the fix. `atLineStart`: whether an error at a line's start can be about that line.
 */
function misalignedLine(source: string, offset: number, message: string, atLineStart: boolean): { message: string; hint: string; offset: number } | undefined {
  const start = source.lastIndexOf('\n', offset - 1) + 1;
  const line = lineAt(source, start);
  const indent = indentOf(line);
  if (offset <= start + indent) {
    if (!atLineStart) return undefined;
    const item = /^-(?: |$)/.test(line.slice(indent));
    return {
      message,
      hint: item
        ? 'Line this item up with the other items of its list: start its "-" in the same column as theirs.'
        : 'Line this key up with the other keys of its mapping: start it in the same column as theirs.',
      offset: start + indent,
    };
  }
  if (/:(?: |$)/.test(lineAt(source, offset))) return undefined;
  const key = LEADING_KEY.exec(line.slice(indent))?.[1];
  // The value went on over the lines below, indented deeper than its key; the first with a ": " is the one misplaced.
  for (let next = source.indexOf('\n', offset) + 1; next > 0 && next < source.length; next = source.indexOf('\n', next) + 1) {
    const below = lineAt(source, next);
    const depth = indentOf(below);
    if (below.trim() === '' || below[depth] === '#') continue;
    if (depth <= indent) return undefined;
    if (!/:(?: |$)/.test(below)) continue;
    return {
      message: `This line is indented deeper than ${key === undefined ? 'the line' : `the key "${key}"`} above it, so YAML reads it as part of that value.`,
      hint: 'Line its key up with the keys of its mapping; or, if it continues the text above, put that text in quotes (it contains ": ").',
      offset: next + depth,
    };
  }
  return undefined;
}

/** The text of the line from `offset` to its end (without the line break). */
function lineAt(source: string, offset: number): string {
  const end = source.indexOf('\n', offset);
  return source.slice(offset, end === -1 ? source.length : end).replace(/\r$/, '');
}

/** How many spaces a line starts with. */
function indentOf(line: string): number {
  return line.length - line.replace(/^ +/, '').length;
}
