/**
 * Fixes from a QA pass of `switchboard eval`: a case whose unscored turn failed passed; a handoff
 * refused for malformed arguments looked like a wrong routing decision; `--judge` took another
 * provider's prefix as an OpenAI model id; JSONL datasets were told in YAML words, and JSONL in a
 * `.json` file got errors unrelated to the real mistake.
 */
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { parseTree } from '../../config/load.js';
import { compileTree } from '../../graphs/compile.js';
import { parseDataset } from '../../eval/dataset.js';
import { DatasetError } from '../../eval/dataset-error.js';
import { formatReport } from '../../eval/format.js';
import { runEval } from '../../eval/runner.js';
import { judgeModel } from '../../cli/commands/eval.js';
import { UsageError } from '../../cli/setup.js';
import { closedPort, fakeOpenAIForFile, viaFakeOpenAI } from '../helpers.js';
import { runCli } from '../cli/run-cli.js';
import { writeTemp } from './helpers.js';

// Some tests run the command as a separate Node process (a few seconds on a busy machine).
vi.setConfig({ testTimeout: 120_000 });

const TREE_TEXT = `version: 1
name: desk
root: triage
retry: { attempts: 0 }
agents:
  triage:
    description: Front desk.
    prompt: Route.
    children: [billing]
  billing:
    description: Billing.
    prompt: Billing.
    handoff:
      payload:
        reason: { type: string, description: why }
`;
const DESK = parseTree(TREE_TEXT, 'desk.yaml');

function dataset(text: string) {
  return parseDataset(text, 'cases.yaml', { trees: [DESK] });
}

/** The issues `parseDataset` throws for `text` read as `file`. */
function issuesOf(text: string, file: string) {
  try {
    parseDataset(text, file, { trees: [DESK] });
  } catch (error) {
    if (error instanceof DatasetError) return error.issues;
    throw error;
  }
  throw new Error('the dataset was accepted');
}

const server = await fakeOpenAIForFile();

describe('runEval() on turns that fail or whose handoff is refused (fake server)', () => {

  it('fails a case whose unscored turn failed, though its later turns, run on, route right', async () => {
    // Turn 1 (no expectation): the model answers 500, the turn ends with MODEL_FAILED. Turn 2 routes to billing.
    server.enqueue({ status: 500 });
    server.fallback((request) =>
      request.tools.includes('transfer_to_billing') ? { toolCalls: [{ name: 'transfer_to_billing', arguments: { reason: 'a bill' } }] } : { content: 'Billing here.' },
    );
    const report = await runEval(
      compileTree(DESK, viaFakeOpenAI(server)),
      dataset('version: 1\ncases:\n  - id: context-fails\n    turns:\n      - message: first\n      - message: my bill\n        agent: billing\n'),
    );

    const [outcome] = report.results;
    expect(outcome?.turns.map((turn) => [turn.actual.status, turn.actual.agent])).toEqual([
      ['error', '(error)'],
      ['done', 'billing'],
    ]);
    expect(outcome?.turns[1]?.checks).toEqual({ agent: true });
    expect(outcome?.passed).toBe(false);
    expect(outcome?.failure).toMatchObject({ turn: 1, code: 'MODEL_FAILED' });
    expect(report.cases).toMatchObject({ correct: 0, total: 1 });
    expect(report.routing).toMatchObject({ correct: 1, total: 1 });
  });

  it('fails a case whose turn threw, and skips its later turns', async () => {
    // Without a tree to check against, an unknown state field reaches the runtime, which refuses it.
    const report = await runEval(
      compileTree(DESK, viaFakeOpenAI(server)),
      parseDataset('version: 1\ncases:\n  - id: bad-field\n    fields: { no_such_field: 1 }\n    turns:\n      - message: first\n      - { message: my bill, agent: billing }\n'),
    );

    expect(report.results[0]?.turns.map((turn) => turn.actual.status)).toEqual(['failed', 'skipped']);
    expect(report.results[0]).toMatchObject({ passed: false, failure: { turn: 1, message: expect.stringMatching(/no_such_field/) } });
  });

  it('says in the text report and in --json that the case fails for its unscored failed turn', async () => {
    server.fallback((request) => {
      const user = [...request.messages].reverse().find((message) => message.role === 'user');
      return String(user?.content).includes('fail') ? { status: 500, error: { message: 'boom' } } : { content: 'Hello.' };
    });
    const folder = await writeTemp({
      'desk.yaml': TREE_TEXT,
      'cases.yaml': 'version: 1\ncases:\n  - id: two\n    turns:\n      - message: please fail\n      - { message: hello, agent: triage }\n',
    });
    const run = (...extra: string[]) =>
      runCli(['eval', join(folder, 'desk.yaml'), '-d', join(folder, 'cases.yaml'), ...extra], { env: { OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: server.url } });
    const [text, json] = await Promise.all([run(), run('--json')]);

    expect(text.code).toBe(0);
    expect(text.stdout.toString()).toMatch(/Cases passed\s+0\/1/);
    expect(text.stdout.toString()).toContain("    error: MODEL_FAILED the model failed (server) after 1 attempt(s): 500 boom\n    the case fails; its later turns ran on without this turn's answer\n");
    const report = JSON.parse(json.stdout.toString()) as { results: { passed: boolean; failure?: { turn: number; code: string } }[] };
    expect(report.results[0]).toMatchObject({ passed: false, failure: { turn: 1, code: 'MODEL_FAILED' } });
  });

  it("keeps the handoffs refused for malformed arguments in the turn's result and shows them beside the wrong agent", async () => {
    // Invalid JSON, then a JSON array: both refused; the model then answers itself.
    server.enqueue(
      { toolCalls: [{ name: 'transfer_to_billing', arguments: '{"reason": ' }] },
      { toolCalls: [{ name: 'transfer_to_billing', arguments: '[1]' }] },
      { content: 'Let me help you myself.' },
    );
    const report = await runEval(compileTree(DESK, viaFakeOpenAI(server)), dataset('version: 1\ncases:\n  - { id: bad-args, message: my bill, agent: billing }\n'));

    const turn = report.results[0]?.turns[0];
    expect(turn?.actual).toMatchObject({ agent: 'triage', handoffs: [] });
    expect(turn?.actual.refused).toEqual([
      { from: 'triage', tool: 'transfer_to_billing', to: 'billing', code: 'INVALID_JSON', reason: expect.stringMatching(/not valid JSON/) },
      { from: 'triage', tool: 'transfer_to_billing', to: 'billing', code: 'INVALID_PAYLOAD', reason: expect.stringMatching(/not an object/) },
    ]);
    expect(report.mismatches[0]?.actual.refused?.map((refusal) => refusal.code)).toEqual(['INVALID_JSON', 'INVALID_PAYLOAD']);
    const json = JSON.parse(JSON.stringify(report)) as typeof report;
    expect(json.results[0]?.turns[0]?.actual.refused).toHaveLength(2);
    const text = formatReport(report);
    expect(text).toContain('expected billing, got triage via triage');
    expect(text).toMatch(/✗ triage: transfer_to_billing refused \(INVALID_JSON, to billing\) — Refused: the arguments of transfer_to_billing are not valid JSON/);
  });

  it('lists no refusal for a turn that had none', async () => {
    server.enqueue({ toolCalls: [{ name: 'transfer_to_billing', arguments: { reason: 'a bill' } }] }, { content: 'Billing here.' });
    const report = await runEval(compileTree(DESK, viaFakeOpenAI(server)), dataset('version: 1\ncases:\n  - { message: my bill, agent: triage }\n'));

    expect(report.results[0]?.turns[0]?.actual.refused).toEqual([]);
    expect(report.mismatches[0]?.actual).not.toHaveProperty('refused');
  });
});

