/**
 * `switchboard chat`.
 */
import type { Command } from 'commander';
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline/promises';
import { SwitchboardError } from '../../errors/switchboard-error.js';
import { streamApproval } from '../../runtime/approval.js';
import type { ApprovalDecision } from '../../nodes/approval.js';
import { NothingPendingError, recoverThread, streamResume, streamTurn } from '../../runtime/turn.js';
import { checkFieldOptions, checkThreadOption, collect, common, consume, describeModel, guard, openSession, parseFields, SHOWN_AS_TEXT } from '../setup.js';
import type { CommonOptions, Session } from '../setup.js';
import { chatErrorMessage, chatReplyHint, TurnPrinter } from '../output.js';
import { printAnswered, refuseStaleApproval } from './approval.js';
import { colorEnabled } from '../color.js';
import { typedOnCommandLine } from '../project.js';
import { nearest, suggestCommand, withoutPassword } from '../command-line.js';
import { escapeControlCharacters } from '../../dev/control-characters.js';

const REPLY_COMMAND = '/reply';
/** What the chat shows before each line the user writes. */
const PROMPT = 'you> ';
/** As `resume`'s option: the agent that owns the conversation after the person's reply. */
const HAND_BACK_OPTION = '--hand-back-to';

/** The command's description (commands/index.ts repeats it for `switchboard --help`). */
const CHAT_SUMMARY =
  'Chat with a tree in the terminal (each line is one user turn). /reply <text> answers as the person (/reply --hand-back-to <agent> <text> also hands the conversation back); /quit to leave.';

const CHAT_COMMANDS_HELP = `
In the chat:
  /reply <text>                          answer as the person the thread waits for
  /reply --hand-back-to <agent> <text>   answer, and hand the conversation back to <agent>, as resume's
                                         --hand-back-to does: the agent that escalated, or any agent on
                                         the path that led to the person
  /approve                               approve the handoff the thread waits on (approval: required)
  /deny [reason]                         deny it; the agent that asked is told the reason
  /quit                                  leave (or /exit)
  //text                                 send "/text" as the user's message (another line starting
                                         with /word is refused as an unknown command: nothing is sent)

Ctrl-C during a turn lets the turn finish, then leaves (press it again to stop at once); at the
prompt it leaves.`;

/** The chat's own commands, as an unknown one's message lists them. */
const CHAT_COMMANDS = ['/reply', '/approve', '/deny', '/quit', '/exit'] as const;

/**
 * What a line starting with `/word` is not: one of the chat's commands. A line starting with `//`
 * is the user's message with one slash less; a command with text it does not take is refused too.
 * Undefined for a line the chat's commands or a message take as it is.
 */
export function unknownCommandProblem(line: string): string | undefined {
  const word = /^\/([^\s/]+)(?=\s|$)/.exec(line)?.[1];
  if (word === undefined) return undefined;
  const command = `/${word}`;
  if (command === REPLY_COMMAND || command === '/deny') return undefined;
  const rest = line.slice(command.length).trim();
  if ((CHAT_COMMANDS as readonly string[]).includes(command))
    return rest === '' ? undefined : `${command} takes nothing after it: nothing was sent (write //${line.slice(1)} to send the line as a message).`;
  const near = nearest(command, [...CHAT_COMMANDS]);
  return `unknown command ${command}: nothing was sent.${near ? ` Did you mean ${near}?` : ''} The chat's commands: /reply, /approve, /deny, /quit (or /exit); //text sends "/text" as a message.`;
}

/** `/approve` or `/deny [reason]`: a person's decision on the handoff the thread waits on; undefined for another line. */
export function parseDecisionCommand(line: string): ApprovalDecision | undefined {
  if (line === '/approve') return { approved: true };
  const deny = /^\/deny(?:\s+(.*))?$/.exec(line);
  if (!deny) return undefined;
  const reason = deny[1]?.trim();
  return reason ? { approved: false, reason } : { approved: false };
}

/** A `/reply` line: the person's answer (and who owns the conversation next), or what is wrong with it. */
export type ReplyCommand = { reply: string; handBackTo?: string } | { problem: string };

/**
 * Reads a `/reply` line: `/reply <text>` or `/reply --hand-back-to <agent> <text>` (also
 * `--hand-back-to=<agent>`); undefined for a line that is not one (a user message).
 */
