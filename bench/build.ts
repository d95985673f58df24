/**
 * Switchboard as its users run it: the build in `dist/` (`npm run build`, which `npm run bench`
 * runs first), not the TypeScript sources. tsx compiles sources with esbuild's `keepNames`, which
 * wraps every function it creates in a naming helper: a few percent of a turn that the published
 * package never pays, and that the LangGraph code under every contender (built JavaScript) does not
 * pay either.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type * as Switchboard from '../index.js';

const ENTRY = new URL('../dist/index.js', import.meta.url);

if (!existsSync(fileURLToPath(ENTRY))) throw new Error('The benchmark runs Switchboard from its build: run `npm run build` first (`npm run bench` does).');

export const switchboard = (await import(ENTRY.href)) as typeof Switchboard;
