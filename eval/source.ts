/**
 * Dataset text → plain data, keeping positions, the way config/source.ts does it for trees: parse
 * with the `yaml` package and a LineCounter, then turn any path into the `line:column` of its node.
 * A JSONL line is parsed the same way (JSON is YAML), shifted to its line in the file.
 */
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, visit } from 'yaml';
import type { Document, Node } from 'yaml';
import { FORBIDDEN_KEYS, MAX_ALIAS_COUNT, MAX_DEPTH } from '../config/source.js';
import { describeSyntaxError } from '../config/syntax-errors.js';
import type { DatasetIssue, DatasetIssueCode } from './dataset-error.js';

export type Path = (string | number)[];

/** An issue before it has a position. `at: 'key'` points at a mapping key rather than its value. */
export interface IssueInput {
  code: DatasetIssueCode;
  message: string;
  hint?: string | undefined;
  path: Path;
  at?: 'key' | 'value';
}

/** One parsed YAML document (a whole YAML file, or one JSONL line) and the issues found in it. */
export class DatasetSource {
  readonly issues: DatasetIssue[] = [];
  data: unknown = undefined;
  private readonly lineCounter = new LineCounter();
  private readonly document: Document.Parsed;

  /**
   * @param firstLine the 1-based line of the file where `text` starts (JSONL lines), 1 for a whole file.
   */
  constructor(
    readonly file: string,
    readonly text: string,
    private readonly firstLine = 1,
  ) {
    this.document = parseDocument(text, {
      lineCounter: this.lineCounter,
      prettyErrors: false,
      uniqueKeys: true,
      merge: false,
      strict: true,
    });
    for (const error of this.document.errors) {
      if (error.code === 'DUPLICATE_KEY') {
        const key = /^[\s"']*([^:"'\n]+)/.exec(text.slice(error.pos[0], error.pos[0] + 80))?.[1]?.trim();
        const message = key ? `The key "${key}" appears twice in the same mapping.` : 'A key appears twice in the same mapping.';
        this.addAt(
          { code: 'DUPLICATE_KEY', message, hint: 'Each key may appear once: remove or merge one of them.', path: [] },
          error.pos[0],
        );
      } else {
        // The tree loader's wording and position (an unclosed quote is shown where it opens, not at the end of the file).
        const { message, hint, offset } = describeSyntaxError(error, this.document);
        this.addAt({ code: 'YAML_SYNTAX', message, hint, path: [] }, offset);
      }
    }
    for (const warning of this.document.warnings) {
      const unknownTag = warning.code === 'TAG_RESOLVE_FAILED';
      this.addAt(
        {
          code: unknownTag ? 'UNKNOWN_TAG' : 'YAML_SYNTAX',
          message: firstLineOf(warning.message),
          hint: unknownTag
            ? 'Remove the tag: datasets hold plain text, numbers, booleans, lists and mappings.'
            : 'Fix the YAML at this position.',
          path: [],
        },
        warning.pos[0],
      );
    }
    if (this.issues.length > 0 || !this.checkStructure()) return;
    try {
      this.data = this.document.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (error) {
      this.addAt(
        {
          code: 'ALIAS_LIMIT',
          message: `Aliases expand to too much data (${(error as Error).message}).`,
          hint: `Use at most ${MAX_ALIAS_COUNT} alias expansions.`,
          path: [],
        },
        0,
      );
    }
  }

  /** True when the text parsed without problems. */
  get ok(): boolean {
    return this.data !== undefined && this.issues.length === 0;
  }

  /** Adds an issue positioned at the node of `path` (or its nearest existing ancestor). */
  add(input: IssueInput): void {
    this.addAt(input, this.offsetOf(input.path, input.at ?? 'value'));
  }

  /** The 1-based line and column of `path` in the file. */
  locate(path: Path, at: 'key' | 'value' = 'value'): { line: number; column: number } {
    return this.position(this.offsetOf(path, at));
  }

  private position(offset: number): { line: number; column: number } {
    const { line, col } = this.lineCounter.linePos(offset);
    return { line: Math.max(line, 1) + this.firstLine - 1, column: Math.max(col, 1) };
  }

  private addAt(input: IssueInput, offset: number): void {
    const { at: _at, ...issue } = input;
    this.issues.push({ ...issue, file: this.file, ...this.position(offset) });
  }

  private offsetOf(path: Path, at: 'key' | 'value'): number {
    let node: unknown = this.document.contents;
    let offset = startOf(node) ?? 0;
    for (const [index, segment] of path.entries()) {
      if (isAlias(node)) node = node.resolve(this.document);
      if (isMap(node)) {
        const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(segment));
        if (!pair) break;
        if (index === path.length - 1 && at === 'key') return startOf(pair.key) ?? offset;
        node = pair.value;
        offset = startOf(pair.value) ?? startOf(pair.key) ?? offset;
      } else if (isSeq(node) && typeof segment === 'number' && node.items[segment] !== undefined) {
        node = node.items[segment];
        offset = startOf(node) ?? offset;
      } else {
        break;
      }
    }
    return offset;
  }

  /** Refuses keys that touch object prototypes and absurd nesting, before toJS. */
  private checkStructure(): boolean {
    let safe = true;
    visit(this.document, (_key, node, path) => {
      const depth = path.filter((ancestor) => isMap(ancestor) || isSeq(ancestor)).length;
      if (depth > MAX_DEPTH) {
        this.addAt(
          {
            code: 'YAML_SYNTAX',
            message: `The file nests deeper than ${MAX_DEPTH} levels.`,
            hint: 'Datasets need only a few levels.',
            path: [],
          },
          startOf(node) ?? 0,
        );
        safe = false;
        return visit.BREAK;
      }
      if (isPair(node) && isScalar(node.key) && FORBIDDEN_KEYS.has(String(node.key.value))) {
        this.addAt(forbiddenKeyIssue(String(node.key.value), []), startOf(node.key) ?? 0);
        safe = false;
      }
      return undefined;
    });
    return safe;
  }
}

/** The issue of a key that touches object prototypes (`__proto__`, `constructor`, `prototype`). */
export function forbiddenKeyIssue(key: string, path: Path): IssueInput {
  return { code: 'FORBIDDEN_KEY', message: `The key "${key}" is not allowed.`, hint: 'Rename it: this key name is reserved by JavaScript.', path, at: 'key' };
}

/**
 * The paths of the forbidden keys in parsed JSON (a JSONL line). JSON.parse makes `"__proto__"` an
 * own key, so it is found here even where the line's YAML reading failed. Walked with a stack, each
 * entry linked to its parent, not by recursion: a line may nest as deep as JSON.parse allows.
 */
export function forbiddenKeyPaths(data: unknown): Path[] {
  interface Entry {
    value: unknown;
    key: string | number | undefined;
    parent: Entry | undefined;
  }
  const pathOf = (entry: Entry): Path => {
    const path: Path = [];
    for (let at: Entry | undefined = entry; at?.key !== undefined; at = at.parent) path.unshift(at.key);
    return path;
  };
  const found: Path[] = [];
  const pending: Entry[] = [{ value: data, key: undefined, parent: undefined }];
  for (let parent = pending.pop(); parent !== undefined; parent = pending.pop()) {
    const { value } = parent;
    if (value === null || typeof value !== 'object') continue;
    const entries: [string | number, unknown][] = Array.isArray(value) ? value.map((entry, index) => [index, entry]) : Object.entries(value);
    for (const [key, entry] of entries) {
      if (typeof key === 'string' && FORBIDDEN_KEYS.has(key)) found.push(pathOf({ value: entry, key, parent }));
      else pending.push({ value: entry, key, parent });
    }
  }
  return found;
}

function startOf(node: unknown): number | undefined {
  return (node as Node | undefined)?.range?.[0];
}

function firstLineOf(text: string): string {
  return text.split('\n')[0]?.trim() ?? text;
}
