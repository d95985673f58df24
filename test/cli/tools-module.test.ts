/**
 * Tools modules in TypeScript, through the built command with plain node (no tsx loader of the
 * test's own): Node's type stripping where it is on, tsx otherwise (and for what stripping cannot
 * do, such as an enum). A module that fails to load is one line naming the file and the fix.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { REPO_ROOT } from './run-cli.js';
import { treeCallingTool } from './tool-tree.js';

vi.setConfig({ testTimeout: 120_000 });

const TREE = treeCallingTool('typed', 'typed_lookup', 'INV-3');

const TYPED_TOOLS = `import { tool } from '@langchain/core/tools';
import type { StructuredToolInterface } from '@langchain/core/tools';
import { z } from 'zod';

enum Source { Ledger = 'ledger' }
interface Found { id: string; source: Source }

const describe = (found: Found): string => \`found \${found.id} in the \${found.source}\`;

export const tools: Record<string, StructuredToolInterface> = {
  typed_lookup: tool(async ({ id }: { id: string }) => describe({ id, source: Source.Ledger }), {
    name: 'typed_lookup',
    description: 'Looks an invoice up.',
    schema: z.object({ id: z.string() }),
  }),
};
`;

let dir = '';
beforeAll(() => {
  // Under the repository, so the modules find @langchain/core and zod; the built command (dist/) runs.
  dir = mkdtempSync(join(REPO_ROOT, 'test/.tmp-tools-'));
  mkdirSync(join(dir, 'trees'));
  writeFileSync(join(dir, 'trees/desk.yaml'), TREE);
  writeFileSync(join(dir, 'trees/tools.ts'), TYPED_TOOLS);
  writeFileSync(join(dir, 'trees/syntax.ts'), "export const tools = {\n  a: 1,\n  b: const,\n};\n");
  writeFileSync(join(dir, 'trees/syntax.mjs'), 'export const tools = {\n  oops: (,\n};\n');
  writeFileSync(join(dir, 'trees/no-export.ts'), 'export const helpers: string[] = [];\n');
  writeFileSync(join(dir, 'trees/throws.ts'), "const key: string | undefined = undefined;\nif (!key) throw new Error('LOOKUP_KEY is not set');\nexport const tools = {};\n");
  writeFileSync(join(dir, 'trees/missing-package.ts'), "import { thing } from 'no-such-package-h17b';\nexport const tools = { thing };\n");
  writeFileSync(join(dir, 'trees/missing-name.mjs'), "import { nothingHere } from './syntax-free.mjs';\nexport const tools = { nothingHere };\n");
  writeFileSync(join(dir, 'trees/syntax-free.mjs'), 'export const somethingElse = 1;\n');
  writeFileSync(join(dir, 'trees/tools.yaml'), 'tools: []\n');
  writeFileSync(join(dir, 'trees/plain-function.mjs'), "export const tools = { typed_lookup: async () => 'found' };\n");
  writeFileSync(
    join(dir, 'trees/renamed.mjs'),
    "import { tool } from '@langchain/core/tools';\nimport { z } from 'zod';\nexport const tools = { typed_lookup: tool(async () => 'found', { name: 'lookup', description: 'Looks up.', schema: z.object({}) }) };\n",
  );
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The built command with plain node (what a user's `npx switchboard` runs). */
function switchboard(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env = { ...process.env };
  for (const name of ['OPENAI_API_KEY', 'SWITCHBOARD_DB', 'NODE_OPTIONS']) delete env[name];
  const child = spawn(process.execPath, [join(REPO_ROOT, 'bin/switchboard.js'), ...args], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }));
  });
}

describe('a tools module in TypeScript', () => {
  it('loads in lint and run (types, an interface and an enum)', async () => {
    expect(await switchboard(['lint', 'trees/desk.yaml', '--tools', 'trees/tools.ts'])).toMatchObject({ code: 0, stderr: 'trees/desk.yaml: ok\n' });
    const run = await switchboard(['run', 'trees/desk.yaml', '--tools', 'trees/tools.ts', '--db', 'memory', '-m', 'a charge on my invoice']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('typed_lookup: found INV-3 in the ledger');
  });
});

describe('a tools module that does not load is one line naming the file and the fix', () => {
  const oneLine = async (tools: string) => {
    const result = await switchboard(['lint', 'trees/desk.yaml', '--tools', tools]);
    expect(result.code).toBe(2);
    expect(result.stderr.split('\n')).toHaveLength(2);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    return result.stderr.trimEnd();
  };

  it('a syntax error in TypeScript, with its line', async () => {
    expect(await oneLine('trees/syntax.ts')).toMatch(/^error TOOLS_MODULE: trees\/syntax\.ts:3(:\d+)? has a syntax error: .+\. Fix it and run the command again\.$/);
  });

  it('a syntax error in JavaScript, with its line', async () => {
    expect(await oneLine('trees/syntax.mjs')).toMatch(/^error TOOLS_MODULE: trees\/syntax\.mjs:2 has a syntax error: Unexpected token.*\. Fix it and run the command again\.$/);
  });

  it('no `tools` export', async () => {
    expect(await oneLine('trees/no-export.ts')).toBe(
      'error TOOLS_MODULE: trees/no-export.ts must export `tools` (an object of tools by name, or a list of tools), e.g. export const tools = { lookup_invoice };',
    );
  });

  it('an import of a name another module does not export', async () => {
    expect(await oneLine('trees/missing-name.mjs')).toMatch(/^error TOOLS_MODULE: trees\/missing-name\.mjs:1: .*nothingHere.*\. Export nothingHere there, or import what that module does export\.$/);
  });

  it('a module that throws while loading', async () => {
    expect(await oneLine('trees/throws.ts')).toBe(
      'error TOOLS_MODULE: trees/throws.ts threw while loading: Error: LOOKUP_KEY is not set. Fix the module: it runs once, when the command starts.',
    );
  });

  it('a package that is not installed', async () => {
    expect(await oneLine('trees/missing-package.ts')).toBe(
      'error TOOLS_MODULE: trees/missing-package.ts imports no-such-package-h17b, which is not installed: npm install no-such-package-h17b.',
    );
  });

  it('an entry that is a plain function, not a LangChain tool (lint says so too, as run does)', async () => {
    expect(await oneLine('trees/plain-function.mjs')).toBe(
      'error TOOLS_MODULE: trees/plain-function.mjs exports tools that are wrong: "typed_lookup" is a plain function, not a LangChain tool: wrap the function with tool() from @langchain/core/tools (a name, a description and a zod schema).',
    );
  });

  it('a tool registered under a key other than its name (the model could never call it by the name the tree uses)', async () => {
    expect(await oneLine('trees/renamed.mjs')).toMatch(/^error TOOLS_MODULE: trees\/renamed\.mjs exports tools that are wrong: "typed_lookup" holds the tool named "lookup" .*register it under its own name/);
  });

  it('a file that is not a module', async () => {
    expect(await oneLine('trees/tools.yaml')).toBe(
      'error TOOLS_MODULE: trees/tools.yaml is not a module: the tools module is a .js, .mjs, .cjs, .ts, .mts or .cts file that exports `tools`.',
    );
  });
});
