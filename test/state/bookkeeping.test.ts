/**
 * Fewer writes per step (issue 15): a step writes its bookkeeping (counters, moves, model calls) to
 * the `turn` channel alone, as what the step added; the trail and the thread's usage take the turn's
 * moves and usage once, when it settles, and the settled turn keeps only its counters.
 */
import { MemorySaver } from '@langchain/langgraph';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { parseTree } from '../../config/load.js';
import { compileTree } from '../../graphs/compile.js';
import { ScriptedChatModel } from '../../models/scripted.js';
import { runTurn } from '../../runtime/turn.js';
import { appendToTrail, lastMove } from '../../state/trail.js';
import { applyTurnWrite, turnWriteOf } from '../../state/turn-write.js';
import type { TurnWrite } from '../../state/turn-write.js';
import { EMPTY_TURN } from '../../state/schema.js';
import type { CallUsage, HandoffRecord, Turn } from '../../state/schema.js';
import { usageOfCalls, usageOfTurn } from '../../state/turn-usage.js';

/** A chain a0 → a1 → … → a8: each agent hands on to the next, the last one answers. */
function chainTree(): string {
  const agents: Record<string, unknown> = {};
  for (let index = 0; index <= 8; index += 1) {
    agents[`a${index}`] = {
      description: `Desk ${index}.`,
      prompt: `You are desk ${index}.`,
      ...(index < 8 ? { children: [`a${index + 1}`] } : { escalate: ['person'] }),
      handoff: { payload: { reason: { type: 'string' } } },
    };
  }
  agents.person = { kind: 'human', description: 'A person.' };
  return stringify({ version: 1, name: 'chain', root: 'a0', escalation: 'person', limits: { handoffsPerTurn: 10, modelCallsPerTurn: 20 }, models: { m: { provider: 'openai', name: 'gpt-4o-mini' } }, defaults: { model: 'm' }, agents });
}

const onwards = ({ system, tools }: { system: string; tools: string[] }) => {
  const desk = Number(/desk (\d+)/.exec(system)?.[1]);
  const next = tools.find((tool) => tool === `transfer_to_a${desk + 1}`);
  return next ? { toolCalls: [{ name: next, args: { reason: `to ${desk + 1}` } }] } : `Desk ${desk} answers.`;
};

const move = (turn: number, from: string, to: string): HandoffRecord => ({ from, to, kind: 'delegate', payload: {}, turn, at: '2026-01-01T00:00:00.000Z' });
const call = (tokens: number, agent = 'a', at = 1): CallUsage => [agent, at, 1, tokens, 1, tokens / 4, 1];

