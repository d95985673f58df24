/**
 * The `switchboard` command line: one file a command under cli/commands/.
 */
import { Command } from 'commander';
import { registerRun } from './commands/run.js';
import { registerChat } from './commands/chat.js';
import { registerResume } from './commands/resume.js';
import { registerPending } from './commands/pending.js';
import { registerLint } from './commands/lint.js';
import { registerDraw } from './commands/draw.js';
import { registerEval } from './commands/eval.js';
import { registerInit } from './commands/init.js';
import { registerDev } from './commands/dev.js';

const program = new Command('switchboard')
  .description('Run, check and draw YAML agent trees compiled to LangGraph.')
  .showHelpAfterError()
  .configureOutput({ writeErr: (text) => process.stderr.write(text) });

for (const register of [registerInit, registerLint, registerDraw, registerDev, registerRun, registerChat, registerPending, registerResume, registerEval]) register(program);

await program.parseAsync(process.argv);
