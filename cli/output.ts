/**
 * How turns look in a terminal: who speaks, each handoff with its payload, each tool call. What a
 * model or a tree wrote is printed with its control characters made visible (see
 * dev/control-characters.ts); only our own colours reach the terminal as escape sequences.
 */
import { styleText } from 'node:util';
import { escapeControlCharacters, escapeControlCharactersIn } from '../dev/control-characters.js';
import type { SwitchboardEvent } from '../nodes/events.js';
import type { TurnResult } from '../runtime/turn.js';

type Style = Parameters<typeof styleText>[0];

export class TurnPrinter {
  private speaking: string | undefined;

  constructor(
    private readonly write: (text: string) => void,
    private readonly color: boolean,
  ) {}

  private paint(style: Style, text: string): string {
    return this.color ? styleText(style, text) : text;
  }

  /** Prints one event as it happens. `streamed` agents print their text as deltas. */
  event(raw: SwitchboardEvent): void {
    const event = escapeControlCharactersIn(raw);
    switch (event.type) {
      case 'text-delta':
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
        return;
      case 'handoff-accept':
        this.line(this.paint('cyan', `↪ ${event.from} → ${event.to} (${event.kind}${event.tool ? `, ${event.tool}` : ''}) ${JSON.stringify(event.payload)}`));
        return;
      case 'handoff-refuse':
        this.line(this.paint('yellow', `✗ ${event.from}: ${event.tool} refused — ${event.reason}`));
        return;
      case 'tool-result':
        this.line(this.paint('gray', `⚙ ${event.agent} ${event.tool} ${event.ok ? '✓' : '✗'} (${event.durationMs} ms)`));
        return;
      case 'fallback-start':
        this.line(this.paint('yellow', `⤳ ${event.from} failed (${event.reason}); ${event.to} takes over`));
        return;
      case 'model-retry':
        this.line(this.paint('yellow', `↻ ${event.agent}: model retry ${event.attempt} in ${event.delayMs} ms (${event.reason})`));
        return;
      case 'limit-reach':
        this.line(this.paint('yellow', `⛔ ${event.agent}: limit ${event.limit} reached → ${event.action === 'escalate' ? `escalates to ${event.to}` : 'turn ends'}`));
        return;
      case 'escalation-start':
        this.line(this.paint('magenta', `⏸ ${event.to} (a person) takes over from ${event.from}`));
        return;
      default:
        return;
    }
  }

  /** The closing lines of a turn. */
  result(result: TurnResult, treePath: string): void {
    this.endLine();
    if (result.status === 'error' && result.error) {
      this.line(this.paint('red', escapeControlCharacters(`error ${result.error.code}: ${result.error.message}`)));
    }
    if (result.waitingFor) {
      this.line(this.paint('magenta', escapeControlCharacters(`waiting for ${result.waitingFor.agent}. Answer as the person with:`)));
      this.line(escapeControlCharacters(`  switchboard resume ${treePath} --thread ${result.threadId} --reply "…"`));
    }
  }

  private line(text: string): void {
    this.endLine();
    this.write(`${text}\n`);
  }

  private endLine(): void {
    if (this.speaking !== undefined) this.write('\n');
    this.speaking = undefined;
  }
}

/** The `--json` form of a turn: one object. */
export function turnJson(result: TurnResult): Record<string, unknown> {
  return {
    threadId: result.threadId,
    messageId: result.messageId ?? null,
    replayed: result.replayed,
    turn: result.turn,
    agent: result.agent,
    reply: result.reply ?? null,
    status: result.status,
    error: result.error ?? null,
    handoffs: result.handoffs.map(({ from, to, kind, tool, payload, reason }) => ({ from, to, kind, tool: tool ?? null, payload, ...(reason ? { reason } : {}) })),
    waitingFor: result.waitingFor ?? null,
    usage: result.usage.total,
    sessionUsage: result.sessionUsage.total,
  };
}
