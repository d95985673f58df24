/**
 * Prints the tables of figures written by `bench/run.ts --json FILE`: `tsx bench/show.ts FILE…`.
 * With `--ratios`, the issue-15 target ratios of each file instead, then their median and range
 * over the files (repeated runs on a shared machine: the spread is part of the figure).
 */
import { readFileSync } from 'node:fs';
import { median } from './order.js';
import type { Figures } from './run.js';
import { formatFigures } from './run.js';

/** The target ratios one run gives (names as in BENCHMARKS.md). */
export function targetRatios(figures: Figures): Record<string, number> {
  const ratios: Record<string, number> = {};
  const latency = figures.latency;
  if (latency?.switchboard) {
    if (latency.langgraph) ratios['two-turn: switchboard ÷ hand-written'] = latency.switchboard.medianMs / latency.langgraph.medianMs;
    if (latency.swarm) ratios['two-turn: swarm ÷ switchboard'] = latency.swarm.medianMs / latency.switchboard.medianMs;
    if (latency['openai-agents']) ratios['two-turn: switchboard ÷ Agents SDK'] = latency.switchboard.medianMs / latency['openai-agents'].medianMs;
  }
  if (figures.long) {
    const turns = figures.long.checkpoints;
    const [first, last] = [turns[0]!, turns.at(-1)!];
    for (const [store, rows] of Object.entries(figures.long.stores)) {
      for (const name of ['switchboard', 'langgraph']) {
        const row = rows.perTurn[name];
        if (row) ratios[`long ${store}: ${name} turn ${last} ÷ turn ${first}`] = row[last]! / row[first]!;
      }
      const [sb, lg] = [rows.perTurn.switchboard, rows.perTurn.langgraph];
      if (sb && lg) for (const turn of turns) ratios[`long ${store}: switchboard ÷ hand-written, turn ${turn}`] = sb[turn]! / lg[turn]!;
      const hot = rows.hot.switchboard;
      if (hot) ratios[`long ${store}: switchboard hot checkpoint ÷ window`] = hot.bytes / hot.windowBytes;
    }
  }
  if (figures.depth) for (const [depth, row] of Object.entries(figures.depth)) ratios[`depth ${depth}: switchboard ÷ hand-written`] = row.switchboard / row.langgraph;
  return ratios;
}

const files = process.argv.slice(2).filter((arg) => arg !== '--ratios');
const read = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as Figures;
if (process.argv.includes('--ratios')) {
  const perFile = files.map((file) => targetRatios(read(file)));
  const names = [...new Set(perFile.flatMap((ratios) => Object.keys(ratios)))];
  const cell = (value: number | undefined) => (value === undefined ? '–' : `${value.toFixed(2)}×`);
  process.stdout.write(`| ratio | ${files.map((_, index) => `run ${index + 1}`).join(' | ')} | median | range |\n|---|${files.map(() => '---|').join('')}---|---|\n`);
  for (const name of names) {
    const values = perFile.map((ratios) => ratios[name]);
    const present = values.filter((value): value is number => value !== undefined);
    process.stdout.write(`| ${name} | ${values.map(cell).join(' | ')} | **${cell(median(present))}** | ${cell(Math.min(...present))}–${cell(Math.max(...present))} |\n`);
  }
} else {
  for (const file of files) process.stdout.write(`## ${file}\n\n${formatFigures(read(file))}\n`);
}
