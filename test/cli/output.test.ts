/**
 * What `switchboard run` prints of a model's text: its control characters made visible, so a reply
 * cannot retitle, clear or reorder the terminal it is printed in.
 */
import { describe, expect, it } from 'vitest';
import { fakeOpenAIForFile } from '../helpers.js';
import { runCli } from './run-cli.js';

/** A raw control character of the kinds a terminal acts on (tab and newline excepted). */
// eslint-disable-next-line no-control-regex -- looking for control characters is the point
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
const HOSTILE = 'Hello \u001b]0;pwned\u0007\u001b[2J\u202e done';

const server = await fakeOpenAIForFile();
const viaFake = () => ({ env: { OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: server.url } });

describe('switchboard run', () => {
  it('prints a reply and a tool name the model wrote with visible escapes instead of control characters', async () => {
    server.enqueue({ toolCalls: [{ name: 'wipe\u001b[2J\u202eevil', arguments: {} }] }, { content: HOSTILE });
    const { code, stdout, stderr } = await runCli(['run', 'config/support.yaml', '--db', 'memory', '-m', 'hello'], viaFake());
    const text = stdout.toString('utf8');
    expect(code).toBe(0);
    expect(text).not.toMatch(RAW_CONTROL);
    expect(stderr).not.toMatch(RAW_CONTROL);
    expect(text).toContain('triage: Hello \\x1b]0;pwned\\x07\\x1b[2J\\u202e done');
    expect(text).toContain('✗ triage: wipe\\x1b[2J\\u202eevil refused');
  });

  it('does not print the text of a reply cut short and retried (output not a terminal)', async () => {
    server.enqueue({ content: 'DISCARDED half of a reply that', cut: true }, { content: 'The whole reply.' });
    const { code, stdout } = await runCli(['run', 'config/support.yaml', '--db', 'memory', '-m', 'hello'], viaFake());
    const text = stdout.toString('utf8');
    expect(code).toBe(0);
    expect(text).toContain('model retry 1');
    expect(text).toContain('triage: The whole reply.');
    expect(text).not.toContain('DISCARDED');
  });

  it('--json keeps the exact reply, with every control character written as a JSON escape', async () => {
    server.enqueue({ content: `${HOSTILE} \u0085\u2066` });
    const { code, stdout } = await runCli(['run', 'config/support.yaml', '--db', 'memory', '--json', '-m', 'hello'], viaFake());
    expect(code).toBe(0);
    expect(stdout.toString('utf8')).not.toMatch(RAW_CONTROL);
    expect((JSON.parse(stdout.toString('utf8')) as { reply: string }).reply).toBe(`${HOSTILE} \u0085\u2066`);
  });
});
