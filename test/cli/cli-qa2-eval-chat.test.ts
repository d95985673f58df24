/**
 * `eval` prints a failed turn's error once (in its report, not again as a log line), including a
 * turn no expectation checks; `chat` shows its prompt before each piped line, also for the lines
 * still queued when the input ended during a turn.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { fakeOpenAIForFile } from '../helpers.js';
import { runCli } from './run-cli.js';

// Each command is a separate Node process (a few seconds on a busy machine).
vi.setConfig({ testTimeout: 120_000 });

const TREE = `version: 1
name: desk
root: triage
agents:
  triage:
    description: Front desk. Routes to billing.
    prompt: Route billing questions to billing.
    children: [billing]
  billing:
    description: Charges, refunds and invoices.
    prompt: You are the billing specialist.
`;

const DATASET = `version: 1
name: failing
cases:
  - id: checked
    message: please fail
    agent: triage
  - id: two
    turns:
      - message: please fail again
      - message: hello
        agent: triage
`;

describe('switchboard eval: a failed turn', () => {
  const server = fakeOpenAIForFile();

  /** Runs the dataset against a model that fails (HTTP 500) on a message asking for it. */
  async function evaluate(...extra: string[]) {
    return evaluateDataset(DATASET, ...extra);
  }

  async function evaluateDataset(dataset: string, ...extra: string[]) {
    const fake = await server;
    fake.fallback((request) => {
      const user = [...request.messages].reverse().find((message) => message.role === 'user');
      return String(user?.content).includes('fail') ? { status: 500, error: { message: 'boom' } } : { content: 'Hello.' };
    });
    const folder = mkdtempSync(join(tmpdir(), 'switchboard-qa2-eval-'));
    writeFileSync(join(folder, 'tree.yaml'), TREE);
    writeFileSync(join(folder, 'cases.yaml'), dataset);
    const result = await runCli(['eval', join(folder, 'tree.yaml'), '--dataset', join(folder, 'cases.yaml'), ...extra], {
      env: { OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: fake.url },
    });
    return { ...result, out: result.stdout.toString(), dataset: join(folder, 'cases.yaml') };
  }

  it('is printed once, in the report (a turn without an expectation too), never as a log line', async () => {
    const result = await evaluate();
    const error = 'MODEL_FAILED the model failed (server) after 3 attempt(s): 500 boom';

    expect(result.code).toBe(0);
    expect(result.stderr).not.toContain('turn-end');
    expect(result.out.match(/MODEL_FAILED/g)).toHaveLength(2);
    expect(result.out).toContain(`checked turn 1 (agent): "please fail"\n    expected triage, got (error) via triage\n    error: ${error}\n`);
    expect(result.out).toContain(`Failed turns without an expectation (1)\n✗ ${result.dataset}:9 two turn 1: "please fail again"\n    error: ${error}\n`);
  });

  it('is in --json once too (the report holds every turn), with no log line', async () => {
    const result = await evaluate('--json');
    expect(result.code).toBe(0);
    expect(result.stderr).not.toContain('turn-end');
    const report = JSON.parse(result.out) as { results: { id: string; turns: { actual: { error?: { code: string } } }[] }[] };
    expect(report.results.map((outcome) => [outcome.id, outcome.turns[0]?.actual.error?.code])).toEqual([
      ['checked', 'MODEL_FAILED'],
      ['two', 'MODEL_FAILED'],
    ]);
  });

  it('shows a control character of the message as one visible escape, in the mismatch and in the failed-turn list', async () => {
    const result = await evaluateDataset(`version: 1
cases:
  - id: checked
    message: "please fail \\e[31m"
    agent: triage
  - id: two
    turns:
      - message: "please fail \\e[2J"
      - message: hello
        agent: triage
`);
    expect(result.out).toContain('checked turn 1 (agent): "please fail \\u001b[31m"\n');
    expect(result.out).toContain('two turn 1: "please fail \\u001b[2J"\n');
    expect(result.out).not.toContain('\u001b[2J');
  });

  it('is still logged with --log-level (asked for)', async () => {
    const result = await evaluate('--json', '--log-level', 'warn');
    expect(result.stderr).toContain('"event":"turn-end"');
  });
});

describe('switchboard chat with piped input', () => {
  const server = fakeOpenAIForFile();

  it('shows the prompt before every line, also those queued when the input ended during a turn', async () => {
    const fake = await server;
    // Slow answers: the input's end arrives while the first turn runs.
    fake.fallback(() => ({ content: 'ok', delayMs: 300 }));
    const result = await runCli(['chat', 'examples/desk.yaml', '--db', 'memory', '--model', 'online'], {
      input: 'one\ntwo\nthree\n',
      env: { OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: fake.url },
    });
    expect(result.code).toBe(0);
    expect(result.stdout.toString()).toContain('you> one\ntriage: ok\nyou> two\ntriage: ok\nyou> three\ntriage: ok\nyou> \n');
  });
});
