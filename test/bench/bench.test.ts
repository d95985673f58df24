import { describe, expect, it } from 'vitest';
import { parseTree } from '../../config/load.js';
import { compileTree, runtimeOf } from '../../graphs/compile.js';
import { formatFigures, QUICK, runBench } from '../../bench/run.js';
import { summarise, packageOf } from '../../bench/profile.js';
import { generateTree } from '../../bench/trees.js';
import { handwrittenChain, switchboardChain } from '../../bench/contenders/chain.js';
import { roundOrder } from '../../bench/order.js';
import { BILLING_REPLY } from '../../bench/workload.js';

// The benchmark's own machinery: it must keep running, on every contender, doing the same work
// (each contender throws when a turn does not end with billing's answer). No figure here is a
// time: times belong to `npm run bench`, not to tests. Bytes are counted, not timed.
describe('the benchmark', () => {
  it('runs every section small, on every contender, and prints the tables', async () => {
    const figures = await runBench({ ...QUICK, sections: new Set(['latency', 'throughput', 'bytes', 'cold', 'slow']), log: () => {} });
    const contenders = ['loop', 'openai-agents', 'switchboard', 'langgraph', 'swarm', 'switchboard (retention all)'];
    expect(Object.keys(figures.latency ?? {}).sort()).toEqual([...contenders].sort());
    for (const row of Object.values(figures.latency ?? {})) expect(row.turns).toBe(QUICK.sessions * 2);
    expect(Object.keys(figures.throughput ?? {}).sort()).toEqual([...contenders].sort());
    expect(figures.cold?.map((row) => row.agents)).toEqual(QUICK.treeSizes);
    expect(Object.keys(figures.slow ?? {}).sort()).toEqual(['langgraph', 'openai-agents', 'switchboard']);

    const table = formatFigures(figures);
    for (const heading of ['Per turn', 'Turns per second', 'Bytes kept per session', 'Load + lint + compile', 'Slow model']) expect(table).toContain(heading);
  }, 120_000);

  it('keeps fewer bytes per session than the hand-written LangGraph graph, growing linearly', async () => {
    const { bytes } = await runBench({ ...QUICK, sections: new Set(['bytes']), log: () => {} });
    const switchboard = bytes!.switchboard!;
    const langgraph = bytes!.langgraph!;
    const keepAll = bytes!['switchboard (retention all)']!;
    expect(switchboard.after2).toBeLessThanOrEqual(langgraph.after2);
    expect(switchboard.after10).toBeLessThanOrEqual(langgraph.after10);
    // 5× the turns, at most ~5× the bytes (each turn adds its messages once), where keeping every
    // checkpoint grows with the square of the turns.
    expect(switchboard.after10 / switchboard.after2).toBeLessThan(5);
    expect(keepAll.after10 / keepAll.after2).toBeGreaterThan(5);
  }, 60_000);

  it('runs long conversations and handoff chains on Switchboard and the hand-written graph, keeping only the window hot', async () => {
    const { long, depth } = await runBench({ ...QUICK, sections: new Set(['long', 'depth']), log: () => {} });
    expect(long!.checkpoints).toEqual(QUICK.long.checkpoints);
    for (const store of QUICK.long.stores) {
      const figures = long!.stores[store]!;
      expect(Object.keys(figures.perTurn).sort()).toEqual(store === 'memory' ? ['langgraph', 'openai-agents', 'switchboard'] : ['langgraph', 'switchboard']);
      // Turn 8 of the desk: 8 user turns, each with billing's answer (and the first turn's handoff).
      // Switchboard's checkpoint holds the last 6 turns only (its default history window), the
      // hand-written graph every message.
      const switchboard = figures.hot.switchboard!;
      const langgraph = figures.hot.langgraph!;
      expect(switchboard.messages).toBe(12);
      expect(switchboard.windowMessages).toBe(12);
      expect(switchboard.bytes).toBe(switchboard.windowBytes);
      expect(langgraph.messages).toBe(18);
      expect(langgraph.bytes).toBeGreaterThan(langgraph.windowBytes);
    }
    expect(Object.keys(depth!).map(Number)).toEqual(QUICK.depth.handoffs);
    const table = formatFigures({ long: long!, depth: depth! });
    for (const heading of ['Long conversations', 'The hot checkpoint after 8 turns', 'Handoff depth']) expect(table).toContain(heading);
  }, 120_000);

  it('walks the whole chain in one turn, on Switchboard and on the hand-written graph', async () => {
    for (const handoffs of [1, 8]) {
      for (const factory of [switchboardChain(handoffs), handwrittenChain(handoffs)]) {
        const contender = await factory({ modelDelayMs: 0, store: 'memory', dir: '/tmp' });
        // Each contender throws unless the last step of the chain answers.
        expect(await contender.send(`${contender.name}:chain`, 'help')).toBe(BILLING_REPLY);
        await contender.close();
      }
    }
  });

  it('changes each contender\'s neighbours from round to round', () => {
    const names = ['a', 'b', 'c', 'd', 'e'];
    const orders = Array.from({ length: 6 }, (_, round) => roundOrder(names, round));
    for (const order of orders) expect([...order].sort()).toEqual(names);
    const neighbours = new Set(orders.flatMap((order) => order.slice(1).map((name, index) => `${order[index]}>${name}`)));
    expect(neighbours.size).toBeGreaterThan(names.length);
  });

  it('generates valid trees of any size, with every agent compiled', () => {
    for (const agents of [10, 100, 1000]) {
      const tree = parseTree(generateTree(agents), `generated-${agents}.yaml`);
      expect(Object.keys(tree.spec.agents)).toHaveLength(agents);
      expect(runtimeOf(compileTree(tree, { checkpointer: false, model: 'offline' })).agents.size).toBe(agents);
    }
  });

  it('summarises a CPU profile by package and by function', () => {
    const frame = (id: number, functionName: string, url: string) => ({ id, callFrame: { functionName, url, lineNumber: 0 } });
    const summary = summarise({
      nodes: [frame(1, 'tick', 'file:///x/node_modules/@langchain/langgraph/dist/pregel/loop.js'), frame(2, 'run', 'file:///x/main/nodes/agent.ts'), frame(3, '(idle)', '')],
      startTime: 0,
      endTime: 400,
      samples: [1, 1, 2, 3],
      timeDeltas: [100, 100, 100, 100],
    });
    expect(summary.totalMs).toBeCloseTo(0.3);
    expect(summary.byPackage.map((entry) => entry.name)).toEqual(['@langchain/langgraph', 'switchboard']);
    expect(summary.byPackage[0]!.share).toBeCloseTo(2 / 3);
    expect(packageOf('node:internal/async_hooks')).toBe('node');
  });
});
