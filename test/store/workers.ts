/**
 * Spawning worker processes (test/workers/*.mjs, on the built code) against a shared PostgreSQL.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { PG_URL } from '../postgres-url.js';

/** This run's own PostgreSQL database (see test/global-setup.ts). */
export { PG_URL };

export interface WorkerRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** The last JSON line the worker printed. */
  output: { results?: Record<string, unknown>[] } & Record<string, unknown>;
}

export function runWorker(script: string, job: Record<string, unknown>): Promise<WorkerRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [new URL(`../workers/${script}`, import.meta.url).pathname, JSON.stringify(job)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const lines = stdout.trim().split('\n').filter(Boolean);
      resolve({ code, signal, stdout, stderr, output: parseLastLine(lines.at(-1)) });
    });
  });
}

export function uniqueThread(prefix: string): string {
  return `${prefix}-${randomUUID()}`;
}

export async function withPool<T>(body: (pool: pg.Pool) => Promise<T>, url = PG_URL): Promise<T> {
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  // A client still closing when the server stops or restarts (the embedded server's test does both
  // right after) gets its FATAL 57P01 as a pool 'error': with no listener, that is an uncaught exception.
  pool.on('error', () => undefined);
  try {
    return await body(pool);
  } finally {
    await pool.end();
  }
}

function parseLastLine(line: string | undefined): WorkerRun['output'] {
  try {
    return JSON.parse(line ?? '{}') as WorkerRun['output'];
  } catch {
    return { unparsed: line };
  }
}
