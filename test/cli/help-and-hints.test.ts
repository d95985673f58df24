/**
 * What the CLI says around its commands: `<tree>` explained in the help (optional where the project
 * file names a tree), one `--tools` text for every command, a tree name that is not one of the
 * project's trees answered with those names, a project file named with --config named in its own
 * messages, suggestions only for near misses, and esbuild's columns counted from 1.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { nearest } from '../../cli/command-line.js';
import { nodeStripsTypes } from '../../cli/tools-module.js';
import { REPO_ROOT, runCli } from './run-cli.js';

vi.setConfig({ testTimeout: 120_000 });

const DESK = join(REPO_ROOT, 'examples/desk.yaml');

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'switchboard-hints-'));
  mkdirSync(join(dir, 'trees'));
  writeFileSync(join(dir, 'tree.yaml'), `# a tree\n${'\n'}`);
  writeFileSync(join(dir, 'trees/my-tree.yaml'), '');
  writeFileSync(join(dir, 'switchboard.config.json'), '{\n  "tree": "main",\n  "trees": { "main": "tree.yaml", "mine": "trees/my-tree.yaml" }\n}\n');
  writeFileSync(join(dir, 'bad.json'), '{"tree":"nope.yaml"}\n');
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('help', () => {
  it('says what <tree> is, and that a project file can name it', async () => {
    const top = await runCli(['--help'], { cwd: tmpdir() });
    expect(top.stdout.toString()).toContain(
      '\n<tree> is a tree file, or the name of one of the "trees" in the project file\n(switchboard.config.json); it may be left out where the project file names a "tree".\n',
    );
    const run = (await runCli(['run', '--help'], { cwd: tmpdir() })).stdout.toString();
    expect(run).toContain('Usage: switchboard run [options] <tree>');
    expect(run).toMatch(/Arguments:\n {2}tree +a tree file, or the name of one of the/);
    // In a project that names a tree, it is optional.
    expect((await runCli(['run', '--help'], { cwd: dir })).stdout.toString()).toContain('Usage: switchboard run [options] [tree]');
  });

  it('in a project that names a tree, shows [tree] in the list of commands too, and says which tree a command given none uses', async () => {
    const flat = (text: string) => text.replace(/\s+/g, ' ');
    const top = (await runCli(['--help'], { cwd: dir })).stdout.toString();
    for (const command of ['lint', 'run', 'chat', 'pending', 'approve', 'stats']) expect(top, command).toContain(`  ${command} [options] [tree] `);
    expect(top).not.toContain('<tree>  ');
    expect(top).toContain('\nHere [tree] may be left out: it is then tree.yaml (the "tree" of switchboard.config.json).\n');
    expect(flat((await runCli(['run', '--help'], { cwd: dir })).stdout.toString())).toContain('Left out here, it is tree.yaml (the "tree" of switchboard.config.json)');
    // Without a project file, or beside a broken one, <tree> stays required and nothing is named.
    const outside = (await runCli(['--help'], { cwd: tmpdir() })).stdout.toString();
    expect(outside).toContain('  run [options] <tree> ');
    expect(outside).not.toContain('Here [tree]');
    const broken = await runCli(['--config', 'bad.json', '--help'], { cwd: dir });
    expect(broken.code).toBe(0);
    expect(broken.stdout.toString()).toContain('  run [options] <tree> ');
  });

  it('dev describes --tools as the other commands do', async () => {
    const flat = (text: string) => text.replace(/\s+/g, ' ');
    const dev = flat((await runCli(['dev', '--help'], { cwd: tmpdir() })).stdout.toString());
    const run = flat((await runCli(['run', '--help'], { cwd: tmpdir() })).stdout.toString());
    const tools = /--tools <module> (.*?\)) /.exec(run)?.[1];
    expect(tools).toContain('.js or .ts');
    expect(dev).toContain(`--tools <module> ${tools}; loaded once`);
  });
});

describe('hints', () => {
  it('a tree name the project does not have: the near one, and every name', async () => {
    const lint = await runCli(['lint', 'mien'], { cwd: dir });
    expect(lint.code).toBe(2);
    expect(lint.stdout.toString()).toBe(
      'mien:1:1 error FILE_NOT_FOUND The tree file mien does not exist. Did you mean mine? The trees of switchboard.config.json: main, mine; any other tree is a file path (from the current folder).\n',
    );
    const run = await runCli(['run', 'zzz', '-m', 'hi', '--db', 'memory'], { cwd: dir });
    expect(run).toMatchObject({
      code: 2,
      stderr: 'zzz:1:1 error FILE_NOT_FOUND The tree file zzz does not exist. The trees of switchboard.config.json: main, mine; any other tree is a file path (from the current folder).\n1 error\n',
    });
    // Outside a project: the plain hint.
    expect((await runCli(['lint', 'mien'], { cwd: tmpdir() })).stdout.toString()).toContain('does not exist. Check the path (a relative path starts from the current folder).');
  });

  it('a project file named with --config is named in its own messages', async () => {
    const result = await runCli(['--config', 'bad.json', 'lint'], { cwd: dir });
    expect(result).toMatchObject({ code: 2 });
    expect(result.stderr).toContain('The tree nope.yaml does not exist (paths are relative to bad.json).');
  });

  it('suggests a level only when it is a near miss', async () => {
    writeFileSync(join(dir, 'levels.json'), '{ "tree": "tree.yaml", "logLevel": "verbose" }\n');
    const project = await runCli(['--config', 'levels.json', 'lint'], { cwd: dir });
    expect(project.stderr).toBe('levels.json:1:36 error INVALID_PROJECT_FILE "logLevel" must be one of fatal, error, warn, info, debug, trace, silent (not "verbose").\n1 error\n');
    const flag = await runCli(['run', DESK, '--db', 'memory', '-m', 'hi', '--log-level', 'verbose']);
    expect(flag.stderr).toBe('error USAGE: --log-level must be one of fatal, error, warn, info, debug, trace, silent (not "verbose").\n');
    expect(nearest('warning', ['fatal', 'error', 'warn'])).toBe('warn');
    expect(nearest('WARN', ['fatal', 'error', 'warn'])).toBe('warn');
    expect(nearest('verbose', ['fatal', 'error', 'warn'])).toBeUndefined();
    expect(nearest('mien', ['main', 'mine'])).toBe('mine');
  });
});

describe.skipIf(nodeStripsTypes())('a TypeScript tools module with a syntax error (through esbuild)', () => {
  it('gives the column counted from 1, as tree errors do', async () => {
    writeFileSync(join(dir, 'bad.ts'), 'export const tools = {};\nconst a = 1 +* 2;\n');
    writeFileSync(join(dir, 'open.ts'), 'export const tools = {\n  a: 1,\n');
    const bad = await runCli(['lint', DESK, '--tools', 'bad.ts'], { cwd: dir });
    expect(bad.stderr).toBe('error TOOLS_MODULE: bad.ts:2:14 has a syntax error: Unexpected "*". Fix it and run the command again.\n');
    const open = await runCli(['lint', DESK, '--tools', 'open.ts'], { cwd: dir });
    expect(open.stderr).toMatch(/^error TOOLS_MODULE: open\.ts:3:1 has a syntax error: /);
  });
});