export function parseReplyCommand(line: string): ReplyCommand | undefined {
  if (line !== REPLY_COMMAND && !/^\/reply\s/.test(line)) return undefined;
  const rest = line.slice(REPLY_COMMAND.length).trim();
  const option = new RegExp(`^${HAND_BACK_OPTION}(?:=(\\S*)|\\s+(\\S+)|$)\\s*`).exec(rest);
  if (!option) return rest === '' ? { problem: `${REPLY_COMMAND} needs the person's answer: ${REPLY_COMMAND} <text>` } : { reply: rest };
  const handBackTo = option[1] ?? option[2] ?? '';
  if (handBackTo === '')
    return { problem: `${REPLY_COMMAND} ${HAND_BACK_OPTION} needs the agent that owns the conversation next: ${REPLY_COMMAND} ${HAND_BACK_OPTION} <agent> <text>` };
  const reply = rest.slice(option[0].length).trim();
  if (reply === '') return { problem: `${REPLY_COMMAND} needs the person's answer: ${REPLY_COMMAND} ${HAND_BACK_OPTION} ${handBackTo} <text>` };
  return { reply, handBackTo };
}

/** Whether the thread has any message (so there is a conversation to continue). */
async function hasTurns(session: Session, threadId: string): Promise<boolean> {
  const snapshot = await session.graph.getState({ configurable: { thread_id: threadId } });
  return ((snapshot.values as { messages?: unknown[] } | undefined)?.messages?.length ?? 0) > 0;
}