describe('a turn of 8 handoffs', () => {
  it('writes turn once a step, and the trail, usage and owner once, when the turn settles', async () => {
    const saver = new MemorySaver();
    const writes: string[][] = [];
    const original = saver.putWrites.bind(saver);
    saver.putWrites = async (config, taskWrites, taskId) => {
      writes.push(taskWrites.map(([channel]) => channel));
      return original(config, taskWrites, taskId);
    };
    const model = new ScriptedChatModel(Array.from({ length: 9 }, () => onwards));
    const graph = compileTree(parseTree(chainTree(), 'chain.yaml'), { checkpointer: saver, models: { m: model } });
    const result = await runTurn(graph, { threadId: 'chain', message: 'go' });
    expect(result).toMatchObject({ status: 'done', agent: 'a8', reply: 'Desk 8 answers.' });
    expect(result.handoffs.map((record) => record.to)).toEqual(['a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'a7', 'a8']);

    const steps = writes.filter((channels) => channels.includes('turn'));
    expect(steps).toHaveLength(9);
    for (const channels of steps.slice(0, -1)) expect(channels.filter((channel) => ['turn', 'usage', 'handoffs', 'activeAgent'].includes(channel))).toEqual(['turn']);
    expect(steps.at(-1)).toEqual(expect.arrayContaining(['turn', 'usage', 'handoffs', 'activeAgent']));
    const all = writes.flat();
    // 54 before: turn, usage, handoffs and activeAgent at every step.
    expect(all.length).toBeLessThanOrEqual(32);

    // What the thread keeps is what it kept when every step wrote everything.
    expect(result.state.activeAgent).toBe('a8');
    expect(result.state.handoffs).toEqual(result.handoffs);
    expect(result.state.usage.total.modelCalls).toBe(9);
    expect(result.sessionUsage).toEqual(result.usage);
    expect(result.state.turn).toMatchObject({ number: 1, handoffs: 8, modelCalls: 9, status: 'done' });
    // The settled turn keeps its counters only: its moves are the trail, its usage the thread's.
    expect(Object.keys(result.state.turn)).not.toEqual(expect.arrayContaining(['moves']));
    expect(result.state.turn.calls).toBeUndefined();
    expect(result.usage.byPath['a0→a1→a2→a3→a4→a5→a6→a7→a8']).toMatchObject({ modelCalls: 1 });
    expect(Object.keys(result.usage.byAgent)).toHaveLength(9);
  });

  it('keeps a running turn small: each step adds its move and one short usage entry, not paths', async () => {
    const saver = new MemorySaver();
    const turns: Turn[] = [];
    const original = saver.put.bind(saver);
    saver.put = async (config, checkpoint, metadata) => {
      const turn = checkpoint.channel_values.turn as Turn | undefined;
      if (turn?.status === 'running') turns.push(turn);
      return original(config, checkpoint, metadata);
    };
    const model = new ScriptedChatModel(Array.from({ length: 9 }, () => onwards));
    const graph = compileTree(parseTree(chainTree(), 'chain.yaml'), { checkpointer: saver, models: { m: model } });
    await runTurn(graph, { threadId: 'chain', message: 'go' });
    const last = turns.at(-1) as Turn;
    expect(last.moves).toHaveLength(8);
    expect(last.calls).toEqual(Array.from({ length: 8 }, (_, index) => [`a${index}`, index + 1, 1, expect.any(Number), expect.any(Number), expect.any(Number), expect.any(Number)]));
    expect(usageOfTurn(last)?.byPath['a0→a1→a2']).toMatchObject({ modelCalls: 1 });
  });
});

describe('a turn a crash left running', () => {
  it('is settled by the next turn: its calls join the thread’s usage, by agent and path', async () => {
    const saver = new MemorySaver();
    const model = new ScriptedChatModel(Array.from({ length: 9 }, () => onwards));
    const graph = compileTree(parseTree(chainTree(), 'chain.yaml'), { checkpointer: saver, models: { m: model } });
    const config = { configurable: { thread_id: 'crashed' } };
    // What a worker that died after a0's handoff to a1 leaves behind.
    const running: Turn = { ...EMPTY_TURN, number: 1, messageId: 'm1', path: ['a0', 'a1'], handoffs: 1, modelCalls: 1, status: 'running', moves: [move(1, 'a0', 'a1')], calls: [['a0', 1, 1, 100, 20, 0.5, 7]] };
    await graph.updateState(config, { messages: [{ role: 'user', content: 'first', id: 'm1' }], turn: running, activeAgent: 'a1' }, 'a1');
    const result = await runTurn(graph, { threadId: 'crashed', message: 'second' });
    expect(result.status).toBe('done');
    expect(result.state.usage.byAgent.a0).toMatchObject({ inputTokens: 100 + (result.usage.byAgent.a0?.inputTokens ?? 0) });
    expect(result.state.usage.byPath.a0?.costUsd).toBeGreaterThanOrEqual(0.5);
    expect(result.state.usage.total.modelCalls).toBe(1 + result.usage.total.modelCalls);
    // The trail keeps the newest turn that moved control: this one (a1 onwards).
    expect(result.state.handoffs.map((record) => `${record.turn}:${record.from}`)).toEqual(['a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'a7'].map((agent) => `2:${agent}`));
    expect(result.state.turn).toMatchObject({ number: 2, status: 'done' });
  });
});

describe('the turn channel', () => {
  it('adds a step’s moves and calls to the same turn, starts the next turn afresh, and takes a whole turn as written', () => {
    const first: Turn = { ...EMPTY_TURN, number: 3, path: ['a', 'b'], handoffs: 1, modelCalls: 1, status: 'running', moves: [move(3, 'a', 'b')], calls: [call(10, 'a', 1)] };
    const step: TurnWrite = { step: { ...EMPTY_TURN, number: 3, path: ['a', 'b', 'c'], handoffs: 2, modelCalls: 3, status: 'running' }, moves: [move(3, 'b', 'c')], calls: [call(20, 'b', 2), call(7, 'a', 1)] };
    const added = applyTurnWrite(first, step);
    expect(added).toMatchObject({ path: ['a', 'b', 'c'], handoffs: 2, moves: [move(3, 'a', 'b'), move(3, 'b', 'c')] });
    // The same agent at the same point of the path shares one entry.
    expect(added.calls).toEqual([['a', 1, 2, 17, 2, 4.25, 2], call(20, 'b', 2)]);
    expect(usageOfTurn(added)).toEqual({
      total: { modelCalls: 3, inputTokens: 37, outputTokens: 3, costUsd: 9.25, latencyMs: 3 },
      byAgent: { a: { modelCalls: 2, inputTokens: 17, outputTokens: 2, costUsd: 4.25, latencyMs: 2 }, b: { modelCalls: 1, inputTokens: 20, outputTokens: 1, costUsd: 5, latencyMs: 1 } },
      byPath: { a: { modelCalls: 2, inputTokens: 17, outputTokens: 2, costUsd: 4.25, latencyMs: 2 }, 'a→b': { modelCalls: 1, inputTokens: 20, outputTokens: 1, costUsd: 5, latencyMs: 1 } },
    });
    const next = applyTurnWrite(added, { step: { ...EMPTY_TURN, number: 4, path: ['c'], status: 'running' }, calls: [call(5, 'c')] });
    expect(next.moves).toBeUndefined();
    expect(usageOfTurn(next)?.total.inputTokens).toBe(5);
    const whole: Turn = { ...EMPTY_TURN, number: 9 };
    expect(applyTurnWrite(next, whole)).toBe(whole);
  });

  it('keeps only the counters of a turn that settles', () => {
    const running: Turn = { ...EMPTY_TURN, number: 3, path: ['a', 'b'], status: 'running', moves: [move(3, 'a', 'b')], calls: [call(10)] };
    const settled = applyTurnWrite(running, turnWriteOf(running, { ...running, status: 'done', calls: [call(10), call(3, 'b', 2)] }, [call(3, 'b', 2)]));
    expect(settled).toEqual({ ...EMPTY_TURN, number: 3, path: ['a', 'b'], status: 'done' });
  });

  it('writes of a step only what it added', () => {
    const before: Turn = { ...EMPTY_TURN, number: 2, path: ['a'], status: 'running', moves: [move(2, 'x', 'a')], calls: [call(1)] };
    const after: Turn = { ...before, path: ['a', 'b'], moves: [move(2, 'x', 'a'), move(2, 'a', 'b')], calls: [call(2)] };
    expect(turnWriteOf(before, after, [call(1)])).toEqual({ step: { ...EMPTY_TURN, number: 2, path: ['a', 'b'], status: 'running' }, moves: [move(2, 'a', 'b')], calls: [call(1)] });
    // A new turn's first step: everything in it is new.
    expect(turnWriteOf({ ...before, number: 1 }, after, []).moves).toHaveLength(2);
  });

  it('makes the usage of calls along the path they were made on', () => {
    expect(Object.keys(usageOfCalls([call(1, 'a', 1), call(1, 'helper', 1), call(1, 'c', 3)], ['a', 'b', 'c']).byPath)).toEqual(['a', 'a→b→c']);
  });
});

describe('the trail', () => {
  it('keeps the newest turn’s moves, with a person’s hand-back in the turn that escalated', () => {
    const trail = appendToTrail([move(1, 'a', 'b')], [move(4, 'b', 'c'), move(4, 'c', 'person')]);
    expect(trail.map((record) => record.turn)).toEqual([4, 4]);
    expect(appendToTrail(trail, [{ ...move(4, 'person', 'a'), kind: 'resume' }])).toHaveLength(3);
    expect(appendToTrail(trail, [])).toBe(trail);
  });

  it('names the latest move: this turn’s while it runs, the trail’s once it settled', () => {
    const settled = { handoffs: [move(1, 'a', 'b')], turn: { ...EMPTY_TURN, number: 2, status: 'done' as const } };
    expect(lastMove(settled)?.to).toBe('b');
    const running = { ...settled, turn: { ...settled.turn, status: 'running' as const, moves: [move(2, 'b', 'c')] } };
    expect(lastMove(running)?.to).toBe('c');
    expect(lastMove({ ...settled, turn: { ...settled.turn, status: 'running' as const } })?.to).toBe('b');
  });
});