describe('--judge with a provider prefix', () => {
  const env = { OPENAI_API_KEY: 'sk-test' };

  it('refuses another provider than OpenAI, saying which forms it takes', () => {
    expect(() => judgeModel('anthropic:claude-haiku-4-5', env)).toThrow(UsageError);
    expect(() => judgeModel('anthropic:claude-haiku-4-5', env)).toThrow(/not anthropic.*gpt-4o or openai:gpt-4o/);
  });

  it('takes openai: and an id with a colon that names no provider', () => {
    expect(judgeModel('openai:gpt-4o', env).modelId).toBe('gpt-4o');
    expect(judgeModel('llama3:8b', env).modelId).toBe('llama3:8b');
  });

  it('exits with the usage code before anything runs', async () => {
    const port = await closedPort();
    const result = await runCli(['eval', 'config/support.yaml', '-d', 'eval/datasets/support.yaml', '--model', 'offline', '--judge', 'anthropic:claude-haiku-4-5'], {
      env: { OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: `http://127.0.0.1:${port}/v1` },
    });

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--judge grades with OpenAI or an OpenAI-compatible server only, not anthropic');
  });
});

describe('JSONL datasets in JSON words', () => {
  it('tells how to write a JSONL value as JSON, not as YAML', () => {
    const issues = issuesOf('{"message": true, "agent": "billing"}\n{"message": "hi", "agent": ["billing"]}\n', 'cases.jsonl');

    expect(issues.map((issue) => [issue.code, issue.hint])).toEqual([
      ['INVALID_TYPE', 'Write a JSON string, in double quotes, e.g. "5" or "true".'],
      ['INVALID_TYPE', 'Write a JSON string, in double quotes, e.g. "5" or "true".'],
    ]);
    expect(issuesOf('version: 1\ncases:\n  - { message: true, agent: billing }\n', 'cases.yaml')[0]?.hint).toMatch(/YAML/);
  });

  it('says JSON Lines need the .jsonl extension, instead of the errors of reading them as YAML', () => {
    for (const text of ['{"message": "hi", "agent": "billing"}\n{"message": "ho", "agent": "billing"}\n', '{"message": "hi", "agent": "billing"}\n']) {
      const issues = issuesOf(text, 'cases.json');
      expect(issues).toHaveLength(1);
      expect(issues[0]).toMatchObject({ line: 1, message: expect.stringMatching(/JSON Lines/), hint: expect.stringMatching(/Rename it to \.jsonl/) });
    }
    // One JSON document is a dataset as YAML reads it: its own errors stand.
    const document = issuesOf('{"version": 1, "cases": [{"message": "hi", "agent": "nobody"}]}\n', 'cases.json');
    expect(document.map((issue) => issue.code)).toEqual(['UNKNOWN_AGENT']);
    expect(parseDataset('{"version": 1, "cases": [{"message": "hi", "agent": "billing"}]}\n', 'cases.json', { trees: [DESK] }).cases).toHaveLength(1);
  });
});
