/** Prints the tables of figures written by `bench/run.ts --json FILE`: `tsx bench/show.ts FILE…`. */
import { readFileSync } from 'node:fs';
import { formatFigures } from './run.js';

for (const file of process.argv.slice(2)) process.stdout.write(`## ${file}\n\n${formatFigures(JSON.parse(readFileSync(file, 'utf8')))}\n`);
