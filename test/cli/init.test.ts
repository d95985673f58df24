import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lintTreeText, loadTree } from '../../config/load.js';
import { compileTree } from '../../graphs/compile.js';
import { runTurn } from '../../runtime/turn.js';
import { REPO_ROOT, runCli } from './run-cli.js';

const SCHEMA_LINE = /^# yaml-language-server: \$schema=(\S+)\n/;

describe('switchboard init', () => {
  it('writes a lint-clean starter tree whose $schema line reaches the generated JSON Schema', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchboard-init-'));
    const result = await runCli(['init', 'trees/front-desk.yaml'], { cwd: dir });
    expect(result.code).toBe(0);
    expect(result.stdout.toString()).toContain('Wrote trees/front-desk.yaml (tree "front-desk").');
    const file = join(dir, 'trees/front-desk.yaml');
    const text = readFileSync(file, 'utf8');
    const schema = SCHEMA_LINE.exec(text)?.[1] ?? '';
    expect(resolve(dirname(file), schema)).toBe(join(REPO_ROOT, 'schema/tree.schema.json'));
    expect(JSON.parse(readFileSync(resolve(dirname(file), schema), 'utf8'))).toMatchObject({ title: 'Switchboard tree' });
    expect(lintTreeText(text, file)).toEqual([]);
  });

  it('writes a tree that runs offline and routes to a specialist', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchboard-init-'));
    expect((await runCli(['init'], { cwd: dir })).code).toBe(0);
    const tree = await loadTree(join(dir, 'tree.yaml'));
    expect(tree.spec.name).toBe('tree');
    const graph = compileTree(tree, { model: 'offline' });
    const result = await runTurn(graph, { threadId: 'init-test', message: 'I was charged twice on my invoice' });
    expect(result).toMatchObject({
      agent: 'billing',
      status: 'done',
      handoffs: [expect.objectContaining({ from: 'front_desk', to: 'billing', kind: 'delegate' })],
    });
  });

  it('refuses to overwrite an existing file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchboard-init-'));
    writeFileSync(join(dir, 'mine.yaml'), 'my work\n');
    const result = await runCli(['init', 'mine.yaml'], { cwd: dir });
    expect(result).toMatchObject({
      code: 2,
      stderr: 'error USAGE: mine.yaml already exists; init never overwrites a file. Choose another name or move it away.\n',
    });
    expect(readFileSync(join(dir, 'mine.yaml'), 'utf8')).toBe('my work\n');
  });

  it('refuses a file name that is not .yaml or .yml, and writes nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchboard-init-'));
    const result = await runCli(['init', 'x.json'], { cwd: dir });
    expect(result).toMatchObject({ code: 2, stderr: 'error USAGE: x.json: init writes a YAML tree; name the file .yaml or .yml (e.g. x.yaml).\n' });
    expect(existsSync(join(dir, 'x.json'))).toBe(false);
    expect(existsSync(join(dir, 'switchboard.config.json'))).toBe(false);
  });

  it('says in one line why the folder of the file cannot be made: a file in the way, no permission', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchboard-init-'));
    writeFileSync(join(dir, 'switchboard.config.json'), '{}\n');
    const blocked = await runCli(['init', 'switchboard.config.json/x.yaml'], { cwd: dir });
    expect(blocked).toMatchObject({ code: 2, stderr: 'error USAGE: Cannot write switchboard.config.json/x.yaml: switchboard.config.json is a file, not a folder.\n' });
    expect(readFileSync(join(dir, 'switchboard.config.json'), 'utf8')).toBe('{}\n');
    // A folder this user may not create (under /sys on Linux; a file's child anywhere else).
    const forbidden = existsSync('/sys/kernel') ? '/sys/switchboard-init-test/x.yaml' : join(dir, 'switchboard.config.json/a/x.yaml');
    const refused = await runCli(['init', forbidden], { cwd: dir });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/^error USAGE: Cannot (create the folder|write) .*\n$/);
    expect(refused.stderr).not.toMatch(/\n\s+at /);
  });

  it('rejects a tree name the format does not allow', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchboard-init-'));
    const result = await runCli(['init', 'desk.yaml', '--name', '9 lives'], { cwd: dir });
    expect(result).toMatchObject({
      code: 2,
      stderr: 'error USAGE: --name "9 lives" must start with a letter and use only letters, digits, "_" or "-".\n',
    });
    expect(existsSync(join(dir, 'desk.yaml'))).toBe(false);
  });
});
