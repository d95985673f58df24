/**
 * Test helpers for tree lint: read a fixture, lint it with the example tools, and print every issue
 * the way `switchboard lint` does, with the source line and a caret under the reported column, so a
 * snapshot shows where an editor would jump.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { lintTreeText } from '../../config/load.js';
import { CONFIG_ISSUE_CODES, formatIssue } from '../../errors/config-error.js';
import type { ConfigIssue } from '../../errors/config-error.js';
import { createExampleTools } from '../../tools/examples.js';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
export const exampleTools = createExampleTools();

/** `UNKNOWN_AGENT` → `unknown-agent` */
export function kebab(code: string): string {
  return code.toLowerCase().replaceAll('_', '-');
}

export function readFixture(relativePath: string): string {
  return readFileSync(`${REPO}${relativePath}`, 'utf8');
}

/** The issues of `text`, each formatted, under it the line it points at and a caret at its column. */
export function showIssues(text: string, issues: ConfigIssue[]): string {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  return issues
    .map((issue) => {
      // Invisible characters become "?" so that the snapshot shows them and the caret stays in its column.
      const line = (lines[issue.line - 1] ?? '').replace(/[\p{Cc}\p{Cf}]/gu, '?');
      const excerpt = line.length > 100 ? `${line.slice(0, 100)}…` : line;
      const caret = issue.column <= 101 ? `\n  ${' '.repeat(issue.column - 1)}^` : '';
      return `${formatIssue(issue)}\n  ${excerpt}${caret}`;
    })
    .join('\n');
}

/** Lints `test/fixtures/<folder>/<name>.yaml` and shows its issues. */
export function lintFixture(name: string, folder = 'invalid'): string {
  const path = `test/fixtures/${folder}/${name}.yaml`;
  const text = readFixture(path);
  return showIssues(text, lintTreeText(text, path, { tools: exampleTools }));
}

/** Checks what every issue must satisfy, whatever the input: a known code, a position inside the text. */
export function issueProblems(text: string, issues: ConfigIssue[], file: string): string[] {
  const lines = text.replace(/^\uFEFF/, '').split('\n');
  const known = new Set<string>(CONFIG_ISSUE_CODES);
  return issues.flatMap((issue) => {
    const problems: string[] = [];
    if (!known.has(issue.code)) problems.push(`unknown code ${issue.code}`);
    if (issue.file !== file) problems.push(`file ${issue.file}`);
    if (!Number.isInteger(issue.line) || issue.line < 1 || issue.line > lines.length)
      problems.push(`line ${issue.line} of ${lines.length}`);
    const length = lines[issue.line - 1]?.length ?? 0;
    if (!Number.isInteger(issue.column) || issue.column < 1 || issue.column > length + 1)
      problems.push(`column ${issue.column} of a ${length}-character line`);
    if (issue.message.trim() === '' || /\n/.test(issue.message)) problems.push('empty or multi-line message');
    if (issue.severity === 'error' && !issue.hint) problems.push('an error without a hint');
    return problems.map((problem) => `${issue.code} at ${issue.line}:${issue.column}: ${problem}`);
  });
}
