/**
 * Loading a tree: read → parse YAML with positions → validate with the zod schema → lint.
 * Every problem comes back at once, positioned (`file:line:col`), as data on a {@link ConfigError}.
 */
import { readFile } from 'node:fs/promises';
import { ConfigError } from '../errors/config-error.js';
import type { ConfigIssue } from '../errors/config-error.js';
import { lintTree } from './lint.js';
import { AgentSchema, TreeSchema } from './schema.js';
import type { Agent, Tree } from './schema.js';
import { toConfigIssues } from './schema-issues.js';
import { TreeSource } from './source.js';

/** What code registers: lint checks the tree's tool and model names against it. */
export interface TreeRegistry {
  /** Function tool names (or a registry object keyed by tool name). */
  tools?: Iterable<string> | Record<string, unknown> | undefined;
  /** Model names supplied by code, besides the tree's own `models:`. */
  models?: Iterable<string> | Record<string, unknown> | undefined;
}

/** A validated tree with where it came from, ready for {@link compileTree}. */
export interface LoadedTree {
  /** The tree, defaults applied. */
  spec: Tree;
  /** The file it was read from (or the name given to {@link parseTree}). */
  file: string;
  /** Warnings lint found; errors make loading throw instead. */
  warnings: ConfigIssue[];
  /** The 1-based position of a path in the file, for errors found later. */
  locate(path: (string | number)[]): { line: number; column: number };
}

/** Every problem of a tree text, errors and warnings, sorted by position. Never throws. */
export function lintTreeText(text: string, file: string, registry: TreeRegistry = {}): ConfigIssue[] {
  return analyse(text, file, registry).source.issues;
}

/** Parses and validates tree text; throws a {@link ConfigError} listing every error. */
export function parseTree(text: string, file = '<tree>', registry: TreeRegistry = {}): LoadedTree {
  const { source, spec } = analyse(text, file, registry);
  if (!spec || source.issues.some((issue) => issue.severity === 'error')) throw new ConfigError(source.issues);
  return {
    spec,
    file,
    warnings: source.issues,
    locate: (path) => source.locate(path),
  };
}

/** Reads, parses and validates a tree file; throws a {@link ConfigError} listing every error. */
export async function loadTree(path: string, registry: TreeRegistry = {}): Promise<LoadedTree> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : `cannot be read (${(error as Error).message})`;
    throw new ConfigError([{ code: 'FILE_NOT_FOUND', severity: 'error', message: `The file ${reason}.`, hint: 'Check the path, or create a tree with `switchboard init`.', path: [], file: path, line: 1, column: 1 }]);
  }
  return parseTree(text, path, registry);
}

function analyse(text: string, file: string, registry: TreeRegistry): { source: TreeSource; spec?: Tree } {
  const source = new TreeSource(file, text);
  if (source.data === undefined || source.issues.some((issue) => issue.severity === 'error')) return finish(source);
  const data = source.data;
  const parsed = TreeSchema.safeParse(data);
  if (parsed.success) {
    lintTree(parsed.data, lintContext(parsed.data.agents, registry), (issue) => source.add(issue));
    return finish(source, parsed.data);
  }
  for (const issue of toConfigIssues(parsed.error.issues, TreeSchema, data)) source.add(issue);
  const partial = partialTree(data);
  if (partial) lintTree(partial.tree, { ...lintContext(partial.knownAgents, registry), complete: partial.complete }, (issue) => source.add(issue));
  return finish(source);
}

function finish(source: TreeSource, spec?: Tree): { source: TreeSource; spec?: Tree } {
  source.issues.sort((a, b) => a.line - b.line || a.column - b.column || a.code.localeCompare(b.code));
  dedupe(source.issues);
  return spec ? { source, spec } : { source };
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

function lintContext(knownAgents: Iterable<string> | Record<string, unknown>, registry: TreeRegistry) {
  return {
    knownAgents: new Set(names(knownAgents)),
    tools: registry.tools === undefined ? undefined : new Set(names(registry.tools)),
    models: registry.models === undefined ? undefined : new Set(names(registry.models)),
  };
}

function names(source: Iterable<string> | Record<string, unknown>): string[] {
  return Symbol.iterator in source ? [...(source)] : Object.keys(source);
}

/**
 * The parts of a schema-invalid tree that are valid on their own, so that lint can still report
 * reference and structure problems in the same run. Agents that fail the schema are left out, but
 * their names still count as known (no echo "unknown agent" errors).
 */
function partialTree(data: unknown): { tree: Tree; knownAgents: string[]; complete: boolean } | undefined {
  if (!isRecord(data) || !isRecord(data.agents)) return undefined;
  const agents: Record<string, Agent> = {};
  for (const [name, value] of Object.entries(data.agents)) {
    const parsed = AgentSchema.safeParse(value);
    if (parsed.success) agents[name] = parsed.data;
  }
  const pick = <K extends keyof Tree>(key: K): Tree[K] | undefined => {
    const shape = TreeSchema.shape[key];
    const parsed = shape.safeParse(data[key]);
    return parsed.success ? (parsed.data as Tree[K]) : undefined;
  };
  const root = pick('root');
  if (root === undefined) return undefined;
  const tree: Tree = { version: 1, name: 'partial', root, agents };
  for (const key of ['escalation', 'defaults', 'models', 'state'] as const) {
    const value = pick(key);
    if (value !== undefined) Object.assign(tree, { [key]: value });
  }
  return { tree, knownAgents: Object.keys(data.agents), complete: Object.keys(agents).length === Object.keys(data.agents).length };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
