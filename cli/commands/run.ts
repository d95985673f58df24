/**
 * `switchboard run`.
 */
import type { Command } from 'commander';
import { randomUUID } from 'node:crypto';
import { checkId, recoverThread, streamTurn } from '../../runtime/turn.js';
import type { TurnResult } from '../../runtime/turn.js';
import {
  checkFieldOptions,
  checkThreadOption,
  collect,
  common,
  consume,
  describeModel,
  guard,
  openSession,
  parseFields,
  requireMessage,
  SHOWN_AS_TEXT,
  SHOWN_BY_EVERY_COMMAND,
  turnExitCode,
} from '../setup.js';
import type { CommonOptions } from '../setup.js';
import { resumeHint, TurnPrinter, turnJson } from '../output.js';
import { colorEnabled } from '../color.js';
import { typedOnCommandLine } from '../project.js';
import { escapeControlCharacters, stringifyForTerminal } from '../../dev/control-characters.js';

export function registerRun(program: Command): void {
  common(program.command('run <tree>'))
    .description('Send one user message and print the turn.')
    .requiredOption('-m, --message <text>', 'the user message')
    .option('-t, --thread <id>', 'continue this thread (default: a new one)')
    .option(
      '--message-id <id>',
      "the message's idempotency key: sent again, it is never added twice (default: a new one, printed when the turn fails)",
    )
    .option('--field <name=value>', 'set a shared-state field (repeatable), e.g. customer_id=cus_42', collect)
    .option('--json', 'print one JSON object instead of text')
    .action(
      (
        treePath: string,
        options: CommonOptions & { message: string; thread?: string; messageId?: string; field?: string[]; json?: boolean },
      ) =>
        guard(async () => {
          const message = requireMessage(options.message);
          checkThreadOption(options.thread);
          if (options.messageId !== undefined) checkId(options.messageId, 'message id (--message-id)');
          const entries = parseFields(options.field);
          const session = await openSession(treePath, options, { shown: options.json ? SHOWN_BY_EVERY_COMMAND : SHOWN_AS_TEXT });
          try {
            const fields = checkFieldOptions(session.tree.spec, entries);
            const threadId = options.thread ?? `t-${randomUUID().slice(0, 8)}`;
            const messageId = options.messageId ?? randomUUID();
            const printer = new TurnPrinter((text) => process.stdout.write(text), {
              color: colorEnabled(process.stdout),
              streaming: process.stdout.isTTY === true,
              howToAnswer: (result) =>
                resumeHint(result, { ...typedOnCommandLine(), treePath: typedOnCommandLine().tree, store: session.checkpointer.describe }),
              afterError: (result) => messageIdLines(result, session.checkpointer.describe === 'memory' ? undefined : threadId),
            });
            if (!options.json)
              process.stderr.write(
                `${escapeControlCharacters(`thread ${threadId} · ${describeModel(session.tree.spec, session.model)} · ${session.checkpointer.describe}`)}\n`,
              );
            // A turn a dead worker left on this thread is finished first and shown before the new one
            // (unless it is this very message's turn, sent again: then it is this message's answer).
            const early = options.thread === undefined ? undefined : await recoverThread(session.graph, threadId);
            const recovered = early && early.messageId !== messageId ? early : undefined;
            if (recovered && !options.json) printer.recovered(recovered, { followed: true });
            const turn = await consume(streamTurn(session.graph, { threadId, message, messageId, fields }), (event) => {
              if (!options.json) printer.event(event);
            });
            const result = turn.recovered || !recovered ? turn : { ...turn, recovered };
            if (options.json) process.stdout.write(`${stringifyForTerminal(turnJson(result))}\n`);
            else {
              if (turn.recovered) printer.recovered(turn.recovered, { followed: true });
              printer.result(result);
            }
            return turnExitCode(result);
          } finally {
            await session.checkpointer.close();
          }
        }, { json: options.json }),
    );
}

/**
 * The message id under a failed turn's error, as `--help` promises: the id `--message-id` sends
 * the same message again with (`--json` has it as `messageId`). A thread kept in memory (no
 * `threadId`) ends with the command, so there is no thread to send it to again.
 */
function messageIdLines(result: TurnResult, threadId: string | undefined): string[] {
  const id = result.messageId;
  if (id === undefined) return [];
  return [threadId === undefined ? `message id ${id}` : `message id ${id}: sent again with --thread ${threadId} --message-id ${id}, it is never added twice`];
}
