/**
 * The project file, `switchboard.config.json`: the defaults every command reads (the tree or trees,
 * the tools module, the store, the log level and format), found by searching upward from the
 * working directory, or named with `--config`. Flags override it; `$SWITCHBOARD_DB` overrides its
 * store. Paths in it are relative to the file itself. A mistake is shown as file:line:col.
 */
import { existsSync } from 'node:fs';
import { readTextFileSync } from '../config/read-text.js';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { SwitchboardError } from '../errors/switchboard-error.js';
import { nearest } from './command-line.js';
import { JsonSyntaxError, parseJsonSource } from './json-source.js';
import type { JsonPath, JsonSource } from './json-source.js';

/** The project file's name. */
export const PROJECT_FILE = 'switchboard.config.json';

/** The log levels the CLI knows (pino's). */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
/** How logs are written: `auto` is pretty in a terminal and JSON lines otherwise. */
export const LOG_FORMATS = ['auto', 'json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** A project file, read: every path absolute. */
export interface ProjectSettings {
  /** The project file itself. */
  file: string;
  /** The tree commands use when none is named. */
  tree?: string;
  /** Trees a command can name by name (`switchboard chat billing`). */
  trees: Record<string, string>;
  tools?: string;
  db?: string;
  logLevel?: (typeof LOG_LEVELS)[number];
  logFormat?: LogFormat;
}

export interface ProjectFileIssue {
  file: string;
  line: number;
  column: number;
  message: string;
  hint?: string;
}

/** A project file that cannot be used: every problem, each with its position. */
export class ProjectFileError extends SwitchboardError {
  override readonly name = 'ProjectFileError';
  constructor(readonly issues: ProjectFileIssue[]) {
    super('INVALID_PROJECT_FILE', issues.map(formatProjectIssue).join('\n'));
  }
}

export function formatProjectIssue(issue: ProjectFileIssue): string {
  return `${issue.file}:${issue.line}:${issue.column} error INVALID_PROJECT_FILE ${issue.message}${issue.hint ? ` ${issue.hint}` : ''}`;
}

/** The nearest project file from `from` upward, or undefined. */
export function findProjectFile(from: string = process.cwd()): string | undefined {
  let dir = resolve(from);
  for (;;) {
    const candidate = join(dir, PROJECT_FILE);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/**
 * The project's settings: from `explicit` (`--config`), else the nearest project file, else none.
 * A file named with `--config` must exist.
 */
export function readProjectSettings(explicit: string | undefined, cwd: string = process.cwd()): ProjectSettings | undefined {
  if (explicit !== undefined) {
    const file = resolve(cwd, explicit);
    if (!existsSync(file)) throw new ProjectFileError([{ file: explicit, line: 1, column: 1, message: `--config ${explicit}: there is no such file.`, hint: `Write one with \`npx switchboard init\`, or leave --config out to use the nearest ${PROJECT_FILE}.` }]);
    return parseProjectFile(readProjectText(file, explicit, '--config '), file, cwd);
  }
  const found = findProjectFile(cwd);
  return found === undefined ? undefined : parseProjectFile(readProjectText(found, relative(cwd, found) || found), found, cwd);
}

/** The project file's text; one that cannot be read (a folder, no permission) is a project-file error, not a stack trace. */
/** A project file is a few settings: past this size it is no project file, and is not read whole. */
const MAX_PROJECT_BYTES = 1_000_000;

function readProjectText(file: string, shown: string, flag = ''): string {
  const read = readTextFileSync(file, MAX_PROJECT_BYTES);
  if ('tooLarge' in read) throw new ProjectFileError([{ file: shown, line: 1, column: 1, message: `${flag}${shown} is larger than ${MAX_PROJECT_BYTES} bytes: it is not a project file.`, hint: `Name ${PROJECT_FILE}, a JSON file of a few settings.` }]);
  try {
    if ('error' in read) throw read.error;
    return read.text;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EISDIR')
      throw new ProjectFileError([{ file: shown, line: 1, column: 1, message: `${flag}${shown} is a folder, not a file.`, hint: `Name the project file itself, e.g. --config ${join(shown, PROJECT_FILE)}.` }]);
    throw new ProjectFileError([{ file: shown, line: 1, column: 1, message: `${flag}${shown} cannot be read (${code ?? String(error)}).` }]);
  }
}

const SETTINGS = ['$schema', 'tree', 'trees', 'tools', 'db', 'logLevel', 'logFormat'] as const;

/** Reads a project file's text; `file` is its absolute path. Throws {@link ProjectFileError} with every problem. */
export function parseProjectFile(text: string, file: string, cwd: string = process.cwd()): ProjectSettings {
  const shown = relative(cwd, file) || file;
  const dir = dirname(file);
  // The file's own name where --config names another (`bad.json`), as its paths start from its folder.
  const relativeTo = basename(file) === PROJECT_FILE ? PROJECT_FILE : shown;
  let source: JsonSource;
  try {
    source = parseJsonSource(text);
  } catch (error) {
    if (!(error instanceof JsonSyntaxError)) throw error;
    throw new ProjectFileError([{ file: shown, ...error.position, message: `is not valid JSON: ${error.message}` }]);
  }
  const issues: ProjectFileIssue[] = [];
  const problem = (path: JsonPath, message: string, hint?: string, of: 'value' | 'key' = 'value') =>
    issues.push({ file: shown, ...source.positionOf(path, of), message, ...(hint ? { hint } : {}) });
  const settings: ProjectSettings = { file, trees: {} };
  const value = source.value;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    problem([], 'must be a JSON object of settings.', `For example: { "tree": "tree.yaml", "tools": "tools.ts", "db": ".switchboard/threads.sqlite" }`);
    throw new ProjectFileError(issues);
  }
  const object = value as Record<string, unknown>;
  const text_ = (key: string): string | undefined => {
    const entry = object[key];
    if (entry === undefined) return undefined;
    if (typeof entry !== 'string' || entry.trim() === '') {
      problem([key], `"${key}" must be a string that is not empty.`);
      return undefined;
    }
    return entry;
  };
  const existingPath = (path: JsonPath, written: string, what: string, hint: string): string | undefined => {
    const absolute = resolve(dir, written);
    if (!existsSync(absolute)) {
      problem(path, `${what} ${written} does not exist${isAbsolute(written) ? '' : ` (paths are relative to ${relativeTo})`}.`, hint);
      return undefined;
    }
    return absolute;
  };

  for (const key of Object.keys(object)) {
    if ((SETTINGS as readonly string[]).includes(key)) continue;
    const near = nearest(key, SETTINGS.filter((name) => name !== '$schema'));
    problem([key], `"${key}" is not a setting.`, `${near === undefined ? '' : `Did you mean "${near}"? `}The settings: ${SETTINGS.slice(1).join(', ')}.`, 'key');
  }

  const trees = object.trees;
  if (trees !== undefined) {
    if (trees === null || typeof trees !== 'object' || Array.isArray(trees)) problem(['trees'], '"trees" must be an object of tree files by name.', 'For example: "trees": { "support": "trees/support.yaml" }');
    else
      for (const [name, path] of Object.entries(trees)) {
        if (typeof path !== 'string' || path.trim() === '') problem(['trees', name], `trees."${name}" must be the path of a tree file.`);
        else {
          const absolute = existingPath(['trees', name], path, 'The tree', initHint(path));
          if (absolute) settings.trees[name] = absolute;
        }
      }
  }
  const tree = text_('tree');
  if (tree !== undefined) {
    if (Object.hasOwn(settings.trees, tree)) settings.tree = settings.trees[tree]!;
    else {
      const names = Object.keys(settings.trees);
      const absolute = existingPath(['tree'], tree, 'The tree', names.length ? `Name one of the trees (${names.join(', ')}) or a tree file.` : initHint(tree));
      if (absolute) settings.tree = absolute;
    }
  }
  const tools = text_('tools');
  if (tools !== undefined) {
    const absolute = existingPath(['tools'], tools, 'The tools module', 'Point "tools" at a .js, .mjs or .ts file exporting `tools`.');
    if (absolute) settings.tools = absolute;
  }
  const db = text_('db');
  // Any other scheme:// would be taken for a SQLite path relative to the file.
  const scheme = db === undefined ? undefined : /^([a-z][a-z0-9+.-]+):\/\//i.exec(db)?.[1];
  if (db !== undefined && scheme !== undefined && !/^postgres(ql)?:\/\//i.test(db) && scheme !== 'sqlite')
    problem(['db'], `"db" must be memory, a SQLite file path or a postgres:// URL (not ${scheme}://).`);
  // SQLite would read these as its temporary or in-memory database (as --db refuses them).
  else if (db !== undefined && db !== 'memory' && /^(sqlite:)?\s*(:?memory:?)?\s*$/i.test(db))
    problem(['db'], `"db" must be memory, a SQLite file path or a postgres:// URL (not "${db}").`, 'Write "memory" to keep threads only while a command runs.');
  else if (db !== undefined) settings.db = db === 'memory' || /^postgres(ql)?:\/\//i.test(db) ? db : resolve(dir, db.replace(/^sqlite:/, ''));
  const logLevel = text_('logLevel');
  if (logLevel !== undefined) {
    if ((LOG_LEVELS as readonly string[]).includes(logLevel)) settings.logLevel = logLevel as ProjectSettings['logLevel'] & string;
    else {
      const near = nearest(logLevel, LOG_LEVELS);
      problem(['logLevel'], `"logLevel" must be one of ${LOG_LEVELS.join(', ')} (not "${logLevel}").`, near === undefined ? undefined : `Did you mean "${near}"?`);
    }
  }
  const logFormat = text_('logFormat');
  if (logFormat !== undefined) {
    if ((LOG_FORMATS as readonly string[]).includes(logFormat)) settings.logFormat = logFormat as LogFormat;
    else problem(['logFormat'], `"logFormat" must be one of ${LOG_FORMATS.join(', ')} (not "${logFormat}").`, 'auto is pretty in a terminal and JSON lines otherwise.');
  }
  if (issues.length > 0) throw new ProjectFileError(issues);
  return settings;
}

/** The tree a command names: a name of the project's `trees`, else a path (as written). */
export function treeNamed(argument: string, settings: ProjectSettings | undefined): string {
  return settings && Object.hasOwn(settings.trees, argument) && !existsSync(argument) ? settings.trees[argument]! : argument;
}

/** The project file's own text for `switchboard init`. */
export function projectFileText(options: { schema: string; tree: string }): string {
  return `${JSON.stringify({ $schema: options.schema, tree: options.tree, db: '.switchboard/threads.sqlite', logFormat: 'auto' }, null, 2)}\n`;
}

/** How to write a missing tree: `init` takes a YAML file name, so a path without `.yaml` is given one. */
function initHint(path: string): string {
  const file = /\.ya?ml$/i.test(path) ? path : `${path}.yaml`;
  return `Fix the path, or write the tree with \`npx switchboard init ${file}\`${file === path ? '' : ` (and name that file here)`}.`;
}
