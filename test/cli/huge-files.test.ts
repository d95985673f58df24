/**
 * Files sized before they are read: a tree file, or a project file, past its limit (or a device
 * that never ends) is refused as too large, never read whole or reported as missing.
 */
import { mkdtempSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { runCli } from './run-cli.js';

vi.setConfig({ testTimeout: 120_000 });

describe('files past their size limit', () => {
  it('lint of a 600 MB tree file, and of /dev/zero: FILE_TOO_LARGE, exit 2', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'switchboard-huge-'));
    const huge = join(cwd, 'huge.yaml');
    writeFileSync(huge, '');
    truncateSync(huge, 600 * 1024 * 1024);
    for (const file of [huge, '/dev/zero']) {
      const result = await runCli(['lint', file], { cwd });
      expect(result.code, file).toBe(2);
      expect(result.stdout.toString(), file).toMatch(/error FILE_TOO_LARGE/);
      expect(result.stdout.toString(), file).not.toMatch(/FILE_NOT_FOUND/);
    }
  });

  it('a project file of 2 MB is refused as no project file', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'switchboard-huge-project-'));
    const project = join(cwd, 'big.json');
    writeFileSync(project, '');
    truncateSync(project, 2 * 1024 * 1024);
    const result = await runCli(['lint', '--config', project], { cwd });
    expect(result.code).toBe(2);
    expect(result.stderr.toString()).toMatch(/big\.json is larger than 1000000 bytes: it is not a project file/);
  });
});
