/**
 * YAML text → plain data, keeping positions: every later problem (schema or semantic) is reported
 * at the `file:line:column` of the YAML node it is about.
 */
import { Document, isAlias, isMap, isPair, isScalar, isSeq, parseDocument, visit } from 'yaml';
import type { Alias, Node, Pair, YAMLError, YAMLMap } from 'yaml';
import type { ConfigIssue } from '../errors/config-error.js';
import { describeSyntaxError } from './syntax-errors.js';
import { offsetWithin } from './condition-position.js';

/** Larger tree files are refused before parsing. */
export const MAX_FILE_BYTES = 1_000_000;
/** Deeper nesting than any sane tree is refused (it can only be an attack or a mistake). */
export const MAX_DEPTH = 40;
/** Aliases are allowed (to share a prompt), but not enough to blow up memory. */
export const MAX_ALIAS_COUNT = 200;
/** Keys that would touch an object prototype in careless code downstream. */
export const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
/**
 * After a syntax error the parser often reports every later line as unexpected; past the first few,
 * those say nothing new.
 */
const MAX_SYNTAX_ISSUES = 5;
/** Bytes that are not UTF-8 reported one by one; past these, one issue counts the rest. */
const MAX_ENCODING_ISSUES = 5;
/** Characters YAML does not allow in a file (its c-printable set, inverted): binary data. */
const NOT_PRINTABLE = /[^\t\n\r\x20-\x7E\x85\xA0-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

export type IssueInput = Omit<ConfigIssue, 'file' | 'line' | 'column' | 'severity'> & {
  severity?: ConfigIssue['severity'];
  /**
   * Point at the key rather than the value (for unknown or forbidden keys). For a key that does not
   * exist (a missing field), that is the key of the mapping that lacks it.
   */
  at?: 'key' | 'value';
  /** A character of the string value at `path` to point at (an error inside a condition), rather than the value's start. */
  within?: number;
};

/**
 * A value the data leaves out: a key given twice keeps only its last value, and a forbidden key or
 * a key that is not text is dropped. Salvage reads them to know what the checks cannot see.
 */
export interface LostValue {
  /** The data path of the mapping that held it. */
  path: (string | number)[];
  /** Its key; undefined for a key that is not text. */
  key: string | undefined;
  /** The value as data; undefined when it cannot be read. */
  value: unknown;
}

type Path = (string | number)[];

/** A parsed tree file: its data, and a way to turn a path into a position. */
export class TreeSource {
  readonly issues: ConfigIssue[] = [];
  /** The data, when the YAML is safe to use (without forbidden keys and keys that are not text; see {@link lost}). */
  data: unknown = undefined;
  /** What the data leaves out: the earlier values of keys given twice, and dropped keys. */
  readonly lost: LostValue[] = [];
  /** The text as parsed (without a byte order mark, which editors do not count as a column). */
  readonly text: string;
  /** Where each line starts. Counted here: after a syntax error the parser's own line counter drifts. */
  private readonly lineStarts: number[] = [0];
  private readonly document: Document.Parsed | undefined;
  private readonly pairIndex = new WeakMap<YAMLMap, Map<string, Pair>>();
  /** The issues {@link add} found through an alias, with the first alias on their path. */
  private readonly throughAlias = new Map<ConfigIssue, Alias>();

  constructor(
    readonly file: string,
    text: string,
  ) {
    this.text = text.startsWith('\uFEFF') ? text.slice(1) : text;
    const bytes = Buffer.byteLength(text);
    if (bytes > MAX_FILE_BYTES) {
      this.addAtOffset({ code: 'FILE_TOO_LARGE', message: `The file is ${bytes} bytes; a tree file may have at most ${MAX_FILE_BYTES}.`, hint: 'Shorten the prompts, or split the tree into smaller trees.', path: [] }, 0);
      return;
    }
    for (let index = this.text.indexOf('\n'); index !== -1; index = this.text.indexOf('\n', index + 1)) this.lineStarts.push(index + 1);
    if (this.text.trim() === '') {
      this.addAtOffset({ code: 'EMPTY_FILE', message: 'The file is empty.', hint: EMPTY_HINT, path: [] }, 0);
      return;
    }
    const binary = NOT_PRINTABLE.exec(this.text);
    if (binary) {
      const code = (binary[0].codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0');
      this.addAtOffset(
        { code: 'YAML_SYNTAX', message: `The file contains the character U+${code}, which YAML does not allow: is it a binary file?`, hint: 'Save the tree as UTF-8 text, without control characters.', path: [] },
        binary.index,
      );
      return;
    }
    this.checkEncoding();
    // Old Mac line endings (CR alone): YAML would read the whole file as one line.
    if (this.text.includes('\r') && !this.text.includes('\n')) {
      this.addAtOffset({ code: 'YAML_SYNTAX', message: 'The lines of this file end with CR alone (old Mac line endings), which YAML reads as one line.', hint: 'Save it with LF (or CRLF) line endings.', path: [] }, this.text.indexOf('\r'));
      return;
    }
    const document = parseDocument(this.text, {
      prettyErrors: false,
      // Duplicate keys are found in checkStructure: the parser's own check is quadratic in the keys of a mapping.
      uniqueKeys: false,
      merge: false,
      strict: true,
      // YAML 1.2 core even under a `%YAML 1.1` directive: no merge keys, no `yes` booleans, no octal 0777.
      schema: 'core',
      // YAML 1.1 tags (!!binary, !!set, !!timestamp …) become unknown tags instead of Sets and Dates.
      resolveKnownTags: false,
      logLevel: 'error',
    });
    this.document = document;
    this.collectParserIssues(document);
    if (document.errors.length > 0) return;
    if (document.contents === null) {
      this.addAtOffset({ code: 'EMPTY_FILE', message: 'The file holds no tree, only comments or document markers.', hint: EMPTY_HINT, path: [] }, 0);
      return;
    }
    const structure = this.checkStructure(document);
    if (!structure) return;
    try {
      this.data = withoutPairs(structure.dropped, () => {
        for (const { path, key, node } of structure.lost) this.lost.push({ path, key, value: readValue(document, node) });
        return document.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
      });
    } catch {
      // Bad aliases were ruled out above: what is left to fail is the expansion limit.
      let firstAlias = 0;
      visit(document, { Alias: (_key, node) => ((firstAlias = nodeStart(node) ?? 0), visit.BREAK) });
      this.addAtOffset(
        {
          code: 'ALIAS_LIMIT',
          message: `The aliases (*name) in this file expand to more than ${MAX_ALIAS_COUNT} copies of data: an alias bomb.`,
          hint: 'Write the values out, or use far fewer aliases of aliases.',
          path: [],
        },
        firstAlias,
      );
    }
  }

  /**
   * Bytes that are not UTF-8 (a Windows-1252 or Latin-1 file) were read as U+FFFD: the text would
   * reach models and drawings garbled. Each is reported, up to a few; the file is still checked as
   * read, since one accented letter says nothing about the rest of the tree.
   */
  private checkEncoding(): void {
    const hint = 'Save the tree as UTF-8 (editors call it "UTF-8" or "Unicode"); Windows-1252 and Latin-1 are not read.';
    let count = 0;
    let firstUnreported = 0;
    for (let index = this.text.indexOf('\uFFFD'); index !== -1; index = this.text.indexOf('\uFFFD', index + 1)) {
      count += 1;
      if (count === MAX_ENCODING_ISSUES + 1) firstUnreported = index;
      if (count > MAX_ENCODING_ISSUES) continue;
      this.addAtOffset({ code: 'YAML_SYNTAX', message: 'The file is not UTF-8 text here: a byte could not be read (U+FFFD, the replacement character, stands in for it).', hint, path: [] }, index);
    }
    if (count > MAX_ENCODING_ISSUES) {
      this.addAtOffset({ code: 'YAML_SYNTAX', message: `The file is not UTF-8 text in ${count - MAX_ENCODING_ISSUES} more places, from here on.`, hint, path: [] }, firstUnreported);
    }
  }

  /**
   * Adds an issue positioned at the YAML node of `path` (or its nearest existing ancestor). An issue
   * whose path goes through an alias (`*team`) is placed by {@link settleAliases}.
   */
  add(input: IssueInput): void {
    const { offset, alias } = this.find(input.path, input.at ?? 'value');
    const value = input.within === undefined ? undefined : valueAt(this.data, input.path);
    this.addAtOffset(input, typeof value === 'string' && input.within !== undefined ? offsetWithin(this.text, offset, value, input.within) : offset);
    if (alias) this.throughAlias.set(this.issues[this.issues.length - 1] as ConfigIssue, alias);
  }

  /**
   * Places the issues found through an alias once every issue is in. One about the aliased value
   * itself (a misspelt name in a shared list) is already reported where the anchor (`&team`)
   * writes it: it is not repeated. Any other is about the place the alias is used (`sideways: *team`
   * naming the agent itself), and moves there, with the anchor's line in the message.
   */
  settleAliases(): void {
    const document = this.document;
    if (this.throughAlias.size === 0 || !document) return;
    const where = (issue: ConfigIssue) => `${issue.line}:${issue.column}:${issue.code}:${issue.message}`;
    const direct = new Set(this.issues.filter((issue) => !this.throughAlias.has(issue)).map(where));
    for (let index = this.issues.length - 1; index >= 0; index -= 1) {
      const issue = this.issues[index] as ConfigIssue;
      const alias = this.throughAlias.get(issue);
      if (!alias) continue;
      if (direct.has(where(issue))) {
        this.issues.splice(index, 1);
        continue;
      }
      const anchorLine = this.position(nodeStart(alias.resolve(document)) ?? 0).line;
      Object.assign(issue, this.position(nodeStart(alias) ?? 0));
      issue.message = printable(`${issue.message.replace(/\.$/, '')} (through the alias *${alias.source}; &${alias.source} is on line ${anchorLine}).`);
    }
    this.throughAlias.clear();
  }

  /** The 1-based line and column of `path`: where an alias on the path is used, not where its anchor is. */
  locate(path: (string | number)[], at: 'key' | 'value' = 'value'): { line: number; column: number } {
    const { offset, alias } = this.find(path, at);
    return this.position(alias ? (nodeStart(alias) ?? offset) : offset);
  }

  /** The 1-based line and column of a character offset. */
  private position(offset: number): { line: number; column: number } {
    let low = 0;
    let high = this.lineStarts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if ((this.lineStarts[middle] as number) <= offset) low = middle;
      else high = middle - 1;
    }
    return { line: low + 1, column: Math.max(offset - (this.lineStarts[low] as number), 0) + 1 };
  }

  private addAtOffset(input: IssueInput, offset: number): void {
    const { line, column } = this.position(Math.min(Math.max(offset, 0), this.text.length));
    const { at: _at, within: _within, severity = 'error', message, hint, ...rest } = input;
    const issue: ConfigIssue = { ...rest, severity, message: printable(message), file: this.file, line, column };
    if (hint !== undefined) issue.hint = printable(hint);
    this.issues.push(issue);
  }

  /**
   * The offset of `path`, in the value an alias on the path stands for (a condition's characters are
   * there), and the first alias on the path.
   */
  private find(path: (string | number)[], at: 'key' | 'value'): { offset: number; alias?: Alias } {
    let node: unknown = this.document?.contents;
    let offset = nodeStart(node) ?? 0;
    let keyOffset: number | undefined;
    let alias: Alias | undefined;
    const resolve = () => {
      if (!isAlias(node) || !this.document) return;
      alias ??= node;
      node = node.resolve(this.document);
      offset = nodeStart(node) ?? offset;
    };
    const found = (at: number) => (alias ? { offset: at, alias } : { offset: at });
    for (const [index, segment] of path.entries()) {
      const last = index === path.length - 1;
      resolve();
      if (isMap(node)) {
        const pair = this.pairsOf(node).get(String(segment));
        if (!pair) return found(at === 'key' ? (keyOffset ?? offset) : offset);
        keyOffset = nodeStart(pair.key) ?? offset;
        if (last && at === 'key') return found(keyOffset);
        node = pair.value;
        offset = nodeStart(pair.value) ?? keyOffset;
      } else if (isSeq(node) && typeof segment === 'number') {
        const item = node.items[segment];
        if (item === undefined) break;
        node = item;
        offset = nodeStart(item) ?? offset;
      } else {
        break;
      }
    }
    // A path that ends at an alias (`when: { billing: *cond }`) is about the value it stands for.
    resolve();
    return found(offset);
  }

  /**
   * The pairs of a mapping by key, indexed once: big files have thousands of issues. Of a key given
   * twice, the last pair: its value is the one in the data (the second definition of an agent).
   */
  private pairsOf(map: YAMLMap): Map<string, Pair> {
    let index = this.pairIndex.get(map);
    if (!index) {
      index = new Map();
      for (const pair of map.items) if (isScalar(pair.key)) index.set(keyText(pair.key.value), pair);
      this.pairIndex.set(map, index);
    }
    return index;
  }

  private collectParserIssues(document: Document.Parsed): void {
    // The issues before these (bytes that are not UTF-8) are no parser errors: they neither count nor hide one.
    const earlier = this.issues.length;
    const indentedWithTabs = /^[ ]*\t/m.test(this.text);
    for (const error of document.errors) {
      if (error.code === 'RESOURCE_EXHAUSTION') {
        if (this.issues.some((issue) => issue.code === 'TOO_DEEP')) continue;
        this.addAtOffset({ code: 'TOO_DEEP', message: 'The file nests too deeply to parse.', hint: `Nest at most ${MAX_DEPTH} levels.`, path: [] }, error.pos[0]);
      } else {
        const syntax = this.issues.slice(earlier).filter((issue) => issue.code === 'YAML_SYNTAX');
        if (syntax.length >= MAX_SYNTAX_ISSUES) continue;
        const { message, hint, offset } = describeSyntaxError(error, document, indentedWithTabs ? undefined : this.text);
        // The parser often reports one mistake several times on its line: the first says it best.
        if (syntax.some((issue) => issue.line === this.position(offset).line)) continue;
        this.addAtOffset({ code: 'YAML_SYNTAX', message, hint, path: [] }, offset);
      }
    }
    for (const warning of document.warnings) this.addWarning(warning);
  }

  private addWarning(warning: YAMLError): void {
    const offset = warning.pos[0];
    if (warning.code !== 'TAG_RESOLVE_FAILED') {
      const { message, hint } = describeSyntaxError(warning, undefined);
      this.addAtOffset({ code: 'YAML_SYNTAX', message, hint, path: [] }, offset);
      return;
    }
    const uri = /Unresolved tag: (\S+)/.exec(warning.message)?.[1];
    const tag = uri?.replace(/^tag:yaml\.org,2002:/, '!!') ?? this.text.slice(offset).split(/\s/)[0] ?? 'tag';
    const core = ['!!str', '!!int', '!!float', '!!bool', '!!null', '!!map', '!!seq'].includes(tag);
    this.addAtOffset(
      core
        ? { code: 'UNKNOWN_TAG', message: `The value does not fit its tag ${tag}.`, hint: 'Remove the tag: a tree file needs none.', path: [] }
        : { code: 'UNKNOWN_TAG', message: `The tag ${tag} is not allowed.`, hint: 'Remove the tag: a tree file holds only text, numbers, true/false, lists and mappings.', path: [] },
      offset,
    );
  }

  /** Keys seen twice in `map` (as toJS would write them): in the `agents` mapping, an agent defined twice. The earlier values are lost. */
  private checkDuplicates(document: Document.Parsed, map: YAMLMap, mapPath: () => Path | undefined, lost: LostNode[]): void {
    const first = new Map<string, number>();
    const latest = new Map<string, Pair>();
    const agents: unknown = isMap(document.contents) ? document.contents.get('agents') : undefined;
    for (const pair of map.items) {
      if (!isScalar(pair.key) && pair.key !== null) continue;
      const name = isScalar(pair.key) ? keyText(pair.key.value) : '';
      const offset = nodeStart(pair.key) ?? nodeStart(map) ?? 0;
      const previous = latest.get(name);
      latest.set(name, pair);
      const seen = first.get(name);
      if (previous === undefined || seen === undefined) {
        first.set(name, offset);
        continue;
      }
      const path = mapPath();
      if (path) lost.push({ path, key: name, node: previous.value });
      const where = `(first on line ${this.position(seen).line})`;
      this.addAtOffset(
        map === agents
          ? { code: 'DUPLICATE_AGENT', message: `The agent "${name}" is defined twice ${where}.`, hint: 'Rename one of them, or merge the two definitions into one.', path: [] }
          : { code: 'DUPLICATE_KEY', message: `The key "${name}" appears twice in the same mapping ${where}.`, hint: 'Keep one of the two: delete this one or the first, or merge their values.', path: [] },
        offset,
      );
    }
  }

  /**
   * Rejects forbidden keys, keys that are not text, bad aliases and excessive depth. Undefined when
   * toJS is unsafe (bad aliases, too deep); else the pairs to leave out of the data (forbidden keys,
   * keys that are not text) and the values the data loses.
   */
  private checkStructure(document: Document.Parsed): { dropped: DroppedPair[]; lost: LostNode[] } | undefined {
    let safe = true;
    const dropped: DroppedPair[] = [];
    const lost: LostNode[] = [];
    const anchors = new Set<string>();
    const report = (input: IssueInput, node: unknown) => this.addAtOffset(input, nodeStart(node) ?? 0);
    /** Leaves a pair out of the data, and remembers its value as lost. */
    const drop = (pair: Pair, ancestors: readonly unknown[], key: string | undefined) => {
      const map = ancestors[ancestors.length - 1];
      if (!isMap(map)) return;
      dropped.push({ map, pair });
      const path = dataPath(ancestors.slice(0, -1), map);
      if (path) lost.push({ path, key, node: pair.value });
    };
    visit(document, (_key, node, path) => {
      const depth = path.filter((ancestor) => isMap(ancestor) || isSeq(ancestor)).length;
      if (depth > MAX_DEPTH) {
        report({ code: 'TOO_DEEP', message: `The file nests deeper than ${MAX_DEPTH} levels.`, hint: `Nest at most ${MAX_DEPTH} levels.`, path: [] }, isPair(node) ? node.key : node);
        safe = false;
        return visit.BREAK;
      }
      if (isMap(node)) this.checkDuplicates(document, node, () => dataPath(path, node), lost);
      if (isAlias(node)) {
        const inside = path.some((ancestor) => (ancestor as { anchor?: string }).anchor === node.source);
        if (inside || !anchors.has(node.source)) {
          const message = inside ? `The alias *${node.source} is inside the value it refers to, so it would never end.` : `The alias *${node.source} refers to no anchor &${node.source} above it.`;
          report({ code: 'YAML_SYNTAX', message, hint: 'Write the value out, or define the anchor (&name) on an earlier value.', path: [] }, node);
          safe = false;
        }
      } else if (isPair(node) && !isScalar(node.key) && node.key !== null) {
        report({ code: 'INVALID_TYPE', message: 'A key must be plain text, not a list, a mapping or an alias.', hint: 'Write the key as plain text.', path: [] }, node.key);
        drop(node, path, undefined);
      } else if (isPair(node) && isScalar(node.key) && FORBIDDEN_KEYS.has(keyText(node.key.value))) {
        const key = keyText(node.key.value);
        report({ code: 'FORBIDDEN_KEY', message: `The key "${key}" is not allowed: JavaScript reserves it on every object.`, hint: 'Rename or remove it.', path: [] }, node.key);
        drop(node, path, key);
      }
      if ((node as { anchor?: string } | null)?.anchor) anchors.add((node as { anchor: string }).anchor);
      return undefined;
    });
    return safe ? { dropped, lost } : undefined;
  }
}

/** A pair left out of the data, and the mapping it belongs to. */
interface DroppedPair {
  map: YAMLMap;
  pair: Pair;
}

/** A lost value before it is read as data. */
interface LostNode {
  path: Path;
  key: string | undefined;
  node: unknown;
}

/** Runs `read` with the dropped pairs taken out of their mappings, then puts them back (positions still find them). */
function withoutPairs<T>(dropped: readonly DroppedPair[], read: () => T): T {
  const removed: { map: YAMLMap; pair: Pair; index: number }[] = [];
  for (const { map, pair } of dropped) {
    const index = map.items.indexOf(pair);
    if (index === -1) continue;
    map.items.splice(index, 1);
    removed.push({ map, pair, index });
  }
  try {
    return read();
  } finally {
    for (const { map, pair, index } of removed.reverse()) map.items.splice(index, 0, pair);
  }
}

/** A lost value as data; undefined when it cannot be read (an alias bomb, say). */
function readValue(document: Document.Parsed, node: unknown): unknown {
  if (node === null || node === undefined) return null;
  try {
    return (node as Node).toJS(document, { maxAliasCount: MAX_ALIAS_COUNT }) as unknown;
  } catch {
    return undefined;
  }
}

/** The data path of `node`, from the ancestors `visit` gives; undefined inside a key (which has no data path). */
function dataPath(ancestors: readonly unknown[], node: unknown): Path | undefined {
  const chain = [...ancestors, node];
  const path: Path = [];
  for (let index = 1; index < chain.length; index += 1) {
    const parent = chain[index - 1];
    const child = chain[index];
    if (isPair(parent)) {
      if (child !== parent.value || !isScalar(parent.key)) return undefined;
      path.push(keyText(parent.key.value));
    } else if (isSeq(parent)) {
      path.push(parent.items.indexOf(child));
    }
  }
  return path;
}

/** The data at `path` (own keys only), if there is any. */
function valueAt(data: unknown, path: Path): unknown {
  let value = data;
  for (const segment of path) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, segment)) return undefined;
    value = (value as Record<string | number, unknown>)[segment];
  }
  return value;
}

const EMPTY_HINT = 'Start with version: 1, name:, root: and agents: (see config/support.yaml in the switchboard package).';

function nodeStart(node: unknown): number | undefined {
  return (node as Node | undefined)?.range?.[0];
}

/** A key as toJS writes it: `~` becomes the empty string. */
function keyText(value: unknown): string {
  return value === null ? '' : String(value);
}

/**
 * Makes invisible characters visible (`\u{200B}`), so a name with a zero-width space or a
 * right-to-left mark does not look like its twin; keeps one issue on one line.
 */
export function printable(text: string): string {
  const escaped = text.replace(/[\p{Cc}\p{Cf}\u2028\u2029]/gu, (char) => `\\u{${(char.codePointAt(0) ?? 0).toString(16).toUpperCase()}}`);
  return escaped.length > 2000 ? `${escaped.slice(0, 2000)}…` : escaped;
}
