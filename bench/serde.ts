/**
 * The checkpoint serialiser alone: every value an 8-handoff turn (bench/contenders/chain.ts) hands
 * to its saver, serialised and read back by LangGraph's stock `JsonPlusSerializer` and by
 * Switchboard's `FastJsonPlusSerializer` (store/serde.ts), interleaved, from the build. Checks first
 * that both write the same bytes. `npx tsx bench/serde.ts [--turns 3] [--rounds 5] [--repeat 200]`.
 */
import { parseArgs } from 'node:util';
import { JsonPlusSerializer } from '@langchain/langgraph-checkpoint';
import { switchboardChain } from './contenders/chain.js';

const { values: args } = parseArgs({
  options: {
    turns: { type: 'string', default: '3' },
    rounds: { type: 'string', default: '5' },
    repeat: { type: 'string', default: '200' },
  },
});
const turns = Number(args.turns);
const { FastJsonPlusSerializer } = (await import(
  new URL('../dist/store/serde.js', import.meta.url).href
)) as typeof import('../store/serde.js');

// Record what the turns serialise (the build's serialiser, as the turns run it).
const captured: unknown[] = [];
const prototype = FastJsonPlusSerializer.prototype as unknown as { _dumps(value: unknown): Uint8Array };
const dumps = prototype._dumps;
prototype._dumps = function (this: unknown, value: unknown) {
  captured.push(value);
  return dumps.call(this, value);
};
const contender = await switchboardChain(8)({ modelDelayMs: 0, store: 'memory' } as never);
for (let turn = 0; turn < turns; turn += 1) await contender.send(`serde-${turn}`, 'I was charged twice on my invoice');
prototype._dumps = dumps;
await contender.close();

const serialisers = { stock: new JsonPlusSerializer(), fast: new FastJsonPlusSerializer() };
const decoder = new TextDecoder();
for (const value of captured) {
  const [, a] = await serialisers.stock.dumpsTyped(value);
  const [, b] = await serialisers.fast.dumpsTyped(value);
  if (decoder.decode(a) !== decoder.decode(b)) throw new Error('The two serialisers wrote different bytes.');
}
const written = await Promise.all(captured.map(async (value) => (await serialisers.stock.dumpsTyped(value))[1]));

async function perTurn(run: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  for (let index = 0; index < Number(args.repeat); index += 1) await run();
  return Number(process.hrtime.bigint() - start) / 1e3 / Number(args.repeat) / turns;
}

const figures: Record<string, { dump: number[]; load: number[] }> = { stock: { dump: [], load: [] }, fast: { dump: [], load: [] } };
for (let round = 0; round < Number(args.rounds); round += 1) {
  for (const name of round % 2 === 0 ? (['stock', 'fast'] as const) : (['fast', 'stock'] as const)) {
    const serde = serialisers[name];
    figures[name]!.dump.push(
      await perTurn(async () => {
        for (const value of captured) await serde.dumpsTyped(value);
      }),
    );
    figures[name]!.load.push(
      await perTurn(async () => {
        for (const bytes of written) await serde.loadsTyped('json', bytes);
      }),
    );
  }
}
const median = (list: number[]) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)]!;
console.log(`${captured.length / turns} values serialised per 8-handoff turn; same bytes from both.`);
console.log('| serialiser | writing, per turn | reading them all back, per turn |\n|---|---|---|');
for (const name of ['stock', 'fast'] as const)
  console.log(`| ${name} | ${median(figures[name]!.dump).toFixed(0)} µs | ${median(figures[name]!.load).toFixed(0)} µs |`);
console.log(
  `stock ÷ fast: writing ${(median(figures.stock!.dump) / median(figures.fast!.dump)).toFixed(2)}×, reading ${(median(figures.stock!.load) / median(figures.fast!.load)).toFixed(2)}×`,
);
