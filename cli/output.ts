/**
 * How turns look in a terminal: who speaks, each handoff with its payload, each tool call. What a
 * model or a tree wrote is printed with its control characters made visible (see
 * dev/control-characters.ts); only our own colours reach the terminal as escape sequences.
 */
import { escapeControlCharacters, escapeControlCharactersIn, stringifyForTerminal } from '../dev/control-characters.js';
import { cutAtMaxTokens } from '../models/reply-check.js';
import { roundedCosts } from '../state/turn-usage.js';
import type { SwitchboardEvent } from '../nodes/events.js';
import type { TurnResult } from '../runtime/turn.js';
import type { HandoffRecord } from '../state/schema.js';
import { paint } from './color.js';
import type { Style } from './color.js';
import { suggestCommand, withoutPassword } from './command-line.js';

export interface TurnPrinterOptions {
  /** Colour the output (see colorEnabled). */
  color: boolean;
  /**
   * Print text as the model writes it. Off when the output is not a terminal: each message is then
   * written whole once it ends (its `message-end`), so log lines on the same file or pipe never land
   * inside one, and the text of a model call that failed part-way is never written at all.
   */
  streaming: boolean;
  /** The lines that say how to answer a thread waiting for a person (they differ between `run` and `chat`). */
  howToAnswer: (result: TurnResult) => string[];
  /**
   * The lines under a failed turn's error, e.g. `run`'s message id, which its `--message-id` sends
   * again with (only the command knows the option); none by default.
   */
  afterError?: (result: TurnResult) => string[];
  /**
   * A failed turn's error message in the command's words (default: {@link cliErrorMessage}, the
   * CLI's flags and commands instead of the library's names; the chat's: its own commands).
   */
  errorMessage?: (message: string) => string;
}

export class TurnPrinter {
  /** The agent whose streamed text is on the current line (when streaming), its message not ended yet. */
  private speaking: string | undefined;
  /** Whether a message of the current turn was printed (a replayed turn prints its reply from the result). */
  private spoke = false;

  constructor(
    private readonly write: (text: string) => void,
    private readonly options: TurnPrinterOptions,
  ) {}

  private paint(style: Style, text: string): string {
    return paint(this.options.color, style, text);
  }

  /** Prints one event as it happens. `streamed` agents print their text as deltas. */
  event(raw: SwitchboardEvent): void {
    const event = escapeControlCharactersIn(raw);
    switch (event.type) {
      case 'text-delta':
        // Not streaming, a message is printed whole at its end: a delta may yet be discarded.
        if (!this.options.streaming) return;
        if (this.speaking !== event.agent) {
          this.endLine();
          this.write(`${this.paint('bold', `${event.agent}:`)} `);
          this.speaking = event.agent;
        }
        this.write(event.delta);
        return;
      case 'message-end':
        if (this.speaking === event.agent) this.endLine();
        else this.line(`${this.paint('bold', `${event.agent}:`)} ${event.text}`);
        if (event.truncated) this.line(this.paint('yellow', `✂ ${event.agent}'s reply was cut at its model's maxTokens: it is only the start of an answer`));
        this.spoke = true;
        return;
      case 'handoff-accept':
        // The event as it came: handoffLine makes its text visible itself, once.
        this.line(this.handoffLine(raw as typeof event));
        return;
      case 'handoff-refuse':
        this.line(this.paint('yellow', `✗ ${event.from}: ${event.tool} refused — ${event.reason}`));
        return;
      case 'tool-result':
        this.line(this.paint('gray', `⚙ ${event.agent} ${event.tool} ${event.ok ? '✓' : '✗'} (${event.durationMs} ms)`));
        return;
      case 'fallback-start':
        this.discardText(event.from);
        this.line(this.paint('yellow', `⤳ ${event.from} failed (${event.reason}); ${event.to} takes over`));
        return;
      case 'model-fallback':
        this.discardText(event.agent);
        this.line(this.paint('yellow', `⤳ ${event.agent}: model ${event.from} failed (${event.reason}); trying ${event.to}`));
        return;
      case 'model-retry':
        this.discardText(event.agent);
        this.line(this.paint('yellow', `↻ ${event.agent}: model retry ${event.attempt} in ${event.delayMs} ms (${event.reason})`));
        return;
      case 'limit-reach':
        this.line(
          this.paint(
            'yellow',
            `⛔ ${event.agent}: limit ${event.limit} reached → ${event.action === 'escalate' ? `escalates to ${event.to}` : 'turn ends'}`,
          ),
        );
        return;
      case 'escalation-start':
        this.line(this.paint('magenta', `⏸ ${event.to} (a person) takes over from ${event.from}`));
        return;
      case 'approval-end':
        // A decision is the approve/deny command's own output; a withdrawal happens on a user's message.
        if (event.withdrawn) this.line(this.paint('yellow', `⤺ ${event.from} → ${event.to}: approval withdrawn (the user wrote again before anyone decided)`));
        return;
      case 'turn-end':
        // Whatever text has not ended as a message by now was never stored.
        this.discardText(this.speaking);
        return;
      default:
        return;
    }
  }

