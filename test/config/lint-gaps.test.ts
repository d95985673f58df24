/**
 * Lint and loading gaps: a huge file or a device refused from its size before it is read, the
 * offline hint for a misspelt tool naming the misspelling as such, and a payload field whose limits
 * and those of the state field it sets leave no value.
 */
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { lintTreeText, loadTree, readTreeFile } from '../../config/load.js';
import { MAX_FILE_BYTES } from '../../config/source.js';
import { readTextFile, readTextFileSync } from '../../config/read-text.js';
import { ConfigError } from '../../errors/config-error.js';

const folder = mkdtempSync(join(tmpdir(), 'switchboard-read-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

describe('reading a tree file', () => {
  it('refuses a file of 600 MB as FILE_TOO_LARGE from its size, without reading it', async () => {
    const huge = join(folder, 'huge.yaml');
    writeFileSync(huge, '');
    truncateSync(huge, 600 * 1024 * 1024);
    const read = await readTreeFile(huge);
    expect(read).toMatchObject({ issue: { code: 'FILE_TOO_LARGE', message: `The file is ${600 * 1024 * 1024} bytes; a tree file may have at most ${MAX_FILE_BYTES}.`, line: 1, column: 1 } });
    const error: unknown = await loadTree(huge).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues.map((issue) => issue.code)).toEqual(['FILE_TOO_LARGE']);
  });

  it.skipIf(process.platform === 'win32')('refuses /dev/zero as FILE_TOO_LARGE after reading just past the limit', async () => {
    expect(await readTreeFile('/dev/zero')).toMatchObject({ issue: { code: 'FILE_TOO_LARGE', message: `The file holds more than ${MAX_FILE_BYTES} bytes; a tree file may have at most ${MAX_FILE_BYTES}.` } });
    expect(readTextFileSync('/dev/zero', 10)).toEqual({ tooLarge: undefined });
  });

  it('reads a file at the limit, and reports a folder or a missing file as FILE_NOT_FOUND', async () => {
    const file = join(folder, 'at-limit.yaml');
    writeFileSync(file, 'x'.repeat(10));
    expect(await readTextFile(file, 10)).toEqual({ text: 'x'.repeat(10) });
    expect(readTextFileSync(file, 10)).toEqual({ text: 'x'.repeat(10) });
    expect(await readTextFile(file, 9)).toEqual({ tooLarge: 10 });
    expect(await readTreeFile(folder)).toMatchObject({ issue: { code: 'FILE_NOT_FOUND', message: `The tree file ${folder} is a folder, not a file.` } });
    expect(await readTreeFile(join(folder, 'missing.yaml'))).toMatchObject({ issue: { code: 'FILE_NOT_FOUND' } });
  });
});

const offlineTree = (tools: string, hint: string, other = '') => `version: 1
name: desk
root: triage
agents:
  triage:
    description: Front desk.
    prompt: Route.
    children: [support]
    escalate: [person]
  support:
    description: Support.
    prompt: Help.
    tools: [${tools}]
    escalate: [person]
    offline:
      tools:
        ${hint}: { keywords: [call] }
${other}  person: { kind: human, description: A person. }
`;

function offlineHint(text: string, tools?: string[]): string | undefined {
  return lintTreeText(text, 'desk.yaml', tools ? { tools } : {}).find((issue) => issue.code === 'UNUSED_OFFLINE_TOOL')?.hint;
}

describe('UNUSED_OFFLINE_TOOL for a name close to one in tools:', () => {
  it('says to correct tools: when it is tools: that names no registered tool', () => {
    const hint = offlineHint(offlineTree('fetch_calllog', 'fetch_call_log'), ['fetch_call_log']);
    expect(hint).toBe('tools: lists "fetch_calllog": if that is a typo of "fetch_call_log", correct it there; else add "fetch_call_log" to tools:, or remove the hint.');
    expect(hint).not.toContain('Did you mean "fetch_calllog"');
  });

  it('suggests the tool when it is the hint that is misspelt', () => {
    expect(offlineHint(offlineTree('fetch_call_log', 'fetch_calllog'), ['fetch_call_log'])).toBe('Did you mean "fetch_call_log"? Rename the hint to the tool\'s name, or remove it.');
  });

  it('without a registry, goes by the tools other agents list, else names both', () => {
    const other = '  backup:\n    description: Backup.\n    prompt: Help.\n    tools: [fetch_call_log]\n';
    expect(offlineHint(offlineTree('fetch_calllog', 'fetch_call_log', other))).toMatch(/^tools: lists "fetch_calllog": if that is a typo of "fetch_call_log", correct it there/);
    const neutral = offlineHint(offlineTree('fetch_calllog', 'fetch_call_log'));
    expect(neutral).toBe('tools: lists "fetch_calllog", which differs from "fetch_call_log": one of the two names is misspelt. Write the tool\'s exact name in both places.');
  });
});

describe('a payload field narrowed by the state field it sets', () => {
  const tree = (payload: string, state = '{ type: number, min: 0, max: 10 }') => `version: 1
name: desk
root: triage
state:
  score: ${state}
agents:
  triage:
    description: Front.
    prompt: Route.
    children: [billing]
    escalate: [person]
  person: { kind: human, description: P. }
  billing:
    description: Billing.
    prompt: Bill.
    escalate: [person]
    handoff:
      payload:
        f: ${payload}
`;

  it('reports INVALID_RANGE at the payload field when no value fits both, naming both limits', () => {
    const issues = lintTreeText(tree('{ type: number, min: 20, sets: score }'), 'desk.yaml').filter((issue) => issue.severity === 'error');
    expect(issues.map((issue) => `${issue.line}:${issue.column} ${issue.code} ${issue.message}`)).toEqual([
      '19:12 INVALID_RANGE Payload field "f" (number from 20 to ∞) sets state field "score" (number from 0 to 10): together they allow min 20 above max 10, so no value fits and the handoff can never succeed.',
    ]);
    expect(lintTreeText(tree('{ type: number, max: -1, sets: score }'), 'desk.yaml').map((issue) => issue.code)).toContain('INVALID_RANGE');
  });

  it('accepts limits that overlap, and reports a range empty on its own once', () => {
    expect(lintTreeText(tree('{ type: number, min: 5, max: 50, sets: score }'), 'desk.yaml').filter((issue) => issue.severity === 'error')).toEqual([]);
    expect(lintTreeText(tree('{ type: number, min: 5, max: 1, sets: score }'), 'desk.yaml').filter((issue) => issue.code === 'INVALID_RANGE')).toHaveLength(1);
  });
});
