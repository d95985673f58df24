/**
 * The command line's conventions, as a user meets them: exit codes (1 only for a failed turn),
 * `--version`, colours, files named for what they hold, messages that are never empty, hints that
 * can be pasted as they are, and output that stays readable when stdout and stderr share a file.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { REPO_ROOT, runCli, runCliCombined } from './run-cli.js';

// Each command is a separate Node process (a few seconds on a busy machine).
vi.setConfig({ testTimeout: 120_000 });

const DESK = 'examples/desk.yaml';
const SUPPORT = 'config/support.yaml';
const folder = () => mkdtempSync(join(tmpdir(), 'switchboard-conventions-'));
// eslint-disable-next-line no-control-regex -- an ANSI colour sequence is what is looked for
const ANSI = /\u001b\[\d+m/;

describe('parser errors are usage errors', () => {
  it('an unknown option exits 2 with one line that says where the options are', async () => {
    const result = await runCli(['run', DESK, '--db', 'memory', '--bogus', '-m', 'hi']);
    expect(result).toMatchObject({
      code: 2,
      stderr: "error USAGE: unknown option '--bogus' (npx switchboard run --help lists the options)\n",
    });
    expect(result.stdout.toString()).toBe('');
  });

  it('a missing -m exits 2', async () => {
    const result = await runCli(['run', DESK, '--db', 'memory']);
    expect(result).toMatchObject({
      code: 2,
      stderr: "error USAGE: required option '-m, --message <text>' not specified (npx switchboard run --help lists the options)\n",
    });
  });

  it('an unknown command exits 2; --help exits 0', async () => {
    const unknown = await runCli(['runn', DESK]);
    expect([unknown.code, unknown.stderr.toString()]).toEqual([2, "error USAGE: unknown command 'runn' (Did you mean run?) (npx switchboard --help lists the commands)\n"]);
    const help = await runCli(['run', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout.toString()).toContain('Usage: switchboard run [options] <tree>');
  });
});

describe('--version', () => {
  it("prints package.json's version", async () => {
    const { version } = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    const result = await runCli(['--version']);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout.toString()).toBe(`${version}\n`);
  });
});

describe('colours', () => {
  const run = (env: Record<string, string> = {}) =>
    runCli(['run', DESK, '--db', 'memory', '-m', 'I was charged twice on my invoice'], { env });

  it('are off when stdout is not a terminal, on with FORCE_COLOR, off with NO_COLOR or FORCE_COLOR=0', async () => {
    const [plain, forced, none, zero] = await Promise.all([
      run(),
      run({ FORCE_COLOR: '1' }),
      run({ NO_COLOR: '1' }),
      run({ FORCE_COLOR: '0' }),
    ]);
    expect(plain.stdout.toString()).not.toMatch(ANSI);
    expect(forced.stdout.toString()).toMatch(ANSI);
    expect(forced.stdout.toString()).toContain('\u001b[36m↪ triage → billing');
    expect(none.stdout.toString()).not.toMatch(ANSI);
    expect(zero.stdout.toString()).not.toMatch(ANSI);
  });
});

describe('switchboard draw -o', () => {
  it('refuses a file type it cannot write (exit 2) and writes nothing', async () => {
    const out = folder();
    const jpg = await runCli(['draw', DESK, '-o', join(out, 'desk.jpg')]);
    expect(jpg).toMatchObject({
      code: 2,
      stderr: `error USAGE: -o ${join(out, 'desk.jpg')}: draw cannot write .jpg files; it writes .mmd or .mermaid, .dot or .gv, .svg, .png (Mermaid, DOT, SVG, PNG).\n`,
    });
    expect(existsSync(join(out, 'desk.jpg'))).toBe(false);
    const mismatch = await runCli(['draw', DESK, '--format', 'png', '-o', join(out, 'desk.svg')]);
    expect(mismatch.code).toBe(2);
    expect(mismatch.stderr).toContain('a png drawing goes in a .png file');
    expect(existsSync(join(out, 'desk.svg'))).toBe(false);
  });

  it('writes Mermaid to a .mmd file and text formats to .txt when --format says which', async () => {
    const out = folder();
    expect((await runCli(['draw', DESK, '-o', join(out, 'desk.mmd')])).code).toBe(0);
    expect(readFileSync(join(out, 'desk.mmd'), 'utf8')).toMatch(/^flowchart TD\n/);
    expect((await runCli(['draw', DESK, '--format', 'dot', '-o', join(out, 'desk.txt')])).code).toBe(0);
    expect(readFileSync(join(out, 'desk.txt'), 'utf8')).toMatch(/^digraph "desk"/);
  });
});

describe('mistakes in a message or a field', () => {
  it('an empty or blank -m is a usage error, and nothing runs', async () => {
    for (const message of ['', '   ']) {
      const result = await runCli(['run', DESK, '--db', 'memory', '-m', message]);
      expect(result).toMatchObject({
        code: 2,
        stderr: 'error USAGE: -m/--message is empty: write what the user says, e.g. -m "I was charged twice".\n',
      });
      expect(result.stdout.toString()).toBe('');
    }
  });

  it('a --field the tree does not declare, of the wrong type, or without "=" exits 2', async () => {
    const undeclared = await runCli(['run', SUPPORT, '--db', 'memory', '--field', 'ssn=123', '-m', 'hi']);
    expect(undeclared).toMatchObject({
      code: 2,
      stderr: `error USAGE: --field "ssn" is not declared under the tree's state. The tree's state fields: priority, department, customer_id.\n`,
    });
    expect(undeclared.stdout.toString()).toBe('');
    const wrongType = await runCli(['run', SUPPORT, '--db', 'memory', '--field', 'priority=urgent', '-m', 'hi']);
    expect(wrongType.code).toBe(2);
    expect(wrongType.stderr).toMatch(/^error USAGE: --field "priority": /);
    const noValue = await runCli(['run', SUPPORT, '--db', 'memory', '--field', 'priority', '-m', 'hi']);
    expect(noValue).toMatchObject({ code: 2, stderr: 'error USAGE: --field takes name=value (got "priority").\n' });
  });

  it('a thread id with a control character exits 2 (nothing to retry)', async () => {
    const result = await runCli(['run', DESK, '--db', 'memory', '--thread', 'a\u0007b', '-m', 'hi']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('error INVALID_INPUT:');
  });
});

describe('hints can be pasted as they are', () => {
  it('run says how to answer as the person with npx, the same --db, and a quoted thread id', async () => {
    const db = join(folder(), 'threads.sqlite');
    await runCli(['run', DESK, '--db', db, '--thread', 'jane doe', '-m', 'I was charged twice on my invoice']);
    const waiting = await runCli(['run', DESK, '--db', db, '--thread', 'jane doe', '-m', 'I want to talk to a person']);
    expect(waiting.stdout.toString()).toContain(
      `waiting for person. Answer as the person with:\n  npx switchboard resume ${DESK} --db ${db} --thread 'jane doe' --reply "…"\n`,
    );
  });

  it('run on a thread in memory does not offer a resume that cannot work', async () => {
    const result = await runCli(['run', DESK, '--db', 'memory', '-m', 'I want to talk to a person']);
    expect(result.stdout.toString()).toContain('waiting for person. This thread was kept in memory and ends with this command');
    expect(result.stdout.toString()).not.toContain('--thread');
  });

  it('chat says /reply when a person is needed, and how to continue with npx', async () => {
    const db = join(folder(), 'threads.sqlite');
    const chat = await runCli(['chat', DESK, '--db', db, '--thread', 'c1'], {
      input: 'I was charged twice on my invoice\nI want to talk to a person\n/reply\n/reply Hi, Dana here.\n/quit\n',
    });
    const text = chat.stdout.toString();
    expect(chat.code).toBe(0);
    expect(text).toContain('waiting for person. Answer as the person with:\n  /reply …\n');
    expect(text).not.toContain('switchboard resume');
    expect(text).toContain("/reply needs the person's answer: /reply <text>\n");
    expect(text).toContain('person: Hi, Dana here.\n');
    expect(text).toMatch(new RegExp(`Continue this conversation with: npx switchboard chat ${DESK} --db ${db} --thread c1\\n$`));
  });

  it('chat in memory does not suggest --thread: the thread is gone', async () => {
    const chat = await runCli(['chat', DESK, '--db', 'memory'], { input: 'hello\n/quit\n' });
    const text = chat.stdout.toString();
    expect(text).toContain('This thread was kept in memory and has ended');
    expect(text).not.toContain('--thread');
  });

  it('init names the next commands with npx (the project file it writes names the tree)', async () => {
    const result = await runCli(['init', 'desk.yaml'], { cwd: folder() });
    expect(result.stdout.toString()).toContain('Next: npx switchboard lint · npx switchboard draw -o desk.svg · npx switchboard dev · npx switchboard chat\n');
    const without = await runCli(['init', 'desk.yaml', '--no-project'], { cwd: folder() });
    expect(without.stdout.toString()).toContain(
      'Next: npx switchboard lint desk.yaml · npx switchboard draw desk.yaml -o desk.svg · npx switchboard dev desk.yaml · npx switchboard chat desk.yaml\n',
    );
  });
});

describe('stdout and stderr in one file (not a terminal)', () => {
  it('log lines never land inside a line of text: every line is a whole JSON record or whole text', async () => {
    const { code, output } = await runCliCombined([
      'run',
      SUPPORT,
      '--db',
      'memory',
      '--log-level',
      'debug',
      '-m',
      'I was charged twice on my invoice',
    ]);
    expect(code).toBe(0);
    const lines = output.trimEnd().split('\n');
    const records = lines.filter((line) => line.startsWith('{'));
    expect(records.length).toBeGreaterThan(5);
    for (const record of records) expect(() => JSON.parse(record) as unknown, record).not.toThrow();
    for (const line of lines.filter((text) => !text.startsWith('{'))) expect(line).not.toContain('{"level"');
    expect(lines).toContainEqual(
      expect.stringMatching(/^billing: \[offline\] billing here — .* You said: “I was charged twice on my invoice”\. Tool results: .*\.$/),
    );
  });

  it('a turn error is printed once, not again as a log record', async () => {
    const { code, output } = await runCliCombined(['run', DESK, '--db', 'memory', '-m', 'x'.repeat(9000)]);
    expect(code).toBe(1);
    expect(output.match(/MESSAGE_TOO_LONG/g)).toHaveLength(1);
    expect(output).toContain('error MESSAGE_TOO_LONG: The message has 9000 characters; the limit is 8000.\n');
  });

  it('--log-level given: every record it asks for is logged, the turn error included', async () => {
    const { output } = await runCliCombined(['run', DESK, '--db', 'memory', '--log-level', 'warn', '-m', 'x'.repeat(9000)]);
    expect(output.match(/MESSAGE_TOO_LONG/g)).toHaveLength(2);
  });
});
