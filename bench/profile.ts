/**
 * A CPU profile of Switchboard turns on the benchmark workload (zero-latency model, in memory),
 * summarised: self time by package and by function. `npm run bench:profile [-- --sessions N]`;
 * `--contender langgraph` profiles the hand-written graph instead; `--out FILE` keeps the
 * .cpuprofile for Chrome DevTools.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { parseArgs } from 'node:util';
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
  const { values } = parseArgs({ options: { sessions: { type: 'string', default: '1000' }, contender: { type: 'string', default: 'switchboard' }, out: { type: 'string' } } });
  const factory = CONTENDERS[values.contender];
  if (!factory) throw new Error(`Unknown contender ${values.contender}. Known: ${Object.keys(CONTENDERS).join(', ')}`);
  const contender = await factory({ modelDelayMs: 0, store: 'memory', dir: '/tmp' });
  const sessions = Number(values.sessions);
  const run = async (prefix: string, count: number) => {
    for (let index = 0; index < count; index += 1) {
      await contender.send(`${contender.name}:${prefix}${index}`, FIRST_MESSAGE);
      await contender.send(`${contender.name}:${prefix}${index}`, LATER_MESSAGE);
    }
  };
  await run('warm', Math.min(200, sessions));
  await contender.reset();
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 100 });
  await session.post('Profiler.start');
  await run('profiled', sessions);
  const { profile } = (await session.post('Profiler.stop')) as unknown as { profile: Profile };
  session.disconnect();
  await contender.close();
  if (values.out) writeFileSync(values.out, JSON.stringify(profile));
  const summary = summarise(profile);
  const turns = sessions * 2;
  const line = (entry: { name: string; ms: number; share: number }) =>
    `| ${entry.name} | ${((entry.ms * 1000) / turns).toFixed(1)} µs | ${(entry.share * 100).toFixed(1)}% |`;
  process.stdout.write(`CPU profile of ${turns} ${contender.name} turns: ${((summary.totalMs * 1000) / turns).toFixed(0)} µs of CPU per turn\n\n`);
  process.stdout.write(`| package | self time per turn | share |\n|---|---|---|\n${summary.byPackage.map(line).join('\n')}\n\n`);
  process.stdout.write(`| function | self time per turn | share |\n|---|---|---|\n${summary.byFunction.map(line).join('\n')}\n`);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
