/**
 * A reply cut at the model's maxTokens stays marked after the turn: on the thread as the dev page
 * reads it again (the journal keeps the text, the turn summary that it was cut) and in the step
 * trace (the model call whose reply was cut says so). The trace's rows run in time order: a model
 * call retried is shown at its start, before its retries.
 */
import { JSDOM } from 'jsdom';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTree } from '../../config/load.js';
import { buildTrace, readTraceEvents } from '../../dev/step-trace.js';
import type { StepTrace, TraceItem } from '../../dev/step-trace.js';
import { formatTrace } from '../../dev/trace-text.js';
import { readThread } from '../../dev/threads.js';
import { compileTree } from '../../graphs/compile.js';
import { runTurn } from '../../runtime/turn.js';
import { MemoryJournal } from '../../store/journal.js';
import { captureLogs } from '../../testing/capture-logs.js';
import { fakeOpenAIForFile, newThread, viaFakeOpenAI } from '../helpers.js';

const server = await fakeOpenAIForFile();
const CUT = 'The three steps are: first, open the';

/** A one-agent tree on the fake model that retries a failed call once; traced into `journal` (none: the checkpoint alone). */
function desk(journal: MemoryJournal | false) {
  const tree = parseTree(
    `version: 1
name: desk
root: desk
retry: { attempts: 1 }
models:
  main: { provider: openai, name: gpt-4o-mini }
agents:
  desk: { description: Front desk., prompt: Answer., model: main }
`,
    'desk.yaml',
  );
  return compileTree(tree, { ...viaFakeOpenAI(server), journal, trace: journal !== false, sleep: async () => {}, logger: captureLogs('error').logger });
}

/** A thread whose turn 1 is cut at maxTokens (after a failed attempt) and turn 2 is whole. */
async function cutThenWhole(journal: MemoryJournal | false) {
  const graph = desk(journal);
  const { threadId } = newThread();
  server.enqueue({ status: 500 }, { content: CUT, finishReason: 'length' });
  expect(await runTurn(graph, { threadId, message: 'How do I set up the webhook?' })).toMatchObject({ status: 'done', truncated: true });
  server.enqueue({ content: 'Thanks, all set.' });
  expect(await runTurn(graph, { threadId, message: 'Thanks' })).not.toHaveProperty('truncated');
  return { graph, threadId };
}

function modelCalls(trace: StepTrace): Extract<TraceItem, { kind: 'model-call' }>[] {
  return trace.items.filter((item) => item.kind === 'model-call');
}

describe('a reply cut at maxTokens, read again', () => {
  it('is marked in the thread the page opens, from the journal (with the turn summary) or from the checkpoint alone; a whole reply is not', async () => {
    for (const journal of [new MemoryJournal(), false as const]) {
      const { graph, threadId } = await cutThenWhole(journal);
      const thread = await readThread(graph, threadId);
      expect(thread.exists && thread.messages.filter((message) => message.role === 'agent'), journal ? 'journal' : 'checkpoint').toEqual([
        { role: 'agent', turn: 1, agent: 'desk', text: CUT, truncated: true },
        { role: 'agent', turn: 2, agent: 'desk', text: 'Thanks, all set.' },
      ]);
    }
  });

  it('is marked on its model call in the step trace and in `switchboard trace` text; the call is shown at its start, before its retry', async () => {
    const journal = new MemoryJournal();
    const { threadId } = await cutThenWhole(journal);
    const first = buildTrace(threadId, 1, await readTraceEvents(journal, threadId, 1));
    expect(modelCalls(first)).toEqual([expect.objectContaining({ agent: 'desk', attempts: 2, truncated: true, reply: expect.objectContaining({ text: CUT }) as unknown })]);
    expect(first.items.map((item) => item.kind)).toEqual(['turn-start', 'model-call', 'model-retry', 'turn-end']);
    const times = first.items.map((item) => item.at);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    const lines = formatTrace(first).split('\n');
    expect(lines.find((line) => line.includes('model call  desk'))).toMatch(/ · 2 attempts · reply cut at maxTokens$/);
    expect(lines.findIndex((line) => line.includes('model call  desk'))).toBeLessThan(lines.findIndex((line) => line.includes('retry       desk')));

    const second = buildTrace(threadId, 2, await readTraceEvents(journal, threadId, 2));
    expect(modelCalls(second)[0]).not.toHaveProperty('truncated');
    expect(formatTrace(second)).not.toContain('cut at maxTokens');
  });
});

