/**
 * `switchboard trace`: a turn's step trace, read from the SQLite file `switchboard run` wrote.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { StepTrace } from '../../dev/step-trace.js';
import { examplePath, fakeOpenAIForFile } from '../helpers.js';
import { runCli } from './run-cli.js';

let db: string;
const tree = examplePath('support');
const openai = await fakeOpenAIForFile();

beforeAll(async () => {
  db = join(mkdtempSync(join(tmpdir(), 'switchboard-trace-')), 'threads.sqlite');
  const first = await runCli(['run', tree, '-m', 'I was charged twice on my invoice', '--thread', 'trace-1', '--db', db]);
  expect(first.code).toBe(0);
  const second = await runCli(['run', tree, '-m', 'thanks \u001b]0;pwned\u0007 and my app crashes', '--thread', 'trace-1', '--db', db]);
  expect(second.code).toBe(0);
}, 120_000);

describe('switchboard trace, before it opens anything', () => {
  it('names a SQLite file that does not exist without making it, and refuses an empty --thread', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'switchboard-trace-none-'));
    const none = join(cwd, 'none.sqlite');
    const missing = await runCli(['trace', tree, '--db', none, '--thread', 't1'], { cwd });
    expect(missing.code).toBe(2);
    expect(missing.stderr.toString()).toBe(`error USAGE: The store ${none} (from --db) does not exist: this command only reads threads and makes no store. Check the path (the default store is .switchboard/threads.sqlite; run and chat make a new one).\n`);
    expect(existsSync(none)).toBe(false);
    const empty = await runCli(['trace', tree, '--db', none, '--thread', ''], { cwd });
    expect(empty.code).toBe(2);
    expect(empty.stderr.toString()).toMatch(/INVALID_INPUT|thread id \(--thread\)/);
  });
});

describe('switchboard trace', () => {
  it("prints turn 1: each model call with the messages it received, billing's system prompt with the handoff payload, the tool call and its key", { timeout: 60_000 }, async () => {
    const { code, stdout, stderr } = await runCli(['trace', tree, '--thread', 'trace-1', '--turn', '1', '--db', db]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const text = stdout.toString('utf8');
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^Thread trace-1 · turn 1 · 3 model calls · 1 tool call · 1 handoff · \d+ in \/ \d+ out tokens · \$0\.000000$/);
    expect(lines[1]).toMatch(/^ {4}\+0 ms {2}turn 1 starts with triage$/);
    expect(text).toMatch(/\+\d+ ms {2}model call {2}triage · offline · \d+ ms · \d+ in \/ \d+ out tokens · \$0\.000000/);
    expect(text).toMatch(/handoff {5}triage → billing \(delegate, transfer_to_billing\)\n {11}payload: \{"reason":"\[offline\] matched [^\n]*","priority":"high"\}/);
    // Billing's system prompt, line by line as its model received it.
    expect(text).toContain(
      [
        '           [1] system: You are a billing specialist. Handle charge disputes, refunds, plan changes and invoice',
        '           questions. Always look up the invoice before changing anything. Escalate disputes you',
        '           cannot resolve to the escalation manager.',
      ].join('\n'),
    );
    expect(text).toMatch(/ {11}## Handoff\n {11}triage handed this conversation to you \(delegate via transfer_to_billing\)\.\n {11}Handoff details: \{"reason":"\[offline\] matched [^\n]*I was charged twice on my invoice","priority":"high"\}\n {11}\n {11}## Shared state\n {11}priority: "high"/);
    expect(text).toMatch(/tool call {3}billing → lookup_invoice · ok · \d+ ms · key trace-1:call_\w+\n {11}args: \{"invoice_id":"INV-1001"\}\n {11}result: \{"invoice_id":"INV-1001"/);
    expect(text).toMatch(/turn ends {3}done with billing · \d+ ms\n$/);
  });

  it('prints the last turn by default, with control characters escaped, and JSON with --json', { timeout: 60_000 }, async () => {
    const last = await runCli(['trace', tree, '--thread', 'trace-1', '--db', db]);
    expect(last.code).toBe(0);
    const text = last.stdout.toString('utf8');
    expect(text.split('\n')[0]).toMatch(/^Thread trace-1 · turn 2 · /);
    expect(text).toContain('thanks \\x1b]0;pwned\\x07 and my app crashes');
    // eslint-disable-next-line no-control-regex -- looking for control characters is the point
    expect(text).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
    expect(text).toContain('handoff     billing → triage (handback, transfer_to_triage)');

    const json = await runCli(['trace', tree, '--thread', 'trace-1', '--turn', '1', '--json', '--db', db]);
    expect(json.code).toBe(0);
    const trace = JSON.parse(json.stdout.toString('utf8')) as StepTrace;
    expect(trace).toMatchObject({ threadId: 'trace-1', turn: 1 });
    expect(trace.items.map((item) => item.kind)).toEqual(['turn-start', 'model-call', 'handoff', 'model-call', 'tool-call', 'model-call', 'turn-end']);
    const billing = trace.items.find((item) => item.kind === 'model-call' && item.agent === 'billing');
    expect(billing).toMatchObject({ kind: 'model-call', model: 'offline', messages: [{ role: 'system' }, { role: 'human', text: 'I was charged twice on my invoice' }] });
  });

  it('says what is wrong, with exit code 2: an unknown thread, a turn without a trace, another tree, a bad --turn', { timeout: 60_000 }, async () => {
    expect(await runCli(['trace', tree, '--thread', 'nobody', '--db', db])).toMatchObject({
      code: 2,
      stderr: `error USAGE: There is no thread nobody in sqlite:${db}. Pass the store its turns ran in with --db.\n`,
    });
    expect(await runCli(['trace', tree, '--thread', 'trace-1', '--turn', '5', '--db', db])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('error USAGE: No step trace was kept for turn 5 of thread trace-1. Turns traced: 1, 2.'),
    });
    expect(await runCli(['trace', examplePath('clinic'), '--thread', 'trace-1', '--db', db])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('error THREAD_OF_ANOTHER_TREE: Thread trace-1 belongs to the tree "support", not "clinic".'),
    });
    expect(await runCli(['trace', tree, '--thread', 'trace-1', '--turn', 'last', '--db', db])).toMatchObject({
      code: 2,
      stderr: 'error USAGE: --turn must be a whole number from 1 (not "last").\n',
    });
    // Number() would read these as turns 2 and 10.
    for (const turn of ['0x2', '1e1'])
      expect(await runCli(['trace', tree, '--thread', 'trace-1', '--turn', turn, '--db', db])).toMatchObject({ code: 2, stderr: `error USAGE: --turn must be a whole number from 1 (not "${turn}").\n` });
    const missing = await runCli(['trace', tree, '--db', db]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("required option '-t, --thread <id>' not specified");
  });

  it('says that a message written while a person was awaited ran no step, and shows it as the latest turn', { timeout: 120_000 }, async () => {
    const desk = new URL('../../examples/desk.yaml', import.meta.url).pathname;
    const run = async (message: string) => expect((await runCli(['run', desk, '-m', message, '--thread', 'trace-person', '--db', db])).code).toBe(0);
    await run('My invoice is wrong');
    await run('I want a person');
    await run('hello? anyone there?');
    const latest = await runCli(['trace', desk, '--thread', 'trace-person', '--db', db]);
    expect(latest).toMatchObject({ code: 0, stderr: '' });
    expect(latest.stdout.toString('utf8')).toBe('Turn 3 of thread trace-person ran no step: its message went to person, a person who was awaited, and the thread waits for them.\n');
    await run('still waiting');
    const earlier = await runCli(['trace', desk, '--thread', 'trace-person', '--turn', '3', '--json', '--db', db]);
    expect(earlier.code).toBe(0);
    expect(JSON.parse(earlier.stdout.toString('utf8'))).toMatchObject({ turn: 3, items: [], note: expect.stringContaining('the wait went on in turn 4') });
    // The escalation itself has its steps.
    const escalated = await runCli(['trace', desk, '--thread', 'trace-person', '--turn', '2', '--db', db]);
    expect(escalated.stdout.toString('utf8')).toMatch(/^Thread trace-person · turn 2 · 1 model call/);
  });

  it("says which model call's reply was cut at maxTokens, in the text and in --json", { timeout: 120_000 }, async () => {
    const env = { OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: openai.url };
    openai.enqueue(
      { toolCalls: [{ name: 'transfer_to_technical', arguments: { reason: 'webhook fails' } }] },
      { content: 'The webhook fails because the signing secret ', finishReason: 'length' },
    );
    expect((await runCli(['run', tree, '-m', 'My webhook is broken', '--thread', 'trace-cut', '--db', db], { env })).code).toBe(0);
    const text = await runCli(['trace', tree, '--thread', 'trace-cut', '--db', db], { env });
    expect(text).toMatchObject({ code: 0, stderr: '' });
    const calls = text.stdout.toString('utf8').split('\n').filter((line) => line.includes('model call  '));
    expect(calls).toEqual([expect.stringMatching(/model call {2}triage · gpt-4o-mini · /), expect.stringMatching(/model call {2}technical · gpt-4o · .* · reply cut at maxTokens$/)]);
    expect(calls[0]).not.toContain('cut at maxTokens');
    const json = await runCli(['trace', tree, '--thread', 'trace-cut', '--json', '--db', db], { env });
    const items = (JSON.parse(json.stdout.toString('utf8')) as StepTrace).items.filter((item) => item.kind === 'model-call');
    expect(items.map((item) => [item.agent, item.truncated ?? false])).toEqual([
      ['triage', false],
      ['technical', true],
    ]);
  });
});