  /**
   * An earlier message's turn that a failure cut short and that was finished before this one
   * (`result.recovered`): printed, marked as such, before the new turn's output (`followed`).
   */
  recovered(result: TurnResult, options: { followed?: boolean } = {}): void {
    this.discardText(this.speaking);
    const outcome = result.status === 'waiting' ? `is taken in now (it waits for ${result.agent})` : 'is finished now';
    this.line(this.paint('yellow', `↻ recovered: turn ${result.turn} was cut short by a failure and ${outcome}`));
    for (const handoff of result.handoffs) this.line(this.handoffLine(handoff));
    // Followed by a newer turn's result: how to answer a wait is that turn's to say (a person
    // answers every message of a wait at once).
    this.closing(options.followed ? { ...result, waitingFor: undefined } : result, true, false);
  }

  /** The closing lines of a turn. */
  result(result: TurnResult): void {
    this.discardText(this.speaking);
    if (result.replayed) this.line(this.paint('gray', '(this message was handled before: its answer, nothing ran again)'));
    this.closing(result, !this.spoke, true);
    this.spoke = false;
  }

  /** `own`: the turn of the command's own message (a recovered turn's message is another one). */
  private closing(result: TurnResult, withReply: boolean, own: boolean): void {
    if (withReply && result.reply !== undefined)
      this.line(`${this.paint('bold', `${result.agent}:`)} ${escapeControlCharacters(result.reply)}`);
    if (result.status === 'error' && result.error) {
      const message = (this.options.errorMessage ?? cliErrorMessage)(result.error.message);
      this.line(this.paint('red', escapeControlCharacters(`error ${result.error.code}: ${message}`)));
      if (own) for (const line of this.options.afterError?.(result) ?? []) this.line(escapeControlCharacters(line));
    }
    if (result.waitingFor) {
      const [first, ...rest] = this.options.howToAnswer(result).map((line) => escapeControlCharacters(line));
      if (first !== undefined) this.line(this.paint('magenta', first));
      for (const line of rest) this.line(line);
    }
  }

  /**
   * A handoff as it came (not escaped yet): its payload is written as JSON first, then made
   * visible, so an ESC in it shows as one `\u001b` (escaped first, JSON would double the backslash).
   */
  private handoffLine(handoff: Pick<HandoffRecord, 'from' | 'to' | 'kind' | 'tool' | 'payload'>): string {
    const move = escapeControlCharacters(`↪ ${handoff.from} → ${handoff.to} (${handoff.kind}${handoff.tool ? `, ${handoff.tool}` : ''})`);
    return this.paint('cyan', `${move} ${stringifyForTerminal(handoff.payload)}`);
  }

  private line(text: string): void {
    this.endLine();
    this.write(`${text}\n`);
  }

  /**
   * A retry, a model fallback, an agent fallback or the turn's end discards the agent's text since
   * its last message (README, "Streaming"): the thread never stores it. Not streaming, it was never
   * written; in a terminal it is already on screen, so it is marked as not kept.
   */
  private discardText(agent: string | undefined): void {
    if (agent === undefined || this.speaking !== agent) return;
    this.write('\n');
    this.speaking = undefined;
    this.line(this.paint('yellow', `✗ ${agent}'s unfinished text above was discarded: the conversation does not keep it`));
  }

