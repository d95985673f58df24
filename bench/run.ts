/**
 * The benchmark: the same workload (bench/workload.ts) on every contender, interleaved in one
 * process and one run, so ratios hold even on a noisy machine. `npm run bench` prints the tables of
 * BENCHMARKS.md; `-- --quick` runs every section small (a smoke run); `-- --sessions N` sets the
 * sessions of the per-turn figures; `-- --only latency,bytes` (or `--section long`) picks sections
 * (`all`: every one; `issue15`: latency, long and depth, the figures of the hot-state targets;
 * `--long-contenders switchboard --long-stores memory,sqlite` narrows the long section);
 * `-- --json FILE` writes the figures. Contenders run in a new order each round (bench/order.ts).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { switchboard } from './build.js';
import { CONTENDERS } from './contenders/index.js';
import { switchboardContender } from './contenders/switchboard.js';
import { formatDepth, handoffDepth } from './handoff-depth.js';
import type { DepthFigures, DepthOptions } from './handoff-depth.js';
import { formatLong, longConversation } from './long-conversation.js';
import type { LongFigures, LongOptions } from './long-conversation.js';
import { roundOrder } from './order.js';
import { generateTree } from './trees.js';
import { delay, FIRST_MESSAGE, LATER_MESSAGE } from './workload.js';
import type { Contender, ContenderFactory, ContenderOptions } from './workload.js';

export interface BenchOptions {
  /** Sessions (of two turns) per contender for the per-turn figures. */
  sessions: number;
  /** Interleaved rounds each measurement is split into. */
  rounds: number;
  /** Sessions at once for the throughput figures. */
  concurrency: number[];
  /** Sessions per contender with SQLite and PostgreSQL. */
  storeSessions: number;
  treeSizes: number[];
  /**
   * The slow-model run: sessions open at once, the model's latency, turns per session, and how long
   * each user reads before writing again (sessions start spread over one such pause).
   */
  slow: { sessions: number; modelMs: number; turns: number; thinkMs: number };
  long: LongOptions;
  depth: DepthOptions;
  sections: Set<Section>;
  log: (line: string) => void;
  /** Called with the figures so far after each section (so a long run's figures survive a later failure). */
  progress?: (figures: Figures) => void;
}

export const SECTIONS = ['latency', 'throughput', 'bytes', 'stores', 'cold', 'slow', 'long', 'depth'] as const;
/** Named groups of sections for `--only` / `--section`. */
export const SECTION_GROUPS: Record<string, readonly Section[]> = { all: SECTIONS, issue15: ['latency', 'long', 'depth'] };
export type Section = (typeof SECTIONS)[number];

export const FULL: Omit<BenchOptions, 'sections' | 'log'> = {
  sessions: 2000,
  rounds: 10,
  concurrency: [100, 1000],
  storeSessions: 200,
  treeSizes: [10, 100, 1000],
  slow: { sessions: 500, modelMs: 300, turns: 4, thinkMs: 3000 },
  long: { checkpoints: [2, 20, 50, 200], threads: 4, stores: ['memory', 'sqlite', 'postgres'] },
  depth: { handoffs: [1, 2, 4, 8], sessions: 400, rounds: 8 },
};
export const QUICK: Omit<BenchOptions, 'sections' | 'log'> = {
  sessions: 20,
  rounds: 2,
  concurrency: [10],
  storeSessions: 4,
  treeSizes: [10, 50],
  slow: { sessions: 10, modelMs: 20, turns: 2, thinkMs: 50 },
  long: { checkpoints: [2, 8], threads: 1, stores: ['memory', 'sqlite'] },
  depth: { handoffs: [1, 2], sessions: 4, rounds: 2 },
};

/** Contenders of the memory figures; the keep-all Switchboard shows what retention saves. */
const MEMORY_CONTENDERS: Record<string, ContenderFactory> = { ...CONTENDERS, 'switchboard (retention all)': switchboardContender('switchboard-keep-all', { retention: 'all' }) };
const STORE_CONTENDERS = ['switchboard', 'langgraph', 'swarm'];

