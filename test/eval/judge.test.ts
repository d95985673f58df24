import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileTree } from '../../graphs/compile.js';
import { parseDataset } from '../../eval/dataset.js';
import { judgeHandoffs, readVerdict } from '../../eval/judge.js';
import { formatReport } from '../../eval/format.js';
import { attachJudge } from '../../eval/report.js';
import { runEval } from '../../eval/runner.js';
import { createOpenAIModel } from '../../models/resolve.js';
import { startFakeOpenAI } from '../../testing/fake-openai-server.js';
import type { FakeOpenAIServer } from '../../testing/fake-openai-server.js';
import { createExampleTools } from '../../tools/examples.js';
import { runCli } from '../cli/run-cli.js';
import { loadExample, writeTemp } from './helpers.js';

let server: FakeOpenAIServer;
beforeAll(async () => {
  server = await startFakeOpenAI();
});
afterAll(() => server.close());

const DATASET = `version: 1
name: reasons
cases:
  - id: charged
    message: Why was I charged $99 twice in May?
    agent: billing
  - id: webhook
    message: My webhook returns 502 every 10 minutes.
    agent: technical
  - id: discount
    message: Can I get a discount if I prepay annually?
    agent: sales
`;

const verdict = (score: number, explanation: string, flags: Partial<Record<'specific' | 'topical' | 'consistent', boolean>> = {}) =>
  JSON.stringify({ score, specific: true, topical: true, consistent: true, explanation, ...flags });

async function offlineReport() {
  const tools = createExampleTools();
  const tree = await loadExample('support');
  const dataset = parseDataset(DATASET, 'reasons.yaml', { trees: [tree] });
  return { tree, report: await runEval(compileTree(tree, { tools, model: 'offline' }), dataset, { concurrency: 1 }) };
}

describe('readVerdict()', () => {
  it('reads the JSON also inside a code fence, and says what is wrong with anything else', () => {
    expect(readVerdict('```json\n{"score": 4, "specific": true, "topical": true, "consistent": false, "explanation": "ok"}\n```')).toEqual({
      success: true,
      data: { score: 4, specific: true, topical: true, consistent: false, explanation: 'ok' },
    });
    expect(readVerdict('I think it is good')).toEqual({ success: false, error: 'the judge did not answer with a JSON object' });
    expect(readVerdict('{"score": 4,')).toMatchObject({ success: false });
    expect(readVerdict('{"score": 9, "specific": true, "topical": true, "consistent": true, "explanation": ""}')).toMatchObject({
      success: false,
      error: expect.stringContaining('score'),
    });
  });
});

