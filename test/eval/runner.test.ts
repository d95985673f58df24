import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTree } from '../../config/load.js';
import { compileTree } from '../../graphs/compile.js';
import { parseDataset } from '../../eval/dataset.js';
import { runEval } from '../../eval/runner.js';
import { startFakeOpenAI } from '../../testing/fake-openai-server.js';
import type { FakeOpenAIServer, FakeRequest } from '../../testing/fake-openai-server.js';
import { compileExample, viaFakeOpenAI } from '../helpers.js';
import { loadExample } from './helpers.js';

const support = await loadExample('support');

describe('runEval() with the offline model', () => {
  it('runs each case on its own thread, a multi-turn case on one, and scores agent, path and payload', async () => {
    const { graph } = await compileExample('support', { model: 'offline' });
    const dataset = parseDataset(
      `version: 1
fields: { customer_id: cus_77 }
cases:
  - id: charged
    message: Why was I charged $99 twice in May?
    agent: billing
    path: [triage, billing]
    payload: { amount: 99, priority: critical }
  - id: trial
    message: Is there a free trial?
    agent: sales
  - id: topic-change
    turns:
      - message: My invoice is wrong
        agent: billing
      - message: Also, can I get a demo?
        agent: sales
        path: [billing, triage, sales]
`,
      'cases.yaml',
      { trees: [support] },
    );
    const report = await runEval(graph, dataset, { concurrency: 2, treeFile: 'config/support.yaml' });

    const [charged, trial, topicChange] = report.results;
    expect(new Set(report.results.map((outcome) => outcome.threadId)).size).toBe(3);
    expect(charged?.turns[0]?.actual).toMatchObject({
      agent: 'billing',
      path: ['triage', 'billing'],
      status: 'done',
      payload: { amount: 99, priority: 'high' },
    });
    expect(charged?.turns[0]?.checks).toEqual({ agent: true, path: true, payload: false });
    // The dataset's fields reach the tools through the shared state.
    expect(charged?.turns[0]?.actual.reply).toContain('"customer":"cus_77"');
    expect(trial?.turns[0]?.actual.agent).toBe('triage');
    expect(topicChange?.turns.map((turn) => [turn.actual.agent, turn.actual.path])).toEqual([
      ['billing', ['triage', 'billing']],
      ['sales', ['billing', 'triage', 'sales']],
    ]);
    expect(report).toMatchObject({
      tree: { name: 'support', file: 'config/support.yaml' },
      models: ['offline'],
      routing: { correct: 3, total: 4 },
      path: { correct: 2, total: 2 },
      payload: { correct: 0, total: 1 },
      cases: { correct: 1, total: 3 },
    });
    expect(report.mismatches.map((mismatch) => [mismatch.case, mismatch.failed])).toEqual([
      ['charged', ['payload']],
      ['trial', ['agent']],
    ]);
    expect(report.usage.modelCalls).toBeGreaterThan(0);
    expect(report.usage.costUsd).toBe(0);
  });

  it('calls back after each case with the progress so far', async () => {
    const { graph } = await compileExample('support', { model: 'offline' });
    const dataset = parseDataset(
      'version: 1\ncases:\n  - { message: hi, agent: triage }\n  - { message: refund please, agent: billing }\n  - { message: a demo, agent: sales }\n',
    );
    const progress: number[] = [];
    await runEval(graph, dataset, { concurrency: 3, onCaseEnd: (_outcome, { done, total }) => progress.push(done * 10 + total) });

    expect(progress).toEqual([13, 23, 33]);
  });

  it('stops starting cases once the signal aborts, and rejects with its reason', async () => {
    const { graph } = await compileExample('support', { model: 'offline' });
    const dataset = parseDataset(
      'version: 1\ncases:\n  - { message: hi, agent: triage }\n  - { message: refund please, agent: billing }\n  - { message: a demo, agent: sales }\n',
    );
    const controller = new AbortController();
    const started: string[] = [];
    const run = runEval(graph, dataset, {
      concurrency: 1,
      signal: controller.signal,
      onCaseStart: (testCase) => started.push(testCase.id),
      onCaseEnd: () => controller.abort(new Error('stopped by the test')),
    });

    await expect(run).rejects.toThrow('stopped by the test');
    expect(started).toEqual(['case-1']);
  });

  it('records a turn that throws as failed, skips the rest of its case and counts it as an error', async () => {
    const { graph } = await compileExample('support', { model: 'offline' });
    // Without a tree to check against, an unknown state field reaches the graph, which refuses it.
    const dataset = parseDataset(`version: 1
cases:
  - id: bad-field
    fields: { no_such_field: 1 }
    turns:
      - { message: refund please, agent: billing }
      - { message: thanks, agent: billing }
  - { id: fine, message: refund please, agent: billing }
`);
    const report = await runEval(graph, dataset);

    expect(report.results[0]?.turns.map((turn) => [turn.actual.agent, turn.actual.status])).toEqual([
      ['(error)', 'failed'],
      ['(error)', 'skipped'],
    ]);
    expect(report.results[0]?.turns[0]?.actual.error?.message).toMatch(/no_such_field/);
    expect(report.results[1]?.turns[0]?.actual.agent).toBe('billing');
    expect(report.confusion).toEqual({
      labels: ['billing', '(error)'],
      counts: [
        [1, 2],
        [0, 0],
      ],
    });
  });
});

