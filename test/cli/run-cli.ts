/**
 * Runs the `switchboard` command from the sources (through tsx, so no build is needed) and collects
 * its exit code and output.
 */
import { spawn } from 'node:child_process';
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

/** `env` is added to this process's environment, which loses OPENAI_API_KEY (so the offline model runs unless `env` sets one). */
export function runCli(args: string[], options: { cwd?: string; input?: string; env?: Record<string, string> } = {}): Promise<CliResult> {
  const env = { ...process.env };
  delete env.OPENAI_API_KEY;
  Object.assign(env, options.env);
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
