/**
 * The errors `switchboard chat` shows inside its loop (an answer refused, a turn that failed) name
 * what its user types (`/reply`, `/approve`, `/deny`, the CLI's flags and commands), not the
 * library's options and functions (`toolCallId`, `resumeThread`, `approveHandoff`…), as every other
 * command's errors do (see cliErrorMessage).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { chatErrorMessage, cliErrorMessage, TurnPrinter } from '../../cli/output.js';
import type { TurnResult } from '../../runtime/turn.js';
import { runCli } from './run-cli.js';

// Each command is a separate Node process (a few seconds on a busy machine).
vi.setConfig({ testTimeout: 120_000 });

const GATED = 'test/fixtures/trees/gated-desk.yaml';
const LIBRARY_WORDS = /\b(messageId|toolCallId|resumeThread|approveHandoff|denyHandoff|recoverThread)\b|error's `recovered`/;

/** A turn that ended with `message` as its error (only what TurnPrinter reads of it). */
function failedTurn(message: string): TurnResult {
  return { replayed: false, status: 'error', error: { code: 'STORE_UNAVAILABLE', message }, reply: undefined, waitingFor: undefined, agent: 'billing' } as unknown as TurnResult;
}

/** What a printer prints of a failed turn, with the wording `errorMessage` gives (the default without). */
function printedError(message: string, errorMessage?: (message: string) => string): string {
  let output = '';
  const printer = new TurnPrinter((text) => void (output += text), { color: false, streaming: false, howToAnswer: () => [], ...(errorMessage ? { errorMessage } : {}) });
  printer.result(failedTurn(message));
  return output;
}

const REPLY_CUT =
  "The thread store failed during a turn on c1 (database is locked). The reply's turn was not finished. Reply again (resumeThread; switchboard resume) once the store is back: a reply saved before the failure is carried out first, never twice, and that turn is the result; a different reply, or one whose turn had finished, is refused (NOTHING_PENDING) saying when the person answered. The thread's next message, or recoverThread, also finishes that turn.";

describe('chat errors in the chat\'s words', () => {
  it('a refused /reply or /approve names /approve, /deny and /reply, not the library functions', async () => {
    const db = join(mkdtempSync(join(tmpdir(), 'switchboard-chat-error-wording-')), 'threads.sqlite');
    const chat = await runCli(['chat', GATED, '--db', db, '--thread', 'c1'], {
      input: ['I was charged twice on my invoice', 'I want to talk to a person', '/reply hi', '/approve', '/approve', '/quit'].join('\n'),
    });
    const text = chat.stdout.toString();
    expect(chat.code).toBe(0);
    expect(text).toContain('error NOTHING_PENDING: Thread c1 waits for a person to approve billing → person, not for a reply: decide it with /approve or /deny.\n');
    expect(text).toContain('error NOTHING_PENDING: Thread c1 waits for person to answer, not for an approval: answer it with /reply.\n');
    expect(text).not.toMatch(LIBRARY_WORDS);
  });

  it("a failed turn's error: the CLI's words in every command, the chat's own in the chat", () => {
    const cli = printedError(REPLY_CUT);
    expect(cli).toContain('Reply again (npx switchboard resume) once the store is back');
    expect(cli).toContain("The thread's next message also finishes that turn.");
    expect(cli).not.toMatch(LIBRARY_WORDS);
    const chat = printedError(REPLY_CUT, chatErrorMessage);
    expect(chat).toContain('Reply again (/reply) once the store is back');
    expect(chat).not.toMatch(LIBRARY_WORDS);
  });

  it('chatErrorMessage: the chat\'s commands where it has them, else the CLI\'s words', () => {
    expect(chatErrorMessage('Thread t1 waits for approval of a → b, which cannot be approved now: b was removed. Deny it (denyHandoff, switchboard deny) and a goes on.')).toBe(
      'Thread t1 waits for approval of a → b, which cannot be approved now: b was removed. Deny it (/deny) and a goes on.',
    );
    expect(chatErrorMessage('The decision\'s turn was not finished. Decide again (approveHandoff or denyHandoff; switchboard approve or deny) once the store is back.')).toBe(
      "The decision's turn was not finished. Decide again (/approve or /deny) once the store is back.",
    );
    const recovered = "Thread t1 is not waiting for an approval: a → b was approved in turn 2. That turn's result is the error's `recovered`.";
    expect(chatErrorMessage(recovered)).toBe(cliErrorMessage(recovered));
    expect(chatErrorMessage('Thread t1 is handling another message; try again when it is done.')).toBe('Thread t1 is handling another message; try again when it is done.');
  });
});
