/**
 * `switchboard approve` and `switchboard deny`: a person's decision on a handoff waiting for
 * approval (an agent with `approval: required`).
 */
import type { Command } from 'commander';
import { ApprovalDecisionSchema } from '../../nodes/approval.js';
import type { ApprovalDecision } from '../../nodes/approval.js';
import { pendingApprovals, streamApproval } from '../../runtime/approval.js';
import { askerGone, staleRequestReason } from '../../runtime/waiting.js';
import { runtimeOf } from '../../graphs/compile.js';
import type { SwitchboardGraph } from '../../graphs/compile.js';
import { typedOnCommandLine } from '../project.js';
import { suggestCommand, withoutPassword } from '../command-line.js';
import { SwitchboardError } from '../../errors/switchboard-error.js';
import { checkThreadOption, common, consume, exitCodeOf, guard, openSession, SHOWN_AS_TEXT, SHOWN_BY_EVERY_COMMAND, turnExitCode } from '../setup.js';
import type { CommonOptions } from '../setup.js';
import { cliErrorMessage, resumeHint, TurnPrinter, turnJson } from '../output.js';
import { colorEnabled } from '../color.js';
import { escapeControlCharacters, stringifyForTerminal } from '../../dev/control-characters.js';
import { NothingPendingError } from '../../runtime/turn.js';
import type { TurnResult } from '../../runtime/turn.js';

type DecisionOptions = CommonOptions & { thread: string; reason?: string; operator?: string; call?: string; json?: boolean };

export const APPROVE_SUMMARY = 'Approve the handoff a thread waits on (approval: required): the conversation moves, and the receiving agent answers.';
export const DENY_SUMMARY = 'Deny the handoff a thread waits on (approval: required): the agent that asked is told, with --reason, and goes on.';

export function registerApprove(program: Command): void {
  registerDecision(program, true);
}

export function registerDeny(program: Command): void {
  registerDecision(program, false);
}

function registerDecision(program: Command, approved: boolean): void {
    common(program.command(`${approved ? 'approve' : 'deny'} <tree>`))
      .description(approved ? APPROVE_SUMMARY : DENY_SUMMARY)
      .requiredOption('-t, --thread <id>', 'the waiting thread (see switchboard pending)')
      .option('--reason <text>', approved ? 'why (kept with the decision)' : 'why, told to the agent that asked')
      .option('--operator <name>', 'who decides')
      .option('--call <toolCallId>', 'the request decided on (its call, from switchboard pending): refused when the thread waits on another one by then')
      .option('--json', 'print one JSON object instead of text')
      .action((treePath: string, options: DecisionOptions) =>
        guard(async () => {
          const decision = requireDecision(approved, options);
          checkThreadOption(options.thread);
          const session = await openSession(treePath, options, { shown: options.json ? SHOWN_BY_EVERY_COMMAND : SHOWN_AS_TEXT });
          try {
            if (approved) {
              const typed = typedOnCommandLine();
              const tree = typed.tree !== undefined ? [typed.tree] : [];
              const rest = [
                ...(typed.config !== undefined ? ['--config', typed.config] : []),
                ...(typed.db !== undefined ? ['--db', withoutPassword(typed.db)] : []),
                ...(typed.tools !== undefined ? ['--tools', typed.tools] : []),
              ];
              const call = options.call !== undefined ? ['--call', options.call] : [];
              await refuseStaleApproval(session.graph, options.thread, suggestCommand(['deny', ...tree, ...rest, '--thread', options.thread, ...call], '--reason "…"'), options.call);
            }
            const printer = new TurnPrinter((output) => process.stdout.write(output), {
              color: colorEnabled(process.stdout),
              streaming: process.stdout.isTTY === true,
              howToAnswer: (result) => resumeHint(result, { treePath, db: options.db, tools: options.tools, store: session.checkpointer.describe }),
            });
            let result: TurnResult;
            try {
              result = await consume(streamApproval(session.graph, options.thread, decision), (event) => {
                if (!options.json) printer.event(event);
              });
            } catch (error) {
              return refusedAfterRecovery(error, printer, options.json);
            }
            if (options.json) process.stdout.write(`${stringifyForTerminal(turnJson(result))}\n`);
            else printAnswered(printer, result);
            // As `run`: the turn that followed the decision failed (e.g. the model after it).
            return turnExitCode(result);
          } finally {
            await session.checkpointer.close();
          }
        }, { json: options.json }),
      );
}

