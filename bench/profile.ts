/**
 * A CPU profile of Switchboard turns on the benchmark workload (zero-latency model, in memory),
 * summarised: self time by package and by function. `npm run bench:profile [-- --sessions N]`;
 * `--contender langgraph` profiles the hand-written graph instead; `--out FILE` keeps the
 * .cpuprofile for Chrome DevTools. Long conversations: `--turns 200 --from 190` runs each session to
 * turn 189 unprofiled, then profiles turns 190–200 (`--from 2` beside it gives the early turns);
 * `--store sqlite|postgres` profiles on a database. `--chain 8` profiles one-turn sessions walking a
 * chain of 8 handoffs (bench/contenders/chain.ts; `--contender langgraph` for the hand-written chain).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Session } from 'node:inspector/promises';
import { parseArgs } from 'node:util';
import { handwrittenChain, switchboardChain } from './contenders/chain.js';
import { CONTENDERS } from './contenders/index.js';
import { FIRST_MESSAGE, LATER_MESSAGE } from './workload.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  totalMs: number;
  byPackage: { name: string; ms: number; share: number }[];
  byFunction: { name: string; ms: number; share: number }[];
}

/** The package a script belongs to (`@langchain/langgraph`, `switchboard`, `node`…). */
export function packageOf(url: string): string {
  if (url === '') return '(vm, gc, idle)';
  if (url.startsWith('node:')) return 'node';
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (match) return match[1]!;
  return url.includes('/bench/') ? 'bench (fake model, harness)' : 'switchboard';
}

export function summarise(profile: Profile, top = 25): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map<number, number>();
  profile.samples.forEach((id, index) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0)));
  const packages = new Map<string, number>();
  const functions = new Map<string, number>();
  let total = 0;
  for (const [id, micros] of self) {
    const frame = byId.get(id)!.callFrame;
    if (frame.functionName === '(idle)' || frame.functionName === '(program)') continue;
    total += micros;
    const pkg = packageOf(frame.url);
    packages.set(pkg, (packages.get(pkg) ?? 0) + micros);
    const file = frame.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/main\//, '');
    const name = `${frame.functionName || '(anonymous)'} ${file ? `${file}:${frame.lineNumber + 1}` : `(${frame.functionName})`}`;
    functions.set(name, (functions.get(name) ?? 0) + micros);
  }
  const rank = (entries: Map<string, number>) =>
    [...entries]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, micros]) => ({ name, ms: micros / 1000, share: micros / total }));
  return { totalMs: total / 1000, byPackage: rank(packages), byFunction: rank(functions) };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      sessions: { type: 'string', default: '1000' },
      contender: { type: 'string', default: 'switchboard' },
      out: { type: 'string' },
      turns: { type: 'string', default: '2' },
      from: { type: 'string', default: '1' },
      store: { type: 'string', default: 'memory' },
      chain: { type: 'string' },
    },
  });
  const chain = values.chain === undefined ? undefined : Number(values.chain);
  const factory = chain === undefined ? CONTENDERS[values.contender] : values.contender === 'langgraph' ? handwrittenChain(chain) : switchboardChain(chain);
  if (!factory) throw new Error(`Unknown contender ${values.contender}. Known: ${Object.keys(CONTENDERS).join(', ')}`);
  const store = values.store as 'memory' | 'sqlite' | 'postgres';
  if (!['memory', 'sqlite', 'postgres'].includes(store)) throw new Error(`--store takes memory, sqlite or postgres, got ${values.store}`);
  const contender = await factory({ modelDelayMs: 0, store, dir: mkdtempSync(join(tmpdir(), 'switchboard-profile-')) });
  const sessions = Number(values.sessions);
  const [turns, from] = chain === undefined ? [Number(values.turns), Number(values.from)] : [1, 1];
  if (!(turns >= 1 && from >= 1 && from <= turns)) throw new Error(`--turns takes 2 or more and --from a turn from 1 to --turns (got ${values.turns}, ${values.from}).`);
  const tag = Date.now().toString(36);
  /** Turns `first` to `last` (1-based) of `count` sessions, session after session. */
  const run = async (prefix: string, count: number, first = 1, last = turns) => {
    for (let index = 0; index < count; index += 1) {
      for (let turn = first; turn <= last; turn += 1) await contender.send(`${contender.name}:${tag}:${prefix}${index}`, turn === 1 ? FIRST_MESSAGE : LATER_MESSAGE);
    }
  };
  await run('warm', Math.min(200, sessions), 1, Math.min(turns, 4));
  await contender.reset();
  if (from > 1) await run('profiled', sessions, 1, from - 1);
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 100 });
  await session.post('Profiler.start');
  await run('profiled', sessions, from, turns);
  const { profile } = (await session.post('Profiler.stop')) as unknown as { profile: Profile };
  session.disconnect();
  await contender.reset();
  await contender.close();
  if (values.out) writeFileSync(values.out, JSON.stringify(profile));
  const summary = summarise(profile);
  const profiled = sessions * (turns - from + 1);
  const line = (entry: { name: string; ms: number; share: number }) =>
    `| ${entry.name} | ${((entry.ms * 1000) / profiled).toFixed(1)} µs | ${(entry.share * 100).toFixed(1)}% |`;
  process.stdout.write(`CPU profile of ${profiled} ${contender.name} turns (turns ${from}–${turns} of ${sessions} sessions, ${store}): ${((summary.totalMs * 1000) / profiled).toFixed(0)} µs of CPU per turn\n\n`);
  process.stdout.write(`| package | self time per turn | share |\n|---|---|---|\n${summary.byPackage.map(line).join('\n')}\n\n`);
  process.stdout.write(`| function | self time per turn | share |\n|---|---|---|\n${summary.byFunction.map(line).join('\n')}\n`);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
