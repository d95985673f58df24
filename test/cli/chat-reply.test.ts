/**
 * `switchboard chat` answers as the person with `/reply`, and hands the conversation back with
 * `/reply --hand-back-to <agent> <text>`, as `resume --hand-back-to` and resumeThread's `handBackTo`
 * do: the agent named owns the next user message.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { parseDecisionCommand, parseReplyCommand } from '../../cli/commands/chat.js';
import { runCli } from './run-cli.js';

// Each command is a separate Node process (a few seconds on a busy machine).
vi.setConfig({ testTimeout: 120_000 });

const DESK = 'examples/desk.yaml';

describe('switchboard chat /reply --hand-back-to', () => {
  it('hands the conversation back to the agent named: it answers the next message', async () => {
    const db = join(mkdtempSync(join(tmpdir(), 'switchboard-chat-reply-')), 'threads.sqlite');
    const chat = await runCli(['chat', DESK, '--db', db, '--thread', 'h1'], {
      input: [
        'I was charged twice on my invoice',
        'I want to talk to a person',
        '/reply --hand-back-to billing Hi, Dana here. I refunded the duplicate.',
        'Thanks!',
        '/quit',
        '',
      ].join('\n'),
    });
    const text = chat.stdout.toString();
    expect(chat.code).toBe(0);
    expect(text).toContain(
      'waiting for person. Answer as the person with:\n  /reply …\n  /reply --hand-back-to <agent> …   also hands the conversation back (agents: billing, triage)\n',
    );
    expect(text).toContain('person: Hi, Dana here. I refunded the duplicate.\n↪ person → billing (resume) {}\n');
    expect(text).toMatch(/^billing: \[offline\] billing here — .* You said: “Thanks!”\.$/m);

    // The thread is billing's, as `run` sees it.
    const after = await runCli(['run', DESK, '--db', db, '--thread', 'h1', '--json', '-m', 'One more thing']);
    expect(JSON.parse(after.stdout.toString())).toMatchObject({ agent: 'billing', handoffs: [], waitingFor: null });
  });

  it('decides a handoff waiting for approval with /approve and /deny <reason>, and says so when it waits', async () => {
    const db = join(mkdtempSync(join(tmpdir(), 'switchboard-chat-approve-')), 'threads.sqlite');
    const chat = await runCli(['chat', 'test/fixtures/trees/gated-desk.yaml', '--db', db, '--thread', 'g1'], {
      input: ['I was charged twice on my invoice', 'I want to talk to a person', '/deny the paid line is closed', 'I want a person now', '/approve', '/quit', ''].join('\n'),
    });
    const text = chat.stdout.toString();
    expect(chat.code).toBe(0);
    expect(text).toContain('waiting for a person to approve billing → person. Decide with:\n  /approve\n  /deny <reason>\n');
    // Denied: billing goes on; approved: the person is reached.
    expect(text).toMatch(/^billing: \[offline\] Billing here\./m);
    expect(text).toContain('waiting for person. Answer as the person with:');
    const pending = JSON.parse((await runCli(['pending', 'test/fixtures/trees/gated-desk.yaml', '--db', db, '--json'])).stdout.toString()) as { type: string; threadId: string }[];
    expect(pending.map((request) => `${request.threadId}:${request.type}`)).toEqual(['g1:escalation']);
    expect(parseDecisionCommand('/deny')).toEqual({ approved: false });
    expect(parseDecisionCommand('/denyx')).toBeUndefined();
  });

  it('says what is missing, and refuses an agent the person cannot hand back to with the allowed ones', async () => {
    const chat = await runCli(['chat', DESK, '--db', 'memory'], {
      input: [
        'I was charged twice on my invoice',
        'I want to talk to a person',
        '/reply --hand-back-to',
        '/reply --hand-back-to billing',
        '/reply --hand-back-to person Hello',
        '/reply --hand-back-to=triage Hello from Dana.',
        'hi again',
        '/quit',
        '',
      ].join('\n'),
    });
    const text = chat.stdout.toString();
    expect(chat.code).toBe(0);
    expect(text).toContain('/reply --hand-back-to needs the agent that owns the conversation next: /reply --hand-back-to <agent> <text>\n');
    expect(text).toContain("/reply needs the person's answer: /reply --hand-back-to billing <text>\n");
    expect(text).toContain('error INVALID_REPLY: person cannot hand the conversation to "person". Allowed: billing, triage.\n');
    expect(text).toContain('person: Hello from Dana.\n↪ person → triage (resume) {}\n');
    expect(text).toContain('triage: [offline] Hello! What can I do for you? You said: “hi again”.\n');
  });

  it('lists /reply --hand-back-to in its help', async () => {
    const help = await runCli(['chat', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout.toString()).toContain('/reply --hand-back-to <agent> <text>   answer, and hand the conversation back to <agent>');
  });
});

describe('parseReplyCommand()', () => {
  it('reads the reply and the agent it hands back to, in either spelling of the option', () => {
    expect(parseReplyCommand('hello')).toBeUndefined();
    expect(parseReplyCommand('/replying')).toBeUndefined();
    expect(parseReplyCommand('/reply Hi, Dana here.')).toEqual({ reply: 'Hi, Dana here.' });
    expect(parseReplyCommand('/reply --hand-back-to billing Hi, Dana here.')).toEqual({ reply: 'Hi, Dana here.', handBackTo: 'billing' });
    expect(parseReplyCommand('/reply --hand-back-to=billing  Hi')).toEqual({ reply: 'Hi', handBackTo: 'billing' });
    // Another word that starts the same is the reply's own text.
    expect(parseReplyCommand('/reply --hand-back-tomorrow works')).toEqual({ reply: '--hand-back-tomorrow works' });
    expect(parseReplyCommand('/reply')).toEqual({ problem: "/reply needs the person's answer: /reply <text>" });
    expect(parseReplyCommand('/reply --hand-back-to=')).toMatchObject({ problem: expect.stringContaining('needs the agent') as string });
  });
});
