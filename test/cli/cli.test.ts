/**
 * The CLI as a user runs it: separate processes on the built code (npm test builds first).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const BIN = new URL('../../bin/switchboard.js', import.meta.url).pathname;
const ROOT = new URL('../..', import.meta.url).pathname;

function cli(args: string[], input?: string, extraEnv: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, ...extraEnv };
    delete env.OPENAI_API_KEY;
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

const tempDb = () => join(mkdtempSync(join(tmpdir(), 'switchboard-cli-')), 'threads.sqlite');

describe('switchboard run', () => {
  it('--json prints one object: thread, answering agent, reply, handoffs with payloads, usage', async () => {
    const { code, stdout } = await cli(['run', 'config/support.yaml', '--db', 'memory', '--json', '--thread', 't-json', '-m', 'Why was I charged $99 twice in May?']);
    expect(code).toBe(0);
    const lines = stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const turn = JSON.parse(lines[0] ?? '') as Record<string, unknown>;
    expect(turn).toMatchObject({ threadId: 't-json', turn: 1, agent: 'billing', status: 'done', error: null, waitingFor: null });
    expect(turn.reply).toMatch(/^\[offline\] billing here/);
    expect(turn.handoffs).toEqual([{ from: 'triage', to: 'billing', kind: 'delegate', tool: 'transfer_to_billing', payload: { reason: expect.stringContaining('charged'), priority: 'high', amount: 99 } }]);
    // triage routes; billing calls lookup_invoice, then answers with its result.
    expect(turn.usage).toMatchObject({ modelCalls: 3, costUsd: 0 });
    expect(turn.sessionUsage).toMatchObject({ modelCalls: 3 });
  });

  it('continues a thread persisted in SQLite from a second, separate process: the specialist owns it', async () => {
    const db = tempDb();
    const first = await cli(['run', 'config/support.yaml', '--db', db, '--json', '--thread', 'shared', '-m', 'My webhook returns 502 every 10 minutes']);
    const second = await cli(['run', 'config/support.yaml', '--db', db, '--json', '--thread', 'shared', '-m', 'still broken']);
    expect(JSON.parse(first.stdout)).toMatchObject({ agent: 'technical', turn: 1 });
    expect(JSON.parse(second.stdout)).toMatchObject({ agent: 'technical', turn: 2, handoffs: [] });
  });

  it('prints who speaks and each handoff with its payload', async () => {
    const { code, stdout, stderr } = await cli(['run', 'config/support.yaml', '--db', 'memory', '-m', 'Can I get a demo of the enterprise plan?']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^↪ triage → sales \(delegate, transfer_to_sales\) \{"interest":/m);
    expect(stdout).toMatch(/^⚙ sales book_demo ✓/m);
    expect(stdout).toMatch(/^sales: \[offline\] sales here/m);
    expect(stderr).toMatch(/offline model/);
  });
});

describe('switchboard chat, pending and resume', () => {
  it('chats turn by turn, pauses for a person, lists the waiting thread, and resumes it', async () => {
    const db = tempDb();
    const chat = await cli(['chat', 'config/support.yaml', '--db', db, '--thread', 'c1'], 'my webhook is broken\nI need to speak to a real person\n/quit\n');
    expect(chat.code).toBe(0);
    expect(chat.stdout).toContain('↪ triage → technical (delegate, transfer_to_technical)');
    expect(chat.stdout).toContain('⏸ human_agent (a person) takes over from escalation_manager');
    expect(chat.stdout).toContain('waiting for human_agent. Answer as the person with:\n  /reply …\n');

    const pending = await cli(['pending', 'config/support.yaml', '--db', db, '--json']);
    expect(JSON.parse(pending.stdout)).toEqual([expect.objectContaining({ threadId: 'c1', agent: 'human_agent', from: 'escalation_manager' })]);

    const resumed = await cli(['resume', 'config/support.yaml', '--db', db, '--thread', 'c1', '--reply', 'Hi, Dana here. Fixed it.', '--hand-back-to', 'escalation_manager', '--json']);
    expect(JSON.parse(resumed.stdout)).toMatchObject({ agent: 'human_agent', owner: 'escalation_manager', reply: 'Hi, Dana here. Fixed it.', status: 'done' });
    const after = await cli(['run', 'config/support.yaml', '--db', db, '--thread', 'c1', '--json', '-m', 'thanks']);
    expect(JSON.parse(after.stdout)).toMatchObject({ agent: 'escalation_manager', turn: 3 });

    const again = await cli(['resume', 'config/support.yaml', '--db', db, '--thread', 'c1', '--reply', 'twice']);
    expect(again).toMatchObject({
      code: 2,
      stdout: '',
      stderr: 'error NOTHING_PENDING: Thread c1 is not waiting for a person: its last wait for one ended when human_agent answered in turn 2; escalation_manager owns the conversation.\n',
    });
  });
});

describe('mistakes get one clear line on stderr, never a stack trace', () => {
  it('a missing tree file', async () => {
    const result = await cli(['run', 'config/nope.yaml', '--db', 'memory', '-m', 'hi']);
    expect(result).toMatchObject({ code: 2, stdout: '' });
    expect(result.stderr).toBe('config/nope.yaml:1:1 error FILE_NOT_FOUND The tree file config/nope.yaml does not exist. Check the path (a relative path starts from the current folder).\n1 error\n');
  });

  it('a bad flag value', async () => {
    const result = await cli(['run', 'config/support.yaml', '--model', 'gpt5', '-m', 'hi']);
    expect(result).toMatchObject({ code: 2, stdout: '', stderr: 'error USAGE: --model must be auto, online or offline (not "gpt5").\n' });
  });

  it('an unknown state field', async () => {
    const result = await cli(['run', 'config/support.yaml', '--db', 'memory', '--field', 'ssn=123', '-m', 'hi']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^error USAGE: --field "ssn" is not declared under the tree's state\./m);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it("a provider whose package is not installed: exit 2, saying what to install", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchboard-cli-'));
    const file = join(dir, 'mistral.yaml');
    writeFileSync(file, 'version: 1\nname: m\nroot: triage\nmodels:\n  fast: { provider: mistralai, name: mistral-small-latest }\nagents:\n  triage: { description: Front desk., prompt: Answer., model: fast }\n');
    const result = await cli(['run', file, '--db', 'memory', '--model', 'online', '-m', 'hi'], undefined, { MISTRAL_API_KEY: 'x' });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('error PROVIDER_PACKAGE_MISSING: ');
    expect(result.stderr).toContain('npm install @langchain/mistralai');
  });

  it('openai without a key', async () => {
    const result = await cli(['run', 'config/support.yaml', '--db', 'memory', '--model', 'openai', '-m', 'hi']);
    expect(result).toMatchObject({ code: 2, stderr: 'error MODEL_KEY_MISSING: Agent "triage" uses OpenAI, but OPENAI_API_KEY is not set. Set it, or run with the offline model.\n' });
  });
});
