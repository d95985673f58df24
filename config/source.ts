/**
 * YAML text → plain data, keeping positions: every later problem (schema or semantic) is reported
 * at the `file:line:column` of the YAML node it is about.
 */
import { Document, isAlias, isMap, isNode, isPair, isScalar, isSeq, parseDocument, visit } from 'yaml';
import type { Alias, DocumentOptions, Node, Pair, ParseOptions, SchemaOptions, YAMLError, YAMLMap } from 'yaml';
import type { ConfigIssue } from '../errors/config-error.js';
import { describeSyntaxError } from './syntax-errors.js';
import { repairsFor } from './syntax-repair.js';
import type { Repair } from './syntax-repair.js';
import { exactOffsetWithin, offsetWithin } from './condition-position.js';

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
/**
 * How many characters the guesses at a syntax mistake's fix may parse in all (each guess parses the
 * whole file again): a few hundred guesses for a tree of ordinary size, a handful for a huge one.
 */
const REPAIR_BUDGET = 5_000_000;
/** The parser's options: the same for the file and for each guess at a syntax mistake's fix. */
const PARSE_OPTIONS: ParseOptions & DocumentOptions & SchemaOptions = {
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
};
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
  /**
   * A character of the text at `path` (of its key, with `at: 'key'`) to point at where the file
   * writes it, itself or its escape (an unsafe character); the text's start when that cannot be told.
   */
  character?: number;
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
  /**
   * The text as parsed (without a byte order mark, which editors do not count as a column). After a
   * syntax mistake, with the fix guessed for it (see {@link parseRepairing}): lines keep their numbers.
   */
  text: string;
  /** Where each line starts. Counted here: after a syntax error the parser's own line counter drifts. */
  private lineStarts: number[] = [0];
  private document: Document.Parsed | undefined;
  /** The (1-based) lines a guessed fix of a syntax mistake changed: what is found there comes from the guess. */
  private readonly guessedLines = new Set<number>();
  /** The data paths of what the guessed lines hold: a problem of one of them or of a mapping around it comes from the guess too. */
  private guessedPaths: Path[] = [];
  private readonly pairIndex = new WeakMap<YAMLMap, Map<string, Pair>>();
  /** The issues {@link add} found through an alias, with the first alias on their path. */
  private readonly throughAlias = new Map<ConfigIssue, Alias>();

  /**
   * `judge` counts the problems of a tree's data: of the guesses at a syntax mistake's fix, the one
   * with the fewest is taken. Without it, the first that parses is.
   */
  constructor(
    readonly file: string,
    text: string,
    judge?: (data: unknown) => number,
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
    const document = this.parseRepairing(judge);
    if (!document) return;
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
    const { offset, alias, node } = this.find(input.path, input.at ?? 'value');
    if (this.fromGuess(alias ? (nodeStart(alias) ?? offset) : offset, input.path)) return;
    this.addAtOffset(input, this.offsetInside(input, offset, node));
    if (alias) this.throughAlias.set(this.issues[this.issues.length - 1] as ConfigIssue, alias);
  }

  /** Where in the node at `offset` an issue points: at a character of its text when it names one, else at the node. */
  private offsetInside(input: IssueInput, offset: number, node: Node | undefined): number {
    if (input.character !== undefined) {
      return isScalar(node) && typeof node.value === 'string' ? (exactOffsetWithin(this.text, node, node.value, input.character) ?? offset) : offset;
    }
    const value = input.within === undefined ? undefined : valueAt(this.data, input.path);
    return typeof value === 'string' && input.within !== undefined ? offsetWithin(this.text, offset, value, input.within) : offset;
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
    const { at: _at, within: _within, character: _character, severity = 'error', message, hint, ...rest } = input;
    const issue: ConfigIssue = { ...rest, severity, message: printable(message), file: this.file, line, column };
    if (hint !== undefined) issue.hint = printable(hint);
    this.issues.push(issue);
  }

  /**
   * The offset of `path`, in the value an alias on the path stands for (a condition's characters are
   * there), the first alias on the path, and the node itself when the file has it (the key's, for `at: 'key'`).
   */
  private find(path: (string | number)[], at: 'key' | 'value'): { offset: number; alias?: Alias; node?: Node } {
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
    const found = (at: number, target?: unknown) => ({ offset: at, ...(alias && { alias }), ...(isNode(target) && { node: target }) });
    let reached = true;
    for (const [index, segment] of path.entries()) {
      const last = index === path.length - 1;
      resolve();
      if (isMap(node)) {
        const pair = this.pairsOf(node).get(String(segment));
        if (!pair) return found(at === 'key' ? (keyOffset ?? offset) : offset);
        keyOffset = nodeStart(pair.key) ?? offset;
        if (last && at === 'key') return found(keyOffset, pair.key);
        node = pair.value;
        offset = nodeStart(pair.value) ?? keyOffset;
      } else if (isSeq(node) && typeof segment === 'number') {
        const item = node.items[segment];
        reached = item !== undefined;
        if (!reached) break;
        node = item;
        offset = nodeStart(item) ?? offset;
      } else {
        reached = false;
        break;
      }
    }
    // A path that ends at an alias (`when: { billing: *cond }`) is about the value it stands for.
    resolve();
    return found(offset, reached ? node : undefined);
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

  /**
   * Parses the text. After a syntax mistake, reports it and guesses at its fix (see
   * {@link repairsFor}); with the fix that leaves the fewest problems, parses again, and so on for
   * the next mistake: each is reported once, at itself, and the rest of the file is still checked.
   * What the guesses change is not (see {@link fromGuess}). Without a guess that parses, the parser's
   * errors are reported as they are, and undefined comes back: the file is not checked further.
   */
  private parseRepairing(judge: ((data: unknown) => number) | undefined): Document.Parsed | undefined {
    // The issues before these (bytes that are not UTF-8) are no parser errors: they neither count nor hide one.
    const earlier = this.issues.length;
    let document: Document.Parsed = parseDocument(this.text, PARSE_OPTIONS);
    this.document = document;
    const budget = { left: REPAIR_BUDGET };
    for (let round = 0; document.errors.length > 0; round += 1) {
      const first = [...document.errors].sort((a, b) => a.pos[0] - b.pos[0])[0] as YAMLError;
      const repaired =
        round < MAX_SYNTAX_ISSUES && !document.errors.some((error) => error.code === 'RESOURCE_EXHAUSTION')
          ? this.bestRepair(document, first, budget, judge)
          : undefined;
      if (!repaired) {
        this.collectParserIssues(document, earlier);
        return undefined;
      }
      const { message, hint, offset } = describeRepaired(first, document, this.text, repaired.repair);
      this.addAtOffset({ code: 'YAML_SYNTAX', message, hint, path: [] }, offset);
      this.useText(repaired.repair.text);
      for (const line of repaired.repair.lines) this.guessedLines.add(line + 1);
      document = repaired.document;
      this.document = document;
    }
    for (const warning of document.warnings) this.addWarning(warning);
    if (this.guessedLines.size > 0) this.guessedPaths = pathsOnLines(document, (offset) => this.guessedLines.has(this.position(offset).line));
    return document;
  }

  /**
   * Of the guesses at the fix of `error`, the one that parses with the fewest errors (none up to the
   * line it changed, and fewer than before); of those without errors, the one whose data `judge`
   * finds the fewest problems in. Undefined when no guess does better, or the budget is spent.
   */
  private bestRepair(
    document: Document.Parsed,
    error: YAMLError,
    budget: { left: number },
    judge: ((data: unknown) => number) | undefined,
  ): { repair: Repair; document: Document.Parsed } | undefined {
    const reported = describeSyntaxError(error, document, this.text).offset;
    let best: { repair: Repair; document: Document.Parsed; errors: number; score: number } | undefined;
    for (const repair of repairsFor(this.text, error, reported)) {
      if (budget.left < repair.text.length) break;
      budget.left -= repair.text.length;
      const candidate: Document.Parsed = parseDocument(repair.text, PARSE_OPTIONS);
      const errors = candidate.errors.length;
      if (errors >= document.errors.length || candidate.errors.some((found) => found.pos[0] < repair.end || found.code === 'RESOURCE_EXHAUSTION')) continue;
      if (best && errors > best.errors) continue;
      if (!startsNodes(candidate, repair)) continue;
      let score = 0;
      if (errors === 0 && judge && (best === undefined || best.score > 0)) {
        if (budget.left < repair.text.length) break;
        budget.left -= repair.text.length;
        score = scoreOf(candidate, judge);
      }
      if (!best || errors < best.errors || score < best.score) best = { repair, document: candidate, errors, score };
    }
    return best && { repair: best.repair, document: best.document };
  }

  /** Switches to a repaired text (the same lines, changed inside). */
  private useText(text: string): void {
    this.text = text;
    this.lineStarts = [0];
    for (let index = text.indexOf('\n'); index !== -1; index = text.indexOf('\n', index + 1)) this.lineStarts.push(index + 1);
  }

  /**
   * Whether a problem at `offset` comes from a guessed fix of a syntax mistake rather than from the
   * file: it is on a line the guess changed, or (`path`) about what such a line holds or a mapping
   * or list around it (a missing field of a mapping the mistake broke).
   */
  private fromGuess(offset: number, path?: Path): boolean {
    if (this.guessedLines.size === 0) return false;
    if (this.guessedLines.has(this.position(offset).line)) return true;
    return path !== undefined && this.guessedPaths.some((guessed) => path.length <= guessed.length && path.every((segment, index) => String(segment) === String(guessed[index])));
  }

  private collectParserIssues(document: Document.Parsed, earlier: number): void {
    for (const error of document.errors) {
      if (error.code === 'RESOURCE_EXHAUSTION') {
        if (this.issues.some((issue) => issue.code === 'TOO_DEEP')) continue;
        this.addAtOffset({ code: 'TOO_DEEP', message: 'The file nests too deeply to parse.', hint: `Nest at most ${MAX_DEPTH} levels.`, path: [] }, error.pos[0]);
      } else {
        const syntax = this.issues.slice(earlier).filter((issue) => issue.code === 'YAML_SYNTAX');
        if (syntax.length >= MAX_SYNTAX_ISSUES) continue;
        const { message, hint, offset } = describeSyntaxError(error, document, this.text);
        // The parser often reports one mistake several times on its line: the first says it best.
        if (syntax.some((issue) => issue.line === this.position(offset).line)) continue;
        this.addAtOffset({ code: 'YAML_SYNTAX', message, hint, path: [] }, offset);
      }
    }
    for (const warning of document.warnings) this.addWarning(warning);
  }

  private addWarning(warning: YAMLError): void {
    const offset = warning.pos[0];
    if (this.fromGuess(offset)) return;
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
      if (this.fromGuess(offset)) continue;
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
    const report = (input: IssueInput, node: unknown) => {
      if (!this.fromGuess(nodeStart(node) ?? 0)) this.addAtOffset(input, nodeStart(node) ?? 0);
    };
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

/**
 * What to report for a syntax mistake the guess `repair` fixed: the parser's error, described; or,
 * when the guess re-indented another line than the one the parser complained about (a key indented
 * deeper than its siblings makes the parser stumble on the next one), that line.
 */
function describeRepaired(error: YAMLError, document: Document.Parsed, text: string, repair: Repair): { message: string; hint: string; offset: number } {
  const described = describeSyntaxError(error, document, text);
  const line = repair.lines[0] as number;
  const indent = repair.indent;
  let start = 0;
  for (let count = 0; count < line; count += 1) start = text.indexOf('\n', start) + 1;
  const reportedLine = text.slice(0, described.offset).split('\n').length - 1;
  if (!indent || reportedLine === line) return described;
  const what = indent.item ? 'item' : 'key';
  const others = indent.item ? 'other items of its list' : 'other keys of its mapping';
  if (indent.from.includes('\t'))
    return { message: 'This line is indented with a tab: YAML allows only spaces in indentation.', hint: 'Indent with spaces, not tabs.', offset: start + indent.from.indexOf('\t') };
  const deeper = indent.from.length > indent.to;
  return {
    message: `This ${what} is indented ${deeper ? 'deeper' : 'less deep'} than the ${others} (column ${indent.from.length + 1}), so YAML cannot read the lines after it.`,
    hint: `Line it up with them: start it in column ${indent.to + 1}.`,
    offset: start + indent.from.length,
  };
}

/** Whether a guess's parse has a node starting where its re-indented line must start one (or after the line's "- "). */
function startsNodes(document: Document.Parsed, repair: Repair): boolean {
  if (repair.starts.length === 0) return true;
  const wanted = new Set<number>();
  for (const start of repair.starts) {
    const dashes = /^(?:- +)*/.exec(repair.text.slice(start, start + 100))?.[0].length ?? 0;
    for (let offset = start; offset <= start + dashes; offset += 1) wanted.add(offset);
  }
  let found = false;
  visit(document, (_key, node) => {
    const start = isPair(node) ? nodeStart(node.key) : nodeStart(node);
    if (start !== undefined && wanted.has(start)) found = true;
    return found ? visit.BREAK : undefined;
  });
  return found;
}

/** The problems `judge` finds in a parsed guess's data, and its keys given twice (a line moved into the wrong mapping). */
function scoreOf(document: Document.Parsed, judge: (data: unknown) => number): number {
  let duplicates = 0;
  visit(document, {
    Map: (_key, map) => {
      const keys = new Set<string>();
      for (const pair of map.items) {
        const key = isScalar(pair.key) ? keyText(pair.key.value) : undefined;
        if (key === undefined) continue;
        if (keys.has(key)) duplicates += 1;
        keys.add(key);
      }
    },
  });
  try {
    return duplicates + judge(document.toJS({ maxAliasCount: MAX_ALIAS_COUNT }));
  } catch {
    return Number.MAX_SAFE_INTEGER;
  }
}

/** The data paths of the keys, list items and values that start on the lines `onLine` picks. */
function pathsOnLines(document: Document.Parsed, onLine: (offset: number) => boolean): Path[] {
  const paths: Path[] = [];
  visit(document, (key, node, ancestors) => {
    if (key === 'key') return undefined;
    const start = isPair(node) ? nodeStart(node.key) : nodeStart(node);
    if (start === undefined || !onLine(start)) return undefined;
    const path = isPair(node) ? dataPath(ancestors, node.value) : dataPath(ancestors, node);
    if (isPair(node) && isScalar(node.key) && path === undefined) {
      const map = ancestors[ancestors.length - 1];
      const mapPath = dataPath(ancestors.slice(0, -1), map);
      if (mapPath) paths.push([...mapPath, keyText(node.key.value)]);
    } else if (path) {
      paths.push(path);
    }
    return undefined;
  });
  return paths;
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

const EMPTY_HINT = 'Start with version: 1, name:, root: and agents:; or delete the file and run `npx switchboard init <file>`, which writes a starter tree there.';

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
