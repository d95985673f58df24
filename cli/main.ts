/**
 * The `switchboard` command line: one file a command under cli/commands/.
 */
import { Command, CommanderError } from 'commander';
import { registerRun } from './commands/run.js';
import { registerChat } from './commands/chat.js';
import { registerResume } from './commands/resume.js';
import { registerPending } from './commands/pending.js';
import { registerLint } from './commands/lint.js';
import { registerDraw } from './commands/draw.js';
import { registerEval } from './commands/eval.js';
import { registerInit } from './commands/init.js';
import { registerDev } from './commands/dev.js';
import { COMMAND_PREFIX } from './command-line.js';
import { packageVersion } from './package.js';
import { EXIT } from './setup.js';

const program = new Command('switchboard')
  .description('Run, check and draw YAML agent trees compiled to LangGraph.')
  .version(packageVersion(), '-V, --version', 'print the version')
  // Parser errors (an unknown option, a missing -m…) are usage errors like ours: exit 2, not 1.
  .exitOverride();

for (const register of [
  registerInit,
  registerLint,
  registerDraw,
  registerDev,
  registerRun,
  registerChat,
  registerPending,
  registerResume,
  registerEval,
])
  register(program);

// A parser error reads like the CLI's own usage errors, with where to find the options.
for (const command of [program, ...program.commands]) {
  const help = command === program ? `${COMMAND_PREFIX} --help` : `${COMMAND_PREFIX} ${command.name()} --help`;
  command.configureOutput({
    writeErr: (text) => process.stderr.write(text),
    outputError: (text, write) => write(`${text.trimEnd().replace(/^error: /, 'error USAGE: ')} (${help} lists the options)\n`),
  });
}

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (!(error instanceof CommanderError)) throw error;
  // --help and --version end with 0; every other parser error is a mistake in the command.
  process.exitCode = error.exitCode === 0 ? EXIT.ok : EXIT.usage;
}
