/**
 * `switchboard trace`'s text (formatTrace) agrees with the turn summary: a model call retried once
 * is one call of two attempts, as the summary and `switchboard stats` count them; and a model with
 * no price is said to have none, never shown as a cost of $0.
 */
import { describe, expect, it } from 'vitest';
import { parseTree } from '../../config/load.js';
import { buildTrace, readTraceEvents } from '../../dev/step-trace.js';
import { formatTrace } from '../../dev/trace-text.js';
import { compileTree } from '../../graphs/compile.js';
import { getTurnSummaries } from '../../runtime/transcript.js';
import { runTurn } from '../../runtime/turn.js';
import { MemoryJournal } from '../../store/journal.js';
import { captureLogs } from '../../testing/capture-logs.js';
import { fakeOpenAIForFile, newThread, viaFakeOpenAI } from '../helpers.js';

const server = await fakeOpenAIForFile();

/** A one-agent tree on `model` (with a price or without), retrying a failed call once, its traces journaled. */
function desk(model: string) {
  const journal = new MemoryJournal();
  const tree = parseTree(
    `version: 1
name: desk
root: desk
retry: { attempts: 1 }
models:
  main: { provider: openai, name: ${model} }
agents:
  desk: { description: Front desk., prompt: Answer., model: main }
`,
    'desk.yaml',
  );
  const graph = compileTree(tree, { ...viaFakeOpenAI(server), journal, trace: true, sleep: async () => {}, logger: captureLogs('warn').logger });
  return { graph, journal };
}

/** Turn 1 of a new thread, answered on the second attempt: its trace as text, and its summary. */
async function retriedTurn(model: string) {
  const { graph, journal } = desk(model);
  const { threadId } = newThread();
  server.enqueue({ status: 500 }, { content: 'Hello.', usage: { prompt_tokens: 1000, completion_tokens: 100 } });
  expect((await runTurn(graph, { threadId, message: 'hi' })).status).toBe('done');
  const trace = buildTrace(threadId, 1, await readTraceEvents(journal, threadId, 1));
  const [summary] = await getTurnSummaries(graph, threadId);
  return { threadId, trace, lines: formatTrace(trace).split('\n'), summary: summary! };
}

describe('switchboard trace text', () => {
  it('counts a call retried once as the summary does: one call, two attempts', async () => {
    const { threadId, lines, summary } = await retriedTurn('gpt-4o-mini');
    expect(summary.modelCalls).toBe(2);
    expect(lines[0]).toBe(`Thread ${threadId} · turn 1 · 1 model call (2 attempts) · 0 tool calls · 0 handoffs · 1000 in / 100 out tokens · $${summary.usage.total.costUsd.toFixed(6)}`);
    expect(summary.usage.total.costUsd).toBeGreaterThan(0);
    expect(lines.find((line) => line.includes('model call  desk'))).toMatch(/ · 1000 in \/ 100 out tokens · \$0\.\d{6} · 2 attempts$/);
  });

  it('names a model with no price, in the call and beside the total, instead of a $0 cost', async () => {
    const { threadId, trace, lines, summary } = await retriedTurn('llama-3.1-8b-instruct');
    expect(summary.unpricedModels).toEqual(['llama-3.1-8b-instruct']);
    expect(trace.items.find((item) => item.kind === 'model-call')).toMatchObject({ model: 'llama-3.1-8b-instruct', unpriced: true });
    expect(lines[0]).toBe(`Thread ${threadId} · turn 1 · 1 model call (2 attempts) · 0 tool calls · 0 handoffs · 1000 in / 100 out tokens · $0.000000 (no price for llama-3.1-8b-instruct)`);
    expect(lines.find((line) => line.includes('model call  desk'))).toMatch(/ · llama-3\.1-8b-instruct · \d+ ms · 1000 in \/ 100 out tokens · no price · 2 attempts$/);
  });

  it('keeps a priced call as it was: no unpriced field on its trace item, one model call of one attempt', async () => {
    const { graph, journal } = desk('gpt-4o-mini');
    const { threadId } = newThread();
    server.enqueue({ content: 'Hello.' });
    await runTurn(graph, { threadId, message: 'hi' });
    const trace = buildTrace(threadId, 1, await readTraceEvents(journal, threadId, 1));
    expect(trace.items.find((item) => item.kind === 'model-call')).not.toHaveProperty('unpriced');
    expect(formatTrace(trace).split('\n')[0]).toMatch(/ · 1 model call · 0 tool calls · /);
  });
});
