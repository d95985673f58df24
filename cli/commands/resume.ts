/**
 * `switchboard resume`.
 */
import type { Command } from 'commander';
import { streamResume } from '../../runtime/turn.js';
import type { TurnResult } from '../../runtime/turn.js';
import { printAnswered, refusedAfterRecovery } from './approval.js';
import { ApprovalDecisionSchema } from '../../nodes/approval.js';
import { SwitchboardError } from '../../errors/switchboard-error.js';
import { common, consume, guard, openSession, requireReply, SHOWN_AS_TEXT, SHOWN_BY_EVERY_COMMAND, turnExitCode } from '../setup.js';
import type { CommonOptions } from '../setup.js';
import { resumeHint, TurnPrinter, turnJson } from '../output.js';
import { colorEnabled } from '../color.js';
import { typedOnCommandLine } from '../project.js';
import { stringifyForTerminal } from '../../dev/control-characters.js';

/**
 * `--operator`, held to the limit `approve` and `deny` hold theirs to (a decision's operator, see
 * ApprovalDecisionSchema), before any store is opened: a longer name is a mistake in the command (exit 2).
 */
function checkOperator(operator: string | undefined): void {
  if (operator === undefined) return;
  const parsed = ApprovalDecisionSchema.shape.operator.safeParse(operator);
  if (parsed.success) return;
  const issue = parsed.error.issues[0];
  const problem = issue?.code === 'too_big' ? `--operator has ${operator.length} characters; the limit is ${String(issue.maximum)}` : `--operator: ${issue?.message ?? 'invalid'}`;
  throw new SwitchboardError('INVALID_REPLY', `${problem}. Shorten it and run resume again.`);
}

export function registerResume(program: Command): void {
  common(program.command('resume <tree>'))
    .description('Answer, as the person, a thread waiting for one; optionally hand it back to an agent.')
    .requiredOption('-t, --thread <id>', 'the waiting thread')
    .requiredOption('-r, --reply <text>', "the person's reply to the user")
    .option(
      '--hand-back-to <agent>',
      'the agent that owns the conversation afterwards: the one that escalated, or any agent on the path that led to the person',
    )
    .option('--operator <name>', 'who answers (kept with the message)')
    .option('--json', 'print one JSON object instead of text')
    .action(
      (
        treePath: string,
        options: CommonOptions & { thread: string; reply: string; handBackTo?: string; operator?: string; json?: boolean },
      ) =>
        guard(async () => {
          const text = requireReply(options.reply);
          checkOperator(options.operator);
          const session = await openSession(treePath, options, { shown: options.json ? SHOWN_BY_EVERY_COMMAND : SHOWN_AS_TEXT });
          try {
            const printer = new TurnPrinter((output) => process.stdout.write(output), {
              color: colorEnabled(process.stdout),
              streaming: process.stdout.isTTY === true,
              howToAnswer: (result) =>
                resumeHint(result, { ...typedOnCommandLine(), treePath: typedOnCommandLine().tree, store: session.checkpointer.describe }),
            });
            const reply = {
              reply: text,
              ...(options.handBackTo ? { handBackTo: options.handBackTo } : {}),
              ...(options.operator ? { operator: options.operator } : {}),
            };
            let result: TurnResult;
            try {
              result = await consume(streamResume(session.graph, options.thread, reply), (event) => {
                if (!options.json) printer.event(event);
              });
            } catch (error) {
              return refusedAfterRecovery(error, printer, options.json);
            }
            if (options.json) process.stdout.write(`${stringifyForTerminal(turnJson(result))}\n`);
            else printAnswered(printer, result);
            return turnExitCode(result);
          } finally {
            await session.checkpointer.close();
          }
        }, { json: options.json }),
    );
}
