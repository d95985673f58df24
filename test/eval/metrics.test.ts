import { describe, expect, it } from 'vitest';
import { percentile, routingMetrics, score } from '../../eval/metrics.js';

/**
 * Nine scored turns, computed by hand:
 *
 * expected \ actual  triage  billing  technical  sales  (error)
 * triage                  .        .          .      .        .
 * billing                 .        3          1      .        .
 * technical               .        1          2      .        .
 * sales                   1        .          .      .        1
 *
 * accuracy 5/9; billing P 3/4 R 3/4; technical P 2/3 R 2/3; sales P — (never answered) R 0/2;
 * triage P 0/1 R — (never expected).
 */
const pairs = [
  ...Array.from({ length: 3 }, () => ({ expected: 'billing', actual: 'billing' })),
  { expected: 'billing', actual: 'technical' },
  { expected: 'technical', actual: 'technical' },
  { expected: 'technical', actual: 'billing' },
  { expected: 'technical', actual: 'technical' },
  { expected: 'sales', actual: 'triage' },
  { expected: 'sales', actual: '(error)' },
];

describe('routingMetrics()', () => {
  const metrics = routingMetrics(pairs, ['triage', 'billing', 'technical', 'sales'], '(error)');

  it('counts accuracy over every pair', () => {
    expect(metrics.accuracy).toEqual({ correct: 5, total: 9, rate: 5 / 9 });
  });

  it('gives each agent its precision (of what it answered) and recall (of what it should have)', () => {
    expect(metrics.agents).toEqual([
      { agent: 'triage', expected: 0, actual: 1, correct: 0, precision: 0, recall: null },
      { agent: 'billing', expected: 4, actual: 4, correct: 3, precision: 3 / 4, recall: 3 / 4 },
      { agent: 'technical', expected: 3, actual: 3, correct: 2, precision: 2 / 3, recall: 2 / 3 },
      { agent: 'sales', expected: 2, actual: 0, correct: 0, precision: null, recall: 0 },
    ]);
  });

  it('builds the confusion matrix with expected rows and actual columns, in tree order, failures last', () => {
    expect(metrics.confusion).toEqual({
      labels: ['triage', 'billing', 'technical', 'sales', '(error)'],
      counts: [
        [0, 0, 0, 0, 0],
        [0, 3, 1, 0, 0],
        [0, 1, 2, 0, 0],
        [1, 0, 0, 0, 1],
        [0, 0, 0, 0, 0],
      ],
    });
  });

  it('orders agents the tree does not list alphabetically after those it does', () => {
    expect(
      routingMetrics(
        [
          { expected: 'zeta', actual: 'alpha' },
          { expected: 'billing', actual: 'billing' },
        ],
        ['billing'],
      ).confusion.labels,
    ).toEqual(['billing', 'alpha', 'zeta']);
  });

  it('has no rate without pairs', () => {
    expect(routingMetrics([])).toEqual({
      accuracy: { correct: 0, total: 0, rate: null },
      agents: [],
      confusion: { labels: [], counts: [] },
    });
  });
});

describe('percentile()', () => {
  it('takes the nearest rank', () => {
    expect(percentile([5, 1, 4, 2, 3], 50)).toBe(3);
    expect(percentile([5, 1, 4, 2, 3], 95)).toBe(5);
    expect(
      percentile(
        Array.from({ length: 20 }, (_, index) => index + 1),
        95,
      ),
    ).toBe(19);
    expect(percentile([7], 0)).toBe(7);
  });

  it('is null for no values', () => {
    expect(percentile([], 50)).toBeNull();
  });
});

describe('score()', () => {
  it('is a rate out of a total', () => {
    expect(score(3, 4)).toEqual({ correct: 3, total: 4, rate: 0.75 });
    expect(score(0, 0).rate).toBeNull();
  });
});
