/**
 * The offline accuracy figures published in docs/evaluation.md are measured, not written: this test
 * runs each shipped dataset on its example tree with the offline model and compares.
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { loadDataset } from '../../eval/dataset.js';
import type { EvalReport } from '../../eval/report.js';
import { runEval } from '../../eval/runner.js';
import { compileExample, EXAMPLES } from '../helpers.js';
import { datasetPath } from './helpers.js';

const docs = await readFile(new URL('../../docs/evaluation.md', import.meta.url), 'utf8');

/** The row of the table in docs/evaluation.md for `tree`, as written. */
function publishedRow(tree: string): string[] {
  const row = docs.split('\n').find((line) => line.startsWith(`| ${tree} |`));
  if (!row) throw new Error(`docs/evaluation.md has no row for ${tree}`);
  return row
    .split('|')
    .slice(2, -1)
    .map((cell) => cell.trim());
}

/** The same row, measured. */
function measuredRow(report: EvalReport): string[] {
  const ratio = (score: { correct: number; total: number }) => `${score.correct}/${score.total}`;
  const percent = (score: { rate: number | null }) => `${((score.rate ?? 0) * 100).toFixed(1)}%`;
  const hard = report.tags.find((tag) => tag.tag === 'hard') ?? { correct: 0, total: 0 };
  return [
    String(report.dataset.cases),
    String(report.dataset.scoredTurns),
    `${ratio(report.routing)} (${percent(report.routing)})`,
    `${ratio(report.path)} (${percent(report.path)})`,
    ratio(report.payload),
    ratio(report.cases),
    ratio(hard),
  ];
}

describe('the offline accuracy published in docs/evaluation.md', () => {
  it.each(EXAMPLES)('is what the offline model measures on the %s dataset', async (name) => {
    const { graph, tree } = await compileExample(name, { model: 'offline' });
    const report = await runEval(graph, await loadDataset(datasetPath(name), { trees: [tree] }), { concurrency: 8 });

    expect(report.models).toEqual(['offline']);
    expect(measuredRow(report)).toEqual(publishedRow(name));
  });
});
