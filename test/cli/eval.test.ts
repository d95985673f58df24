/**
 * `switchboard eval` end to end: the built CLI (`npm run build` first; `npm test` does it) spawned
 * as a user runs it.
 */
import { execFile } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EvalReport } from '../../eval/report.js';
import type { RoutingChange } from '../../eval/compare.js';
import { startFakeOpenAI } from '../../testing/fake-openai-server.js';
import type { FakeOpenAIServer } from '../../testing/fake-openai-server.js';
import { editedSupportTree, writeTemp } from '../eval/helpers.js';

const root = new URL('../..', import.meta.url).pathname;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `node bin/switchboard.js …` (without an OpenAI key unless `env` sets one). */
function switchboard(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const { OPENAI_API_KEY: _key, OPENAI_BASE_URL: _url, ...inherited } = process.env;
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(root, 'bin/switchboard.js'), ...args],
      { cwd: root, env: { ...inherited, ...env } },
      (error, stdout, stderr) => {
        resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

/** The build must be newer than the sources this file tests. */
async function assertFreshBuild(): Promise<void> {
  const built = join(root, 'dist/cli/commands/eval.js');
  if (!existsSync(built)) throw new Error('dist/ is missing: run `npm run build` first (`npm test` does).');
  const sources = [
    join(root, 'cli/commands/eval.ts'),
    join(root, 'cli/main.ts'),
    ...(await readdir(join(root, 'eval'))).filter((name) => name.endsWith('.ts')).map((name) => join(root, 'eval', name)),
  ];
  const newest = Math.max(...sources.map((file) => statSync(file).mtimeMs));
  if (statSync(built).mtimeMs < newest) throw new Error('dist/ is older than the sources: run `npm run build` first (`npm test` does).');
}

let folder: string;
beforeAll(async () => {
  await assertFreshBuild();
  folder = await writeTemp({
    'small.yaml': `version: 1
cases:
  - { id: charged-twice, message: Why was I charged $99 twice in May?, agent: billing, path: [triage, billing] }
  - { id: webhook-502, message: My webhook returns 502 every 10 minutes., agent: technical }
  - { id: free-trial, message: Is there a free trial?, agent: sales, path: [triage, sales] }
`,
    'changes.jsonl': [
      '{"id": "bank-transfer", "message": "Can I pay by bank transfer instead of card?", "agent": "billing"}',
      '{"id": "nonprofit", "message": "Do you offer a nonprofit discount?", "agent": "sales"}',
      '{"id": "charged-twice", "message": "Why was I charged $99 twice in May?", "agent": "billing"}',
    ].join('\n'),
    'broken.yaml': 'version: 1\ncases:\n  - { message: refund please, agent: biling }\n',
    'support-edited.yaml': await editedSupportTree(),
  });
});
afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

describe('switchboard eval', () => {
  it('prints accuracy, per-agent scores, the confusion matrix and each mismatch with its actual path', async () => {
    const run = await switchboard(['eval', 'config/support.yaml', '--dataset', join(folder, 'small.yaml')]);

    expect(run.code).toBe(0);
    expect(run.stderr).toContain('3 cases · offline model (OPENAI_API_KEY is not set) · concurrency 4');
    expect(run.stdout).toContain('Routing accuracy  2/3  66.7%');
    expect(run.stdout).toContain('Path match        1/2  50.0%');
    expect(run.stdout).toMatch(/sales\s+1\s+0\s+—\s+0\.0%/);
    expect(run.stdout).toContain(`✗ ${join(folder, 'small.yaml')}:5 free-trial turn 1 (agent, path): "Is there a free trial?"`);
    expect(run.stdout).toContain('expected sales via triage → sales, got triage via triage');
  });

  it('prints the report as JSON with --json', async () => {
    const run = await switchboard(['eval', 'config/support.yaml', '--dataset', join(folder, 'small.yaml'), '--json', '--concurrency', '2']);
    const report = JSON.parse(run.stdout) as EvalReport;

    expect(run.code).toBe(0);
    expect(report.accuracy).toBeCloseTo(2 / 3, 10);
    expect(report.concurrency).toBe(2);
    expect(report.confusion.labels).toEqual(['triage', 'billing', 'technical', 'sales']);
    expect(report.mismatches).toMatchObject([
      { case: 'free-trial', failed: ['agent', 'path'], actual: { agent: 'triage', path: ['triage'] } },
    ]);
    expect(report.usage.turnLatencyMs.p95).toBeGreaterThanOrEqual(report.usage.turnLatencyMs.p50 ?? 0);
  });

  it('exits 1 below --min-accuracy and 0 at or above it', async () => {
    const dataset = join(folder, 'small.yaml');
    const below = await switchboard(['eval', 'config/support.yaml', '--dataset', dataset, '--min-accuracy', '70%']);
    const above = await switchboard(['eval', 'config/support.yaml', '--dataset', dataset, '--min-accuracy', '0.6']);

    expect(below.code).toBe(1);
    expect(below.stderr).toContain('routing accuracy 66.7% is below --min-accuracy 70.0%');
    expect(above.code).toBe(0);
  });

  it('exits 2 with one clear line for a bad --min-accuracy or --concurrency', async () => {
    const dataset = join(folder, 'small.yaml');
    const accuracy = await switchboard(['eval', 'config/support.yaml', '--dataset', dataset, '--min-accuracy', '85']);
    const concurrency = await switchboard(['eval', 'config/support.yaml', '--dataset', dataset, '--concurrency', '0']);

    expect([accuracy.code, accuracy.stderr]).toEqual([
      2,
      'error USAGE: --min-accuracy takes a fraction from 0 to 1 or a percentage, e.g. 0.9 or 90% (got "85").\n',
    ]);
    expect([concurrency.code, concurrency.stderr]).toEqual([
      2,
      'error USAGE: --concurrency takes a whole number of at least 1 (got "0").\n',
    ]);
  });

  it('exits 2 with every dataset problem at its file:line:col', async () => {
    const run = await switchboard(['eval', 'config/support.yaml', '--dataset', join(folder, 'broken.yaml')]);

    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      `${join(folder, 'broken.yaml')}:3:38 error UNKNOWN_AGENT "biling" is not an agent of "support". Did you mean "billing"? Agents: triage, billing, technical, sales, escalation_manager, human_agent.\n1 error\n`,
    );
    expect(run.stdout).toBe('');
  });

  it('exits 2, not 1, when --model online has no API key: a mistake in the setup, not an accuracy below the gate', async () => {
    const args = ['eval', 'config/support.yaml', '--dataset', join(folder, 'small.yaml'), '--model', 'online'];
    const text = await switchboard(args);
    const json = await switchboard([...args, '--json']);

    const message = 'Agent "triage" uses OpenAI, but OPENAI_API_KEY is not set. Set it, or run with the offline model.';
    expect([text.code, text.stderr, text.stdout]).toEqual([2, `error MODEL_KEY_MISSING: ${message}\n`, '']);
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout)).toEqual({ error: { code: 'MODEL_KEY_MISSING', message } });
  });

  it('lists the cases whose routing changed with --against, from a JSONL dataset', async () => {
    const edited = join(folder, 'support-edited.yaml');
    const args = ['eval', edited, '--dataset', join(folder, 'changes.jsonl'), '--against', 'config/support.yaml'];
    const text = await switchboard(args);
    const json = await switchboard([...args, '--json']);
    const report = JSON.parse(json.stdout) as EvalReport & {
      against: { tree: { file: string }; accuracy: number; changes: RoutingChange[] };
    };

    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`Routing changes: config/support.yaml → ${edited}`);
    expect(text.stdout).toContain('2 of 3 cases changed routing (2 turns: 1 fixed, 1 broken, 0 changed)');
    expect(text.stdout).toContain('bank-transfer turn 1: triage → billing (expected billing)');
    expect(text.stdout).toContain('nonprofit turn 1: sales → triage (expected sales)');
    expect(text.stdout).not.toContain('charged-twice turn 1:');
    expect(report.against.tree.file).toBe('config/support.yaml');
    expect(report.against.changes.map((change) => [change.case, change.verdict])).toEqual([
      ['bank-transfer', 'fixed'],
      ['nonprofit', 'broken'],
    ]);
  });

  describe('with a key, against an OpenAI-compatible server', () => {
    let server: FakeOpenAIServer;
    beforeAll(async () => {
      server = await startFakeOpenAI();
      // A model that routes charges to billing and answers everything else at the desk.
      server.fallback((request) => {
        const user = [...request.messages].reverse().find((message) => message.role === 'user');
        if (request.tools.includes('transfer_to_billing') && String(user?.content).includes('charged')) {
          return {
            toolCalls: [{ name: 'transfer_to_billing', arguments: { reason: 'double charge', priority: 'high', amount: 99 } }],
            usage: { prompt_tokens: 500, completion_tokens: 40 },
          };
        }
        return { content: 'Happy to help.', usage: { prompt_tokens: 300, completion_tokens: 30 } };
      });
    });
    afterAll(async () => {
      await server.close();
    });

    it('runs the same dataset unchanged and reports provider tokens and cost', async () => {
      const run = await switchboard(['eval', 'config/support.yaml', '--dataset', join(folder, 'small.yaml'), '--json'], {
        OPENAI_API_KEY: 'sk-test',
        OPENAI_BASE_URL: server.url,
      });
      const report = JSON.parse(run.stdout) as EvalReport;

      expect(run.code).toBe(0);
      expect(report.models).toEqual(['gpt-4o-mini', 'gpt-4o']);
      expect(report.routing).toMatchObject({ correct: 1, total: 3 });
      expect(report.usage).toMatchObject({ modelCalls: 4, inputTokens: 500 + 300 + 300 + 300, outputTokens: 40 + 30 + 30 + 30 });
      // triage on gpt-4o-mini (3 calls), billing on gpt-4o (1 call).
      expect(report.usage.costUsd).toBeCloseTo((500 * 0.15 + 40 * 0.6 + 2 * (300 * 0.15 + 30 * 0.6) + 300 * 2.5 + 30 * 10) / 1_000_000, 12);
      expect(server.requests).toHaveLength(4);
    });
  });
});