  private endLine(): void {
    if (this.speaking !== undefined) this.write('\n');
    this.speaking = undefined;
  }
}

/**
 * How `run` and `resume` say to answer a thread waiting for a person: the `resume` command to paste,
 * with the `--db` and `--tools` this command was given. A thread kept in memory ends with the
 * command, so that case says how to keep one instead.
 */
export function resumeHint(
  result: TurnResult,
  context: { treePath?: string | undefined; db?: string | undefined; tools?: string | undefined; config?: string | undefined; store: string },
): string[] {
  const agent = result.waitingFor?.agent ?? result.agent;
  if (context.store === 'memory') {
    const [waits, command] = result.waitingFor?.type === 'approval' ? [`a person to approve ${result.waitingFor.from} → ${result.waitingFor.to}`, 'approve'] : [agent, 'resume'];
    return [`waiting for ${waits}. This thread was kept in memory and ends with this command: use --db FILE (or the default store) to answer it with \`npx switchboard ${command}\`.`];
  }
  const options = [
    ...(context.config !== undefined ? ['--config', context.config] : []),
    ...(context.db !== undefined ? ['--db', withoutPassword(context.db)] : []),
    ...(context.tools !== undefined ? ['--tools', context.tools] : []),
  ];
  const tree = context.treePath !== undefined ? [context.treePath] : [];
  if (result.waitingFor?.type === 'approval') {
    return [
      `waiting for a person to approve ${result.waitingFor.from} → ${result.waitingFor.to}. Decide with:`,
      // Naming the request: a decision that comes after another person's is refused, not applied to the next request.
      `  ${suggestCommand(['approve', ...tree, ...options, '--thread', result.threadId, '--call', result.waitingFor.toolCallId])}`,
      `  ${suggestCommand(['deny', ...tree, ...options, '--thread', result.threadId, '--call', result.waitingFor.toolCallId], '--reason "…"')}`,
    ];
  }
  return [
    `waiting for ${agent}. Answer as the person with:`,
    `  ${suggestCommand(['resume', ...tree, ...options, '--thread', result.threadId], '--reply "…"')}`,
  ];
}

/**
 * How `chat` says to answer a thread waiting for a person: `/approve` or `/deny` for a handoff
 * waiting for approval; otherwise its own `/reply` command, and
 * `/reply --hand-back-to <agent> …` with the agents the person may hand the conversation back to.
 */
export function chatReplyHint(result: TurnResult): string[] {
  const waiting = result.waitingFor;
  if (waiting?.type === 'approval') return [`waiting for a person to approve ${waiting.from} → ${waiting.to}. Decide with:`, '  /approve', '  /deny <reason>'];
  const targets = waiting?.type === 'escalation' ? waiting.handBackTargets : [];
  return [
    `waiting for ${waiting?.agent ?? result.agent}. Answer as the person with:`,
    '  /reply …',
    ...(targets.length > 0 ? [`  /reply --hand-back-to <agent> …   also hands the conversation back (agents: ${targets.join(', ')})`] : []),
  ];
}

/** The `--json` form of a turn: one object (with the turn a failure had cut short, finished first, under `recovered`). */
export function turnJson(result: TurnResult): Record<string, unknown> {
  return {
    threadId: result.threadId,
    messageId: result.messageId ?? null,
    replayed: result.replayed,
    turn: result.turn,
    agent: result.agent,
    // Who owns the conversation next (after a person hands it back: the agent named, not the person who answered).
    owner: result.state.activeAgent,
    reply: result.reply ?? null,
    // The reply was cut at its model's maxTokens (only the start of an answer).
    ...(replyTruncated(result) ? { truncated: true } : {}),
    status: result.status,
    error: result.error ?? null,
    handoffs: result.handoffs.map(({ from, to, kind, tool, payload, reason }) => ({
      from,
      to,
      kind,
      tool: tool ?? null,
      payload,
      ...(reason ? { reason } : {}),
    })),
    waitingFor: result.waitingFor ?? null,
    recovered: result.recovered ? turnJson(result.recovered) : null,
    // Costs rounded (the thread's running sums carry binary floating-point noise).
    usage: roundedCosts(result.usage).total,
    sessionUsage: roundedCosts(result.sessionUsage).total,
  };
}

