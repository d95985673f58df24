/**
 * `switchboard lint`.
 */
import type { Command } from 'commander';
import { lintTreeText, readTreeFile } from '../../config/load.js';
import { formatIssue } from '../../errors/config-error.js';
import { EXIT, guard, loadTools, TOOLS_HELP } from '../setup.js';
import { withProjectTrees } from '../project.js';
import { escapeControlCharacters, stringifyForTerminal } from '../../dev/control-characters.js';

export function registerLint(program: Command): void {
  program
  .command('lint <tree>')
  .description('Check a tree and print every problem as file:line:col code message.')
  .option('--tools <module>', TOOLS_HELP)
  .option('--json', 'print the problems as JSON')
  .action((treePath: string, options: { tools?: string; json?: boolean }) =>
    guard(async () => {
      const tools = await loadTools(options.tools);
      // Sized before it is read: a huge file (or /dev/zero) is FILE_TOO_LARGE, not read whole.
      const read = await readTreeFile(treePath);
      const issues = 'text' in read ? lintTreeText(read.text, treePath, { tools }) : read.issue.code === 'FILE_NOT_FOUND' ? withProjectTrees([read.issue]) : [read.issue];
      if (options.json) process.stdout.write(`${stringifyForTerminal(issues, 2)}\n`);
      else for (const issue of issues) process.stdout.write(`${escapeControlCharacters(formatIssue(issue))}\n`);
      const errors = issues.filter((issue) => issue.severity === 'error').length;
      const warnings = issues.length - errors;
      if (!options.json) process.stderr.write(errors === 0 ? `${treePath}: ok${warnings ? ` (${warnings} warning${warnings === 1 ? '' : 's'})` : ''}\n` : `${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}\n`);
      return errors === 0 ? EXIT.ok : EXIT.usage;
    }, { json: options.json }),
  );
}
