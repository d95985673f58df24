/**
 * Imports a tools module (`--tools`, or "tools" in the project file): JavaScript as it is, and
 * TypeScript through Node's own type stripping where this Node has it on (22.18+, 23.6+), else
 * through tsx. A module that cannot be loaded is one line naming the file and the fix (a
 * {@link ToolsModuleError}), never a stack trace.
 */
import { spawnSync } from 'node:child_process';
import { extname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { SwitchboardError } from '../errors/switchboard-error.js';

/** A tools module that did not load: the message names the file and what to do. */
export class ToolsModuleError extends SwitchboardError {
  override readonly name = 'ToolsModuleError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('TOOLS_MODULE', message, options);
  }
}

const TYPESCRIPT = new Set(['.ts', '.mts', '.cts', '.tsx']);
const JAVASCRIPT = new Set(['.js', '.mjs', '.cjs']);

/** Whether this Node strips TypeScript types itself (on by default since 22.18 and 23.6). */
export function nodeStripsTypes(): boolean {
  return Boolean((process.features as { typescript?: string | false }).typescript);
}

/** Imports the module at `absolute`; `shown` is how the user wrote its path. */
export async function importToolsModule(absolute: string, shown: string): Promise<Record<string, unknown>> {
  const extension = extname(absolute).toLowerCase();
  if (!TYPESCRIPT.has(extension) && !JAVASCRIPT.has(extension))
    throw new ToolsModuleError(`${shown} is not a module: the tools module is a .js, .mjs, .cjs, .ts, .mts or .cts file that exports \`tools\`.`);
  const url = pathToFileURL(absolute).href;
  try {
    if (!TYPESCRIPT.has(extension) || (extension !== '.tsx' && nodeStripsTypes())) {
      try {
        return (await import(url)) as Record<string, unknown>;
      } catch (error) {
        // Node's stripping fails before running anything on what only a compiler can do (an enum, a
        // namespace) or an import written `./x.js` for x.ts; tsx does both.
        if (!TYPESCRIPT.has(extension) || !strippingFellShort(error)) throw error;
      }
    }
    return await importWithTsx(url, shown);
  } catch (error) {
    if (error instanceof ToolsModuleError) throw error;
    throw new ToolsModuleError(explain(error, absolute, shown), { cause: error });
  }
}

function strippingFellShort(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return code === 'ERR_UNSUPPORTED_TYPESCRIPT_SYNTAX' || code === 'ERR_MODULE_NOT_FOUND' || code === 'ERR_UNKNOWN_FILE_EXTENSION';
}

async function importWithTsx(url: string, shown: string): Promise<Record<string, unknown>> {
  let tsx: { tsImport: (specifier: string, options: { parentURL: string; tsconfig?: false | string }) => Promise<unknown> };
  try {
    tsx = (await import('tsx/esm/api'));
  } catch {
    throw new ToolsModuleError(
      `${shown} is TypeScript and Node ${process.versions.node} does not strip types: install tsx (npm install --save-dev tsx), run on Node 22.18 or later, or compile ${shown} to JavaScript.`,
    );
  }
  return (await tsx.tsImport(url, { parentURL: import.meta.url })) as Record<string, unknown>;
}

/** One line: what went wrong while loading the module, where, and the fix. */
function explain(error: unknown, absolute: string, shown: string): string {
  const failure = error instanceof Error ? error : new Error(String(error));
  const code = (failure as { code?: unknown }).code;
  const firstLine = (text: string) => text.split('\n').find((line) => line.trim() !== '')?.trim() ?? '';
  // esbuild (through tsx): "Transform failed with 1 error:\n/abs/file.ts:3:10: ERROR: Expected ";" but found "x"".
  // Its column counts from 0; shown from 1, as tree errors and editors count.
  const esbuild = /(\/[^\n:]+|[A-Za-z]:\\[^\n:]+):(\d+):(\d+): ERROR: ([^\n]+)/.exec(failure.message);
  if (esbuild) return `${located(esbuild[1]!, shown)}:${esbuild[2]}:${Number(esbuild[3]) + 1} has a syntax error: ${esbuild[4]}. Fix it and run the command again.`;
  if (failure instanceof SyntaxError || code === 'ERR_UNSUPPORTED_TYPESCRIPT_SYNTAX') {
    const inStack = /^(file:\/\/[^\n]+?):(\d+)\n/.exec(failure.stack ?? '');
    const where = inStack ? { url: inStack[1]!, line: inStack[2]! } : syntaxErrorLine(absolute);
    const place = where ? `${located(fileURLToPath(where.url), shown)}:${where.line}` : shown;
    const missingExport = /does not provide an export named '([^']+)'/.exec(failure.message);
    if (missingExport) return `${place}: ${firstLine(failure.message)}. Export ${missingExport[1]} there, or import what that module does export.`;
    return `${place} has a syntax error: ${firstLine(failure.message)}. Fix it and run the command again.`;
  }
  if (code === 'ERR_MODULE_NOT_FOUND') {
    const missingPackage = /Cannot find package '([^']+)'/.exec(failure.message);
    if (missingPackage) return `${shown} imports ${missingPackage[1]}, which is not installed: npm install ${missingPackage[1]}.`;
    const missingFile = /Cannot find module '([^']+)'/.exec(failure.message);
    return `${shown} imports ${missingFile ? missingFile[1] : 'a file'} that does not exist: fix the import's path.`;
  }
  return `${shown} threw while loading: ${failure.name}: ${firstLine(failure.message)}. Fix the module: it runs once, when the command starts.`;
}

/**
 * Where a JavaScript module's syntax error is: Node keeps the line out of an imported module's
 * SyntaxError, and `node --check` prints it (only on this failure path).
 */
function syntaxErrorLine(absolute: string): { url: string; line: string } | undefined {
  if (!JAVASCRIPT.has(extname(absolute).toLowerCase())) return undefined;
  const check = spawnSync(process.execPath, ['--check', absolute], { encoding: 'utf8', timeout: 10_000 });
  const match = /^(.+?):(\d+)\n/.exec(check.stderr ?? '');
  if (!match) return undefined;
  return { url: match[1]!.startsWith('file://') ? match[1]! : pathToFileURL(match[1]!).href, line: match[2]! };
}

/** The file an error names, as the user wrote it when it is the tools module itself. */
function located(file: string, shown: string): string {
  return file.endsWith(shown.replace(/^\.\//, '')) ? shown : file;
}
