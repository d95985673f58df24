import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { PageSnapshot } from '../../dev/page-data.js';
import { REPO_ROOT, runCli } from './run-cli.js';
import { BOTH_KEYS, MIXED } from '../dev/mixed-tree.js';

describe('switchboard dev', () => {
  it('serves the page on 127.0.0.1, prints its address, keeps threads in the CLI\'s store, and stops cleanly on Ctrl-C', async () => {
    const env = { ...process.env };
    delete env.OPENAI_API_KEY;
    // The store run and chat use (here through $SWITCHBOARD_DB, as they read it): not memory.
    const db = join(mkdtempSync(join(tmpdir(), 'switchboard-dev-cli-')), 'threads.sqlite');
    env.SWITCHBOARD_DB = db;
    const child = spawn(
      process.execPath,
      [
        '--import',
        pathToFileURL(join(REPO_ROOT, 'node_modules/tsx/dist/loader.mjs')).href,
        join(REPO_ROOT, 'cli/main.ts'),
        'dev',
        'examples/desk.yaml',
        '--port',
        '0',
      ],
      { cwd: REPO_ROOT, env },
    );
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        const match = /Switchboard dev page: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(stdout);
        if (match?.[1]) resolve(match[1]);
      });
      child.on('close', () => reject(new Error(`dev exited early: ${stderr}`)));
    });
    expect(stdout).toContain('offline model');
    expect(stdout).toContain(`threads in sqlite:${db}`);
    expect(stderr).toContain('examples/desk.yaml: loaded version 1 (3 agents)');
    const snapshot = (await (await fetch(new URL('/api/tree', url))).json()) as PageSnapshot;
    expect(snapshot.tree?.agents.map((agent) => agent.name)).toEqual(['triage', 'billing', 'person']);
    // A thread run by the page is in that file, listed by the threads panel.
    const chat = await fetch(new URL('/api/chat', url), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ threadId: 'dev-cli-1', message: 'I was charged twice' }),
    });
    expect(chat.status).toBe(200);
    await chat.text();
    const threads = (await (await fetch(new URL('/api/threads', url))).json()) as { threads: { threadId: string; tree: string }[] };
    expect(threads.threads).toEqual([expect.objectContaining({ threadId: 'dev-cli-1', tree: 'desk' })]);
    child.kill('SIGINT');
    expect(await exited).toBe(0);
  });

  it('--model online on a tree that mixes providers: the page names the models as the banner does', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'switchboard-dev-cli-')), 'mixed.yaml');
    writeFileSync(file, MIXED);
    const env: NodeJS.ProcessEnv = { ...process.env, ...BOTH_KEYS };
    for (const name of ['OPENAI_API_KEY', 'OPENAI_BASE_URL', 'SWITCHBOARD_DB']) delete env[name];
    const child = spawn(
      process.execPath,
      ['--import', pathToFileURL(join(REPO_ROOT, 'node_modules/tsx/dist/loader.mjs')).href, join(REPO_ROOT, 'cli/main.ts'), 'dev', file, '--model', 'online', '--port', '0', '--db', 'memory'],
      { cwd: REPO_ROOT, env },
    );
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        const match = /Switchboard dev page: (http:\/\/127\.0\.0\.1:\d+\/)\n.*\n/.exec(stdout);
        if (match?.[1]) resolve(match[1]);
      });
      child.on('close', () => reject(new Error(`dev exited early: ${stderr}`)));
    });
    const models = 'Anthropic: triage; OpenAI at https://api.groq.com/openai/v1: billing';
    expect(stdout).toContain(`Tree ${file} · ${models} · threads in memory\n`);
    const snapshot = (await (await fetch(new URL('/api/tree', url))).json()) as PageSnapshot;
    expect(snapshot.model).toBe(models);
    expect(snapshot.tree?.agents.map((agent) => [agent.name, agent.model ?? null])).toEqual([
      ['triage', 'Anthropic claude-haiku-4-5'],
      ['billing', 'OpenAI llama-3.3-70b at https://api.groq.com/openai/v1'],
      ['person', null],
    ]);
    child.kill('SIGINT');
    expect(await exited).toBe(0);
  });

  it('refuses a port in use, a bad port and a missing file with exit code 2', { timeout: 90_000 }, async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as AddressInfo).port;
    try {
      // The store opens before the port is tried: a file of its own, not the repository's .switchboard/.
      const db = join(mkdtempSync(join(tmpdir(), 'switchboard-dev-cli-')), 'threads.sqlite');
      expect(await runCli(['dev', 'examples/desk.yaml', '--port', String(port), '--db', db])).toMatchObject({
        code: 2,
        stderr: expect.stringContaining(`error USAGE: Port ${port} on 127.0.0.1 is in use: choose another with --port.`),
      });
    } finally {
      blocker.close();
    }
    expect(await runCli(['dev', 'examples/desk.yaml', '--port', 'http'])).toMatchObject({
      code: 2,
      stderr: 'error USAGE: --port must be a whole number from 0 to 65535 (not "http").\n',
    });
    expect(await runCli(['dev', 'nowhere.yaml'])).toMatchObject({
      code: 2,
      stderr: 'error USAGE: nowhere.yaml does not exist. Create a tree with: npx switchboard init nowhere.yaml\n',
    });
    expect(await runCli(['dev', 'examples/desk.yaml', '--retention', 'some'])).toMatchObject({
      code: 2,
      stderr: 'error USAGE: --retention must be all or a whole number from 1 (not "some").\n',
    });
    expect(await runCli(['dev', 'examples/desk.yaml', '--retention', '1e3'])).toMatchObject({
      code: 2,
      stderr: 'error USAGE: --retention must be all or a whole number from 1 (not "1e3").\n',
    });
    expect(await runCli(['dev', 'examples/desk.yaml', '--port', '0x50'])).toMatchObject({ code: 2, stderr: expect.stringContaining('(not "0x50")') });
  });

  it('refuses a folder as run, draw and lint do, with exit code 2 (the page would watch a tree it can never load)', async () => {
    expect(await runCli(['dev', 'examples', '--port', '0', '--db', 'memory'])).toMatchObject({
      code: 2,
      stdout: Buffer.from(''),
      stderr: 'examples:1:1 error FILE_NOT_FOUND The tree file examples is a folder, not a file. Check the path (a relative path starts from the current folder).\n1 error\n',
    });
  }, 120_000);
});