describe('runEval() while a person is awaited', () => {
  it('gives a turn written to a waiting person the path of that turn only: the person', async () => {
    const tree = parseTree(
      `version: 1
name: desk
root: triage
agents:
  triage:
    description: Front desk.
    prompt: Route billing questions to billing.
    children: [billing]
  billing:
    description: Charges and refunds.
    prompt: You are the billing specialist.
    escalate: [person]
    offline: { keywords: [refund] }
  person:
    kind: human
    description: A person on the billing team.
    offline: { keywords: [human] }
`,
      'desk.yaml',
    );
    const dataset = parseDataset(
      `version: 1
cases:
  - id: waits
    turns:
      - { message: refund please, agent: billing, path: [triage, billing] }
      - { message: I want a human, agent: person, path: [billing, person] }
      - { message: hello? anyone?, agent: person, path: [person] }
`,
      'wait.yaml',
      { trees: [tree] },
    );
    const report = await runEval(compileTree(tree, { model: 'offline' }), dataset);

    expect(report.results[0]?.turns.map((turn) => [turn.actual.status, turn.actual.path])).toEqual([
      ['done', ['triage', 'billing']],
      ['waiting', ['billing', 'person']],
      ['waiting', ['person']],
    ]);
    expect(report.path).toMatchObject({ correct: 3, total: 3 });
  });
});

