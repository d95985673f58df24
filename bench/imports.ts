/**
 * What importing Switchboard costs: the library entry's import time (in a fresh process), the
 * modules it loads, and the wall time of `switchboard --help`, each the median of several runs of
 * the built package (dist/). `npm run build && npx tsx bench/imports.ts [--runs 15]`.
 * `--save FILE` keeps the figures; `--against FILE` prints each figure's ratio to the kept ones
 * (before / after: above 1 means faster now). Benchmark lines, never test assertions.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const RECORDER = pathToFileURL(join(ROOT, 'test/workers/record-modules.mjs')).href;

interface Figures {
  node: string;
  entryImportMs: number;
  entryProcessMs: number;
  entryModules: number;
  helpMs: number;
  /** Every sub-path at once (what the entry loaded before it was split), when there are sub-paths. */
  everythingImportMs?: number;
}

const { values } = parseArgs({ options: { runs: { type: 'string', default: '15' }, save: { type: 'string' }, against: { type: 'string' } } });
const runs = Number(values.runs);

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Imports `specifiers` in a fresh node; returns the time the imports took in it and the process's wall time. */
function importOnce(specifiers: string[], env: NodeJS.ProcessEnv = process.env): { importMs: number; processMs: number } {
  const script = `const started = performance.now(); for (const s of ${JSON.stringify(specifiers)}) await import(s); process.stdout.write(String(performance.now() - started));`;
  const started = performance.now();
  const child = spawnSync(process.execPath, [...(env.SWITCHBOARD_RECORD_MODULES ? ['--import', RECORDER] : []), '--input-type=module', '-e', script], { cwd: ROOT, env, encoding: 'utf8' });
  const processMs = performance.now() - started;
  if (child.status !== 0) throw new Error(`importing ${specifiers.join(', ')} failed:\n${child.stderr}`);
  return { importMs: Number(child.stdout), processMs };
}

function modulesLoadedBy(specifier: string): number {
  const folder = mkdtempSync(join(tmpdir(), 'switchboard-imports-'));
  const file = join(folder, 'modules.txt');
  try {
    importOnce([specifier], { ...process.env, SWITCHBOARD_RECORD_MODULES: file });
    return new Set(readFileSync(file, 'utf8').trim().split('\n')).size;
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

function helpOnce(): number {
  const started = performance.now();
  const child = spawnSync(process.execPath, [join(ROOT, 'bin/switchboard.js'), '--help'], { cwd: ROOT, encoding: 'utf8' });
  if (child.status !== 0) throw new Error(`switchboard --help failed:\n${child.stderr}`);
  return performance.now() - started;
}

function subPaths(): string[] {
  const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, string | { default?: string }> };
  return Object.entries(manifest.exports)
    .filter(([path, target]) => path !== '.' && path !== './testing' && typeof target === 'object' && target.default && existsSync(join(ROOT, target.default)))
    .map(([path]) => `switchboard/${path.slice(2)}`);
}

const entry = [] as { importMs: number; processMs: number }[];
const everything = [] as number[];
const help = [] as number[];
const others = subPaths();
for (let run = 0; run < runs; run++) {
  entry.push(importOnce(['switchboard']));
  if (others.length > 0) everything.push(importOnce(['switchboard', ...others]).importMs);
  help.push(helpOnce());
}
const figures: Figures = {
  node: process.version,
  entryImportMs: median(entry.map((sample) => sample.importMs)),
  entryProcessMs: median(entry.map((sample) => sample.processMs)),
  entryModules: modulesLoadedBy('switchboard'),
  helpMs: median(help),
  ...(others.length > 0 ? { everythingImportMs: median(everything) } : {}),
};

const line = (label: string, value: number, unit: string, before?: number) =>
  `${label.padEnd(44)} ${value.toFixed(unit === 'ms' ? 1 : 0).padStart(8)} ${unit}${before === undefined ? '' : `   before ${before.toFixed(unit === 'ms' ? 1 : 0)} ${unit}, ratio ${(before / value).toFixed(2)}×`}`;
const baseline = values.against ? (JSON.parse(readFileSync(values.against, 'utf8')) as Figures) : undefined;
process.stdout.write(`Node ${figures.node}, median of ${runs} runs\n`);
process.stdout.write(`${line("import 'switchboard' (in process)", figures.entryImportMs, 'ms', baseline?.entryImportMs)}\n`);
process.stdout.write(`${line("node -e \"import 'switchboard'\" (wall)", figures.entryProcessMs, 'ms', baseline?.entryProcessMs)}\n`);
process.stdout.write(`${line("modules import 'switchboard' resolves", figures.entryModules, '', baseline?.entryModules)}\n`);
process.stdout.write(`${line('switchboard --help (wall)', figures.helpMs, 'ms', baseline?.helpMs)}\n`);
if (figures.everythingImportMs !== undefined)
  process.stdout.write(
    `${line(`entry + ${others.join(', ')}`, figures.everythingImportMs, 'ms')}   entry alone ${(figures.everythingImportMs / figures.entryImportMs).toFixed(2)}× faster\n`,
  );
if (values.save) writeFileSync(values.save, `${JSON.stringify(figures, null, 2)}\n`);
