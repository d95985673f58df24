/**
 * Loading a tree: read → parse YAML with positions → validate with the zod schema → lint.
 * Every problem comes back at once, positioned (`file:line:col`), as data on a {@link ConfigError}.
 */
import { ConfigError } from '../errors/config-error.js';
import { SwitchboardError } from '../errors/switchboard-error.js';
import type { ConfigIssue } from '../errors/config-error.js';
import { lintTree } from './lint.js';
import { salvageTree } from './salvage.js';
import { TreeSchema } from './schema.js';
import type { Tree } from './schema.js';
import { toConfigIssues } from './schema-issues.js';
import { MAX_FILE_BYTES, TreeSource } from './source.js';
import { readTextFile } from './read-text.js';
import type { IssueInput } from './source.js';

/** What code registers and allows: lint checks the tree against it. */
export interface TreeRegistry {
  /** Function tool names (or a registry object keyed by tool name). */
  tools?: Iterable<string> | Record<string, unknown> | undefined;
  /** Model names supplied by code, besides the tree's own `models:`. */
  models?: Iterable<string> | Record<string, unknown> | undefined;
  /**
   * Environment variables a model's `apiKeyEnv` may name besides those ending in `_API_KEY`
   * (e.g. `['AZURE_OPENAI_KEY']`). Any other name is refused: a tree must not send `PGPASSWORD`
   * or `DATABASE_URL` to the endpoint it names.
   */
  allowedKeyEnv?: readonly string[] | ReadonlySet<string> | undefined;
  /**
   * State fields backend code owns, such as the customer's identity (e.g. `['customer_id']`): a
   * handoff payload's `sets:` into one is refused, as for a field marked `owner: backend`.
   */
  backendFields?: readonly string[] | ReadonlySet<string> | undefined;
}

/** The rules code set for a tree ({@link TreeRegistry.allowedKeyEnv}, {@link TreeRegistry.backendFields}), to check it again with the same rules. */
export interface TreePolicy {
  allowedKeyEnv: ReadonlySet<string>;
  backendFields: ReadonlySet<string>;
}

/** A validated tree with where it came from, ready for {@link compileTree}. */
export interface LoadedTree {
  /** The tree, defaults applied. */
  spec: Tree;
  /** The file it was read from (or the name given to {@link parseTree}). */
  file: string;
  /** Warnings lint found; errors make loading throw instead. */
  warnings: ConfigIssue[];
  /** What code allowed when loading it: checking the tree again (compileTree) needs the same. */
  policy: TreePolicy;
  /** The 1-based position of a path in the file, for errors found later. */
  locate(path: (string | number)[]): { line: number; column: number };
}

/** Every problem of a tree text, errors and warnings, sorted by position. Throws only when `text` is no string. */
export function lintTreeText(text: string, file: string, registry: TreeRegistry = {}): ConfigIssue[] {
  checkText('lintTreeText', text);
  return analyse(text, file, registry).source.issues;
}

/** Parses and validates tree text; throws a {@link ConfigError} listing every error. */
export function parseTree(text: string, file = '<tree>', registry: TreeRegistry = {}): LoadedTree {
  checkText('parseTree', text);
  const { source, spec } = analyse(text, file, registry);
  if (!spec || source.issues.some((issue) => issue.severity === 'error')) throw new ConfigError(source.issues);
  return {
    spec,
    file,
    warnings: source.issues,
    policy: policyOf(registry),
    locate: (path) => source.locate(path),
  };
}

/** Reads, parses and validates a tree file; throws a {@link ConfigError} listing every error. */
export async function loadTree(path: string, registry: TreeRegistry = {}): Promise<LoadedTree> {
  const read = await readTreeFile(path);
  if ('issue' in read) throw new ConfigError([read.issue]);
  return parseTree(read.text, path, registry);
}

/**
 * A tree file's text, or the issue saying why it cannot be read. One over {@link MAX_FILE_BYTES} is
 * refused from its size, before it is read (a 2 GB file, /dev/zero). Never throws.
 */
export async function readTreeFile(path: string): Promise<{ text: string } | { issue: ConfigIssue }> {
  const read = await readTextFile(path, MAX_FILE_BYTES);
  if ('text' in read) return read;
  return { issue: 'error' in read ? fileNotFound(path, read.error) : fileTooLarge(path, read.tooLarge) };
}

/** The issue for a tree file over {@link MAX_FILE_BYTES}, found before reading it; `bytes` when its size is known. */
export function fileTooLarge(path: string, bytes: number | undefined): ConfigIssue {
  const size = bytes === undefined ? `holds more than ${MAX_FILE_BYTES} bytes` : `is ${bytes} bytes`;
  return { code: 'FILE_TOO_LARGE', severity: 'error', message: `The file ${size}; a tree file may have at most ${MAX_FILE_BYTES}.`, hint: 'Check the path; else shorten the prompts, or split the tree into smaller trees.', path: [], file: path, line: 1, column: 1 };
}

