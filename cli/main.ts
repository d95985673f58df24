/**
 * The `switchboard` command line: one file a command under cli/commands/, imported only when that
 * command runs (see commands/index.ts), after the project file (switchboard.config.json) is read.
 */
import { Command, CommanderError } from 'commander';
import { COMMANDS } from './commands/index.js';
import { COMMAND_PREFIX } from './command-line.js';
import { packageVersion } from './package.js';
import { EXIT } from './exit-codes.js';
import { formatProjectIssue, PROJECT_FILE, ProjectFileError, readProjectSettings } from './project-file.js';
import type { ProjectSettings } from './project-file.js';
import { applyProject, prepareCommand, treeArgumentHelp } from './project.js';

/** Program options that take a value (so the word after them is not the command). */
const VALUE_OPTIONS = new Set(['--config']);

/** The command the arguments run (`help run` shows run's help), before commander parses them. */
function chosenCommand(args: string[]): string | undefined {
  for (let index = 0; index < args.length; index++) {
    const arg = args[index]!;
    if (VALUE_OPTIONS.has(arg)) index++;
    else if (arg === '--') return args[index + 1];
    else if (!arg.startsWith('-')) return arg === 'help' ? args[index + 1] : arg;
  }
  return undefined;
}

/** `--config FILE` (or `--config=FILE`; no short form: `eval -c` is its concurrency) from the arguments, before commander parses them. */
function configOption(args: string[]): string | undefined {
  let value: string | undefined;
  for (let index = 0; index < args.length; index++) {
    const arg = args[index]!;
    if (arg === '--') break;
    if (VALUE_OPTIONS.has(arg)) value = args[++index];
    else if (arg.startsWith('--config=')) value = arg.slice('--config='.length);
  }
  return value;
}

/**
 * The project file's settings for the list of commands: none when there is no project file, or one
 * that cannot be read (`switchboard --help` works beside a broken one; a command says what is wrong).
 */
function projectSettingsForHelp(explicit: string | undefined): ProjectSettings | undefined {
  try {
    return readProjectSettings(explicit);
  } catch (error) {
    if (error instanceof ProjectFileError) return undefined;
    throw error;
  }
}

/** A command's arguments as the list of commands shows them: `<tree>` is `[tree]` where the project file names a tree (as the command's own help shows it). */
function listedUsage(usage: string, settings: ProjectSettings | undefined): string {
  return settings?.tree === undefined ? usage : usage.replace('<tree>', '[tree]');
}

/** Whether the arguments ask for JSON output (`--json` before any `--`): errors are then printed as JSON on stdout too. */
function asksForJson(args: string[]): boolean {
  const end = args.indexOf('--');
  return (end === -1 ? args : args.slice(0, end)).includes('--json');
}


// A reader that stops early (`switchboard run … | head -1`) closes stdout: the command writes
// nothing more but still finishes its work (a turn is never cut short by who reads its output) and
// ends quietly with its own code, instead of an unhandled EPIPE.
for (const stream of [process.stdout, process.stderr])
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE' && error.code !== 'ERR_STREAM_DESTROYED') throw error;
    stream.write = () => true;
  });

const args = process.argv.slice(2);
const json = asksForJson(args);
// Loaded only when --json asks for it: `switchboard --help` loads nothing of the library.
const toJson = json ? (await import('../dev/control-characters.js')).stringifyForTerminal : JSON.stringify;

/** An error as `--json` prints it on stdout, beside the line on stderr. */
function jsonError(code: string, message: string): string {
  return `${toJson({ error: { code, message } })}\n`;
}
const chosen = COMMANDS.find((entry) => entry.name === chosenCommand(args));

const program = new Command('switchboard')
  .description('Run, check and draw YAML agent trees compiled to LangGraph.')
  .version(packageVersion(), '-V, --version', 'print the version')
  .option('--config <file>', `the project file (default: the nearest ${PROJECT_FILE}, from here upward)`)
  // The list of commands shows each one's arguments even when its module is not loaded.
  .configureHelp({ subcommandTerm: (command) => `${command.name()} ${command.usage()}`.trim() })
  // Parser errors (an unknown option, a missing -m…) are usage errors like ours: exit 2, not 1.
  .exitOverride();

let settings: ProjectSettings | undefined;
try {
  // Only a command reads the project file: `switchboard --help` works beside a broken one.
  if (chosen) settings = readProjectSettings(configOption(args));
} catch (error) {
  if (!(error instanceof ProjectFileError)) throw error;
  const asksForHelp = args.includes('--help') || args.includes('-h') || args[0] === 'help';
  if (!asksForHelp) {
    for (const issue of error.issues) process.stderr.write(`${formatProjectIssue(issue)}\n`);
    process.stderr.write(`${error.issues.length} error${error.issues.length === 1 ? '' : 's'}\n`);
    if (json) process.stdout.write(jsonError(error.code, error.message));
    // Where stdout is written asynchronously (a pipe on some systems), exit once it is flushed.
    await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
    process.exit(EXIT.usage);
  }
}

// The list of commands (no command chosen) shows `[tree]` where the project file names a tree, and says which.
const listed = chosen ? settings : projectSettingsForHelp(configOption(args));
program.addHelpText('after', `\n${treeArgumentHelp(listed)}`);
for (const entry of COMMANDS) {
  if (entry === chosen) {
    (await entry.load())(program);
    prepareCommand(program.commands.at(-1)!, settings);
  } else program.command(entry.name).usage(listedUsage(entry.usage, listed)).description(entry.summary);
}
program.hook('preAction', (_program, command) => applyProject(command, settings));

// A parser error reads like the CLI's own usage errors, with where to find the options.
for (const command of [program, ...program.commands]) {
  const help = command === program ? `${COMMAND_PREFIX} --help` : `${COMMAND_PREFIX} ${command.name()} --help`;
  command.configureOutput({
    writeErr: (text) => process.stderr.write(text),
    outputError: (text, write) => {
      const line = `${text.trimEnd().replace(/^error: /, 'error USAGE: ').replace(/\s*\n\s*/g, ' ')} (${help} lists the ${command === program ? 'commands' : 'options'})`;
      write(`${line}\n`);
      if (json) process.stdout.write(jsonError('USAGE', line.replace(/^error USAGE: /, '')));
    },
  });
}

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (!(error instanceof CommanderError)) throw error;
  // --help and --version end with 0; every other parser error is a mistake in the command.
  process.exitCode = error.exitCode === 0 ? EXIT.ok : EXIT.usage;
}
