/**
 * `switchboard init`: writes a starter tree whose `$schema` line points at the package's JSON Schema.
 */
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join, relative, resolve, sep } from 'node:path';
import { NAME_PATTERN } from '../../config/schema.js';
import { starterTreeText } from '../../config/starter.js';
import { guard, UsageError } from '../setup.js';
import { suggestCommand } from '../command-line.js';
import { packageRoot } from '../package.js';

/** The default file `switchboard init` writes. */
export const DEFAULT_TREE_FILE = 'tree.yaml';

export function registerInit(program: Command): void {
  program
    .command('init [file]')
    .description(`Write a starter tree (default ${DEFAULT_TREE_FILE}) that editors complete and check through its $schema line.`)
    .option('--name <name>', 'the tree name (default: from the file name)')
    .action((file: string | undefined, options: { name?: string }) =>
      guard(async () => {
        const target = resolve(file ?? DEFAULT_TREE_FILE);
        const name = options.name ?? treeNameOf(target);
        if (!NAME_PATTERN.test(name))
          throw new UsageError(`--name "${name}" must start with a letter and use only letters, digits, "_" or "-".`);
        if (existsSync(target))
          throw new UsageError(
            `${file ?? DEFAULT_TREE_FILE} already exists; init never overwrites a file. Choose another name or move it away.`,
          );
        await mkdir(dirname(target), { recursive: true });
        try {
          // `wx` fails if the file appeared meanwhile: never overwrite.
          await writeFile(target, starterTreeText({ name, schema: schemaReference(dirname(target)) }), { flag: 'wx' });
        } catch (error) {
          throw new UsageError(`Cannot write ${file ?? DEFAULT_TREE_FILE}: ${(error as NodeJS.ErrnoException).code ?? String(error)}.`);
        }
        const shown = relative(process.cwd(), target) || target;
        process.stdout.write(
          `Wrote ${shown} (tree "${name}").\nNext: ${[['lint', shown], ['draw', shown, '-o', `${name}.svg`], ['dev', shown], ['chat', shown]].map((args) => suggestCommand(args)).join(' · ')}\n`,
        );
      }),
    );
}

/** The tree name a file name suggests (`config/my-desk.yaml` → `my-desk`), or `starter`. */
function treeNameOf(file: string): string {
  const stem = basename(file, extname(file));
  return NAME_PATTERN.test(stem) ? stem : 'starter';
}

/** The package's schema/tree.schema.json, relative to `fromDir` with forward slashes. */
export function schemaReference(fromDir: string): string {
  const schema = join(packageRoot(), 'schema', 'tree.schema.json');
  const path = relative(fromDir, schema).split(sep).join('/');
  return path.startsWith('.') ? path : `./${path}`;
}
