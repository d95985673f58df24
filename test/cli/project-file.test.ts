/**
 * The project file, switchboard.config.json: found upward from the working folder or named with
 * --config; it sets the tree (or trees by name), the tools module, the store and the logs; flags
 * override it and $SWITCHBOARD_DB its store; its mistakes are file:line:col lines with a hint; and
 * `switchboard init` writes one the commands then run from.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { parseProjectFile } from '../../cli/project-file.js';
import { REPO_ROOT, runCli } from './run-cli.js';
import { treeCallingTool } from './tool-tree.js';

// Each command is a separate Node process (a few seconds on a busy machine).
vi.setConfig({ testTimeout: 120_000 });

/** A tree whose billing agent calls the project's own tool (which only the tools module defines). */
const TREE = treeCallingTool('project-desk', 'project_lookup', 'INV-9');

const TOOLS = `import { tool } from '@langchain/core/tools';
import { z } from 'zod';
export const tools = {
  project_lookup: tool(async ({ id }) => 'found ' + id + ' through the project tools', {
    name: 'project_lookup',
    description: 'Looks an invoice up.',
    schema: z.object({ id: z.string() }),
  }),
};
`;

const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/** A project folder with the tree, its tools module and a project file. */
function project(settings: Record<string, unknown>, file = 'switchboard.config.json'): string {
  // Under the repository, so the tools module finds @langchain/core and zod in its node_modules.
  const dir = mkdtempSync(join(REPO_ROOT, 'test/.tmp-project-'));
  made.push(dir);
  mkdirSync(join(dir, 'trees'));
  mkdirSync(join(dir, 'sub/deeper'), { recursive: true });
  writeFileSync(join(dir, 'trees/desk.yaml'), TREE);
  writeFileSync(join(dir, 'trees/tools.mjs'), TOOLS);
  writeFileSync(join(dir, file), `${JSON.stringify(settings, null, 2)}\n`);
  return dir;
}

const MESSAGE = 'I was charged twice on my invoice';
const firstLine = (text: string) => text.split('\n')[0];

