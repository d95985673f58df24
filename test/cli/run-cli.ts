/**
 * Runs the `switchboard` command from the sources (through tsx, so no build is needed) and collects
 * its exit code and output.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** tsx's loader by absolute URL, so the command runs from any working directory. */
const TSX_LOADER = pathToFileURL(join(REPO_ROOT, 'node_modules/tsx/dist/loader.mjs')).href;

export interface CliResult {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

/**
 * Runs the command with stdout and stderr in one file, as `2>&1` into a file or a CI log does
 * (Node writes to files synchronously, so the text is in the order it was written). Neither
 * stream is a terminal.
 */
export function runCliCombined(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}): Promise<{ code: number | null; output: string }> {
  const file = join(mkdtempSync(join(tmpdir(), 'switchboard-output-')), 'output.txt');
  const fd = openSync(file, 'w');
  const child = spawn(process.execPath, ['--import', TSX_LOADER, join(REPO_ROOT, 'cli/main.ts'), ...args], {
    cwd: options.cwd ?? REPO_ROOT,
    env: environment(options.env),
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output: readFileSync(file, 'utf8') }));
  });
}

function environment(extra: Record<string, string> | undefined): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of ['OPENAI_API_KEY', 'OPENAI_BASE_URL', 'SWITCHBOARD_DB', 'SWITCHBOARD_LOG_HASH_KEY', 'FORCE_COLOR', 'NO_COLOR']) delete env[name];
  return Object.assign(env, extra);
}

/**
 * `env` is added to this process's environment, which loses OPENAI_API_KEY, OPENAI_BASE_URL,
 * the SWITCHBOARD_ settings, FORCE_COLOR and NO_COLOR (so the offline model runs, in the default
 * store, uncoloured, unless `env` says otherwise).
 */
export function runCli(args: string[], options: { cwd?: string; input?: string; env?: Record<string, string> } = {}): Promise<CliResult> {
  const env = environment(options.env);
  const child = spawn(process.execPath, ['--import', TSX_LOADER, join(REPO_ROOT, 'cli/main.ts'), ...args], {
    cwd: options.cwd ?? REPO_ROOT,
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
  child.stdin.end(options.input ?? '');
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(stdout), stderr: Buffer.concat(stderr).toString('utf8') }));
  });
}
