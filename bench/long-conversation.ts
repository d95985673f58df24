/**
 * The long-conversation section: threads of many turns, one after another on the same thread, on
 * memory, SQLite and PostgreSQL, Switchboard beside the hand-written LangGraph graph. The contenders
 * advance in lockstep (turn k of every contender's threads before turn k + 1, in a new order each
 * turn), so both see the same load at the same turn. Per-turn cost at a checkpoint turn is the
 * median over the threads and three turns there (turns 2–4 for turn 2, turns c − 2 to c for
 * c > 2); growth is the last checkpoint's cost ÷ the first's. After the last turn: the bytes of the
 * latest checkpoint (the hot state) and of that checkpoint with only the largest history window's
 * messages (what the window needs), and all a store keeps for the thread.
 */
import { create as langgraph } from './contenders/langgraph.js';
import { create as openaiAgents } from './contenders/openai-agents.js';
import { create as switchboard } from './contenders/switchboard.js';
import { median, roundOrder } from './order.js';
import { FIRST_MESSAGE, LATER_MESSAGE } from './workload.js';
import type { Contender, ContenderFactory, HotCheckpoint } from './workload.js';

export type LongStore = 'memory' | 'sqlite' | 'postgres';

export interface LongOptions {
  /** The turns reported; the threads run to the last. */
  checkpoints: number[];
  /** Threads per contender and store. */
  threads: number;
  stores: LongStore[];
  /** Only these contenders (default: all). Alone, a contender's growth is free of its neighbours' heaps. */
  contenders?: string[];
}

export interface LongStoreFigures {
  /** Median ms per turn, by contender, by checkpoint turn. */
  perTurn: Record<string, Record<number, number>>;
  /** After the last turn, the median thread. */
  hot: Record<string, HotCheckpoint & { storedBytes: number }>;
}

export type LongFigures = { checkpoints: number[]; stores: Partial<Record<LongStore, LongStoreFigures>> };

const CONTENDERS: Record<string, ContenderFactory> = { switchboard, langgraph };
/** In memory only (it has no database store): the Agents SDK, which re-sends the whole history each turn. */
const MEMORY_ONLY: Record<string, ContenderFactory> = { 'openai-agents': openaiAgents };

/** The turns sampled for checkpoint `turn`. */
export function sampledTurns(turn: number, first: number, last: number): number[] {
  const turns = turn === first ? [turn, turn + 1, turn + 2] : [turn - 2, turn - 1, turn];
  return turns.filter((value) => value >= 1 && value <= last);
}

export async function longConversation(options: LongOptions, dir: string, log: (line: string) => void): Promise<LongFigures> {
  const last = Math.max(...options.checkpoints);
  const first = Math.min(...options.checkpoints);
  const run = Date.now().toString(36);
  const figures: LongFigures = { checkpoints: [...options.checkpoints].sort((a, b) => a - b), stores: {} };
  for (const store of options.stores) {
    const all = store === 'memory' ? { ...CONTENDERS, ...MEMORY_ONLY } : CONTENDERS;
    const factories = Object.fromEntries(Object.entries(all).filter(([name]) => !options.contenders || options.contenders.includes(name)));
    const contenders = new Map<string, Contender>();
    for (const [name, factory] of Object.entries(factories)) contenders.set(name, await factory({ modelDelayMs: 0, store, dir }));
    const names = [...contenders.keys()];
    const threadId = (name: string, thread: number) => `${contenders.get(name)!.name}:long:${run}:${store}:${thread}`;
    // Warm up (JIT, connections, prepared statements) on threads of their own.
    for (const name of names) for (let turn = 0; turn < 4; turn += 1) await contenders.get(name)!.send(`${contenders.get(name)!.name}:long-warm:${run}:${store}`, turn === 0 ? FIRST_MESSAGE : LATER_MESSAGE);
    const times = new Map(names.map((name) => [name, new Map<number, number[]>()]));
    for (let turn = 1; turn <= last; turn += 1) {
      for (const name of roundOrder(names, turn)) {
        const contender = contenders.get(name)!;
        const list: number[] = [];
        for (let thread = 0; thread < options.threads; thread += 1) {
          const started = performance.now();
          await contender.send(threadId(name, thread), turn === 1 ? FIRST_MESSAGE : LATER_MESSAGE);
          list.push(performance.now() - started);
        }
        times.get(name)!.set(turn, list);
      }
      if (turn % 25 === 0 || turn === last) log(`long: ${store}, turn ${turn}/${last}`);
    }
    const perTurn: LongStoreFigures['perTurn'] = {};
    const hot: LongStoreFigures['hot'] = {};
    for (const name of names) {
      const byTurn = times.get(name)!;
      perTurn[name] = Object.fromEntries(figures.checkpoints.map((turn) => [turn, median(sampledTurns(turn, first, last).flatMap((sampled) => byTurn.get(sampled) ?? []))]));
      const contender = contenders.get(name)!;
      if (!contender.hotCheckpoint) continue;
      const rows: (HotCheckpoint & { storedBytes: number })[] = [];
      for (let thread = 0; thread < options.threads; thread += 1) rows.push({ ...(await contender.hotCheckpoint(threadId(name, thread))), storedBytes: await contender.bytesKept(threadId(name, thread)) });
      rows.sort((a, b) => a.bytes - b.bytes);
      hot[name] = rows[Math.floor(rows.length / 2)]!;
    }
    for (const contender of contenders.values()) {
      await contender.reset();
      await contender.close();
    }
    figures.stores[store] = { perTurn, hot };
  }
  return figures;
}

export function formatLong(figures: LongFigures, ms: (value: number) => string, ratio: (a: number, b: number) => string): string[] {
  const turns = figures.checkpoints;
  const [first, last] = [turns[0]!, turns.at(-1)!];
  const out = [
    `### Long conversations: per turn at turns ${turns.join(', ')} of one thread (zero-latency model)`,
    '',
    `| store | contender | ${turns.map((turn) => `turn ${turn}`).join(' | ')} | turn ${last} ÷ turn ${first} | ${turns.map((turn) => `÷ hand-written, turn ${turn}`).join(' | ')} |`,
    `|---|---|${turns.map(() => '---|').join('')}---|${turns.map(() => '---|').join('')}`,
  ];
  for (const [store, rows] of Object.entries(figures.stores)) {
    const base = rows.perTurn.langgraph;
    for (const [name, row] of Object.entries(rows.perTurn)) {
      out.push(`| ${store} | ${name} | ${turns.map((turn) => ms(row[turn]!)).join(' | ')} | **${ratio(row[last]!, row[first]!)}** | ${turns.map((turn) => (base ? ratio(row[turn]!, base[turn]!) : '–')).join(' | ')} |`);
    }
  }
  out.push('', `### The hot checkpoint after ${last} turns`, '', '| store | contender | latest checkpoint | messages in it | with the largest window only | messages in the window | checkpoint ÷ window | all the store keeps for the thread |', '|---|---|---|---|---|---|---|---|');
  const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
  for (const [store, rows] of Object.entries(figures.stores)) {
    for (const [name, row] of Object.entries(rows.hot)) out.push(`| ${store} | ${name} | ${kb(row.bytes)} | ${row.messages} | ${kb(row.windowBytes)} | ${row.windowMessages} | **${ratio(row.bytes, row.windowBytes)}** | ${kb(row.storedBytes)} |`);
  }
  out.push('');
  return out;
}
