/**
 * Light imports: `import … from 'switchboard'` loads what a backend turn needs and not the drawing,
 * the dev server, eval, the CLI or the PostgreSQL driver; `switchboard --help` loads no command.
 * Each runs the built package (dist/) in a fresh node whose resolved modules are recorded
 * (test/workers/record-modules.mjs). Import times are measured in bench/imports.ts, not here.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../cli/commands/index.js';
import { REPO_ROOT } from '../cli/run-cli.js';

const RECORDER = pathToFileURL(join(REPO_ROOT, 'test/workers/record-modules.mjs')).href;

/** The modules a fresh node resolves running `args` (the URLs, relative to the repository when inside it). */
function modulesResolvedBy(args: string[]): string[] {
  const file = join(mkdtempSync(join(tmpdir(), 'switchboard-modules-')), 'modules.txt');
  const env: NodeJS.ProcessEnv = { ...process.env, SWITCHBOARD_RECORD_MODULES: file };
  delete env.NODE_OPTIONS;
  const child = spawnSync(process.execPath, ['--import', RECORDER, ...args], { cwd: REPO_ROOT, env, encoding: 'utf8' });
  expect(child.status, child.stderr).toBe(0);
  const root = pathToFileURL(REPO_ROOT).href;
  return [...new Set(readFileSync(file, 'utf8').trim().split('\n'))].map((url) => url.replace(root, ''));
}

/** What only drawing, the dev page, eval, the CLI or a postgres:// store need. */
const HEAVY = [
  /^dist\/(viz|eval|cli|tracing)\//,
  /^dist\/dev\/(?!control-characters\.js$)/,
  /^dist\/store\/postgres-(saver|store|journal)\.js$/,
  /node_modules\/(pg|pg-pool|@langchain\/langgraph-checkpoint-postgres|@viz-js\/viz|@resvg\/resvg-js|commander|cli-progress|pino-pretty|tsx)\//,
];

describe('import … from "switchboard"', () => {
  it('loads the turn machinery and none of the drawing, dev server, eval, CLI or PostgreSQL modules', () => {
    const modules = modulesResolvedBy(['--input-type=module', '-e', "await import('switchboard');"]);
    expect(modules).toContain('dist/runtime/turn.js');
    expect(modules).toContain('dist/store/checkpointer.js');
    expect(modules.filter((url) => HEAVY.some((pattern) => pattern.test(url)))).toEqual([]);
  });

  it('a sub-path loads its part: switchboard/viz loads Graphviz', () => {
    const modules = modulesResolvedBy(['--input-type=module', '-e', "await import('switchboard/viz');"]);
    expect(modules.some((url) => url.includes('node_modules/@viz-js/viz/'))).toBe(true);
  });
});

describe('switchboard --help', () => {
  it('loads no command and nothing of the library', () => {
    const modules = modulesResolvedBy([join(REPO_ROOT, 'bin/switchboard.js'), '--help']);
    expect(modules).toContain('dist/cli/main.js');
    // config/read-text.js: the project file is sized before it is read (a leaf of node:fs alone);
    // store/url-password.js: how a --db URL is shown, shared with the store (a leaf importing nothing).
    const loaded = modules.filter((url) => url.startsWith('dist/') && !/^dist\/(cli\/(main|command-line|package|exit-codes|project|project-file|json-source)\.js|cli\/commands\/index\.js|errors\/switchboard-error\.js|config\/read-text\.js|store\/url-password\.js)$/.test(url));
    expect(loaded).toEqual([]);
  });

  it("lists each command with its own description and arguments", async () => {
    for (const entry of COMMANDS) {
      const program = new Command('switchboard');
      (await entry.load())(program);
      const command = program.commands.find((candidate) => candidate.name() === entry.name);
      expect({ name: entry.name, summary: command?.description(), usage: command?.usage() }).toEqual({ name: entry.name, summary: entry.summary, usage: entry.usage });
    }
  });
});