describe('the dev page', () => {
  let dom: JSDOM;
  let Chat: new (elements: Record<string, HTMLElement>, onMarks: () => void) => { show(thread: unknown): void };
  let TracePanel: new (elements: Record<string, HTMLElement>) => { render(trace: unknown): void };

  beforeAll(async () => {
    dom = new JSDOM('<ol id="transcript"></ol><div id="path"></div><pre id="state"></pre><span id="thread"></span><section id="panel"><h2 id="title"></h2><ol id="trace"></ol></section>');
    Object.assign(globalThis, { document: dom.window.document });
    // By URL: the page's scripts have no type declarations.
    ({ Chat } = (await import(new URL('../../dev/assets/chat.js', import.meta.url).href)) as { Chat: typeof Chat });
    ({ TracePanel } = (await import(new URL('../../dev/assets/trace.js', import.meta.url).href)) as { TracePanel: typeof TracePanel });
  });

  afterAll(() => {
    dom.window.close();
    delete (globalThis as { document?: unknown }).document;
  });

  const element = (id: string) => dom.window.document.getElementById(id) as HTMLElement;

  it("says, on a thread opened again, which reply was cut at its model's maxTokens, as it said while the turn ran", () => {
    const chat = new Chat({ transcript: element('transcript'), path: element('path'), state: element('state'), threadId: element('thread') }, () => {});
    chat.show({
      threadId: 'cut-1',
      messages: [
        { role: 'user', turn: 1, text: 'How do I set up the webhook?' },
        { role: 'agent', turn: 1, agent: 'desk', text: CUT, truncated: true },
        { role: 'user', turn: 2, text: 'Thanks' },
        { role: 'agent', turn: 2, agent: 'desk', text: 'Thanks, all set.' },
      ],
      path: [],
    });
    const items = Array.from(element('transcript').children).map((item) => item.textContent);
    expect(items).toEqual([
      'How do I set up the webhook?',
      `desk${CUT}`,
      "✂ desk's reply was cut at its model's maxTokens: it is only the start of an answer.",
      'turn 1 · trace',
      'Thanks',
      'deskThanks, all set.',
      'turn 2 · trace',
    ]);
  });

  it('counts a single tool call and handoff in the singular, as `switchboard trace` does, and marks a cut reply in the trace', () => {
    const panel = new TracePanel({ panel: element('panel'), title: element('title'), list: element('trace') });
    const call = { kind: 'model-call', at: 1, agent: 'desk', model: 'gpt-4o-mini', messages: [], reply: { role: 'ai', text: CUT }, error: null, attempts: 1, durationMs: 5, usage: null };
    panel.render({
      threadId: 'cut-1',
      turn: 1,
      items: [
        { kind: 'turn-start', at: 0, agent: 'desk', turn: 1 },
        { ...call, reply: { role: 'ai', text: '', toolCalls: [{ name: 'lookup', args: {} }] } },
        { kind: 'tool-call', at: 2, agent: 'desk', tool: 'lookup', toolCallId: 'c1', idempotencyKey: 'k', args: {}, ok: true, result: 'ok', durationMs: 1 },
        { kind: 'handoff', at: 3, from: 'desk', to: 'billing', handoff: 'delegate', tool: 'transfer_to_billing', payload: {} },
        { ...call, at: 4, agent: 'billing', truncated: true },
      ],
    });
    const rows = Array.from(element('trace').children);
    expect(rows[0]?.textContent).toBe('2 model calls · 1 tool call · 1 handoff · 0 in / 0 out tokens · $0.000000');
    const cut = rows.filter((row) => row.querySelector('.truncated'));
    expect(cut.map((row) => (row as HTMLElement).dataset.agent)).toEqual(['billing']);
    expect(cut[0]?.textContent).toContain("✂ The reply was cut at its model's maxTokens");
  });
});
