/**
 * A user's app, in CI: the packed tarball installed into a new app beside the newest
 * `@langchain/core`, `@langchain/langgraph`, `zod` and `typescript` from the registry; the app's own
 * tool passed to the tree; strict `tsc` over the published declarations (no `skipLibCheck`); one
 * offline turn run with node. Needs the registry and the built `dist/` (`npm test` builds it first).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TurnResult } from 'switchboard';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const INSTALL_TIMEOUT_MS = 300_000;
const STEP_TIMEOUT_MS = 120_000;

interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end and collects its exit code and output (never inherited: the test prints nothing). */
function runCommand(command: string, args: string[], cwd: string, extraEnv: Record<string, string> = {}): Promise<Exit> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extraEnv };
  delete env.OPENAI_API_KEY;
  const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({ code, stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8') }),
    );
  });
}

/** Runs a command that must succeed; a failure carries its output. */
async function mustRun(command: string, args: string[], cwd: string): Promise<string> {
  const exit = await runCommand(command, args, cwd);
  if (exit.code !== 0) throw new Error(`${command} ${args.join(' ')} exited ${exit.code}:\n${exit.stdout}\n${exit.stderr}`);
  return exit.stdout;
}

const TREE = `# yaml-language-server: $schema=node_modules/switchboard/schema/tree.schema.json
version: 1
name: fresh-desk
root: triage
agents:
  triage:
    description: Front desk. Routes to billing.
    prompt: Route billing questions to billing. Do not answer them yourself.
    children: [billing]
    offline: { reply: Hello! What can I do for you? }
  billing:
    description: Charges, refunds and invoices.
    prompt: You are the billing specialist.
    tools: [lookup_invoice]
    escalate: [person]
    handoff:
      payload:
        reason: { type: string, description: The billing problem in one line. }
    offline:
      keywords: [invoice, refund, charged]
      tools:
        lookup_invoice: { keywords: [invoice], args: { invoice_id: INV-7 } }
  person:
    kind: human
    description: A person on the billing team.
    offline: { keywords: [person, human] }
`;

/** The app: its own tool from its own `@langchain/core`, and Switchboard only through its package entry. */
const APP = `import { tool } from '@langchain/core/tools';
import { z } from 'zod';
import { compileTree, loadTree, openCheckpointer, runTurn } from 'switchboard';
import type { TurnResult } from 'switchboard';

const lookups: string[] = [];
const lookupInvoice = tool(
  async ({ invoice_id }) => {
    lookups.push(invoice_id);
    return JSON.stringify({ invoice_id, amount: 99, status: 'paid' });
  },
  {
    name: 'lookup_invoice',
    description: 'Looks an invoice up by its id.',
    schema: z.object({ invoice_id: z.string().describe('The invoice id, like INV-7.') }),
  },
);

const tools = { lookup_invoice: lookupInvoice };
const store = await openCheckpointer('memory');
const graph = compileTree(await loadTree('desk.yaml', { tools }), { tools, checkpointer: store.saver, threadLock: store.threadLock, env: {} });
const result: TurnResult = await runTurn(graph, { threadId: 'fresh-app-1', message: 'I was charged twice on my invoice' });
await store.close();
const { state: _state, ...printed } = result;
process.stdout.write(JSON.stringify({ ...printed, lookups }) + '\\n');
`;

/**
 * What `tsc --init` writes for a Node app ("types": ["node"], a lib without the DOM, @types/node
 * installed), minus two of its lines: `skipLibCheck` (checking the published declarations is the
 * point) and `exactOptionalPropertyTypes` (LangChain's own declarations fail under it, Switchboard's
 * do not). Switchboard's declarations need @types/node themselves (`Buffer`, `node:http`) and bring it
 * along: @types/pg and @types/better-sqlite3, its dependencies, depend on it.
 */
