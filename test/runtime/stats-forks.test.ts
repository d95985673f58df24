/**
 * Routing analytics over threads forked for time travel: a fork starts with copies of its source's
 * turn summaries (appended when it is forked), which are not turns of their own.
 */
import { describe, expect, it } from 'vitest';
import { forkThread } from '../../runtime/fork.js';
import { routingStats } from '../../runtime/stats.js';
import { getTurnSummaries, journalOf } from '../../runtime/transcript.js';
import { runTurn } from '../../runtime/turn.js';
import type { TurnSummary } from '../../runtime/turn-summary.js';
import { compileExample, fakeOpenAIForFile, viaFakeOpenAI } from '../helpers.js';

const server = await fakeOpenAIForFile();

/** One conversation of two turns: triage → billing, then billing alone. */
async function oneConversation() {
  const { graph } = await compileExample('support', { ...viaFakeOpenAI(server), retention: 'all' });
  server.enqueue({ content: '', toolCalls: [{ name: 'transfer_to_billing', arguments: { reason: 'double charge' } }] }, { content: 'I see both charges.' });
  await runTurn(graph, { threadId: 'fork-src', message: 'charged twice' });
  server.enqueue({ content: 'Refund issued.' });
  await runTurn(graph, { threadId: 'fork-src', message: 'refund one' });
  return graph;
}

describe('routingStats() with forked threads', () => {
  it('counts a turn once, in the thread that ran it, however often the thread is forked', async () => {
    const graph = await oneConversation();
    const before = await routingStats(graph);
    // Three model calls of 100 + 20 tokens: triage's on gpt-4o-mini ($0.15 / $0.60 per million),
    // billing's two on gpt-4o ($2.50 / $10): $0.000027 + 2 × $0.00045.
    expect(before).toMatchObject({ conversations: 1, turns: 2, handoffs: 1 });
    expect(before.cost.totalUsd).toBeCloseTo(0.000927, 12);

    await forkThread(graph, { threadId: 'fork-src', turn: 2, newThreadId: 'fork-a' });
    await forkThread(graph, { threadId: 'fork-src', turn: 1, newThreadId: 'fork-b' });
    await forkThread(graph, { threadId: 'fork-a', turn: 2, newThreadId: 'fork-c' });
    const after = await routingStats(graph);
    expect(after).toMatchObject({ conversations: 1, turns: 2, handoffs: 1, statuses: { done: 2 }, paths: [{ from: 'triage', to: 'billing', count: 1 }] });
    expect(after.cost.totalUsd).toBeCloseTo(before.cost.totalUsd, 12);
    expect(after.cost.perConversationUsd).toBeCloseTo(before.cost.totalUsd, 12);

    // A fork that goes on is a conversation with its own turns (and only those).
    server.enqueue({ content: 'Anything else?' });
    await runTurn(graph, { threadId: 'fork-a', message: 'and the other one?' });
    expect(await routingStats(graph)).toMatchObject({ conversations: 2, turns: 3, handoffs: 1 });
  });

  it('marks the summaries a fork copies with the thread they came from; the fork\'s own turns are not marked', async () => {
    const graph = await oneConversation();
    await forkThread(graph, { threadId: 'fork-src', turn: 2, newThreadId: 'fork-mark' });
    await forkThread(graph, { threadId: 'fork-mark', turn: 2, newThreadId: 'fork-mark-2' });
    server.enqueue({ content: 'Anything else?' });
    await runTurn(graph, { threadId: 'fork-mark', message: 'and the other one?' });

    expect((await getTurnSummaries(graph, 'fork-src')).map((summary) => summary.copiedFrom)).toEqual([undefined, undefined]);
    expect((await getTurnSummaries(graph, 'fork-mark')).map((summary) => summary.copiedFrom)).toEqual(['fork-src', 'fork-src', undefined]);
    expect((await getTurnSummaries(graph, 'fork-mark-2')).map((summary) => summary.copiedFrom)).toEqual(['fork-mark', 'fork-mark']);
  });

  it('never counts a marked copy, even when the journal does not hold the turn it copies', async () => {
    const graph = await oneConversation();
    await forkThread(graph, { threadId: 'fork-src', turn: 2, newThreadId: 'fork-alone' });
    const copies = (await journalOf(graph).read('fork-alone', { kinds: ['turn'] })).entries;
    // The same copies in a store without the thread they came from.
    const { graph: other } = await compileExample('support', viaFakeOpenAI(server));
    await journalOf(other).append('fork-alone', copies.map(({ kind, turn, key, data }) => ({ kind, turn, key, data })));
    expect(await routingStats(other)).toMatchObject({ conversations: 0, turns: 0, handoffs: 0, cost: { totalUsd: 0 } });
  });

  it('still counts once the turns copied by forks made before copies were marked', async () => {
    const graph = await oneConversation();
    const before = await routingStats(graph);
    const journal = journalOf(graph);
    // What an older fork appended: the source's summaries, unmarked.
    const originals = (await journal.read('fork-src', { kinds: ['turn'] })).entries;
    await journal.append('old-fork', originals.map(({ kind, turn, key, data }) => ({ kind, turn, key, data })));
    const after = await routingStats(graph);
    expect(after).toMatchObject({ conversations: 1, turns: 2, handoffs: 1 });
    expect(after.cost.totalUsd).toBeCloseTo(before.cost.totalUsd, 12);
  });

  it('counts once a turn that a fork made before forks caught up their source journaled as its own', async () => {
    const graph = await oneConversation();
    const before = await routingStats(graph);
    const journal = journalOf(graph);
    // What such a fork appended: turn 1 copied, marked; turn 2 (missing from the source's journal
    // then) caught up from its checkpoint as the fork's own, unmarked, ended when the fork ran on.
    const originals = (await journal.read('fork-src', { kinds: ['turn'] })).entries;
    const [first, second] = originals.map(({ kind, turn, key, data }) => ({ kind, turn, key, data: data as TurnSummary }));
    if (!first || !second) throw new Error('the source has two turns');
    await journal.append('early-fork', [
      { ...first, data: { ...first.data, copiedFrom: 'fork-src' } },
      { ...second, data: { ...second.data, endedAt: new Date(Date.parse(second.data.endedAt) + 60_000).toISOString(), recovered: true } },
    ]);
    const after = await routingStats(graph);
    expect(after).toMatchObject({ conversations: 1, turns: 2, handoffs: 1 });
    expect(after.cost.totalUsd).toBeCloseTo(before.cost.totalUsd, 12);
  });

  it('leaves out of a period the copies a fork made in it of turns that ended before it', async () => {
    const graph = await oneConversation();
    await new Promise((resolve) => setTimeout(resolve, 5));
    const since = new Date();
    await forkThread(graph, { threadId: 'fork-src', turn: 2, newThreadId: 'fork-later' });
    expect(await routingStats(graph, { since })).toMatchObject({ conversations: 0, turns: 0, handoffs: 0, cost: { totalUsd: 0 } });
  });
});
