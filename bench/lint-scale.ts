/**
 * How lint's time grows with the size of a tree: each of bench/trees.ts's `LINT_STRESS` trees at a
 * ninth, a third and all of its size (the largest just under the 1 MB file limit), linted in turn,
 * the median of `--runs` runs each. Growth is the time per agent at the largest size ÷ at the
 * smallest: about 1 for linear work, about 9 for quadratic. `npx tsx bench/lint-scale.ts [--runs 5]`.
 * Benchmark lines, never test assertions (test/config/hostile.test.ts checks what lint says of them).
 */
import { parseArgs } from 'node:util';
import { lintTreeText } from '../config/load.js';
import { createExampleTools } from '../tools/examples.js';
import { LINT_STRESS } from './trees.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' } } });
const runs = Number(values.runs);
const tools = createExampleTools();
const LARGEST = { chain: 9_000, people: 5_000, unknowns: 5_000 } satisfies Record<keyof typeof LINT_STRESS, number>;

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function lintMs(text: string, file: string): number {
  const started = performance.now();
  lintTreeText(text, file, { tools });
  return performance.now() - started;
}

console.log('| tree | agents | lint (median) | per agent | growth (per agent, largest ÷ smallest) |');
console.log('|---|---|---|---|---|');
for (const [name, largest] of Object.entries(LARGEST) as [keyof typeof LINT_STRESS, number][]) {
  const sizes = [Math.round(largest / 9), Math.round(largest / 3), largest];
  const texts = sizes.map((size) => LINT_STRESS[name](size));
  // Warm-up, then the sizes interleaved so that the machine's drift touches each alike.
  for (const text of texts) lintMs(text, `${name}.yaml`);
  const samples = sizes.map(() => [] as number[]);
  for (let run = 0; run < runs; run += 1) texts.forEach((text, index) => samples[index]!.push(lintMs(text, `${name}.yaml`)));
  const perAgent = sizes.map((size, index) => median(samples[index]!) / size);
  sizes.forEach((size, index) => {
    const growth = index === sizes.length - 1 ? `**${(perAgent[index]! / perAgent[0]!).toFixed(2)}×**` : '';
    console.log(`| ${name} | ${size} | ${median(samples[index]!).toFixed(0)} ms | ${(perAgent[index]! * 1000).toFixed(0)} µs | ${growth} |`);
  });
}
