/**
 * The CLI's errors name what its user typed (`--message-id`, `--call`, `npx switchboard resume`),
 * not the library's options and functions (`messageId`, `toolCallId`, `resumeThread`) the runtime's
 * messages name for code that calls it.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { StoreError } from '../../errors/store-error.js';
import { cliErrorMessage } from '../../cli/output.js';
import { runCli } from './run-cli.js';

// Each command is a separate Node process (a few seconds on a busy machine).
vi.setConfig({ testTimeout: 120_000 });

const SUPPORT = 'config/support.yaml';
const GATED = 'test/fixtures/trees/gated-desk.yaml';
const LIBRARY_WORDS = /\b(messageId|toolCallId|resumeThread|approveHandoff|denyHandoff|recoverThread)\b|error's `recovered`/;

function store(): string {
  return join(mkdtempSync(join(tmpdir(), 'switchboard-error-wording-')), 'threads.sqlite');
}

describe('the CLI names its own options in errors', () => {
  it('run: MESSAGE_ID_REUSED says --message-id, in text and in --json', async () => {
    const db = store();
    expect((await runCli(['run', SUPPORT, '--db', db, '--thread', 'r1', '--message-id', 'm1', '-m', 'hello'])).code).toBe(0);
    const text = await runCli(['run', SUPPORT, '--db', db, '--thread', 'r1', '--message-id', 'm1', '-m', 'goodbye']);
    expect(text.code).toBe(2);
    expect(text.stderr.split('\n').at(-2)).toBe(
      'error MESSAGE_ID_REUSED: Message m1 was sent on thread r1 before, with a different text: send a new message with another --message-id, or without one (the same id is for sending the same message again).',
    );
    const json = await runCli(['run', SUPPORT, '--db', db, '--thread', 'r1', '--message-id', 'm1', '--json', '-m', 'goodbye']);
    const { error } = JSON.parse(json.stdout.toString()) as { error: { code: string; message: string } };
    expect(error.code).toBe('MESSAGE_ID_REUSED');
    expect(error.message).toContain('with another --message-id, or without one');
    expect(error.message).not.toMatch(LIBRARY_WORDS);
  });

  it('resume, approve and deny name the commands and --call, not the library functions and toolCallId', async () => {
    const db = store();
    const run = (message: string) => runCli(['run', GATED, '--db', db, '--thread', 'g1', '-m', message]);
    expect((await run('I was charged twice on my invoice')).code).toBe(0);
    expect((await run('I want to talk to a person')).code).toBe(0);
    const resume = await runCli(['resume', GATED, '--db', db, '--thread', 'g1', '-r', 'hi']);
    expect(resume).toMatchObject({
      code: 2,
      stderr: 'error NOTHING_PENDING: Thread g1 waits for a person to approve billing → person, not for a reply: decide it with npx switchboard approve or deny.\n',
    });
    const call = await runCli(['approve', GATED, '--db', db, '--thread', 'g1', '--call', 'call_other']);
    expect(call.code).toBe(2);
    expect(call.stderr).toMatch(
      /^error NOTHING_PENDING: Thread g1 is not waiting for the approval this decision names \(--call call_other\): .* it waits for approval of billing → person now \(--call call_\w+\): decide that one only once a person has looked at it\.\n$/,
    );
    expect((await runCli(['approve', GATED, '--db', db, '--thread', 'g1'])).code).toBe(0);
    const approve = await runCli(['approve', GATED, '--db', db, '--thread', 'g1']);
    expect(approve).toMatchObject({
      code: 2,
      stderr: 'error NOTHING_PENDING: Thread g1 waits for person to answer, not for an approval: answer it with npx switchboard resume.\n',
    });
  });
});

describe('cliErrorMessage()', () => {
  it("words the store's advice (a message, a decision, a reply, a recovery) with the CLI's flags and commands", () => {
    const cause = new Error('connection lost');
    const message = cliErrorMessage(new StoreError('t1', cause, { messageId: 'm1', saved: 'message' }).message);
    expect(message).toContain('Send the message again with the same --message-id (m1) and --thread once the store is back');
    const decision = cliErrorMessage(new StoreError('t1', cause, { answer: 'decision' }).message);
    expect(decision).toContain('Decide again (npx switchboard approve or deny) once the store is back');
    expect(decision).toContain("The thread's next message also finishes that turn.");
    expect(cliErrorMessage(new StoreError('t1', cause, { answer: 'reply' }).message)).toContain('Reply again (npx switchboard resume) once the store is back');
    expect(cliErrorMessage(new StoreError('t1', cause, { recovering: true }).message)).toContain('Run the command again once the store is back');
    for (const details of [{ messageId: 'm1' }, { answer: 'decision' as const }, { answer: 'reply' as const }, { recovering: true }])
      expect(cliErrorMessage(new StoreError('t1', cause, details).message)).not.toMatch(LIBRARY_WORDS);
  });

  it('says a refused decision\'s recovered turn is printed above; other text is left as it is', () => {
    expect(cliErrorMessage("Thread t1 is not waiting for an approval: … carried out first. That turn's result is the error's `recovered`.")).toBe(
      "Thread t1 is not waiting for an approval: … carried out first. That turn's result is printed above.",
    );
    expect(cliErrorMessage("… was finished first. Its result is the error's `recovered`.")).toBe('… was finished first. Its result is printed above.');
    expect(cliErrorMessage('The message has 9000 characters; the limit is 8000.')).toBe('The message has 9000 characters; the limit is 8000.');
  });

  it('keeps an id with a parenthesis whole', () => {
    const cause = new Error('connection lost');
    expect(cliErrorMessage(new StoreError('t1', cause, { messageId: 'a)b', saved: 'message' }).message)).toContain('with the same --message-id (a)b) and --thread once the store is back');
    expect(cliErrorMessage('Thread t1 is not waiting for the approval this decision names (toolCallId x)y): no request of that id is in its latest turns; it waits for approval of a → b now (toolCallId call_2): decide that one only once a person has looked at it.')).toBe(
      'Thread t1 is not waiting for the approval this decision names (--call x)y): no request of that id is in its latest turns; it waits for approval of a → b now (--call call_2): decide that one only once a person has looked at it.',
    );
  });
});
