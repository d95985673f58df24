/**
 * A QA pass on `switchboard eval`: prototype keys on JSONL lines, control characters in the printed
 * report, cases whose message the runtime refuses on every run, a judge reply with no choices.
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTree } from '../../config/load.js';
import { compareReports } from '../../eval/compare.js';
import { parseDataset } from '../../eval/dataset.js';
import { DatasetError, formatDatasetIssue } from '../../eval/dataset-error.js';
import { formatComparison, formatReport } from '../../eval/format.js';
import { judgeHandoffs } from '../../eval/judge.js';
import { runEval } from '../../eval/runner.js';
import { compileTree } from '../../graphs/compile.js';
import { stringifyForTerminal } from '../../dev/control-characters.js';
import { createOpenAIModel } from '../../models/resolve.js';
import { startFakeOpenAI } from '../../testing/fake-openai-server.js';
import type { FakeOpenAIServer } from '../../testing/fake-openai-server.js';
import { captureLogs } from '../../testing/capture-logs.js';

const DESK = await readFile(new URL('../../examples/desk.yaml', import.meta.url), 'utf8');
const desk = parseTree(DESK, 'desk.yaml');

function problems(text: string, file: string, trees = [desk]): string[] {
  try {
    parseDataset(text, file, { trees });
  } catch (error) {
    if (error instanceof DatasetError) return error.issues.map(formatDatasetIssue);
    throw error;
  }
  throw new Error('the dataset was accepted');
}

describe('a JSONL dataset', () => {
  it('refuses __proto__, constructor and prototype keys as a YAML dataset does (FORBIDDEN_KEY, at the key)', () => {
    const jsonl = [
      '{"message":"hi","agent":"triage","fields":{"__proto__":{"x":1}}}',
      '{"message":"invoice","agent":"billing","payload":{"__proto__":"x"}}',
      '{"id":"two","turns":[{"message":"hi","agent":"triage","constructor":1}]}',
      '{"message":"hi","agent":"triage"}',
    ].join('\n');
    expect(problems(jsonl, 'cases.jsonl')).toEqual([
      'cases.jsonl:1:44 error FORBIDDEN_KEY The key "__proto__" is not allowed. Rename it: this key name is reserved by JavaScript.',
      'cases.jsonl:2:51 error FORBIDDEN_KEY The key "__proto__" is not allowed. Rename it: this key name is reserved by JavaScript.',
      'cases.jsonl:3:55 error FORBIDDEN_KEY The key "constructor" is not allowed. Rename it: this key name is reserved by JavaScript.',
    ]);
    expect(problems('version: 1\ncases:\n  - message: hi\n    agent: triage\n    fields: { __proto__: { x: 1 } }\n', 'cases.yaml')).toEqual([
      'cases.yaml:5:15 error FORBIDDEN_KEY The key "__proto__" is not allowed. Rename it: this key name is reserved by JavaScript.',
    ]);
  });
});

describe('cases whose message the runtime refuses on every run', () => {
  it('refuses a blank message (spaces, NULs, zero-width characters) by the runtime\'s rule, naming the case, with or without a tree', () => {
    const yaml = 'version: 1\ncases:\n  - message: "   "\n    agent: triage\n  - id: invisible\n    message: "\\0\\u200b"\n    agent: triage\n  - id: later\n    turns:\n      - message: hi\n      - message: "\\t\\u00ad"\n        agent: triage\n';
    const expected = [
      'cases.yaml:3:14 error BLANK_MESSAGE Case "case-1" has a blank message (only spaces, control or invisible characters): the runtime refuses it (INVALID_INPUT) on every run, so the case can only fail. Write what the user says.',
      'cases.yaml:6:14 error BLANK_MESSAGE Case "invisible" has a blank message (only spaces, control or invisible characters): the runtime refuses it (INVALID_INPUT) on every run, so the case can only fail. Write what the user says.',
      'cases.yaml:11:18 error BLANK_MESSAGE Turn 2 of case "later" has a blank message (only spaces, control or invisible characters): the runtime refuses it (INVALID_INPUT) on every run, so the case can only fail. Write what the user says.',
    ];
    expect(problems(yaml, 'cases.yaml')).toEqual(expected);
    expect(problems(yaml, 'cases.yaml', [])).toEqual(expected);
    expect(problems('{"message":"hi","agent":"triage"}\n{"message":" \\u0000\\u200b","agent":"triage"}\n', 'cases.jsonl')).toEqual([
      expect.stringMatching(/^cases\.jsonl:2:12 error BLANK_MESSAGE Case "line-2" has a blank message/),
    ]);
  });

  it("refuses a message longer than the tree's messageChars: the root's for a first turn, the largest an agent takes for a later one", () => {
    const strict = parseTree(DESK.replace('root: triage\n', 'root: triage\nlimits: { messageChars: 10 }\n').replace('  billing:\n', '  billing:\n    limits: { messageChars: 20 }\n'), 'strict.yaml');
    const dataset = `version: 1
cases:
  - id: long-first
    message: "${'a'.repeat(11)}"
    agent: triage
  - id: long-later
    turns:
      - message: invoice
        agent: billing
      - message: "${'b'.repeat(15)}"
        agent: billing
      - message: "${'c'.repeat(21)}"
        agent: billing
`;
    expect(problems(dataset, 'cases.yaml', [strict])).toEqual([
      'cases.yaml:4:14 error MESSAGE_TOO_LONG Case "long-first": the message has 11 characters; the limit is 10. The runtime refuses it (MESSAGE_TOO_LONG) on every run, so the case can only fail. Shorten the message, or raise `limits.messageChars` in the tree (on the root, or for the whole tree).',
      'cases.yaml:12:18 error MESSAGE_TOO_LONG Turn 3 of case "long-later": the message has 21 characters; the limit is 20. The runtime refuses it (MESSAGE_TOO_LONG) on every run, so the case can only fail. Shorten the message, or raise `limits.messageChars` in the tree (on the agent it goes to, or for the whole tree).',
    ]);
    // With --against, a message one of the trees takes may pass; the default limit is 8,000 characters.
    expect(parseDataset(dataset, 'cases.yaml', { trees: [strict, desk] }).cases).toHaveLength(2);
    expect(problems(`{"message":"${'d'.repeat(8001)}","agent":"triage"}\n`, 'cases.jsonl')).toEqual([
      expect.stringMatching(/^cases\.jsonl:1:12 error MESSAGE_TOO_LONG Case "line-1": the message has 8001 characters; the limit is 8000\./),
    ]);
  });
});

describe('formatReport() and formatComparison() on text with control characters', () => {
  it('escapes bare text once and JSON-encodes quoted text once; the JSON report keeps the raw text', async () => {
    const dataset = parseDataset('version: 1\ncases:\n  - message: "x\\e]0;T\\a"\n    agent: billing\n    tags: ["t\\e[2J"]\n', 'cases.yaml', { trees: [desk] });
    const compile = (tree: typeof desk) => compileTree(tree, { model: 'offline', logger: captureLogs().logger });
    const report = await runEval(compile(desk), dataset);
    const text = formatReport(report);
    expect(text).toContain('cases.yaml:3 case-1 turn 1 (agent): "x\\u001b]0;T\\u0007"\n');
    expect(text).toMatch(/^t\\x1b\[2J {2}0\/1/m);
    // eslint-disable-next-line no-control-regex -- no raw control character reaches the terminal
    expect(text).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
    const json = JSON.parse(stringifyForTerminal(report, 2)) as { mismatches: { message: string }[]; tags: { tag: string }[] };
    expect([json.mismatches[0]?.message, json.tags[0]?.tag]).toEqual(['x\u001b]0;T\u0007', 't\u001b[2J']);

    const keyworded = parseTree(DESK.replace('keywords: [invoice, refund, charged]', 'keywords: [invoice, refund, charged, x]'), 'keyworded.yaml');
    const after = await runEval(compile(keyworded), dataset);
    const comparison = { before: report, after, changes: compareReports(report, after) };
    expect(comparison.changes).toHaveLength(1);
    expect(formatComparison(comparison)).toContain('\n        "x\\u001b]0;T\\u0007"\n');
  });
});

describe('judgeHandoffs() when the judge answers with no choices', () => {
  let server: FakeOpenAIServer;
  beforeAll(async () => {
    server = await startFakeOpenAI();
  });
  afterAll(() => server.close());

  it('says the reply held no answer, not the client\'s TypeError, and counts it unusable', async () => {
    const dataset = parseDataset('version: 1\ncases:\n  - message: invoice please\n    agent: billing\n', 'cases.yaml', { trees: [desk] });
    const report = await runEval(compileTree(desk, { model: 'offline', logger: captureLogs().logger }), dataset);
    server.fallback(() => ({ rawBody: '{"id":"x","object":"chat.completion","created":1,"model":"m","choices":[]}' }));
    const judge = createOpenAIModel(undefined, 'judge-model', 'test-key', { OPENAI_BASE_URL: server.url });
    const graded = await judgeHandoffs(report, desk.spec, { model: judge, modelId: 'judge-model', maxRetries: 0 });
    expect(graded).toMatchObject({ handoffs: 1, scored: 0, errors: 1 });
    expect(graded.results.map((result) => result.error)).toEqual(["the judge's reply held no answer (no choices in the response)"]);
  });
});
