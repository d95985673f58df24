/**
 * A reader that stops early (`switchboard run … | head -1`) closes the command's stdout. The command
 * writes nothing more but finishes its work: the turn is not cut short (the escalation reaches the
 * person's queue, the step trace is kept), and it exits with its own code, with no EPIPE.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { fakeOpenAIForFile } from '../helpers.js';
import { REPO_ROOT, runCli } from './run-cli.js';

// Each command is a separate Node process (a few seconds on a busy machine).
vi.setConfig({ testTimeout: 120_000 });

const server = await fakeOpenAIForFile();
const env = { OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: server.url };

/** `switchboard …` from the sources, its stdout closed as soon as it starts; its exit code and stderr. */
async function runWithClosedStdout(args: string[]): Promise<{ code: number | null; stderr: string }> {
  const loader = pathToFileURL(join(REPO_ROOT, 'node_modules/tsx/dist/loader.mjs')).href;
  const child = spawn(process.execPath, ['--import', loader, join(REPO_ROOT, 'cli/main.ts'), ...args], { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  // The first line read, the reader is gone (as `head -1` is).
  child.stdout.once('data', () => child.stdout.destroy());
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  return { code, stderr };
}

describe('run with its output closed early', () => {
  it('finishes the turn (the person gets the thread, the trace is kept) and exits 0 quietly', async () => {
    const db = join(mkdtempSync(join(tmpdir(), 'switchboard-closed-output-')), 'threads.sqlite');
    // Each model answer takes a moment, so the turn is still running when the reader leaves.
    server.enqueue(
      { toolCalls: [{ name: 'transfer_to_technical', arguments: { reason: 'webhook fails' } }], delayMs: 200 },
      { toolCalls: [{ name: 'escalate_to_manager', arguments: { reason: 'two fixes failed' } }], delayMs: 200 },
      { toolCalls: [{ name: 'escalate_to_human', arguments: { reason: 'customer insists', summary: 'webhook down after two fixes' } }], delayMs: 200 },
    );
    const run = await runWithClosedStdout(['run', 'config/support.yaml', '--db', db, '--thread', 'closed-1', '--log-level', 'silent', '-m', 'My webhook is down']);
    expect(run).toEqual({ code: 0, stderr: expect.not.stringMatching(/EPIPE|Error/) as string });

    const pending = await runCli(['pending', 'config/support.yaml', '--db', db, '--json'], { env });
    expect(pending.code).toBe(0);
    expect(pending.stdout.toString()).toContain('closed-1');
    const trace = await runCli(['trace', 'config/support.yaml', '--db', db, '--thread', 'closed-1'], { env });
    expect(trace.code).toBe(0);
    expect(trace.stdout.toString()).toContain('escalate_to_human');
  });
});