/**
 * The result of a decision or a reply: a turn a failure had cut short, finished first, is shown
 * before it (`result.recovered`: a user message left unsaved, say); the same decision or reply given
 * again after a failure cut its own run short (`result.replayed`) is that turn, finished now, shown
 * as recovered.
 */
export function printAnswered(printer: TurnPrinter, result: TurnResult): void {
  if (result.replayed) return printer.recovered(result);
  if (result.recovered) printer.recovered(result.recovered, { followed: true });
  printer.result(result);
}

/**
 * A decision or reply refused (NOTHING_PENDING) after it finished a turn a failure had cut short:
 * that turn (`error.recovered`) is not lost with the error. Text shows it before the error; `--json`
 * prints one object with both (`error`, `recovered`), and the error's line on stderr, exit 2, the
 * message in the CLI's words either way (see cliErrorMessage). Any other error is thrown on, to be
 * reported as usual.
 */
export function refusedAfterRecovery(error: unknown, printer: TurnPrinter, json: boolean | undefined): number {
  if (!(error instanceof NothingPendingError)) throw error;
  if (!json) {
    printer.recovered(error.recovered);
    throw error;
  }
  // In the CLI's words, as the text's error line (see guard): the recovered turn is beside it.
  const message = cliErrorMessage(error.message, 'json');
  process.stderr.write(`${escapeControlCharacters(`error ${error.code}: ${message}`)}\n`);
  process.stdout.write(`${stringifyForTerminal({ error: { code: error.code, message }, recovered: turnJson(error.recovered) })}\n`);
  return exitCodeOf(error);
}

/**
 * Refuses to approve a handoff the tree can no longer make (the agent it would move to, or the
 * agent that asked, was removed or renamed while the thread waited): the approval would only be
 * answered "no such tool", so it is a mistake in the command (NOTHING_PENDING, exit 2) that says
 * what to do instead. `deny` names the command that denies it (`/deny` in the chat).
 */
export async function refuseStaleApproval(graph: SwitchboardGraph, threadId: string, deny: string, toolCallId?: string): Promise<void> {
  const approval = (await pendingApprovals(graph, threadId))[0];
  // A decision on another request than the one waiting is refused as such when it is given.
  if (toolCallId !== undefined && approval?.toolCallId !== toolCallId) return;
  const stale = approval && staleRequestReason(runtimeOf(graph), approval);
  // One whose asker is gone cannot be denied either: approveHandoff says so.
  if (!approval || stale === undefined || askerGone(runtimeOf(graph), approval)) return;
  throw new SwitchboardError(
    'NOTHING_PENDING',
    `Thread ${threadId} waits for a person to approve ${approval.from} → ${approval.to}, but ${stale}: approving cannot move the conversation there. Deny it, and ${approval.from} is told and goes on: ${deny}`,
  );
}

/**
 * The decision the options make, checked before any store is opened: a `--reason` or `--operator`
 * the decision cannot hold is a mistake in the command (exit 2), told in the command's own terms.
 */
function requireDecision(approved: boolean, options: DecisionOptions): ApprovalDecision {
  const decision = {
    approved,
    ...(options.reason !== undefined ? { reason: options.reason } : {}),
    ...(options.operator !== undefined ? { operator: options.operator } : {}),
    ...(options.call !== undefined ? { toolCallId: options.call } : {}),
  };
  const parsed = ApprovalDecisionSchema.safeParse(decision);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const option = issue.path[0] === 'toolCallId' ? '--call' : `--${issue.path.join('.')}`;
    const given = issue.path[0] === 'reason' ? options.reason : issue.path[0] === 'toolCallId' ? options.call : options.operator;
    return issue.code === 'too_big' && given !== undefined ? `${option} has ${given.length} characters; the limit is ${issue.maximum}` : `${option} ${issue.message}`;
  });
  const fix = parsed.error.issues.every((issue) => issue.code === 'too_big') ? `Shorten ${problems.length === 1 ? 'it' : 'them'}` : 'Correct it (--call takes the call `switchboard pending` lists)';
  throw new SwitchboardError('INVALID_DECISION', `${problems.join('; ')}. ${fix} and run ${approved ? 'approve' : 'deny'} again.`);
}