describe('runEval() through the real ChatOpenAI client (fake server)', () => {
  let server: FakeOpenAIServer;
  beforeAll(async () => {
    server = await startFakeOpenAI();
  });
  afterAll(async () => {
    await server.close();
  });

  it('keeps at most `concurrency` cases running, and has that many requests in flight at once', async () => {
    const total = 7;
    const limit = 3;
    let arrived = 0;
    let inFlight = 0;
    let maxInFlight = 0;
    let running = 0;
    let maxRunning = 0;
    const held: (() => void)[] = [];
    // A request is answered only once `limit` requests wait together (or every case has arrived):
    // a runner that keeps fewer in flight never gets an answer.
    server.fallback(async () => {
      arrived += 1;
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise<void>((resolve) => {
        held.push(resolve);
        if (held.length === limit || arrived === total) for (const release of held.splice(0)) release();
      });
      inFlight -= 1;
      return { content: 'Hello, what can I help you with?', usage: { prompt_tokens: 1000, completion_tokens: 100 } };
    });
    const { graph } = await compileExample('support', viaFakeOpenAI(server));
    const cases = Array.from(
      { length: total },
      (_, index) => `  - { id: hello-${index}, message: hello number ${index}, agent: triage }`,
    ).join('\n');
    const report = await runEval(graph, parseDataset(`version: 1\ncases:\n${cases}\n`), {
      concurrency: limit,
      onCaseStart: () => {
        running += 1;
        maxRunning = Math.max(maxRunning, running);
      },
      onCaseEnd: () => {
        running -= 1;
      },
    });

    expect(maxInFlight).toBe(limit);
    expect(maxRunning).toBe(limit);
    expect(server.requests).toHaveLength(total);
    expect(report.routing).toEqual({ correct: total, total, rate: 1 });
    server.fallback(undefined);
    server.requests.length = 0;
  });

  it("checks payloads on the handoffs a model chose: a fallback's reason does not overwrite them", async () => {
    const tree = parseTree(
      `version: 1
name: fallbacks
root: triage
retry: { attempts: 0 }
agents:
  triage:
    description: Front desk.
    prompt: Route.
    children: [billing, backup]
  billing:
    description: Billing.
    prompt: Billing.
    fallback: backup
    handoff:
      payload:
        reason: { type: string }
  backup:
    description: Backup.
    prompt: Backup.
`,
      'fallbacks.yaml',
    );
    const dataset = parseDataset(
      'version: 1\ncases:\n  - { message: charged twice, agent: backup, payload: { reason: double charge } }\n',
      'cases.yaml',
      { trees: [tree] },
    );
    // triage hands off with a reason; billing's model fails, so the runtime falls back to backup.
    server.enqueue({ toolCalls: [{ name: 'transfer_to_billing', arguments: { reason: 'double charge' } }] }, { status: 500 }, { content: 'Backup here.' });
    const report = await runEval(compileTree(tree, { ...viaFakeOpenAI(server), sleep: async () => {} }), dataset);

    const turn = report.results[0]?.turns[0];
    expect(turn?.actual.handoffs.map((handoff) => [handoff.to, handoff.kind])).toEqual([
      ['billing', 'delegate'],
      ['backup', 'fallback'],
    ]);
    expect(turn?.actual.payload).toEqual({ reason: 'double charge' });
    expect(turn?.checks).toEqual({ agent: true, payload: true });
    server.requests.length = 0;
  });

  it('takes tokens from the provider usage and prices them per model', async () => {
    // triage (gpt-4o-mini) hands off to billing (gpt-4o), which answers.
    server.fallback((request: FakeRequest) =>
      request.tools.includes('transfer_to_billing')
        ? {
            toolCalls: [{ name: 'transfer_to_billing', arguments: { reason: 'charged twice', priority: 'high', amount: 99 } }],
            usage: { prompt_tokens: 1000, completion_tokens: 50 },
          }
        : { content: 'I can see both charges.', usage: { prompt_tokens: 2000, completion_tokens: 200 } },
    );
    const { graph } = await compileExample('support', viaFakeOpenAI(server));
    const dataset = parseDataset(
      'version: 1\ncases:\n  - { message: Why was I charged $99 twice in May?, agent: billing, path: [triage, billing], payload: { amount: 99 } }\n',
    );
    const report = await runEval(graph, dataset);

    expect(report.models).toEqual(['gpt-4o-mini', 'gpt-4o']);
    expect(report.routing.rate).toBe(1);
    expect(report.payload.rate).toBe(1);
    expect(report.usage).toMatchObject({ modelCalls: 2, inputTokens: 3000, outputTokens: 250 });
    // gpt-4o-mini: $0.15 / $0.60 per million; gpt-4o: $2.50 / $10 per million.
    const expected = (1000 * 0.15 + 50 * 0.6 + 2000 * 2.5 + 200 * 10) / 1_000_000;
    expect(report.usage.costUsd).toBeCloseTo(expected, 12);
    expect(report.usage.costPerCaseUsd).toBeCloseTo(expected, 12);
    server.fallback(undefined);
  });
});
