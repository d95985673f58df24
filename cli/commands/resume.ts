/**
 * `switchboard resume`.
 */
import type { Command } from 'commander';
import { streamResume } from '../../runtime/turn.js';
import { common, consume, EXIT, guard, openSession } from '../setup.js';
import type { CommonOptions } from '../setup.js';
import { TurnPrinter, turnJson } from '../output.js';
import { stringifyForTerminal } from '../../dev/control-characters.js';

export function registerResume(program: Command): void {
  common(program.command('resume <tree>'))
  .description("Answer, as the person, a thread waiting for one; optionally hand it back to an agent.")
  .requiredOption('-t, --thread <id>', 'the waiting thread')
  .requiredOption('-r, --reply <text>', "the person's reply to the user")
  .option('--hand-back-to <agent>', 'the agent that owns the conversation afterwards')
  .option('--operator <name>', 'who answers (kept with the message)')
  .option('--json', 'print one JSON object instead of text')
  .action((treePath: string, options: CommonOptions & { thread: string; reply: string; handBackTo?: string; operator?: string; json?: boolean }) =>
    guard(async () => {
      const session = await openSession(treePath, options);
      try {
        const printer = new TurnPrinter((text) => process.stdout.write(text), process.stdout.isTTY);
        const reply = { reply: options.reply, ...(options.handBackTo ? { handBackTo: options.handBackTo } : {}), ...(options.operator ? { operator: options.operator } : {}) };
        const result = await consume(streamResume(session.graph, options.thread, reply), (event) => {
          if (!options.json) printer.event(event);
        });
        if (options.json) process.stdout.write(`${stringifyForTerminal(turnJson(result))}\n`);
        else printer.result(result, treePath);
        return EXIT.ok;
      } finally {
        await session.checkpointer.close();
      }
    }),
  );
}
