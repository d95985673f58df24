/**
 * `switchboard chat` reads a line starting with `/word` as one of its commands: an unknown one (a
 * slip such as `/rpely`) is refused and nothing is sent, neither as the customer's message while a
 * person is awaited nor to the model; `//text` sends `/text`. Leaving before any turn suggests no
 * conversation to continue.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { unknownCommandProblem } from '../../cli/commands/chat.js';
import { runCli } from './run-cli.js';

vi.setConfig({ testTimeout: 120_000 });

const DESK = 'examples/desk.yaml';

describe('chat commands', () => {
  it('refuses an unknown /word (suggesting the command it is a slip of) and a command with text it does not take', () => {
    expect(unknownCommandProblem('/rpely Dana here')).toBe(
      'unknown command /rpely: nothing was sent. Did you mean /reply? The chat\'s commands: /reply, /approve, /deny, /quit (or /exit); //text sends "/text" as a message.',
    );
    expect(unknownCommandProblem('/quti')).toContain('Did you mean /quit?');
    expect(unknownCommandProblem('/bogus')).toMatch(/^unknown command \/bogus: nothing was sent\. The chat's commands: /);
    expect(unknownCommandProblem('/approve now')).toBe('/approve takes nothing after it: nothing was sent (write //approve now to send the line as a message).');
    // Commands, messages, and a path (not a /word): as before.
    for (const line of ['/reply Hi', '/reply', '/deny too late', '/deny', '/approve', '/quit', 'hello /bogus', '//bogus', '/etc/hosts is wrong', '/ hi'])
      expect(unknownCommandProblem(line), line).toBeUndefined();
  });

  it('sends nothing for a mistyped command while a person is awaited, and //text as the message /text', async () => {
    const db = join(mkdtempSync(join(tmpdir(), 'switchboard-chat-commands-')), 'threads.sqlite');
    const chat = await runCli(['chat', DESK, '--db', db, '--thread', 'k1'], {
      input: ['I was charged twice on my invoice', 'I want to talk to a person', '/rpely Dana here', '/bogus', '/quit'].join('\n'),
    });
    const text = chat.stdout.toString();
    expect(chat.code).toBe(0);
    expect(text).toContain('/rpely Dana here\nunknown command /rpely: nothing was sent. Did you mean /reply?');
    expect(text).toContain('/bogus\nunknown command /bogus: nothing was sent.');
    // Still waiting for the person, on the customer's last real message.
    const pending = JSON.parse((await runCli(['pending', DESK, '--db', db, '--json'])).stdout.toString()) as { threadId: string; message: string; transcript: string }[];
    expect(pending).toMatchObject([{ threadId: 'k1', message: 'I want to talk to a person' }]);
    expect(pending[0]!.transcript).not.toContain('rpely');

    const slash = await runCli(['chat', DESK, '--db', 'memory'], { input: '//help me\n/quit\n' });
    expect(slash.stdout.toString()).toMatch(/^triage: \[offline\] .*You said: “\/help me”\.$/m);
  });

  it('leaving before any turn suggests no thread to continue', async () => {
    const db = join(mkdtempSync(join(tmpdir(), 'switchboard-chat-commands-')), 'threads.sqlite');
    const chat = await runCli(['chat', DESK, '--db', db, '--thread', 'new1'], { input: '/quit\n' });
    expect(chat.code).toBe(0);
    expect(chat.stdout.toString()).not.toContain('Continue this conversation');
    const memory = await runCli(['chat', DESK, '--db', 'memory'], { input: '' });
    expect(memory.stdout.toString()).not.toContain('kept in memory');
    // A thread that has turns is still offered.
    await runCli(['run', DESK, '--db', db, '--thread', 'old1', '-m', 'hello']);
    const old = await runCli(['chat', DESK, '--db', db, '--thread', 'old1'], { input: '/quit\n' });
    expect(old.stdout.toString()).toContain('Continue this conversation with: npx switchboard chat examples/desk.yaml --db');
  });

  it('refuses an empty --thread before printing anything', async () => {
    const chat = await runCli(['chat', DESK, '--db', 'memory', '--thread', ''], { input: 'hello\n' });
    expect(chat).toMatchObject({ code: 2, stderr: 'error INVALID_INPUT: The thread id (--thread) must be a non-empty string.\n' });
    expect(chat.stdout.toString()).toBe('');
    const run = await runCli(['run', DESK, '--db', 'memory', '--thread', '', '-m', 'hello']);
    expect(run).toMatchObject({ code: 2, stderr: 'error INVALID_INPUT: The thread id (--thread) must be a non-empty string.\n' });
    const messageId = await runCli(['run', DESK, '--db', 'memory', '--message-id', '', '-m', 'hello']);
    expect(messageId).toMatchObject({ code: 2, stderr: 'error INVALID_INPUT: The message id (--message-id) must be a non-empty string.\n' });
  });
});
