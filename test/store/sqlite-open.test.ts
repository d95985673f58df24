/**
 * Opening a SQLite store while another process holds the file's lock for a moment (a worker
 * starting while another writes, or while the WAL a killed process left is recovered) waits for the
 * lock instead of failing with SQLITE_BUSY. A file that is not a database is a STORE_UNAVAILABLE
 * error that leaves no handle open.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { StoreError } from '../../errors/store-error.js';
import { openCheckpointer } from '../../store/checkpointer.js';

const dir = mkdtempSync(join(tmpdir(), 'switchboard-sqlite-open-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Another process takes an exclusive lock on `path` and holds it for `ms`; resolves once it holds it. */
function holdExclusiveLock(path: string, ms: number): Promise<{ released: Promise<void> }> {
  const script = `
    const Database = require('better-sqlite3');
    const db = new Database(${JSON.stringify(path)});
    db.pragma('journal_mode = DELETE');
    db.exec('CREATE TABLE IF NOT EXISTS held (x)');
    db.exec('BEGIN EXCLUSIVE');
    db.exec('INSERT INTO held VALUES (1)');
    process.stdout.write('held\\n');
    setTimeout(() => { db.exec('COMMIT'); db.close(); }, ${ms});
  `;
  const child = spawn(process.execPath, ['-e', script], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'] });
  const released = new Promise<void>((resolve, reject) => child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`the lock holder exited with ${code}`)))));
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('held') && resolve({ released }));
    child.on('error', reject);
  });
}

describe('openCheckpointer on a SQLite file another process has locked', () => {
  it('waits for the lock (up to its busy timeout), then opens in WAL mode', async () => {
    const path = join(dir, 'locked.sqlite');
    const { released } = await holdExclusiveLock(path, 400);
    const store = await openCheckpointer(path);
    try {
      await released;
      expect(store.describe).toContain('sqlite');
      await store.journal.append('t', [{ kind: 'message', turn: 1, key: 'message:m1', data: { type: 'human', content: 'hello' } }]);
      expect((await store.journal.get('t', 'message:m1'))?.data).toEqual({ type: 'human', content: 'hello' });
    } finally {
      await store.close();
    }
  });
});

/** The file descriptors of this process open on `path` (Linux: /proc/self/fd). */
function openHandles(path: string): number {
  return readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`) === path;
    } catch {
      return false;
    }
  }).length;
}

describe('openCheckpointer on a file that is not a SQLite database', () => {
  it.each([
    ['text', 'these are notes, not a database; '.repeat(40)],
    ['a cut-off database header', 'SQLite format 3\u0000' + '\u0000'.repeat(10)],
  ])('fails with STORE_UNAVAILABLE in one line, naming the file (%s), and leaves no handle open', async (_, content) => {
    const path = join(dir, `not-a-database-${Math.random().toString(36).slice(2)}.sqlite`);
    writeFileSync(path, content);
    const opening = openCheckpointer(path);
    await expect(opening).rejects.toBeInstanceOf(StoreError);
    await expect(opening).rejects.toMatchObject({ name: 'StoreError', code: 'STORE_UNAVAILABLE', message: expect.stringMatching(new RegExp(`^Cannot open the store ${path}: [^\\n]+\\. Check that the path names a SQLite file`)) as string });
    if (existsSync('/proc/self/fd')) expect(openHandles(path)).toBe(0);
  });
});

describe('openCheckpointer on a path where no folder can be made', () => {
  it('fails with STORE_UNAVAILABLE under a file', async () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, 'not a folder');
    const path = join(file, 'sub', 'threads.sqlite');
    await expect(openCheckpointer(path)).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE', message: expect.stringContaining(`Cannot open the store ${path}: `) as string });
  });

  // In a child process with a time limit: Node's recursive mkdir never returns under /proc, and a
  // test that hung there would hang the whole run.
  it('fails with STORE_UNAVAILABLE under /proc, where no folder can be made', () => {
    const module = new URL('../../store/checkpointer.ts', import.meta.url).href;
    const script = `import(${JSON.stringify(module)}).then((m) => m.openCheckpointer('/proc/switchboard-test/threads.sqlite')).then(() => console.log('opened'), (error) => console.log(error.code));`;
    const child = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { encoding: 'utf8', timeout: 60_000 });
    expect(child.signal).toBeNull();
    expect(child.stdout.trim()).toBe('STORE_UNAVAILABLE');
  }, 70_000);

  it('makes every missing folder of a new path', async () => {
    const path = join(dir, 'new', 'nested', 'threads.sqlite');
    const store = await openCheckpointer(path);
    await store.close();
    expect(existsSync(path)).toBe(true);
  });
});
