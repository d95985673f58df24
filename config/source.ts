/**
 * YAML text → plain data, keeping positions: every later problem (schema or semantic) is reported
 * at the `file:line:column` of the YAML node it is about.
 */
import { Document, isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, visit } from 'yaml';
import type { Node } from 'yaml';
import type { ConfigIssue } from '../errors/config-error.js';

/** Larger tree files are refused before parsing. */
export const MAX_FILE_BYTES = 1_000_000;
/** Deeper nesting than any sane tree is refused (it can only be an attack or a mistake). */
export const MAX_DEPTH = 40;
/** Aliases are allowed (to share a prompt), but not enough to blow up memory. */
export const MAX_ALIAS_COUNT = 200;
/** Keys that would touch an object prototype in careless code downstream. */
export const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

export type IssueInput = Omit<ConfigIssue, 'file' | 'line' | 'column' | 'severity'> & {
  severity?: ConfigIssue['severity'];
  /** Point at the key rather than the value (for unknown or forbidden keys). */
  at?: 'key' | 'value';
};

/** A parsed tree file: its data, and a way to turn a path into a position. */
export class TreeSource {
  readonly issues: ConfigIssue[] = [];
  data: unknown = undefined;
  private readonly lineCounter = new LineCounter();
  private readonly document: Document.Parsed | undefined;

  constructor(
    readonly file: string,
    readonly text: string,
  ) {
    if (Buffer.byteLength(text) > MAX_FILE_BYTES) {
      this.addAtOffset(
        { code: 'FILE_TOO_LARGE', message: `The file is larger than ${MAX_FILE_BYTES} bytes.`, hint: 'Split the tree or shorten the prompts.', path: [] },
        0,
      );
      return;
    }
    if (text.trim() === '') {
      this.addAtOffset({ code: 'EMPTY_FILE', message: 'The file is empty.', hint: 'Start from `switchboard init`.', path: [] }, 0);
      return;
    }
    const document = parseDocument(text, {
      lineCounter: this.lineCounter,
      prettyErrors: false,
      uniqueKeys: true,
      merge: false,
      strict: true,
    });
    this.document = document;
    this.collectParserIssues(document);
    if (document.errors.length > 0) return;
    if (!this.checkStructure(document)) return;
    try {
      this.data = document.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (error) {
      this.addAtOffset(
        {
          code: 'ALIAS_LIMIT',
          message: `Aliases expand to too much data (${(error as Error).message}).`,
          hint: `Use fewer aliases (at most ${MAX_ALIAS_COUNT} expansions).`,
          path: [],
        },
        0,
      );
    }
  }

  /** True when the file parsed and nothing so far is an error. */
  get ok(): boolean {
    return this.data !== undefined && !this.issues.some((issue) => issue.severity === 'error');
  }

  /** Adds an issue positioned at the YAML node of `path` (or its nearest existing ancestor). */
  add(input: IssueInput): void {
    this.addAtOffset(input, this.offsetOf(input.path, input.at ?? 'value'));
  }

  /** The 1-based line and column of `path`. */
  locate(path: (string | number)[], at: 'key' | 'value' = 'value'): { line: number; column: number } {
    const { line, col } = this.lineCounter.linePos(this.offsetOf(path, at));
    return { line, column: col };
  }

  private addAtOffset(input: IssueInput, offset: number): void {
    const { line, col } = this.lineCounter.linePos(offset);
    const { at: _at, severity = 'error', ...rest } = input;
    this.issues.push({ ...rest, severity, file: this.file, line: Math.max(line, 1), column: Math.max(col, 1) });
  }

  private offsetOf(path: (string | number)[], at: 'key' | 'value'): number {
    let node: unknown = this.document?.contents;
    let offset = nodeStart(node) ?? 0;
    for (const [index, segment] of path.entries()) {
      const last = index === path.length - 1;
      if (isAlias(node) && this.document) node = node.resolve(this.document);
      if (isMap(node)) {
        const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(segment));
        if (!pair) break;
        if (last && at === 'key') return nodeStart(pair.key) ?? offset;
        node = pair.value;
        offset = nodeStart(pair.value) ?? nodeStart(pair.key) ?? offset;
      } else if (isSeq(node) && typeof segment === 'number') {
        const item = node.items[segment];
        if (item === undefined) break;
        node = item;
        offset = nodeStart(item) ?? offset;
      } else {
        break;
      }
    }
    return offset;
  }