/**
 * The library's words in an error message and what a person at the command line uses instead: the
 * runtime's messages name its options and functions (`messageId`, `toolCallId`, `resumeThread`…),
 * and the CLI's user typed flags and commands. Each pair is the exact text the runtime writes
 * (runtime/turn.ts, runtime/approval.ts, errors/store-error.ts); test/cli/error-wording.test.ts
 * pins them, so a rewording there is noticed here.
 */
const CLI_WORDS: readonly (readonly [RegExp, string])[] = [
  [/send a new message with a new messageId \(/, 'send a new message with another --message-id, or without one ('],
  [/with the same messageId \((.*?)\)(?= once the store is back)/, 'with the same --message-id ($1) and --thread'],
  // The request a decision names, and the one the thread waits on now (decided with `--call` that id).
  [/\(toolCallId (.*?)\)(?=:)/g, '(--call $1)'],
  [/\(approveHandoff or denyHandoff; switchboard approve or deny\)/, `(${suggestCommand(['approve'])} or deny)`],
  [/\(resumeThread; switchboard resume\)/, `(${suggestCommand(['resume'])})`],
  [/with approveHandoff or denyHandoff \(switchboard approve\|deny\)/, `with ${suggestCommand(['approve'])} or deny`],
  [/with resumeThread \(switchboard resume\)/, `with ${suggestCommand(['resume'])}`],
  [/\(denyHandoff, switchboard deny\)/, `(${suggestCommand(['deny'])})`],
  [/The thread's next message, or recoverThread, also finishes/, "The thread's next message also finishes"],
  [/Call recoverThread again/, 'Run the command again'],
];

/**
 * Where the turn a refused decision or reply finished first is shown (see refusedAfterRecovery in
 * commands/approval.ts): printed above the error in text, beside it under `recovered` with `--json`.
 */
export type RecoveredShown = 'above' | 'json';

const RECOVERED_WORDS: Readonly<Record<RecoveredShown, string>> = {
  above: '$1 result is printed above.',
  json: '$1 result is the `recovered` printed with this error.',
};

/** The sentence that names where a refused answer's recovered turn is (the library: the error's `recovered`). */
const RECOVERED_SENTENCE = /(That turn's|Its) result is the error's `recovered`\./;

/**
 * An error's message as the CLI prints it: with its flags and commands instead of the library's
 * names (see {@link CLI_WORDS}), and a recovered turn said to be where the output shows it.
 */
export function cliErrorMessage(message: string, recovered: RecoveredShown = 'above'): string {
  return CLI_WORDS.reduce((text, [words, cli]) => text.replace(words, cli), message).replace(RECOVERED_SENTENCE, RECOVERED_WORDS[recovered]);
}

/**
 * What a person in `switchboard chat` types instead of the library's functions: the chat's own
 * `/reply`, `/approve` and `/deny` (each pair the exact text the runtime writes, as in
 * {@link CLI_WORDS}; what the chat has no command for keeps the CLI's words).
 */
const CHAT_WORDS: readonly (readonly [RegExp, string])[] = [
  [/\(approveHandoff or denyHandoff; switchboard approve or deny\)/, '(/approve or /deny)'],
  [/\(resumeThread; switchboard resume\)/, '(/reply)'],
  [/with approveHandoff or denyHandoff \(switchboard approve\|deny\)/, 'with /approve or /deny'],
  [/with resumeThread \(switchboard resume\)/, 'with /reply'],
  [/\(denyHandoff, switchboard deny\)/, '(/deny)'],
];

/** An error's message as `switchboard chat` prints it: the chat's commands first, then the CLI's words (see {@link cliErrorMessage}). */
export function chatErrorMessage(message: string): string {
  return cliErrorMessage(CHAT_WORDS.reduce((text, [words, chat]) => text.replace(words, chat), message));
}

/** Whether the turn's reply is a message its provider stopped at the model's maxTokens. */
function replyTruncated(result: TurnResult): boolean {
  if (result.status !== 'done' || result.reply === undefined) return false;
  const last = result.state.messages.at(-1);
  return last?.type === 'ai' && cutAtMaxTokens(last);
}
