import { describe, expect, it } from 'vitest';
import { parseTree } from '../../config/load.js';
import { compileTree, runtimeOf } from '../../graphs/compile.js';
import { formatFigures, QUICK, runBench } from '../../bench/run.js';
import { summarise, packageOf } from '../../bench/profile.js';
import { generateTree } from '../../bench/trees.js';

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