/** The issue for a tree file that cannot be read. */
export function fileNotFound(path: string, error: unknown): ConfigIssue {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const reason = code === 'ENOENT' ? 'does not exist' : code === 'EISDIR' ? 'is a folder, not a file' : `cannot be read (${code ?? String(error)})`;
  return { code: 'FILE_NOT_FOUND', severity: 'error', message: `The tree file ${path} ${reason}.`, hint: 'Check the path (a relative path starts from the current folder).', path: [], file: path, line: 1, column: 1 };
}

/** A call given no text (`parseTree(undefined)`, a Buffer) is a mistake in the calling code: it says what to pass. */
function checkText(caller: string, text: unknown): void {
  if (typeof text === 'string') return;
  const got = Buffer.isBuffer(text) ? 'a Buffer' : text === null || text === undefined ? String(text) : Array.isArray(text) ? 'an array' : `${/^[aeiou]/.test(typeof text) ? 'an' : 'a'} ${typeof text}`;
  const fix = Buffer.isBuffer(text) ? ` Decode it first: ${caller}(buffer.toString('utf8')).` : ` To read a file, use loadTree(path).`;
  throw new SwitchboardError('INVALID_OPTION', `${caller}() takes the tree's YAML text as a string; got ${got}.${fix}`);
}

function analyse(text: string, file: string, registry: TreeRegistry): { source: TreeSource; spec?: Tree } {
  // Of the guesses at a syntax mistake's fix, the one whose data has the fewest problems is checked.
  const judge = (data: unknown) => {
    let count = 0;
    check(data, [], registry, () => ({ line: 1, column: 1 }), () => (count += 1));
    return count;
  };
  const source = new TreeSource(file, text, judge);
  if (source.data === undefined) return finish(source);
  const spec = check(source.data, source.lost, registry, source.locate.bind(source), (issue) => source.add(issue));
  return finish(source, spec);
}

/** Checks a tree's data against the schema, then lints what can be salvaged of it; the tree when the schema accepts it. */
function check(data: unknown, lost: TreeSource['lost'], registry: TreeRegistry, locate: TreeSource['locate'], report: (issue: IssueInput) => void): Tree | undefined {
  const parsed = TreeSchema.safeParse(data);
  if (!parsed.success) for (const issue of toConfigIssues(parsed.error.issues, TreeSchema, data)) report(issue);
  // What failed the schema (or a duplicate key hid) is salvaged around: the rules after the schema still run on the rest.
  const salvaged = salvageTree(data, lost, parsed.success ? parsed.data : undefined);
  if (salvaged) {
    const context = { ...lintContext(salvaged.knownAgents, registry), agentKeys: new Set(salvaged.agentKeys), gaps: salvaged.gaps, locate, untypedFields: new Set(salvaged.untypedFields) };
    lintTree(salvaged.tree, context, (issue) => (salvaged.rootMissing && issue.path[0] === 'root' ? undefined : report(issue)));
  }
  return parsed.success ? parsed.data : undefined;
}

/** Places the issues found through aliases, sorts by position and drops repeats; the spec only comes back when there is no error. */
function finish(source: TreeSource, spec?: Tree): { source: TreeSource; spec?: Tree } {
  source.settleAliases();
  source.issues.sort((a, b) => a.line - b.line || a.column - b.column || a.code.localeCompare(b.code) || a.message.localeCompare(b.message));
  dedupe(source.issues);
  const failed = source.issues.some((issue) => issue.severity === 'error');
  return spec && !failed ? { source, spec } : { source };
}

function dedupe(issues: ConfigIssue[]): void {
  const seen = new Set<string>();
  for (let index = issues.length - 1; index >= 0; index -= 1) {
    const issue = issues[index] as ConfigIssue;
    const key = `${issue.line}:${issue.column}:${issue.code}:${issue.message}`;
    if (seen.has(key)) issues.splice(index, 1);
    seen.add(key);
  }
}

function lintContext(knownAgents: Iterable<string>, registry: TreeRegistry) {
  return {
    knownAgents: new Set(knownAgents),
    tools: registry.tools === undefined ? undefined : new Set(names(registry.tools)),
    models: registry.models === undefined ? undefined : new Set(names(registry.models)),
    ...policyOf(registry),
  };
}

/** The policy part of `registry`, as sets. */
export function policyOf(registry: Pick<TreeRegistry, 'allowedKeyEnv' | 'backendFields'>): TreePolicy {
  return { allowedKeyEnv: new Set(registry.allowedKeyEnv ?? []), backendFields: new Set(registry.backendFields ?? []) };
}

function names(source: Iterable<string> | Record<string, unknown>): string[] {
  return Symbol.iterator in source ? [...source] : Object.keys(source);
}
