import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { JSDOM } from 'jsdom';
import { describe, expect, it, vi } from 'vitest';
import { REPO_ROOT, runCli } from './run-cli.js';

// Each command is a separate Node process (a few seconds on a busy machine).
vi.setConfig({ testTimeout: 120_000 });

const out = mkdtempSync(join(tmpdir(), 'switchboard-draw-'));

describe('switchboard draw', () => {
  it('prints Mermaid by default', async () => {
    const result = await runCli(['draw', 'config/support.yaml']);
    expect(result.code).toBe(0);
    expect(result.stdout.toString()).toMatch(/^flowchart TD\n {2}a0\[\["triage"\]\]:::root\n/);
  });

  it('prints DOT', async () => {
    const result = await runCli(['draw', 'examples/desk.yaml', '--format', 'dot', '--no-legend']);
    expect(result.code).toBe(0);
    const dot = result.stdout.toString();
    expect(dot).toMatch(/^digraph "desk" \{/);
    expect(dot).not.toContain('cluster_legend');
  });

  it('writes SVG and PNG files, the format taken from the file name', async () => {
    const svg = await runCli(['draw', 'config/hybrid.yaml', '-o', join(out, 'hybrid.svg')]);
    expect(svg.code).toBe(0);
    expect(svg.stderr).toContain('svg drawing of tree hybrid');
    const document = new JSDOM(readFileSync(join(out, 'hybrid.svg'), 'utf8'), { contentType: 'image/svg+xml' }).window.document;
    expect(document.querySelector('#sb-node-0')?.getAttribute('class')).toBe('node sb-node role-root');
    expect(document.querySelector('#sb-node-0 text')?.textContent).toBe('triage');
    const png = await runCli(['draw', 'config/hybrid.yaml', '--format', 'png', '-o', join(out, 'hybrid-drawing'), '--scale', '1']);
    expect(png.code).toBe(0);
    expect(readFileSync(join(out, 'hybrid-drawing')).subarray(1, 4).toString()).toBe('PNG');
  });

  it('rejects an unknown format, a bad scale and an unwritable file with exit code 2', async () => {
    const format = await runCli(['draw', 'config/support.yaml', '--format', 'gif']);
    // A parser error is a usage error like the others: exit 2.
    expect(format).toMatchObject({ code: 2, stderr: "error USAGE: option '-f, --format <format>' argument 'gif' is invalid. Allowed choices are mermaid, dot, svg, png. (npx switchboard draw --help lists the options)\n" });
    const scale = await runCli(['draw', 'config/support.yaml', '--format', 'png', '--scale', 'big', '-o', join(out, 'x.png')]);
    expect(scale).toMatchObject({ code: 2, stderr: 'error USAGE: --scale must be a number above 0 and at most 16 (not "big").\n' });
    const file = await runCli(['draw', 'config/support.yaml', '-o', join(out, 'missing-folder', 'x.svg')]);
    expect(file).toMatchObject({ code: 2, stderr: `error USAGE: Cannot write ${join(out, 'missing-folder', 'x.svg')}: ENOENT.\n` });
  });

  it('ends quietly when the reader closes stdout early (draw -f png | head -c 10): no EPIPE, no stack trace', async () => {
    for (const format of ['png', 'mermaid']) {
      const child = spawn(process.execPath, ['--import', pathToFileURL(join(REPO_ROOT, 'node_modules/tsx/dist/loader.mjs')).href, join(REPO_ROOT, 'cli/main.ts'), 'draw', 'config/support.yaml', '-f', format], {
        cwd: REPO_ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      // The reader is gone before the drawing is written, as `head` is once it has its bytes.
      child.stdout.destroy();
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      expect(stderr).toBe('');
      expect(code).toBe(0);
    }
  });

  it('prints the positioned errors of a broken tree', async () => {
    const result = await runCli(['draw', 'config/no-such-tree.yaml']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('config/no-such-tree.yaml:1:1 error FILE_NOT_FOUND');
  });
});