describe('judgeHandoffs()', () => {
  it('grades each handoff reason: mean score, criteria, the lowest first, unreadable answers counted apart', async () => {
    const { tree, report } = await offlineReport();
    // Offline: billing and technical handoffs carry a `reason`; sales' payload has none (not graded).
    server.enqueue({ content: verdict(5, 'names the double charge') }, { content: verdict(2, 'generic', { specific: false }) });
    const judge = createOpenAIModel(undefined, 'judge-model', 'test-key', { OPENAI_BASE_URL: server.url });
    const graded = await judgeHandoffs(report, tree.spec, { model: judge, modelId: 'judge-model', concurrency: 1 });

    expect(graded).toMatchObject({ model: 'judge-model', handoffs: 3, withoutReason: 1, scored: 2, errors: 0, meanScore: 3.5 });
    expect(graded.criteria).toEqual({ specific: 0.5, topical: 1, consistent: 1 });
    expect(graded.lowest.map((result) => [result.case, result.score, result.to])).toEqual([
      ['webhook', 2, 'technical'],
      ['charged', 5, 'billing'],
    ]);
    // The judge read the rubric, and the handoff as data: message, both agents' descriptions, the reason.
    const [system, user] = server.requests.at(-2)!.body.messages as { role: string; content: string }[];
    expect(system?.content).toContain('Rubric: the reason a handoff gives');
    const data = JSON.parse(user!.content.replace('<<<HANDOFF\n', '').replace('\nHANDOFF>>>', '')) as Record<string, unknown>;
    expect(data).toMatchObject({
      user_message: 'Why was I charged $99 twice in May?',
      from_agent: { name: 'triage' },
      chosen_target: { name: 'billing', description: tree.spec.agents.billing?.description },
      reason: expect.stringContaining('charge'),
    });
    expect((data.other_targets as { name: string }[]).map((target) => target.name)).toEqual(expect.arrayContaining(['technical', 'sales']));

    const text = formatReport(report && { ...report, judge: graded });
    expect(text).toContain('Handoff reasons, graded by judge-model (1–5)');
    expect(text).toContain('Mean score 3.50 over 2 handoffs');
    expect(text).toContain('reasons.yaml:');
  });

  it('an unusable judge answer or a failing judge is reported per handoff, on one line, never a crash', async () => {
    const { tree, report } = await offlineReport();
    // A 400 is not retried; its message comes on several lines.
    server.enqueue({ content: 'Looks fine to me.' }, { status: 400, error: { message: 'The request is invalid.\n\n  Check the model name.' } });
    const judge = createOpenAIModel(undefined, 'judge-model', 'test-key', { OPENAI_BASE_URL: server.url });
    const graded = await judgeHandoffs(report, tree.spec, { model: judge, modelId: 'judge-model', concurrency: 1 });
    expect(graded).toMatchObject({ scored: 0, errors: 2, meanScore: null });
    expect(graded.results.map((result) => result.error)).toEqual([
      'the judge did not answer with a JSON object',
      expect.stringMatching(/^the judge failed: 400 The request is invalid\. Check the model name\.[^\n]*$/),
    ]);
  });

  it('retries a rate-limited judge call, as long as Retry-After asks, instead of counting it unusable', async () => {
    const { tree, report } = await offlineReport();
    server.requests.length = 0;
    server.enqueue({ status: 429, headers: { 'retry-after': '0' } }, { content: verdict(4, 'fine') }, { content: verdict(5, 'precise') });
    // The client retries nothing itself (as for agents' models): the retries are the judge's.
    const judge = createOpenAIModel(undefined, 'judge-model', 'test-key', { OPENAI_BASE_URL: server.url });
    const graded = await judgeHandoffs(report, tree.spec, { model: judge, modelId: 'judge-model', concurrency: 1 });
    expect(graded).toMatchObject({ scored: 2, errors: 0, meanScore: 4.5 });
    expect(server.requests).toHaveLength(3);
  });

  it("counts the judge's tokens and cost, apart in the report's usage and in its total", async () => {
    const { tree, report } = await offlineReport();
    const usage = { prompt_tokens: 1000, completion_tokens: 50 };
    server.enqueue({ content: verdict(4, 'fine'), usage }, { content: 'unreadable', usage });
    const judge = createOpenAIModel(undefined, 'gpt-4o', 'test-key', { OPENAI_BASE_URL: server.url });
    const graded = await judgeHandoffs(report, tree.spec, { model: judge, modelId: 'gpt-4o', concurrency: 1 });
    // gpt-4o: $2.50 / $10 per million tokens; an unreadable answer was paid for too.
    const cost = (2 * 1000 * 2.5 + 2 * 50 * 10) / 1_000_000;
    expect(graded.usage).toEqual({ modelCalls: 2, inputTokens: 2000, outputTokens: 100, costUsd: cost, priced: true });

    const withJudge = attachJudge({ ...report, usage: { ...report.usage, modelCalls: 5, inputTokens: 700, outputTokens: 70, costUsd: 0.5 } }, graded);
    expect(withJudge.usage).toMatchObject({
      modelCalls: 5,
      costUsd: 0.5,
      judge: { modelCalls: 2, inputTokens: 2000, outputTokens: 100, costUsd: cost },
      total: { modelCalls: 7, inputTokens: 2700, outputTokens: 170, costUsd: 0.5 + cost },
    });
    const text = formatReport(withJudge);
    expect(text).toContain('Judge: 2 model calls · 2,000 input + 100 output tokens · $0.006000 (gpt-4o)');
    expect(text).toContain('Total: 7 model calls · 2,700 input + 170 output tokens · $0.5060');
  });

  it("prices the judge's input tokens its prompt cache served at the model's cached-input rate", async () => {
    const { tree, report } = await offlineReport();
    const body = (content: string) =>
      JSON.stringify({
        id: 'chatcmpl-cached',
        object: 'chat.completion',
        created: 1,
        model: 'gpt-4o',
        choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content } }],
        usage: { prompt_tokens: 1000, completion_tokens: 50, total_tokens: 1050, prompt_tokens_details: { cached_tokens: 800 } },
      });
    server.enqueue({ rawBody: body(verdict(4, 'fine')) }, { rawBody: body(verdict(5, 'precise')) });
    const judge = createOpenAIModel(undefined, 'gpt-4o', 'test-key', { OPENAI_BASE_URL: server.url });
    const graded = await judgeHandoffs(report, tree.spec, { model: judge, modelId: 'gpt-4o', concurrency: 1 });
    // gpt-4o: $2.50 input, $1.25 cached input, $10 output per million tokens.
    const cost = (2 * 200 * 2.5 + 2 * 800 * 1.25 + 2 * 50 * 10) / 1_000_000;
    expect(graded.usage).toMatchObject({ modelCalls: 2, inputTokens: 2000, outputTokens: 100, priced: true });
    expect(graded.usage.costUsd).toBeCloseTo(cost, 9);
  });

  it('names a judge model with no known price among the unpriced models', async () => {
    const { tree, report } = await offlineReport();
    server.enqueue({ content: verdict(4, 'fine') }, { content: verdict(4, 'fine') });
    const judge = createOpenAIModel(undefined, 'judge-model', 'test-key', { OPENAI_BASE_URL: server.url });
    const graded = await judgeHandoffs(report, tree.spec, { model: judge, modelId: 'judge-model', concurrency: 1 });
    expect(graded.usage).toMatchObject({ modelCalls: 2, costUsd: 0, priced: false });
    expect(attachJudge(report, graded).unpricedModels).toEqual(['judge-model']);
  });
});

