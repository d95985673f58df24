/**
 * The handoff-depth section: one turn walking a chain of 1, 2, 4, 8… handoffs (bench/trees.ts
 * `chainTree`), Switchboard against the hand-written chain (bench/contenders/chain.ts), all chains
 * and both contenders interleaved in one run (a new order each round), in memory, each turn a new
 * session. The marginal cost of a handoff is the slope between the shortest and the longest chain.
 */
import { handwrittenChain, switchboardChain } from './contenders/chain.js';
import { median, roundOrder } from './order.js';
import { FIRST_MESSAGE } from './workload.js';
import type { Contender } from './workload.js';

export interface DepthOptions {
  handoffs: number[];
  /** Turns per contender (split over the rounds). */
  sessions: number;
  rounds: number;
}

/** Median ms per turn, by chain length, for each contender. */
export type DepthFigures = Record<number, { switchboard: number; langgraph: number }>;

export async function handoffDepth(options: DepthOptions, dir: string, log: (line: string) => void): Promise<DepthFigures> {
  const contenders = new Map<string, { contender: Contender; handoffs: number; kind: 'switchboard' | 'langgraph' }>();
  for (const handoffs of options.handoffs) {
    contenders.set(`switchboard ${handoffs}`, { contender: await switchboardChain(handoffs)({ modelDelayMs: 0, store: 'memory', dir }), handoffs, kind: 'switchboard' });
    contenders.set(`langgraph ${handoffs}`, { contender: await handwrittenChain(handoffs)({ modelDelayMs: 0, store: 'memory', dir }), handoffs, kind: 'langgraph' });
  }
  const names = [...contenders.keys()];
  const perRound = Math.max(1, Math.round(options.sessions / options.rounds));
  const times = new Map<string, number[]>(names.map((name) => [name, []]));
  // Round 0 warms up and is not counted.
  for (let round = 0; round <= options.rounds; round += 1) {
    for (const name of roundOrder(names, round)) {
      const { contender } = contenders.get(name)!;
      for (let index = 0; index < perRound; index += 1) {
        const started = performance.now();
        await contender.send(`${contender.name}:depth:${round}:${index}`, FIRST_MESSAGE);
        if (round > 0) times.get(name)!.push(performance.now() - started);
      }
      await contender.reset();
    }
    log(`depth: round ${round}/${options.rounds}${round === 0 ? ' (warm-up)' : ''}`);
  }
  const figures: DepthFigures = {};
  for (const [name, { contender, handoffs, kind }] of contenders) {
    (figures[handoffs] ??= { switchboard: Number.NaN, langgraph: Number.NaN })[kind] = median(times.get(name)!);
    await contender.close();
  }
  return figures;
}

export function formatDepth(figures: DepthFigures, ms: (value: number) => string, ratio: (a: number, b: number) => string): string[] {
  const out = ['### Handoff depth: one turn walking a chain of handoffs (zero-latency model, in memory)', '', '| handoffs in the turn | switchboard | hand-written graph | switchboard ÷ hand-written |', '|---|---|---|---|'];
  const depths = Object.keys(figures).map(Number).sort((a, b) => a - b);
  for (const depth of depths) out.push(`| ${depth} | ${ms(figures[depth]!.switchboard)} | ${ms(figures[depth]!.langgraph)} | **${ratio(figures[depth]!.switchboard, figures[depth]!.langgraph)}** |`);
  const [low, high] = [depths[0]!, depths.at(-1)!];
  if (high > low) {
    const slope = (kind: 'switchboard' | 'langgraph') => (figures[high]![kind] - figures[low]![kind]) / (high - low);
    out.push('', `Each further handoff (slope from ${low} to ${high}): Switchboard ${ms(slope('switchboard'))}, hand-written ${ms(slope('langgraph'))}, ratio ${ratio(slope('switchboard'), slope('langgraph'))}.`);
  }
  out.push('');
  return out;
}
