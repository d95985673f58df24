/**
 * `switchboard run`.
 */
import type { Command } from 'commander';
import { randomUUID } from 'node:crypto';
import { streamTurn } from '../../runtime/turn.js';
import { collect, common, consume, describeModel, EXIT, guard, openSession, parseFields } from '../setup.js';
import type { CommonOptions } from '../setup.js';
import { TurnPrinter, turnJson } from '../output.js';
import { escapeControlCharacters, stringifyForTerminal } from '../../dev/control-characters.js';

export function registerRun(program: Command): void {
  common(program.command('run <tree>'))
  .description('Send one user message and print the turn.')
  .requiredOption('-m, --message <text>', 'the user message')
  .option('-t, --thread <id>', 'continue this thread (default: a new one)')
  .option('--message-id <id>', "the message's idempotency key: sent again, it is never added twice (default: a new one, printed on errors)")
  .option('--field <name=value>', 'set a shared-state field (repeatable), e.g. customer_id=cus_42', collect)
  .option('--json', 'print one JSON object instead of text')
  .action((treePath: string, options: CommonOptions & { message: string; thread?: string; messageId?: string; field?: string[]; json?: boolean }) =>
    guard(async () => {
      const session = await openSession(treePath, options);
      try {
        const threadId = options.thread ?? `t-${randomUUID().slice(0, 8)}`;
        const printer = new TurnPrinter((text) => process.stdout.write(text), process.stdout.isTTY);
        if (!options.json) process.stderr.write(`${escapeControlCharacters(`thread ${threadId} · ${describeModel(session.model)} · ${session.checkpointer.describe}`)}\n`);
        const result = await consume(streamTurn(session.graph, { threadId, message: options.message, messageId: options.messageId ?? randomUUID(), fields: parseFields(options.field) }), (event) => {
          if (!options.json) printer.event(event);
        });
        if (options.json) process.stdout.write(`${stringifyForTerminal(turnJson(result))}\n`);
        else printer.result(result, treePath);
        return result.status === 'error' ? EXIT.turnFailed : EXIT.ok;
      } finally {
        await session.checkpointer.close();
      }
    }),
  );
}
