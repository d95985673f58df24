/**
 * The project file applied to the command that runs: its settings fill in what the command line
 * left out (flags override it; `$SWITCHBOARD_DB` overrides its store), and a tree argument may be
 * left out (the project's `tree`) or be one of its `trees` by name. What was typed is kept apart, so
 * the commands a command suggests stay as short as what the user wrote.
 */
import { existsSync } from 'node:fs';
import { isAbsolute, relative } from 'node:path';
import type { Command } from 'commander';
import { Option } from 'commander';
import { LOG_FORMATS, PROJECT_FILE, treeNamed } from './project-file.js';
import type { LogFormat, ProjectSettings } from './project-file.js';
import type { ConfigIssue } from '../errors/config-error.js';
import { nearest } from './command-line.js';

/** What the command line itself said (not the project file): for the commands a command suggests. */
export interface TypedOnCommandLine {
  tree?: string | undefined;
  db?: string | undefined;
  tools?: string | undefined;
  /** `--config FILE`, when given. */
  config?: string | undefined;
}

const state: { typed: TypedOnCommandLine; logFormat: LogFormat; settings: ProjectSettings | undefined } = { typed: {}, logFormat: 'auto', settings: undefined };

/** The project file's settings the command runs with, if any. */
export function projectSettings(): ProjectSettings | undefined {
  return state.settings;
}

/** What the command line said, without the project file. */
export function typedOnCommandLine(): TypedOnCommandLine {
  return state.typed;
}

/** The log format: `--log-format`, else the project's `logFormat`, else auto. */
export function chosenLogFormat(): LogFormat {
  return state.logFormat;
}

/** Options the project file can set, by the command's attribute name. */
const FROM_PROJECT = ['tools', 'db', 'logLevel', 'logFormat'] as const;

/**
 * Prepares a command (before parsing) for the project: `--log-format` where it logs, and its tree
 * argument optional when the project names a default tree.
 */
export function prepareCommand(command: Command, settings: ProjectSettings | undefined): void {
  if (command.options.some((option) => option.attributeName() === 'logLevel') && !command.options.some((option) => option.attributeName() === 'logFormat'))
    command.addOption(new Option('--log-format <format>', 'auto (pretty in a terminal, JSON lines otherwise), json or pretty').choices(LOG_FORMATS));
  for (const argument of command.registeredArguments)
    if (argument.name() === 'tree') {
      argument.description = settings?.tree === undefined ? TREE_HELP : `${TREE_HELP}. Left out here, it is ${projectTreeSource(settings.tree, settings.file)}`;
      // Shown as `[tree]` in the usage line.
      if (settings?.tree !== undefined) argument.required = false;
    }
}

/** What a command's `<tree>` is, in its help. */
const TREE_HELP = `a tree file, or the name of one of the project file's "trees"; optional where the project file (${PROJECT_FILE}) names a "tree"`;

/** What `<tree>` is, under the list of commands (`switchboard --help`). */
export const TREE_ARGUMENT_HELP = `<tree> is a tree file, or the name of one of the "trees" in the project file
(${PROJECT_FILE}); it may be left out where the project file names a "tree".`;

/**
 * The text under the list of commands: what `<tree>` is ({@link TREE_ARGUMENT_HELP}) and, in a
 * project whose file names a tree (the commands then list `[tree]`), the tree a command given none uses.
 */
export function treeArgumentHelp(settings: ProjectSettings | undefined): string {
  if (settings?.tree === undefined) return TREE_ARGUMENT_HELP;
  return `${TREE_ARGUMENT_HELP}\nHere [tree] may be left out: it is then ${projectTreeSource(settings.tree, settings.file)}.`;
}

/** The tree a command given none uses, and where it comes from: `tree.yaml (the "tree" of switchboard.config.json)`. */
function projectTreeSource(tree: string, file: string): string {
  return `${shownPath(tree)} (the "tree" of ${shownPath(file)})`;
}

/** Fills in, before the command's action runs, what the command line left out and the project sets. */
export function applyProject(command: Command, settings: ProjectSettings | undefined): void {
  state.settings = settings;
  const treeIndex = command.registeredArguments.findIndex((argument) => argument.name() === 'tree');
  const declared = new Set(command.options.map((option) => option.attributeName()));
  const fromCommandLine = (key: string) => {
    const source = command.getOptionValueSource(key);
    return source !== undefined && source !== 'default' ? (command.getOptionValue(key) as string | undefined) : undefined;
  };
  state.typed = {
    tree: treeIndex >= 0 ? (command.processedArgs[treeIndex] as string | undefined) : undefined,
    db: fromCommandLine('db'),
    tools: fromCommandLine('tools'),
    config: command.parent?.getOptionValue('config') as string | undefined,
  };
  if (settings) {
    if (treeIndex >= 0) {
      const typed = command.processedArgs[treeIndex] as string | undefined;
      const tree = typed === undefined ? settings.tree : treeNamed(typed, settings);
      command.processedArgs[treeIndex] = tree === undefined ? undefined : shownPath(tree);
    }
    if (declared.has('against')) {
      const against = command.getOptionValue('against') as string | undefined;
      if (against !== undefined) command.setOptionValueWithSource('against', shownPath(treeNamed(against, settings)), 'cli');
    }
    for (const key of FROM_PROJECT) {
      const value = settings[key];
      if (value === undefined || !declared.has(key) || fromCommandLine(key) !== undefined) continue;
      // The environment's store is closer to this run than the project's.
      if (key === 'db' && process.env.SWITCHBOARD_DB) continue;
      command.setOptionValueWithSource(key, key === 'tools' || key === 'db' ? shownPath(value) : value, 'config');
    }
  }
  state.logFormat = (command.getOptionValue('logFormat') as LogFormat | undefined) ?? 'auto';
}

/**
 * The hint for the tree argument when it names neither a file nor one of the project's trees: those
 * trees by name, and the one it is most likely a slip of (`mien` → `mine`). Undefined when the
 * project has no trees, or for any other path.
 */
export function projectTreesHint(argument: string): string | undefined {
  const settings = state.settings;
  const names = Object.keys(settings?.trees ?? {});
  if (!settings || names.length === 0 || state.typed.tree !== argument || existsSync(argument)) return undefined;
  const near = nearest(argument, names);
  return `${near === undefined ? '' : `Did you mean ${near}? `}The trees of ${shownPath(settings.file)}: ${names.join(', ')}; any other tree is a file path (from the current folder).`;
}

/** Tree problems with the project's trees named where the tree argument names no file (see {@link projectTreesHint}). */
export function withProjectTrees<T extends ConfigIssue>(issues: T[]): T[] {
  return issues.map((issue) => {
    const hint = issue.code === 'FILE_NOT_FOUND' && issue.file !== undefined ? projectTreesHint(issue.file) : undefined;
    return hint === undefined ? issue : { ...issue, hint };
  });
}

/** An absolute path as messages show it: relative to the working folder when it lies under it. */
function shownPath(path: string): string {
  if (!isAbsolute(path)) return path;
  const shown = relative(process.cwd(), path);
  return shown === '' || shown.startsWith('..') ? path : shown;
}
