/**
 * `switchboard init`: writes a starter tree whose `$schema` line points at the package's JSON Schema.
 */
import type { Command } from 'commander';
import { existsSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join, relative, resolve, sep } from 'node:path';
import { NAME_PATTERN } from '../../config/schema.js';
import { starterTreeText } from '../../config/starter.js';
import { guard, UsageError } from '../setup.js';
import { suggestCommand } from '../command-line.js';
import { packageRoot } from '../package.js';
import { findProjectFile, PROJECT_FILE, projectFileText } from '../project-file.js';

/** The default file `switchboard init` writes. */
export const DEFAULT_TREE_FILE = 'tree.yaml';

export function registerInit(program: Command): void {
  program
    .command('init [file]')
    .description(`Write a starter tree (default ${DEFAULT_TREE_FILE}) and a ${PROJECT_FILE} naming it (in the current folder when the tree is inside it, else beside the tree); editors complete and check both through their $schema.`)
    .option('--name <name>', 'the tree name (default: from the file name)')
    .option('--no-project', `do not write ${PROJECT_FILE}`)
    .action((file: string | undefined, options: { name?: string; project: boolean }) =>
      guard(async () => {
        const target = resolve(file ?? DEFAULT_TREE_FILE);
        // The starter is YAML: a tree.json holding YAML would mislead editors and every tool after them.
        if (!/\.ya?ml$/i.test(target))
          throw new UsageError(`${file ?? DEFAULT_TREE_FILE}: init writes a YAML tree; name the file .yaml or .yml (e.g. ${basename(target, extname(target)) || 'tree'}.yaml).`);
        const name = options.name ?? treeNameOf(target);
        if (!NAME_PATTERN.test(name))
          throw new UsageError(`--name "${name}" must start with a letter and use only letters, digits, "_" or "-".`);
        if (existsSync(target))
          throw new UsageError(
            `${file ?? DEFAULT_TREE_FILE} already exists; init never overwrites a file. Choose another name or move it away.`,
          );
        try {
          await mkdir(dirname(target), { recursive: true });
        } catch (error) {
          throw new UsageError(folderError(file ?? DEFAULT_TREE_FILE, dirname(target), error));
        }
        try {
          // `wx` fails if the file appeared meanwhile: never overwrite.
          await writeFile(target, starterTreeText({ name, schema: schemaReference(dirname(target)) }), { flag: 'wx' });
        } catch (error) {
          throw new UsageError(`Cannot write ${file ?? DEFAULT_TREE_FILE}: ${(error as NodeJS.ErrnoException).code ?? String(error)}.`);
        }
        const shown = relative(process.cwd(), target) || target;
        process.stdout.write(`Wrote ${shown} (tree "${name}").\n`);
        const project = options.project ? await writeProjectFile(target) : undefined;
        // With the project file naming the tree, the commands run from its folder need no tree argument.
        const tree = project ? [] : [shown];
        process.stdout.write(
          `Next: ${[['lint', ...tree], ['draw', ...tree, '-o', `${name}.svg`], ['dev', ...tree], ['chat', ...tree]].map((args) => suggestCommand(args)).join(' · ')}\n`,
        );
      }),
    );
}

/**
 * Writes the project file naming `tree`: in the working folder when the tree is inside it (the
 * commands run from there then find it), else beside the tree. Nothing is written where a project
 * file already applies (one is found from there upward): it is the user's, and init says so.
 */
async function writeProjectFile(tree: string): Promise<string | undefined> {
  const cwd = process.cwd();
  const inside = !relative(cwd, tree).startsWith('..');
  const folder = inside ? cwd : dirname(tree);
  const existing = findProjectFile(folder);
  if (existing) {
    process.stdout.write(`Kept ${relative(cwd, existing) || existing}, which already applies here: name the new tree in its "tree" or "trees".\n`);
    return undefined;
  }
  const file = join(folder, PROJECT_FILE);
  const text = projectFileText({ schema: schemaReference(folder, 'project.schema.json'), tree: relative(folder, tree).split(sep).join('/') });
  try {
    await writeFile(file, text, { flag: 'wx' });
  } catch (error) {
    throw new UsageError(`Cannot write ${PROJECT_FILE}: ${(error as NodeJS.ErrnoException).code ?? String(error)}.`);
  }
  process.stdout.write(`Wrote ${relative(cwd, file) || file} (the project file: its tree, store and logs are every command's defaults).\n`);
  return inside ? file : undefined;
}

/** Why the folder of `file` could not be made, in one line: a file in the way is named. */
function folderError(file: string, folder: string, error: unknown): string {
  const shown = (path: string) => (relative(process.cwd(), path).startsWith('..') ? path : relative(process.cwd(), path) || path);
  let existing = folder;
  while (!existsSync(existing) && dirname(existing) !== existing) existing = dirname(existing);
  if (existsSync(existing) && !statSync(existing).isDirectory()) return `Cannot write ${file}: ${shown(existing)} is a file, not a folder.`;
  return `Cannot create the folder ${shown(folder)} for ${file} (${(error as NodeJS.ErrnoException).code ?? String(error)}).`;
}

/** The tree name a file name suggests (`config/my-desk.yaml` → `my-desk`), or `starter`. */
function treeNameOf(file: string): string {
  const stem = basename(file, extname(file));
  return NAME_PATTERN.test(stem) ? stem : 'starter';
}

/** A JSON Schema of the package (schema/tree.schema.json by default), relative to `fromDir` with forward slashes. */
export function schemaReference(fromDir: string, file = 'tree.schema.json'): string {
  const schema = join(packageRoot(), 'schema', file);
  const path = relative(fromDir, schema).split(sep).join('/');
  return path.startsWith('.') ? path : `./${path}`;
}