describe('switchboard eval --judge', () => {
  it('adds the grades to the report and gates CI on --min-judge', async () => {
    const folder = await writeTemp({});
    await writeFile(join(folder, 'reasons.yaml'), DATASET);
    server.enqueue({ content: verdict(3, 'fits sales nearly as well', { consistent: false }) }, { content: verdict(4, 'fine') });
    const env = { OPENAI_API_KEY: 'test-key', OPENAI_BASE_URL: server.url };
    const result = await runCli(['eval', 'config/support.yaml', '-d', join(folder, 'reasons.yaml'), '--model', 'offline', '--judge', 'judge-model', '--min-judge', '4', '--json', '-c', '1'], { env });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('mean judge score 3.50 is below --min-judge 4');
    const report = JSON.parse(result.stdout.toString('utf8')) as { accuracy: number; judge: { meanScore: number; scored: number }; usage: { judge: unknown } };
    expect(report.judge).toMatchObject({ meanScore: 3.5, scored: 2 });
    expect(report.accuracy).toBe(1);
    // The fake server's default usage: 100 input and 20 output tokens a call.
    expect(report.usage.judge).toEqual({ modelCalls: 2, inputTokens: 200, outputTokens: 40, costUsd: 0 });
  });

  it('fails --min-judge when more than half of the judge answers are unusable, whatever the others scored', async () => {
    const folder = await writeTemp({});
    const dataset = `version: 1
cases:
  - { message: Why was I charged $99 twice in May?, agent: billing }
  - { message: I want a refund, agent: billing }
  - { message: My invoice is wrong, agent: billing }
`;
    await writeFile(join(folder, 'billing.yaml'), dataset);
    server.enqueue({ content: verdict(5, 'precise') }, { content: 'Sure!' }, { content: '{"score": 4, "specific": tru' });
    const env = { OPENAI_API_KEY: 'test-key', OPENAI_BASE_URL: server.url };
    const result = await runCli(['eval', 'config/support.yaml', '-d', join(folder, 'billing.yaml'), '--model', 'offline', '--judge', 'judge-model', '--min-judge', '3', '-c', '1'], { env });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('2 of 3 judge answers were unusable (more than half): the mean over the other 1 cannot pass --min-judge 3');
  });

  it('refuses --min-judge without --judge, a score out of range, and --judge without a key (usage, exit 2)', async () => {
    const base = ['eval', 'config/support.yaml', '-d', 'eval/datasets/support.yaml', '--model', 'offline'];
    const without = await runCli([...base, '--min-judge', '4']);
    expect([without.code, without.stderr]).toEqual([2, expect.stringContaining('--min-judge needs --judge')]);
    const range = await runCli([...base, '--judge', 'm', '--min-judge', '7'], { env: { OPENAI_API_KEY: 'k' } });
    expect([range.code, range.stderr]).toEqual([2, expect.stringContaining('from 1 to 5')]);
    const noKey = await runCli([...base, '--judge', 'm'], { env: { OPENAI_API_KEY: '' } });
    expect([noKey.code, noKey.stderr]).toEqual([2, expect.stringContaining('--judge needs OPENAI_API_KEY')]);
  });
});
