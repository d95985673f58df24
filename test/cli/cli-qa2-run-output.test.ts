/**
 * What `run` and `chat` print and exit with when a turn fails or the setup is wrong: the message id
 * under a failed turn's error (as `run --help` promises), a missing API key as a mistake in the
 * setup (exit 2), `--field __proto__` refused like any undeclared field, a handoff payload's
 * control characters escaped once, and a tools module named as it was given.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { REPO_ROOT, runCli } from './run-cli.js';

// Each command is a separate Node process (a few seconds on a busy machine).
vi.setConfig({ testTimeout: 120_000 });

const DESK = 'examples/desk.yaml';
const TOO_LONG = 'y'.repeat(8001);

describe('switchboard run: a failed turn', () => {
  it('prints the message id under the error, with the thread and option that send it again', async () => {
    const db = join(mkdtempSync(join(tmpdir(), 'switchboard-qa2-')), 'threads.sqlite');
    const result = await runCli(['run', DESK, '--db', db, '--thread', 'q1', '--message-id', 'm-qa2', '-m', TOO_LONG]);
    expect(result.code).toBe(1);
    expect(result.stdout.toString()).toBe(
      'error MESSAGE_TOO_LONG: The message has 8001 characters; the limit is 8000.\n' +
        'message id m-qa2: sent again with --thread q1 --message-id m-qa2, it is never added twice\n',
    );
  });

  it('prints the id it made up (a thread kept in memory has no thread to send it to again); --json is unchanged', async () => {
    const text = await runCli(['run', DESK, '--db', 'memory', '-m', TOO_LONG]);
    expect(text.code).toBe(1);
    expect(text.stdout.toString()).toMatch(/^error MESSAGE_TOO_LONG: .*\nmessage id [0-9a-f-]{36}\n$/);
    const json = await runCli(['run', DESK, '--db', 'memory', '--message-id', 'm-json', '--json', '-m', TOO_LONG]);
    expect(json.code).toBe(1);
    const lines = json.stdout.toString().trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ messageId: 'm-json', status: 'error', error: { code: 'MESSAGE_TOO_LONG' } });
  });

  it('prints no message id on a turn that did not fail', async () => {
    const result = await runCli(['run', DESK, '--db', 'memory', '-m', 'hi']);
    expect(result.code).toBe(0);
    expect(result.stdout.toString()).not.toContain('message id');
  });
});

describe('a missing API key', () => {
  const message = 'error MODEL_KEY_MISSING: Agent "triage" uses OpenAI, but OPENAI_API_KEY is not set. Set it, or run with the offline model.\n';

  it('is a mistake in the setup: run and chat exit 2, as eval does', async () => {
    const run = await runCli(['run', DESK, '--db', 'memory', '--model', 'online', '-m', 'hi']);
    expect([run.code, run.stderr, run.stdout.toString()]).toEqual([2, message, '']);
    const chat = await runCli(['chat', DESK, '--db', 'memory', '--model', 'online'], { input: 'hi\n' });
    expect([chat.code, chat.stderr]).toEqual([2, message]);
  });
});

describe('--field with a name every object has', () => {
  it('refuses __proto__, constructor and toString as undeclared (exit 2), in run and chat', async () => {
    const run = await runCli(['run', DESK, '--db', 'memory', '--field', '__proto__=x', '-m', 'hi']);
    expect(run).toMatchObject({ code: 2, stderr: `error USAGE: --field "__proto__" is not declared under the tree's state. The tree's state fields: (none).\n` });
    expect(run.stdout.toString()).toBe('');
    const several = await runCli(['run', 'test/cli/fixtures/typed-fields.yaml', '--db', 'memory', '--field', 'constructor=x', '--field', 'toString=1', '--field', '__proto__=y', '-m', 'hi']);
    expect(several.code).toBe(2);
    expect(several.stderr).toMatch(/^error USAGE: --field "constructor", "toString", "__proto__" are not declared under the tree's state\. The tree's state fields: account, seats, vip, tier\.\n$/);
    const chat = await runCli(['chat', DESK, '--db', 'memory', '--field', '__proto__=x'], { input: 'hi\n' });
    expect(chat.code).toBe(2);
    expect(chat.stderr).toBe(`error USAGE: --field "__proto__" is not declared under the tree's state. The tree's state fields: (none).\n`);
  });
});

describe('a handoff line', () => {
  it("shows a control character of the payload with one backslash (JSON's own escape), not two", async () => {
    const result = await runCli(['run', DESK, '--db', 'memory', '-m', 'invoice \u001b[31mred \u009b x']);
    expect(result.code).toBe(0);
    const line = result.stdout.toString().split('\n')[0];
    expect(line).toBe('↪ triage → billing (delegate, transfer_to_billing) {"reason":"[offline] matched \\"invoice\\" in: invoice \\u001b[31mred \\u009b x"}');
    // The payload shown is the payload: parsing it gives back the exact text.
    expect(JSON.parse(line!.slice(line!.indexOf('{')))).toEqual({ reason: '[offline] matched "invoice" in: invoice \u001b[31mred \u009b x' });
  });
});

describe('--tools naming a module that does not exist', () => {
  it('shows an absolute path outside the working folder as given, not as ../../…', async () => {
    const missing = join(tmpdir(), 'switchboard-qa2-no-such-tools.js');
    const result = await runCli(['lint', DESK, '--tools', missing], { cwd: join(REPO_ROOT, 'test/cli') });
    expect(result).toMatchObject({ code: 2, stderr: `error USAGE: The tools module ${missing} does not exist.\n` });
  });

  it('shows a path under the working folder relative to it, as typed', async () => {
    const result = await runCli(['lint', DESK, '--tools', './tools/none-qa2.js']);
    expect(result).toMatchObject({ code: 2, stderr: 'error USAGE: The tools module tools/none-qa2.js does not exist.\n' });
  });
});

describe('switchboard lint --json', () => {
  it("prints the tree's problems as its array, and a failure before the tree is read as the error object every --json command prints", async () => {
    const problems = await runCli(['lint', 'config/nope-qa2.yaml', '--json']);
    expect(problems.code).toBe(2);
    expect(JSON.parse(problems.stdout.toString())).toEqual([expect.objectContaining({ code: 'FILE_NOT_FOUND', severity: 'error', file: 'config/nope-qa2.yaml' })]);
    const missing = join(tmpdir(), 'switchboard-qa2-no-such-tools.js');
    const tools = await runCli(['lint', DESK, '--tools', missing, '--json']);
    expect(tools.code).toBe(2);
    expect(JSON.parse(tools.stdout.toString())).toEqual({ error: { code: 'USAGE', message: `The tools module ${missing} does not exist.` } });
  });
});
