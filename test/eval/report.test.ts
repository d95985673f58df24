import { describe, expect, it } from 'vitest';
import type { CaseOutcome, TurnOutcome } from '../../eval/outcome.js';
import { buildReport } from '../../eval/report.js';
import { formatReport } from '../../eval/format.js';

function turn(overrides: Partial<TurnOutcome> & Pick<TurnOutcome, 'expected' | 'checks'> & { agent: string; path: string[] }): TurnOutcome {
  const { agent, path, ...rest } = overrides;
  return {
    turn: 1,
    line: 1,
    message: 'hi',
    actual: { agent, path, payload: {}, approval: undefined, handoffs: [], refused: [], status: 'done' },
    usage: { modelCalls: 2, inputTokens: 100, outputTokens: 10, costUsd: 0.001, latencyMs: 5 },
    durationMs: 10,
    ...rest,
  };
}

function outcome(id: string, tags: string[], turns: TurnOutcome[]): CaseOutcome {
  const passed = turns.every(
    (entry) => !entry.checks || (entry.checks.agent && entry.checks.path !== false && entry.checks.payload !== false),
  );
  return { id, line: 1, tags, threadId: `t-${id}`, turns, passed };
}

const results = [
  outcome(
    'right',
    ['seed'],
    [
      turn({
        agent: 'billing',
        path: ['triage', 'billing'],
        expected: { agent: 'billing', path: ['triage', 'billing'] },
        checks: { agent: true, path: true },
        durationMs: 10,
      }),
    ],
  ),
  outcome(
    'wrong-payload',
    ['seed'],
    [
      turn({
        agent: 'billing',
        path: ['triage', 'billing'],
        expected: { agent: 'billing', payload: { amount: 99 } },
        checks: { agent: true, payload: false },
        line: 7,
        durationMs: 30,
      }),
    ],
  ),
  outcome(
    'two-turns',
    ['multi'],
    [
      turn({ agent: 'triage', path: ['triage'], expected: undefined, checks: undefined, durationMs: 20 }),
      turn({
        turn: 2,
        line: 12,
        message: 'demo please',
        agent: 'triage',
        path: ['triage'],
        expected: { agent: 'sales', path: ['triage', 'sales'] },
        checks: { agent: false, path: false },
        durationMs: 40,
      }),
    ],
  ),
];

const report = buildReport(results, {
  tree: { name: 'support', file: 'config/support.yaml' },
  dataset: { name: 'hand-made', file: 'cases.yaml' },
  agentOrder: ['triage', 'billing', 'technical', 'sales'],
  models: ['offline'],
  concurrency: 2,
  durationMs: 123.4,
});

describe('buildReport()', () => {
  it('scores routing on the answering agent, and paths and payloads as their own rates', () => {
    expect(report.accuracy).toBe(2 / 3);
    expect(report.routing).toEqual({ correct: 2, total: 3, rate: 2 / 3 });
    expect(report.path).toEqual({ correct: 1, total: 2, rate: 0.5 });
    expect(report.payload).toEqual({ correct: 0, total: 1, rate: 0 });
    expect(report.cases).toEqual({ correct: 1, total: 3, rate: 1 / 3 });
    expect(report.dataset).toEqual({ name: 'hand-made', file: 'cases.yaml', cases: 3, turns: 4, scoredTurns: 3 });
  });

  it('lists every failed expectation with what actually happened', () => {
    expect(report.mismatches).toEqual([
      {
        case: 'wrong-payload',
        line: 7,
        turn: 1,
        message: 'hi',
        failed: ['payload'],
        expected: { agent: 'billing', payload: { amount: 99 } },
        actual: { agent: 'billing', path: ['triage', 'billing'], payload: {}, status: 'done' },
      },
      {
        case: 'two-turns',
        line: 12,
        turn: 2,
        message: 'demo please',
        failed: ['agent', 'path'],
        expected: { agent: 'sales', path: ['triage', 'sales'] },
        actual: { agent: 'triage', path: ['triage'], payload: {}, status: 'done' },
      },
    ]);
  });

  it('scores each tag', () => {
    expect(report.tags).toEqual([
      { tag: 'multi', correct: 0, total: 1, rate: 0 },
      { tag: 'seed', correct: 2, total: 2, rate: 1 },
    ]);
  });

  it('sums usage over every turn and takes latency percentiles of turns', () => {
    expect(report.usage).toEqual({
      modelCalls: 8,
      inputTokens: 400,
      outputTokens: 40,
      costUsd: 0.004,
      // Rounded to 1e-10 dollars, as every cost is (0.004 / 3 is 0.0013333333333333333).
      costPerCaseUsd: 0.0013333333,
      turnLatencyMs: { p50: 20, p95: 40, max: 40 },
    });
    expect(report.durationMs).toBe(123);
  });
});

describe('formatReport()', () => {
  it('prints the scores, the agents, the matrix and the mismatches with their actual paths', () => {
    expect(formatReport({ ...report, durationMs: 1200 })).toMatchInlineSnapshot(`
      "Routing evaluation of support (config/support.yaml) on hand-made (cases.yaml)
      3 cases, 4 turns (3 scored) · models: offline · concurrency 2 · 1.2 s

      Routing accuracy  2/3  66.7%
      Path match        1/2  50.0%
      Payload match     0/1   0.0%
      Cases passed      1/3  33.3%

      Per agent
      agent    expected  answered  precision  recall
      triage          0         1       0.0%       —
      billing         2         2     100.0%  100.0%
      sales           1         0          —    0.0%

      Confusion matrix (rows: expected, columns: answered)
      expected \\ answered  triage  billing  sales
      triage                    .        .      .
      billing                   .        2      .
      sales                     1        .      .

      Routing accuracy by tag
      multi  0/1    0.0%
      seed   2/2  100.0%

      Mismatches (2)
      ✗ cases.yaml:7 wrong-payload turn 1 (payload): "hi"
          expected billing, got billing via triage → billing
          payload expected {"amount":99}, got {}
      ✗ cases.yaml:12 two-turns turn 2 (agent, path): "demo please"
          expected sales via triage → sales, got triage via triage

      Usage: 8 model calls · 400 input + 40 output tokens · $0.004000 ($0.001333 a case) · turn latency p50 20 ms, p95 40 ms
      "
    `);
  });
});