  private collectParserIssues(document: Document.Parsed): void {
    for (const error of document.errors) {
      const offset = error.pos[0];
      if (error.code === 'DUPLICATE_KEY') {
        const agent = this.agentKeyAt(document, offset);
        this.addAtOffset(
          agent === undefined
            ? { code: 'DUPLICATE_KEY', message: duplicateMessage(this.text, offset), hint: 'Each key may appear once in a mapping; merge the two entries.', path: [] }
            : { code: 'DUPLICATE_AGENT', message: `The agent "${agent}" is defined twice.`, hint: 'Rename one of them or merge the two definitions.', path: [] },
          offset,
        );
      } else if (error.code === 'RESOURCE_EXHAUSTION') {
        this.addAtOffset({ code: 'TOO_DEEP', message: 'The file nests too deeply to parse.', hint: `Nest at most ${MAX_DEPTH} levels.`, path: [] }, offset);
      } else {
        this.addAtOffset({ code: 'YAML_SYNTAX', message: firstLine(error.message), hint: 'Fix the YAML syntax at this position.', path: [] }, offset);
      }
    }
    for (const warning of document.warnings) {
      if (warning.code === 'TAG_RESOLVE_FAILED') {
        const tag = /Unresolved tag: (.*)$/.exec(firstLine(warning.message))?.[1] ?? 'tag';
        this.addAtOffset(
          { code: 'UNKNOWN_TAG', message: `The tag ${tag} is not allowed.`, hint: 'Remove the tag: tree files hold plain strings, numbers, booleans, lists and maps.', path: [] },
          warning.pos[0],
        );
      } else {
        this.addAtOffset({ code: 'YAML_SYNTAX', message: firstLine(warning.message), hint: 'Fix the YAML at this position.', path: [] }, warning.pos[0]);
      }
    }
  }

  /** The agent name whose key starts at `offset` in the top-level `agents` map, if any. */
  private agentKeyAt(document: Document.Parsed, offset: number): string | undefined {
    const agents = isMap(document.contents) ? document.contents.get('agents', true) : undefined;
    if (!isMap(agents)) return undefined;
    const pair = agents.items.find((item) => nodeStart(item.key) === offset);
    return pair && isScalar(pair.key) ? String(pair.key.value) : undefined;
  }

  /** Rejects forbidden keys, custom tags and excessive depth; returns false if toJS is unsafe. */
  private checkStructure(document: Document.Parsed): boolean {
    let safe = true;
    const depthOf = new Map<unknown, number>();
    visit(document, (_key, node, path) => {
      const depth = path.filter((ancestor) => isMap(ancestor) || isSeq(ancestor)).length;
      if (depth > MAX_DEPTH) {
        if (!depthOf.has('reported')) {
          depthOf.set('reported', depth);
          this.addAtOffset({ code: 'TOO_DEEP', message: `The file nests deeper than ${MAX_DEPTH} levels.`, hint: `Nest at most ${MAX_DEPTH} levels.`, path: [] }, nodeStart(node) ?? 0);
        }
        safe = false;
        return visit.BREAK;
      }
      if (isPair(node) && isScalar(node.key) && FORBIDDEN_KEYS.has(String(node.key.value))) {
        this.addAtOffset(
          { code: 'FORBIDDEN_KEY', message: `The key "${String(node.key.value)}" is not allowed.`, hint: 'Rename it: this key name is reserved by JavaScript.', path: [] },
          nodeStart(node.key) ?? 0,
        );
        safe = false;
      }
      return undefined;
    });
    return safe;
  }
}

function nodeStart(node: unknown): number | undefined {
  return (node as Node | undefined)?.range?.[0];
}

function firstLine(text: string): string {
  return text.split('\n')[0]?.trim() ?? text;
}

function duplicateMessage(text: string, offset: number): string {
  const key = /^[\s"']*([^:"'\n]+)/.exec(text.slice(offset, offset + 80))?.[1]?.trim();
  return key ? `The key "${key}" appears twice in the same mapping.` : 'A key appears twice in the same mapping.';
}