describe('the project file', () => {
  it('supplies the tree, the tools module and the store to a command run below it', async () => {
    const dir = project({ tree: 'trees/desk.yaml', tools: 'trees/tools.mjs', db: 'data/threads.sqlite' });
    const result = await runCli(['run', '-m', MESSAGE], { cwd: join(dir, 'sub/deeper') });
    expect(result.code).toBe(0);
    expect(result.stdout.toString()).toContain('project_lookup: found INV-9 through the project tools');
    expect(firstLine(result.stderr)).toMatch(new RegExp(` · sqlite:${join(dir, 'data/threads.sqlite')}$`));
    expect(existsSync(join(dir, 'data/threads.sqlite'))).toBe(true);
    expect((await runCli(['lint'], { cwd: dir })).stderr).toBe('trees/desk.yaml: ok\n');
  });

  it('is overridden by flags, and its store by $SWITCHBOARD_DB', async () => {
    const dir = project({ tree: 'trees/desk.yaml', tools: 'trees/tools.mjs', db: 'data/threads.sqlite' });
    const flag = await runCli(['run', '-m', MESSAGE, '--db', 'memory'], { cwd: dir });
    expect(firstLine(flag.stderr)).toMatch(/ · memory$/);
    const env = await runCli(['run', '-m', MESSAGE], { cwd: dir, env: { SWITCHBOARD_DB: join(dir, 'env.sqlite') } });
    expect(firstLine(env.stderr)).toContain(` · sqlite:${join(dir, 'env.sqlite')}`);
    // Another tools module on the command line: the tree's project_lookup is then unknown.
    writeFileSync(join(dir, 'trees/none.mjs'), 'export const tools = {};\n');
    const tools = await runCli(['lint', 'trees/desk.yaml', '--tools', 'trees/none.mjs'], { cwd: dir });
    expect(tools.code).toBe(2);
    expect(tools.stdout.toString()).toContain('project_lookup');
  });

  it('names trees that a command takes by name, and is found with --config anywhere', async () => {
    const dir = project({ trees: { desk: 'trees/desk.yaml' }, tree: 'desk', tools: 'trees/tools.mjs', db: 'memory' }, 'desk.config.json');
    const named = await runCli(['--config', join(dir, 'desk.config.json'), 'run', 'desk', '-m', MESSAGE], { cwd: tmpdir() });
    expect(named.code).toBe(0);
    expect(named.stdout.toString()).toContain('found INV-9');
    const missing = await runCli(['run', '--config', join(dir, 'nowhere.json'), '-m', MESSAGE], { cwd: dir });
    expect(missing).toMatchObject({ code: 2 });
    expect(missing.stderr).toContain('--config');
    expect(missing.stderr).toContain('nowhere.json: there is no such file.');
  });

  it('sets the log level and format', async () => {
    const dir = project({ tree: 'trees/desk.yaml', tools: 'trees/tools.mjs', db: 'memory', logLevel: 'info', logFormat: 'json' });
    const json = await runCli(['run', '-m', MESSAGE], { cwd: dir });
    const lines = json.stderr.split('\n').filter((line) => line.startsWith('{'));
    expect(lines.map((line) => (JSON.parse(line) as { event?: string }).event)).toContain('turn-end');
    const quiet = await runCli(['run', '-m', MESSAGE, '--log-level', 'error'], { cwd: dir });
    expect(quiet.stderr.split('\n').filter((line) => line.startsWith('{'))).toEqual([]);
  });

  it('keeps the commands it suggests as short as what was typed', async () => {
    const dir = project({ tree: 'trees/desk.yaml', tools: 'trees/tools.mjs', db: 'data/threads.sqlite' });
    const result = await runCli(['run', '-m', 'I was charged twice, I want a human person', '--thread', 'p1'], { cwd: dir });
    expect(result.stdout.toString()).toContain("npx switchboard resume --thread p1 --reply \"…\"");
    const reply = await runCli(['resume', '--thread', 'p1', '--reply', 'Dana here.'], { cwd: dir });
    expect(reply.code).toBe(0);
  });
});

