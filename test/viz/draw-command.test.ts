/**
 * `switchboard draw` on drawings it cannot make as asked: a PNG too large to draw, font files that
 * are not fonts (exit 2, with the fix), and Mermaid text longer than Mermaid renders by default (a
 * warning). Each command is a separate Node process, run from the sources.
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { runCli } from '../cli/run-cli.js';

vi.setConfig({ testTimeout: 120_000 });

const dir = mkdtempSync(join(tmpdir(), 'switchboard-draw-limits-'));

/** A tree of `leads` leads with `specialists` specialists each, every description `description`. */
function bigTree(leads: number, specialists: number, description: string): string {
  const lines = ['version: 1', 'name: big', 'root: triage', 'agents:'];
  const agent = (name: string, extra: string[]) =>
    lines.push(`  ${name}:`, `    description: ${JSON.stringify(description)}`, '    prompt: Help.', ...extra.map((line) => `    ${line}`));
  const leadNames = Array.from({ length: leads }, (_, lead) => `lead-${lead}`);
  agent('triage', [`children: [${leadNames.join(', ')}]`, 'offline: { reply: Hello }']);
  leadNames.forEach((lead, index) => {
    const names = Array.from({ length: specialists }, (_, specialist) => `spec-${index}-${specialist}`);
    agent(lead, [`children: [${names.join(', ')}]`, `offline: { keywords: [lead${index}] }`]);
    names.forEach((name, specialist) => agent(name, [`offline: { keywords: [kw${index}x${specialist}] }`]));
  });
  return `${lines.join('\n')}\n`;
}

function write(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

describe('switchboard draw', () => {
  it('refuses a PNG too large to draw (exit 2), naming a scale that fits, and writes nothing', async () => {
    const tree = write('big.yaml', bigTree(8, 5, 'Handles questions about refunds, disputes, charges and fees.'));
    const output = join(dir, 'big16.png');
    const result = await runCli(['draw', tree, '--scale', '16', '-o', output]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /^error USAGE: At scale 16 the PNG would be \d+ × \d+ pixels \(\d+ megapixels\): more than a PNG may have \(100 megapixels, 32767 pixels a side\)\. Draw it at a scale of at most [\d.]+ \(draw --scale [\d.]+\), or as SVG, which has no size limit\.\n$/,
    );
    expect(existsSync(output)).toBe(false);
  });

  it('refuses a --font that is not a font, or a folder without fonts (exit 2)', async () => {
    const tree = 'examples/desk.yaml';
    const passwd = await runCli(['draw', tree, '--font', '/etc/passwd', '-o', join(dir, 'passwd.png')]);
    expect(passwd.code).toBe(2);
    expect(passwd.stderr).toContain('/etc/passwd is not a font file: pass a TrueType or OpenType font (.ttf, .otf, .ttc).');
    const empty = mkdtempSync(join(tmpdir(), 'switchboard-no-fonts-'));
    const folder = await runCli(['draw', tree, '--font', empty, '-o', join(dir, 'folder.png')]);
    expect(folder.code).toBe(2);
    expect(folder.stderr).toContain(`No font files in the folder ${empty}`);
  });

  it('warns when the Mermaid text passes Mermaid’s default limit of 50,000 characters, and only then', async () => {
    const tree = write(
      'wordy.yaml',
      bigTree(8, 5, 'Handles questions about refunds, disputes, charges and fees; see the billing handbook, chapter 4. '.repeat(8)),
    );
    const long = await runCli(['draw', tree, '--descriptions']);
    expect(long.code).toBe(0);
    expect(long.stdout.length).toBeGreaterThan(50_000);
    expect(long.stderr).toMatch(/^warning: the Mermaid text is [\d,]+ characters, over Mermaid's default limit of 50,000 \(maxTextSize\)/);
    const short = await runCli(['draw', tree]);
    expect(short.code).toBe(0);
    expect(short.stderr).toBe('');
  });
});