const TSCONFIG = {
  compilerOptions: {
    strict: true,
    module: 'nodenext',
    moduleResolution: 'nodenext',
    target: 'es2022',
    lib: ['es2022'],
    types: ['node'],
    noUncheckedIndexedAccess: true,
    verbatimModuleSyntax: true,
    isolatedModules: true,
    moduleDetection: 'force',
  },
  files: ['app.ts'],
};

/** Taken from the registry at their newest: Switchboard's peer dependencies and what the app itself uses. */
const NEWEST = ['@langchain/core', '@langchain/langgraph', 'zod', 'typescript'];

describe('a fresh app that installs the packed tarball', () => {
  let workDir = '';
  let appDir = '';

  beforeAll(async () => {
    if (!existsSync(join(REPO_ROOT, 'dist/index.d.ts'))) await mustRun('npm', ['run', 'build'], REPO_ROOT);
    workDir = mkdtempSync(join(tmpdir(), 'switchboard-fresh-app-'));
    // --ignore-scripts: `prepare` would build again; dist/ is already built.
    const pack = await mustRun('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', workDir], REPO_ROOT);
    const tarball = join(workDir, (JSON.parse(pack) as { filename: string }[])[0]!.filename);
    appDir = join(workDir, 'app');
    mkdirSync(appDir);
    writeFileSync(join(appDir, 'package.json'), `${JSON.stringify({ name: 'fresh-app', private: true, type: 'module' }, null, 2)}\n`);
    writeFileSync(join(appDir, 'tsconfig.json'), `${JSON.stringify(TSCONFIG, null, 2)}\n`);
    writeFileSync(join(appDir, 'desk.yaml'), TREE);
    writeFileSync(join(appDir, 'app.ts'), APP);
    // --ignore-scripts: better-sqlite3 would compile from source for minutes where no prebuilt binary
    // downloads; its JavaScript loads without the binary, and the app's turn uses the `memory` store.
    const install = ['install', '--no-audit', '--no-fund', '--ignore-scripts'];
    // And the @types/node of the Node the app runs on, as a Node app has it.
    const typesNode = `@types/node@${process.versions.node.split('.')[0]}`;
    await mustRun('npm', [...install, tarball, ...NEWEST.map((name) => `${name}@latest`), typesNode], appDir);
  }, INSTALL_TIMEOUT_MS);

  afterAll(() => {
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  it(
    'type-checks under strict tsc without skipLibCheck',
    async () => {
      const exit = await runCommand(process.execPath, [join(appDir, 'node_modules/typescript/bin/tsc'), '--noEmit', '-p', '.'], appDir);
      expect(exit).toEqual({ code: 0, stdout: '', stderr: '' });
    },
    STEP_TIMEOUT_MS,
  );

  it(
    'runs one offline turn that hands off to the specialist, which calls the app’s own tool',
    async () => {
      await mustRun(process.execPath, [join(appDir, 'node_modules/typescript/bin/tsc'), '-p', '.'], appDir);
      const exit = await runCommand(process.execPath, ['app.js'], appDir);
      expect(exit).toMatchObject({ code: 0, stderr: '' });
      const result = JSON.parse(exit.stdout) as Omit<TurnResult, 'state'> & { lookups: string[] };
      expect(result.handoffs[0]).toMatchObject({ from: 'triage', to: 'billing', kind: 'delegate', tool: 'transfer_to_billing' });
      expect(result).toMatchObject({ agent: 'billing', status: 'done', lookups: ['INV-7'] });
      expect(result.reply).toContain('lookup_invoice: {"invoice_id":"INV-7","amount":99,"status":"paid"}');
    },
    STEP_TIMEOUT_MS,
  );

  it(
    'stays light: the turn loads no drawing, dev server, eval, CLI or PostgreSQL module',
    async () => {
      await mustRun(process.execPath, [join(appDir, 'node_modules/typescript/bin/tsc'), '-p', '.'], appDir);
      const record = join(workDir, 'modules.txt');
      const recorder = pathToFileURL(join(REPO_ROOT, 'test/workers/record-modules.mjs')).href;
      const exit = await runCommand(process.execPath, ['--import', recorder, 'app.js'], appDir, { SWITCHBOARD_RECORD_MODULES: record });
      expect(exit).toMatchObject({ code: 0, stderr: '' });
      const modules = [...new Set(readFileSync(record, 'utf8').trim().split('\n'))];
      expect(modules.some((url) => url.includes('/node_modules/switchboard/dist/runtime/turn.js'))).toBe(true);
      const heavy = modules.filter((url) =>
        /\/node_modules\/switchboard\/dist\/(viz|eval|cli|tracing)\/|\/node_modules\/switchboard\/dist\/dev\/(?!control-characters)|\/node_modules\/(pg|@langchain\/langgraph-checkpoint-postgres|@viz-js\/viz|@resvg\/resvg-js|commander|cli-progress|pino-pretty|tsx)\//.test(url),
      );
      expect(heavy).toEqual([]);
    },
    STEP_TIMEOUT_MS,
  );

  it(
    'says what to install for a postgres:// store (pg is an optional peer, not installed)',
    async () => {
      expect(existsSync(join(appDir, 'node_modules/pg'))).toBe(false);
      const script = "import { openCheckpointer } from 'switchboard'; try { await openCheckpointer('postgres://127.0.0.1:1/none'); } catch (error) { process.stdout.write(error.code + ': ' + error.message); }";
      const exit = await runCommand(process.execPath, ['--input-type=module', '-e', script], appDir);
      expect(exit.stdout).toBe(
        'STORE_PACKAGE_MISSING: A postgres:// store needs the packages pg and @langchain/langgraph-checkpoint-postgres (pg is not installed): npm install pg @langchain/langgraph-checkpoint-postgres',
      );
    },
    STEP_TIMEOUT_MS,
  );

  it(
    "runs the package's examples where they are installed, importing switchboard by name, offline",
    async () => {
      const examples = join(appDir, 'node_modules/switchboard/examples');
      for (const name of readdirSync(examples).filter((file) => file.endsWith('.ts'))) {
        const source = readFileSync(join(examples, name), 'utf8');
        expect({ name, relativeImports: [...source.matchAll(/from '(\.{1,2}\/[^']+)'/g)].map((match) => match[1]) }).toEqual({ name, relativeImports: [] });
      }
      // tsx comes with Switchboard (it loads TypeScript tools modules on Node 20).
      const exit = await runCommand(process.execPath, ['--import', 'tsx', 'node_modules/switchboard/examples/backend.ts'], appDir);
      expect(exit.code).toBe(0);
      expect(exit.stdout).toContain('billing: [offline]');
      expect(exit.stdout).toContain('triage → billing');
      expect(exit.stdout).toContain('cost this turn: $0.00000');
    },
    STEP_TIMEOUT_MS,
  );

  it(
    'ships the sources its source maps point at (inside the maps)',
    () => {
      const dist = join(appDir, 'node_modules/switchboard/dist');
      const maps = (readdirSync(dist, { recursive: true, encoding: 'utf8' })).filter((file) => file.endsWith('.js.map'));
      expect(maps.length).toBeGreaterThan(50);
      const incomplete = maps.filter((file) => {
        const map = JSON.parse(readFileSync(join(dist, file), 'utf8')) as { sources: string[]; sourcesContent?: (string | null)[] };
        return map.sources.length === 0 || map.sources.some((_, index) => typeof map.sourcesContent?.[index] !== 'string');
      });
      expect(incomplete).toEqual([]);
    },
    STEP_TIMEOUT_MS,
  );

  it(
    'shares one copy of @langchain/core with the app',
    async () => {
      const paths = await mustRun('npm', ['ls', '@langchain/core', '--all', '--parseable'], appDir);
      expect(paths.trim().split('\n')).toEqual([join(appDir, 'node_modules/@langchain/core')]);
      expect(existsSync(join(appDir, 'node_modules/switchboard/node_modules/@langchain/core'))).toBe(false);
    },
    STEP_TIMEOUT_MS,
  );
});