export interface Figures {
  latency?: Record<string, { medianMs: number; p95Ms: number; turns: number }>;
  throughput?: Record<string, Record<number, number>>;
  bytes?: Record<string, { after2: number; after10: number }>;
  stores?: Record<string, Record<string, { medianMs: number; p95Ms: number }>>;
  cold?: { agents: number; loadLintMs: number; compileMs: number; totalMs: number; perAgentUs: number }[];
  slow?: Record<string, { p95Ratio: number; p50Ratio: number; maxRatio: number; thinkMs: number }[]>;
  long?: LongFigures;
  depth?: DepthFigures;
}

export async function runBench(options: BenchOptions): Promise<Figures> {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-bench-'));
  const figures: Figures = {};
  try {
    const memory = { modelDelayMs: 0, store: 'memory', dir } as const;
    const done = () => options.progress?.(figures);
    if (options.sections.has('latency')) {
      figures.latency = await latency(options, await open(MEMORY_CONTENDERS, memory));
      done();
    }
    if (options.sections.has('throughput')) {
      figures.throughput = await throughput(options, await open(MEMORY_CONTENDERS, memory));
      done();
    }
    if (options.sections.has('bytes')) {
      figures.bytes = await bytes(await open(MEMORY_CONTENDERS, memory));
      done();
    }
    if (options.sections.has('stores')) {
      figures.stores = await stores(options, dir);
      done();
    }
    if (options.sections.has('cold')) {
      figures.cold = cold(options);
      done();
    }
    if (options.sections.has('slow')) {
      figures.slow = await slow(options, dir);
      done();
    }
    if (options.sections.has('long')) {
      figures.long = await longConversation(options.long, dir, options.log);
      done();
    }
    if (options.sections.has('depth')) {
      figures.depth = await handoffDepth(options.depth, dir, options.log);
      done();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return figures;
}

async function open(factories: Record<string, ContenderFactory>, options: ContenderOptions, only?: string[]): Promise<Map<string, Contender>> {
  const opened = new Map<string, Contender>();
  for (const [name, factory] of Object.entries(factories)) if (!only || only.includes(name)) opened.set(name, await factory(options));
  return opened;
}

async function closeAll(contenders: Map<string, Contender>): Promise<void> {
  for (const contender of contenders.values()) await contender.close();
}

/** One session of `turns` turns; the time of each turn, in ms. */
async function session(contender: Contender, id: string, turns = 2): Promise<number[]> {
  const times: number[] = [];
  for (let turn = 0; turn < turns; turn += 1) {
    const started = performance.now();
    await contender.send(id, turn === 0 ? FIRST_MESSAGE : LATER_MESSAGE);
    times.push(performance.now() - started);
  }
  return times;
}

/** Runs `work` on every contender, round after round, in a new order each round (its neighbours change too). */
async function interleave(contenders: Map<string, Contender>, rounds: number, work: (contender: Contender, name: string, round: number) => Promise<void>): Promise<void> {
  const names = [...contenders.keys()];
  for (let round = 0; round < rounds; round += 1) {
    for (const name of roundOrder(names, round)) await work(contenders.get(name)!, name, round);
  }
}

async function latency(options: BenchOptions, contenders: Map<string, Contender>): Promise<NonNullable<Figures['latency']>> {
  const perRound = Math.max(1, Math.round(options.sessions / options.rounds));
  const times = new Map<string, number[]>();
  // Warm up every contender (JIT, first-use setup) before anything is measured.
  await interleave(contenders, 1, async (contender) => {
    for (let index = 0; index < Math.min(100, perRound); index += 1) await session(contender, `${contender.name}:warm:${index}`);
    await contender.reset();
  });
  await interleave(contenders, options.rounds, async (contender, name, round) => {
    const list = times.get(name) ?? [];
    for (let index = 0; index < perRound; index += 1) list.push(...(await session(contender, `${contender.name}:${round}:${index}`)));
    times.set(name, list);
    await contender.reset();
    options.log(`latency: ${name} round ${round + 1}/${options.rounds}`);
  });
  await closeAll(contenders);
  return Object.fromEntries([...times].map(([name, list]) => [name, { medianMs: percentile(list, 0.5), p95Ms: percentile(list, 0.95), turns: list.length }]));
}

async function throughput(options: BenchOptions, contenders: Map<string, Contender>): Promise<NonNullable<Figures['throughput']>> {
  const result: NonNullable<Figures['throughput']> = {};
  for (const atOnce of options.concurrency) {
    const rates = new Map<string, number[]>();
    await interleave(contenders, 3, async (contender, name, round) => {
      const started = performance.now();
      await Promise.all(Array.from({ length: atOnce }, (_, index) => session(contender, `${contender.name}:c${atOnce}:${round}:${index}`)));
      const seconds = (performance.now() - started) / 1000;
      rates.set(name, [...(rates.get(name) ?? []), (atOnce * 2) / seconds]);
      await contender.reset();
      options.log(`throughput: ${name}, ${atOnce} at once, round ${round + 1}/3`);
    });
    for (const [name, list] of rates) (result[name] ??= {})[atOnce] = percentile(list, 0.5);
  }
  await closeAll(contenders);
  return result;
}

async function bytes(contenders: Map<string, Contender>): Promise<NonNullable<Figures['bytes']>> {
  const result: NonNullable<Figures['bytes']> = {};
  for (const [name, contender] of contenders) {
    const after2: number[] = [];
    const after10: number[] = [];
    for (let index = 0; index < 5; index += 1) {
      const id = `${contender.name}:bytes:${index}`;
      await session(contender, id, 2);
      after2.push(await contender.bytesKept(id));
      for (let turn = 2; turn < 10; turn += 1) await contender.send(id, LATER_MESSAGE);
      after10.push(await contender.bytesKept(id));
    }
    result[name] = { after2: percentile(after2, 0.5), after10: percentile(after10, 0.5) };
    await contender.close();
  }
  return result;
}

async function stores(options: BenchOptions, dir: string): Promise<NonNullable<Figures['stores']>> {
  const result: NonNullable<Figures['stores']> = {};
  for (const store of ['sqlite', 'postgres'] as const) {
    const contenders = await open(CONTENDERS, { modelDelayMs: 0, store, dir }, STORE_CONTENDERS);
    const times = new Map<string, number[]>();
    const rounds = Math.min(options.rounds, 4);
    const perRound = Math.max(1, Math.round(options.storeSessions / rounds));
    await interleave(contenders, rounds + 1, async (contender, name, round) => {
      const list: number[] = [];
      for (let index = 0; index < perRound; index += 1) list.push(...(await session(contender, `${contender.name}:${store}:${round}:${index}`)));
      // The first round warms up (JIT, connections, prepared statements).
      if (round > 0) times.set(name, [...(times.get(name) ?? []), ...list]);
      options.log(`stores: ${name} on ${store}, round ${round + 1}/${rounds + 1}`);
    });
    for (const contender of contenders.values()) await contender.reset();
    await closeAll(contenders);
    result[store] = Object.fromEntries([...times].map(([name, list]) => [name, { medianMs: percentile(list, 0.5), p95Ms: percentile(list, 0.95) }]));
  }
  return result;
}

/** Load + lint (parseTree) and compile, for generated trees; the median of several runs. */
function cold(options: BenchOptions): NonNullable<Figures['cold']> {
  const texts = options.treeSizes.map((agents) => ({ agents, text: generateTree(agents) }));
  const { compileTree, parseTree } = switchboard;
  // Warm up on the smallest tree.
  for (let index = 0; index < 5; index += 1) compileTree(parseTree(texts[0]!.text, 'warm.yaml'), { checkpointer: false, model: 'offline' });
  return texts.map(({ agents, text }) => {
    const load: number[] = [];
    const compile: number[] = [];
    for (let run = 0; run < 7; run += 1) {
      const started = performance.now();
      const tree = parseTree(text, `generated-${agents}.yaml`);
      const parsed = performance.now();
      compileTree(tree, { checkpointer: false, model: 'offline' });
      load.push(parsed - started);
      compile.push(performance.now() - parsed);
    }
    const loadLintMs = percentile(load, 0.5);
    const compileMs = percentile(compile, 0.5);
    options.log(`cold: ${agents} agents`);
    return { agents, loadLintMs, compileMs, totalMs: loadLintMs + compileMs, perAgentUs: ((loadLintMs + compileMs) * 1000) / agents };
  });
}

/**
 * Many sessions at once on a slow model: how much the orchestrator adds to the model's time. Users
 * read before they write again (`thinkMs`); the same run with no pause shows the CPU's ceiling.
 */
async function slow(options: BenchOptions, dir: string): Promise<NonNullable<Figures['slow']>> {
  const { sessions, modelMs, turns, thinkMs } = options.slow;
  const contenders = await open(CONTENDERS, { modelDelayMs: modelMs, store: 'memory', dir }, ['switchboard', 'langgraph', 'openai-agents']);
  const result: NonNullable<Figures['slow']> = {};
  for (const pause of [thinkMs, 0]) {
    await interleave(contenders, 1, async (contender, name) => {
      const user = async (index: number): Promise<number[]> => {
        await delay(pause === 0 ? 0 : (index / sessions) * pause);
        const id = `${contender.name}:slow:${pause}:${index}`;
        const ratios: number[] = [];
        for (let turn = 0; turn < (pause === 0 ? 2 : turns); turn += 1) {
          if (turn > 0) await delay(pause);
          const started = performance.now();
          await contender.send(id, turn === 0 ? FIRST_MESSAGE : LATER_MESSAGE);
          // Turn 1 makes two model calls (triage, billing), later turns one.
          ratios.push((performance.now() - started) / ((turn === 0 ? 2 : 1) * modelMs));
        }
        return ratios;
      };
      const ratios = (await Promise.all(Array.from({ length: sessions }, (_, index) => user(index)))).flat();
      (result[name] ??= []).push({ thinkMs: pause, p50Ratio: percentile(ratios, 0.5), p95Ratio: percentile(ratios, 0.95), maxRatio: Math.max(...ratios) });
      await contender.reset();
      options.log(`slow: ${name}, ${pause} ms between messages`);
    });
  }
  await closeAll(contenders);
  return result;
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

/** The figures as Markdown tables, with the ratios the targets are stated in. */
export function formatFigures(figures: Figures): string {
  const out: string[] = [];
  const ms = (value: number) => (value < 0.1 ? `${(value * 1000).toFixed(1)} µs` : `${value.toFixed(2)} ms`);
  const ratio = (a: number, b: number) => (Number.isFinite(a / b) ? `${(a / b).toFixed(2)}×` : '–');
  if (figures.latency) {
    const base = figures.latency.langgraph;
    out.push('### Per turn (zero-latency model, in memory)', '', '| contender | median | p95 | median ÷ raw LangGraph | turns |', '|---|---|---|---|---|');
    for (const [name, row] of Object.entries(figures.latency)) out.push(`| ${name} | ${ms(row.medianMs)} | ${ms(row.p95Ms)} | ${base ? ratio(row.medianMs, base.medianMs) : '–'} | ${row.turns} |`);
    const sb = figures.latency.switchboard;
    const swarm = figures.latency.swarm;
    if (sb && swarm) out.push('', `Swarm's median ÷ Switchboard's: ${ratio(swarm.medianMs, sb.medianMs)} (target ≥ 2.5×).`);
    if (sb && base) out.push(`Switchboard's median ÷ the hand-written graph's: ${ratio(sb.medianMs, base.medianMs)} (target ≤ 1.0×).`);
    const agents = figures.latency['openai-agents'];
    if (sb && agents) out.push(`Switchboard's median ÷ the OpenAI Agents SDK's: ${ratio(sb.medianMs, agents.medianMs)} (stretch ≤ 2.5×).`);
    out.push('');
  }
  if (figures.throughput) {
    const levels = [...new Set(Object.values(figures.throughput).flatMap((row) => Object.keys(row)))];
    out.push('### Turns per second, sessions at once (2 turns each)', '', `| contender | ${levels.map((level) => `${level} at once`).join(' | ')} |`, `|---|${levels.map(() => '---|').join('')}`);
    for (const [name, row] of Object.entries(figures.throughput)) out.push(`| ${name} | ${levels.map((level) => (row[Number(level)] ?? Number.NaN).toFixed(0)).join(' | ')} |`);
    out.push('');
  }
  if (figures.bytes) {
    const base = figures.bytes.langgraph;
    out.push('### Bytes kept per session', '', '| contender | after 2 turns | after 10 turns | 10 ÷ 2 | after 2 ÷ raw LangGraph | after 10 ÷ raw LangGraph |', '|---|---|---|---|---|---|');
    for (const [name, row] of Object.entries(figures.bytes)) {
      out.push(`| ${name} | ${(row.after2 / 1024).toFixed(1)} KB | ${(row.after10 / 1024).toFixed(1)} KB | ${ratio(row.after10, row.after2)} | ${base ? ratio(row.after2, base.after2) : '–'} | ${base ? ratio(row.after10, base.after10) : '–'} |`);
    }
    out.push('');
  }
  if (figures.stores) {
    out.push('### Per turn with a database (zero-latency model)', '', '| store | contender | median | p95 | median ÷ raw LangGraph |', '|---|---|---|---|---|');
    for (const [store, rows] of Object.entries(figures.stores)) {
      for (const [name, row] of Object.entries(rows)) out.push(`| ${store} | ${name} | ${ms(row.medianMs)} | ${ms(row.p95Ms)} | ${rows.langgraph ? ratio(row.medianMs, rows.langgraph.medianMs) : '–'} |`);
    }
    out.push('');
  }
  if (figures.cold) {
    out.push('### Load + lint + compile', '', '| agents | load + lint | compile | total | per agent |', '|---|---|---|---|---|');
    for (const row of figures.cold) out.push(`| ${row.agents} | ${ms(row.loadLintMs)} | ${ms(row.compileMs)} | ${ms(row.totalMs)} | ${row.perAgentUs.toFixed(0)} µs |`);
    const [first, last] = [figures.cold[0], figures.cold.at(-1)];
    if (first && last && last !== first) out.push('', `Time per agent, largest ÷ smallest tree: ${ratio(last.perAgentUs, first.perAgentUs)} (1.00× is linear).`);
    out.push('');
  }
  if (figures.slow) {
    out.push('### Slow model, many sessions at once', '', '| contender | pause between a reply and the next message | p50 turn ÷ model time | p95 turn ÷ model time | max |', '|---|---|---|---|---|');
    for (const [name, rows] of Object.entries(figures.slow)) {
      for (const row of rows) out.push(`| ${name} | ${row.thinkMs} ms | ${row.p50Ratio.toFixed(4)} | ${row.p95Ratio.toFixed(4)} | ${row.maxRatio.toFixed(4)} |`);
    }
    out.push('');
  }
  if (figures.long) out.push(...formatLong(figures.long, ms, ratio));
  if (figures.depth) out.push(...formatDepth(figures.depth, ms, ratio));
  return out.join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, only: { type: 'string' }, section: { type: 'string' }, 'long-contenders': { type: 'string' }, 'long-stores': { type: 'string' }, sessions: { type: 'string' }, json: { type: 'string' } } });
  const sections = new Set<Section>();
  for (const section of (values.only ?? values.section ?? 'all').split(',')) {
    const group = SECTION_GROUPS[section];
    if (group) group.forEach((name) => sections.add(name));
    else if ((SECTIONS as readonly string[]).includes(section)) sections.add(section as Section);
    else throw new Error(`Unknown section "${section}". Sections: ${SECTIONS.join(', ')}, or ${Object.keys(SECTION_GROUPS).join(', ')}.`);
  }
  const base = values.quick ? QUICK : FULL;
  const sessions = values.sessions === undefined ? base.sessions : Number(values.sessions);
  if (!Number.isInteger(sessions) || sessions < 1) throw new Error(`--sessions takes a whole number of sessions, got "${values.sessions}".`);
  const json = values.json;
  const write = (figures: Figures) => json && writeFileSync(json, `${JSON.stringify(figures, null, 2)}\n`);
  const long = { ...base.long, ...(values['long-contenders'] ? { contenders: values['long-contenders'].split(',') } : {}), ...(values['long-stores'] ? { stores: values['long-stores'].split(',') as LongOptions['stores'] } : {}) };
  const figures = await runBench({ ...base, long, sessions, sections, log: (line) => process.stderr.write(`${line}\n`), progress: write });
  write(figures);
  process.stdout.write(`${formatFigures(figures)}\n`);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