export function registerChat(program: Command): void {
  common(program.command('chat <tree>'))
    .description(CHAT_SUMMARY)
    .option('-t, --thread <id>', 'continue this thread (default: a new one)')
    .option('--field <name=value>', 'set a shared-state field (repeatable)', collect)
    .addHelpText('after', CHAT_COMMANDS_HELP)
    .action((treePath: string, options: CommonOptions & { thread?: string; field?: string[] }) =>
      guard(async () => {
        const entries = parseFields(options.field);
        checkThreadOption(options.thread);
        const session = await openSession(treePath, options, { shown: SHOWN_AS_TEXT });
        let prompt: ReturnType<typeof createInterface> | undefined;
        const threadId = options.thread ?? `t-${randomUUID().slice(0, 8)}`;
        const inMemory = session.checkpointer.describe === 'memory';
        /** Whether the thread has turns to continue (one sent here, or the thread named had some). */
        let continuable = false;
        /** A turn is running (Ctrl-C then lets it finish), and whether Ctrl-C asked to leave after it. */
        let inTurn = false;
        let leaving = false;
        let closed = false;
        // Ctrl-C: in a turn, the turn finishes (a second one stops at once); at the prompt, the chat
        // ends. Readline reports it in a terminal; a signal comes otherwise (stdin a pipe).
        const interrupt = () => {
          if (!inTurn) {
            // Before the prompt is there (the thread still being read), it is never shown.
            if (prompt) prompt.close();
            else leaving = true;
            return;
          }
          if (leaving) {
            // Stopped at once, as by a Ctrl-C the chat does not handle (process.exit would wait
            // for the turn's work in flight); the terminal is left as it was found.
            process.stdout.write('\n');
            if (process.stdin.isTTY) process.stdin.setRawMode(false);
            process.removeListener('SIGINT', interrupt);
            process.kill(process.pid, 'SIGINT');
            return;
          }
          leaving = true;
          process.stdout.write('\n(Ctrl-C: leaving once this turn has finished; press Ctrl-C again to stop now.)\n');
        };
        try {
          const fields = checkFieldOptions(session.tree.spec, entries);
          const printer = new TurnPrinter((text) => process.stdout.write(text), {
            color: colorEnabled(process.stdout),
            streaming: process.stdout.isTTY === true,
            howToAnswer: chatReplyHint,
            errorMessage: chatErrorMessage,
          });
          process.stdout.write(
            `${escapeControlCharacters(`Switchboard · tree ${session.tree.spec.name} · thread ${threadId} · ${describeModel(session.tree.spec, session.model)}`)}\n`,
          );
          process.stdout.write(
            `Type a message. ${REPLY_COMMAND} <text> answers as the person when a thread waits for one (${REPLY_COMMAND} ${HAND_BACK_OPTION} <agent> <text> also hands the conversation back); /quit leaves.\n`,
          );
          process.on('SIGINT', interrupt);
          // A turn a dead worker left on the thread is finished, and shown, before the first message.
          inTurn = true;
          const early = options.thread === undefined ? undefined : await recoverThread(session.graph, threadId);
          inTurn = false;
          if (early) printer.recovered(early);
          if (options.thread !== undefined) continuable = await hasTurns(session, threadId);
          if (!leaving) {
            prompt = createInterface({ input: process.stdin, output: process.stdout, terminal: process.stdin.isTTY });
            prompt.on('close', () => (closed = true));
            prompt.on('SIGINT', interrupt);
            prompt.setPrompt(PROMPT);
            prompt.prompt();
          }
          // The async iterator buffers lines, so piped input is never lost while a turn runs.
          for await (const raw of prompt ?? []) {
            const line = raw.trim();
            if (line === '/quit' || line === '/exit') break;
            if (line !== '') {
              if (!process.stdin.isTTY) process.stdout.write(`${escapeControlCharacters(line)}\n`);
              const unknown = unknownCommandProblem(line);
              const reply = unknown === undefined ? parseReplyCommand(line) : undefined;
              const decision = unknown === undefined ? parseDecisionCommand(line) : undefined;
              if (unknown !== undefined) process.stdout.write(`${escapeControlCharacters(unknown)}\n`);
              else if (reply && 'problem' in reply) process.stdout.write(`${escapeControlCharacters(reply.problem)}\n`);
              else {
                // `//text` is the message `/text`.
                const message = line.startsWith('//') ? line.slice(1) : line;
                inTurn = true;
                continuable = true;
                try {
                  if (decision?.approved) await refuseStaleApproval(session.graph, threadId, '/deny <reason>');
                  const events = reply
                    ? streamResume(session.graph, threadId, reply)
                    : decision
                      ? streamApproval(session.graph, threadId, decision)
                      : streamTurn(session.graph, { threadId, message, fields });
                  const result = await consume(events, (event) => printer.event(event));
                  if (reply || decision) printAnswered(printer, result);
                  else {
                    if (result.recovered) printer.recovered(result.recovered, { followed: true });
                    printer.result(result);
                  }
                } catch (error) {
                  if (!(error instanceof SwitchboardError)) throw error;
                  // A turn a failure had cut short, finished before the answer was refused: shown, not lost.
                  if (error instanceof NothingPendingError) printer.recovered(error.recovered);
                  // In the chat's words, as every command's errors are in the CLI's (see guard).
                  process.stdout.write(`${escapeControlCharacters(`error ${error.code}: ${chatErrorMessage(error.message)}`)}\n`);
                } finally {
                  inTurn = false;
                }
              }
            }
            // A closed prompt (Ctrl-C, or the end of the input, while the turn ran) is never shown
            // again: that would resume stdin and keep the process waiting for input. At the end of
            // the input, the lines read before it still get their prompt, written here.
            if (leaving) break;
            if (!closed) prompt?.prompt();
            else if (prompt && process.stdin.readableEnded) process.stdout.write(PROMPT);
          }
        } finally {
          process.off('SIGINT', interrupt);
          prompt?.close();
          await session.checkpointer.close();
        }
        // Nothing to continue: the thread has no turns (Ctrl-C or /quit at the first prompt).
        if (!continuable) {
          process.stdout.write('\n');
          return;
        }
        // A thread kept in memory is gone now: no command could continue it.
        const typed = typedOnCommandLine();
        const resume = [
          ...(typed.tree !== undefined ? [typed.tree] : []),
          ...(typed.config !== undefined ? ['--config', typed.config] : []),
          ...(typed.db !== undefined ? ['--db', withoutPassword(typed.db)] : []),
          ...(typed.tools !== undefined ? ['--tools', typed.tools] : []),
        ];
        process.stdout.write(
          `\n${escapeControlCharacters(
            inMemory
              ? 'This thread was kept in memory and has ended (use --db FILE, or the default store, to continue a conversation later).'
              : `Continue this conversation with: ${suggestCommand(['chat', ...resume, '--thread', threadId])}`,
          )}\n`,
        );
      }),
    );
}