describe('mistakes in the project file', () => {
  it('are file:line:col lines with a hint, every one at once, exit 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchboard-project-'));
    writeFileSync(join(dir, 'switchboard.config.json'), '{\n  "tree": "missing.yaml",\n  "tols": "tools.ts",\n  "logLevel": "warning"\n}\n');
    const result = await runCli(['run', '-m', 'hi'], { cwd: dir });
    expect(result).toMatchObject({
      code: 2,
      stderr: [
        'switchboard.config.json:3:3 error INVALID_PROJECT_FILE "tols" is not a setting. Did you mean "tools"? The settings: tree, trees, tools, db, logLevel, logFormat.',
        'switchboard.config.json:2:11 error INVALID_PROJECT_FILE The tree missing.yaml does not exist (paths are relative to switchboard.config.json). Fix the path, or write the tree with `npx switchboard init missing.yaml`.',
        'switchboard.config.json:4:15 error INVALID_PROJECT_FILE "logLevel" must be one of fatal, error, warn, info, debug, trace, silent (not "warning"). Did you mean "warn"?',
        '3 errors',
        '',
      ].join('\n'),
    });
  });

  it('in its JSON syntax are positioned too', () => {
    const error = (text: string) => {
      try {
        parseProjectFile(text, join(tmpdir(), 'switchboard.config.json'), tmpdir());
      } catch (thrown) {
        return (thrown as Error).message;
      }
      return 'no error';
    };
    expect(error('{\n  "db": "memory",\n}\n')).toBe('switchboard.config.json:3:1 error INVALID_PROJECT_FILE is not valid JSON: A comma before "}" is not allowed in JSON: remove it.');
    expect(error("{ 'db': 1 }")).toBe('switchboard.config.json:1:3 error INVALID_PROJECT_FILE is not valid JSON: Expected a key in double quotes, found "\'".');
    expect(error('{\n  // notes\n}')).toBe('switchboard.config.json:2:3 error INVALID_PROJECT_FILE is not valid JSON: JSON has no comments: remove it (notes can go in a "$comment" key).');
    expect(error('{ "db": "memory", "db": "x.sqlite" }')).toBe('switchboard.config.json:1:19 error INVALID_PROJECT_FILE is not valid JSON: "db" is set twice: keep one.');
    expect(error('[]')).toContain('switchboard.config.json:1:1 error INVALID_PROJECT_FILE must be a JSON object of settings.');
    expect(error('{ "db": "" }')).toBe('switchboard.config.json:1:9 error INVALID_PROJECT_FILE "db" must be a string that is not empty.');
    // init takes a YAML file name: the hint names one.
    expect(error('{ "tree": "support" }')).toContain('write the tree with `npx switchboard init support.yaml` (and name that file here).');
  });

  it('--config naming a folder is a project-file error on one line, not EISDIR', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchboard-project-'));
    mkdirSync(join(dir, 'settings'));
    const result = await runCli(['--config', 'settings', 'run', join(REPO_ROOT, 'examples/desk.yaml'), '--db', 'memory', '-m', 'hi'], { cwd: dir });
    expect(result).toMatchObject({
      code: 2,
      stderr: `settings:1:1 error INVALID_PROJECT_FILE --config settings is a folder, not a file. Name the project file itself, e.g. --config ${join('settings', 'switchboard.config.json')}.\n1 error\n`,
    });
    expect(result.stdout.toString()).toBe('');
  });

  it('do not stop --help', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchboard-project-'));
    writeFileSync(join(dir, 'switchboard.config.json'), '{ broken');
    expect((await runCli(['--help'], { cwd: dir })).code).toBe(0);
    expect((await runCli(['run', '--help'], { cwd: dir })).code).toBe(0);
  });
});

describe('switchboard init', () => {
  it('writes a project file naming the starter tree, so commands need no tree argument', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchboard-project-'));
    const init = await runCli(['init', 'trees/front.yaml'], { cwd: dir });
    expect(init.code).toBe(0);
    expect(init.stdout.toString()).toContain('Wrote switchboard.config.json (the project file');
    expect(init.stdout.toString()).toContain('Next: npx switchboard lint · npx switchboard draw -o front.svg · npx switchboard dev · npx switchboard chat');
    const written = JSON.parse(readFileSync(join(dir, 'switchboard.config.json'), 'utf8')) as Record<string, string>;
    expect(written).toMatchObject({ tree: 'trees/front.yaml', db: '.switchboard/threads.sqlite' });
    const schema = JSON.parse(readFileSync(join(dir, written.$schema!), 'utf8')) as { title: string; properties: Record<string, unknown> };
    expect(schema.title).toBe('Switchboard project file');
    expect(Object.keys(schema.properties).sort()).toEqual(['$schema', 'db', 'logFormat', 'logLevel', 'tools', 'tree', 'trees']);
    const run = await runCli(['run', '-m', MESSAGE], { cwd: dir });
    expect(run.code).toBe(0);
    expect(run.stdout.toString()).toContain('billing');
  });

  it('keeps a project file that already applies', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchboard-project-'));
    copyFileSync(join(REPO_ROOT, 'examples/desk.yaml'), join(dir, 'desk.yaml'));
    writeFileSync(join(dir, 'switchboard.config.json'), '{ "tree": "desk.yaml" }\n');
    const init = await runCli(['init', 'second.yaml'], { cwd: dir });
    expect(init.code).toBe(0);
    expect(init.stdout.toString()).toContain('Kept switchboard.config.json, which already applies here');
    expect(readFileSync(join(dir, 'switchboard.config.json'), 'utf8')).toBe('{ "tree": "desk.yaml" }\n');
  });
});
