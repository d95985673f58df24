/**
 * Routing analytics tell a fork's unmarked copy of a turn (counted once) from another thread's turn
 * that only looks like it: the same caller-chosen message id, the same turn number, begun in the
 * same millisecond, but ended at another time (counted in each thread).
 */
import { describe, expect, it } from 'vitest';
import { routingStats } from '../../runtime/stats.js';
import { journalOf } from '../../runtime/transcript.js';
import { runTurn } from '../../runtime/turn.js';
import type { TurnSummary } from '../../runtime/turn-summary.js';
import { compileExample } from '../helpers.js';

/** A thread of one turn whose message id the caller chose, and that turn's journal entries. */
async function oneTurn() {
  const { graph } = await compileExample('support', { model: 'offline' });
  const result = await runTurn(graph, { threadId: 'order-thread-a', messageId: 'order-1', message: 'My webhook is broken' });
  expect(result.status).toBe('done');
  const entries = (await journalOf(graph).read('order-thread-a', { kinds: ['turn'] })).entries;
  const summaries = entries.map(({ kind, turn, key, data }) => ({ kind, turn, key, data: data as TurnSummary }));
  expect(summaries).toHaveLength(1);
  return { graph, summary: summaries[0]! };
}

/** `at` moved by `ms` milliseconds. */
function later(at: string, ms: number): string {
  return new Date(Date.parse(at) + ms).toISOString();
}

describe('routingStats() telling turns apart', () => {
  it('counts two threads whose turns share a message id, a number and a start but ended apart as two turns', async () => {
    const { graph, summary } = await oneTurn();
    // Another thread's turn 1, for a message the caller gave the same id, begun in the same
    // millisecond: a turn of its own, that ended at another time (and went elsewhere).
    const other: TurnSummary = { ...summary.data, endedAt: later(summary.data.endedAt, 1500), agent: 'billing', owner: 'billing' };
    await journalOf(graph).append('order-thread-b', [{ ...summary, data: other }]);
    expect(await routingStats(graph)).toMatchObject({ conversations: 2, turns: 2, statuses: { done: 2 } });
  });

  it('still counts once an unmarked copy of that turn (same end time), beside the other thread', async () => {
    const { graph, summary } = await oneTurn();
    const journal = journalOf(graph);
    await journal.append('order-thread-b', [{ ...summary, data: { ...summary.data, endedAt: later(summary.data.endedAt, 1500) } }]);
    // What a fork made before copies were marked appended: the summaries, as they were.
    await journal.append('order-old-fork', [summary]);
    expect(await routingStats(graph)).toMatchObject({ conversations: 2, turns: 2 });
  });

  it('counts once a turn that waited for a person, copied whole (its wait and its end) by an old fork', async () => {
    const { graph, summary } = await oneTurn();
    const journal = journalOf(graph);
    // The source's turn 2 waited, then ended when the person answered: two summaries, two end times.
    const waited = { ...summary.data, turn: 2, messageId: 'order-2', startedAt: later(summary.data.endedAt, 10), endedAt: later(summary.data.endedAt, 20), status: 'waiting' as const };
    const ended = { ...waited, endedAt: later(summary.data.endedAt, 90_000), status: 'done' as const };
    const turn2 = [
      { kind: 'turn' as const, turn: 2, key: 'turn:2:waiting', data: waited },
      { kind: 'turn' as const, turn: 2, key: 'turn:2', data: ended },
    ];
    await journal.append('order-thread-a', turn2);
    await journal.append('order-old-fork', [summary, ...turn2]);
    expect(await routingStats(graph)).toMatchObject({ conversations: 1, turns: 2, statuses: { done: 2 } });
  });
});
