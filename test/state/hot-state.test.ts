/**
 * The hot state stays bounded (issue 15): a thread's checkpoint keeps the tree's largest history
 * window, the rest lives in the thread's journal; what each model is shown is exactly what it was
 * shown when the checkpoint kept everything; a message id that left the hot state is still known.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BaseMessage } from '@langchain/core/messages';
import { MemorySaver } from '@langchain/langgraph';
import { afterAll, describe, expect, it } from 'vitest';
import { loadTree } from '../../config/load.js';
import { compileTree } from '../../graphs/compile.js';
import type { CompileOptions, SwitchboardGraph } from '../../graphs/compile.js';
import { ScriptedChatModel } from '../../models/scripted.js';
import type { ScriptedRequest } from '../../models/scripted.js';
import { textOf } from '../../models/messages.js';
import type { SwitchboardEvent } from '../../nodes/events.js';
import { resumeThread, runTurn } from '../../runtime/turn.js';
import type { TurnResult } from '../../runtime/turn.js';
import type { SwitchboardState } from '../../state/schema.js';
import { hotTurns } from '../../state/window.js';
import { MemoryJournal } from '../../store/journal.js';
import type { FakeRequest, FakeResponse } from '../../testing/fake-openai-server.js';
import { createExampleTools } from '../../tools/examples.js';
import { compileExample, examplePath, fakeOpenAIForFile, newThread, viaFakeOpenAI } from '../helpers.js';
import { storeKinds } from '../store/stores.js';

const server = await fakeOpenAIForFile();
const dir = mkdtempSync(join(tmpdir(), 'switchboard-hot-state-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** What the fake model decides from: what it is shown, never a counter. */
interface Shown {
  system: string;
  last: 'user' | 'assistant' | 'tool' | 'system';
  user: string;
  tools: readonly string[];
}
type Decision = { content: string } | { tool: string; args: Record<string, unknown> };

const AGENTS: [string, string][] = [
  ['You are the front-line triage', 'triage'],
  ['You are a billing specialist', 'billing'],
  ['You are a technical support engineer', 'technical'],
  ['You are a pre-sales engineer', 'sales'],
  ['You are a senior escalation manager', 'escalation_manager'],
];

/**
 * The support desk as a script keyed on the turn number in the user's message: triage routes by
 * it; specialists use their tools on some turns, hand back to triage every 5th turn (unless triage
 * just sent them this turn), and escalate every 11th, when the manager hands the case to a person.
 */
function decide({ system, last, user, tools }: Shown): Decision {
  const agent = AGENTS.find(([prefix]) => system.startsWith(prefix))?.[1] ?? 'unknown';
  const n = Number(/message (\d+)/.exec(user)?.[1] ?? 0);
  const reason = `turn ${n}`;
  if (last === 'tool') return { content: `${agent} answers message ${n}: the tools say it is all in order.` };
  if (agent === 'triage') {
    const route = (['transfer_to_billing', 'transfer_to_technical', 'transfer_to_sales'] as const)[n % 3]!;
    return { tool: route, args: route === 'transfer_to_sales' ? { interest: reason } : { reason } };
  }
  if (agent === 'escalation_manager') {
    if (n % 11 === 0) return { tool: 'escalate_to_human', args: { reason, summary: `case of ${reason}` } };
    return { content: `The manager resolves message ${n}.` };
  }
  const sentThisTurn = system.includes(`"${reason}"`);
  if (n % 11 === 0 && !sentThisTurn && tools.includes('escalate_to_manager')) return { tool: 'escalate_to_manager', args: { reason } };
  if (n % 5 === 0 && !sentThisTurn && tools.includes('transfer_to_triage')) return { tool: 'transfer_to_triage', args: { reason } };
  if (agent === 'billing' && n % 2 === 0) return { tool: 'lookup_invoice', args: { invoice_id: 'INV-1001' } };
  if (agent === 'technical' && n % 3 === 0) return { tool: 'fetch_call_log', args: { call_id: 'call_123' } };
  if (agent === 'sales' && n % 4 === 1) return { tool: 'book_demo', args: { when: 'next Tuesday 10:00' } };
  return { content: `${agent} answers message ${n}. ${'Here is what happens next. '.repeat(3)}` };
}

function fakeDesk(request: FakeRequest): FakeResponse {
  const users = request.messages.filter((message) => message.role === 'user');
  const decision = decide({
    system: String(request.messages[0]?.content ?? ''),
    last: request.messages.at(-1)?.role as Shown['last'],
    user: String(users.at(-1)?.content ?? ''),
    tools: request.tools,
  });
  return 'content' in decision ? { content: decision.content } : { toolCalls: [{ name: decision.tool, arguments: decision.args }] };
}

function scriptedDesk(request: ScriptedRequest) {
  const roles: Record<string, Shown['last']> = { human: 'user', ai: 'assistant', tool: 'tool', system: 'system' };
  const user = [...request.messages].reverse().find((message) => message.type === 'human');
  const decision = decide({ system: request.system, last: roles[request.messages.at(-1)?.type ?? 'system'] ?? 'system', user: user ? textOf(user) : '', tools: request.tools });
  return 'content' in decision ? decision.content : { toolCalls: [{ name: decision.tool, args: decision.args }] };
}

/** The support tree with billing shown 10 turns with their tool calls and sales only 2: a hot window of 10. */
async function supportTree() {
  const tools = createExampleTools();
  const tree = await loadTree(examplePath('support'), { tools });
  tree.spec.agents.billing!.history = { turns: 10, toolCalls: true };
  tree.spec.agents.sales!.history = { turns: 2, toolCalls: false };
  return { tree, tools };
}

/** Turns `from`..`to` of the scripted conversation; a turn that waits for a person gets the person's reply. */
const sentText = (n: number) => `message ${n}: ${'some words about the case '.repeat(4)}`;

async function converse(graph: SwitchboardGraph, threadId: string, from: number, to: number, each?: (n: number, result: TurnResult) => void): Promise<TurnResult[]> {
  const results: TurnResult[] = [];
  for (let n = from; n <= to; n += 1) {
    let result = await runTurn(graph, { threadId, messageId: `m${n}`, message: sentText(n) });
    if (result.status === 'waiting') result = await resumeThread(graph, threadId, { reply: `A person answers message ${n}.`, handBackTo: 'triage' });
    expect(result, `turn ${n}`).toMatchObject({ status: 'done', turn: n });
    results.push(result);
    each?.(n, result);
  }
  return results;
}

async function hotValues(graph: SwitchboardGraph, threadId: string): Promise<SwitchboardState> {
  return (await graph.getState({ configurable: { thread_id: threadId } })).values as SwitchboardState;
}

/**
 * Requests with the ids a run makes up numbered in order of appearance: Switchboard gives each tool
 * call an id of its own (a provider may reuse one), and a booking's id comes from it.
 */
function numbered<T>(requests: T): T {
  const seen = new Map<string, string>();
  const text = JSON.stringify(requests).replace(/\b(call_sb[0-9a-f]+|DEM-[A-Z0-9]+)\b/g, (id) => {
    if (!seen.has(id)) seen.set(id, `${id.slice(0, 4)}#${seen.size}`);
    return seen.get(id)!;
  });
  return JSON.parse(text) as T;
}

const users = (messages: readonly BaseMessage[]) => messages.filter((message) => message.type === 'human').map((message) => message.id);

/** Bytes a MemorySaver keeps for a thread: its checkpoints and their pending writes, serialised. */
function savedBytes(saver: MemorySaver, threadId: string): number {
  let bytes = 0;
  const count = (value: unknown): void => {
    if (value instanceof Uint8Array) bytes += value.byteLength;
    else if (typeof value === 'string') bytes += Buffer.byteLength(value);
    else if (Array.isArray(value)) value.forEach(count);
  };
  for (const checkpoints of Object.values(saver.storage[threadId] ?? {})) for (const saved of Object.values(checkpoints)) count(saved);
  for (const [key, writes] of Object.entries(saver.writes)) if ((JSON.parse(key) as string[])[0] === threadId) Object.values(writes).forEach(count);
  return bytes;
}

describe('hotTurns()', () => {
  it('is the largest history window of the tree’s agents, at least what a person is shown, or all', async () => {
    const { tree } = await supportTree();
    expect(hotTurns(tree.spec)).toBe(10);
    tree.spec.agents.billing!.history = { turns: 2, toolCalls: false };
    // support has a person (human_agent): the 6 turns of an escalation's transcript stay.
    expect(hotTurns(tree.spec)).toBe(6);
    const { human_agent: _person, ...agents } = tree.spec.agents;
    expect(hotTurns({ ...tree.spec, agents, defaults: { history: { turns: 3, toolCalls: false } } })).toBe(3);
    tree.spec.agents.technical!.history = { turns: 'all', toolCalls: false };
    expect(hotTurns(tree.spec)).toBe('all');
  });
});

describe('the hot state', () => {
  it('shows every model exactly what it was shown when the checkpoint kept the whole thread (36 turns: handoffs, tools, escalations)', async () => {
    const { tree, tools } = await supportTree();
    const { threadId } = newThread();
    const run = async (options: CompileOptions) => {
      const events: SwitchboardEvent[] = [];
      const moves: (SwitchboardEvent | undefined)[] = [];
      server.requests.length = 0;
      server.fallback((request) => {
        moves.push(events.findLast((event) => event.type === 'handoff-accept'));
        return fakeDesk(request);
      });
      const graph = compileTree(tree, { tools, ...viaFakeOpenAI(server), sleep: async () => {}, observers: [(event) => events.push(event)], ...options });
      const results = await converse(graph, threadId, 1, 36);
      const shown = numbered(server.requests.map((request) => ({ messages: request.messages, tools: request.tools })));
      return { graph, results, shown, moves, escalations: events.filter((event) => event.type === 'escalation-start') };
    };
    // The checkpoint keeps everything without a journal (nothing may leave it): the old behaviour.
    const whole = await run({ journal: false });
    const hot = await run({ journal: new MemoryJournal() });

    expect(hot.shown.length).toBeGreaterThan(60);
    expect(hot.shown).toEqual(whole.shown);
    expect(hot.escalations).toHaveLength(3);
    expect(hot.escalations).toEqual(whole.escalations);
    const outcome = (result: TurnResult) => [result.reply, result.agent, result.handoffs.map(({ at: _at, ...move }) => move)];
    expect(hot.results.map(outcome)).toEqual(whole.results.map(outcome));
    // The conversation did what the test is about: handoffs, tool calls, a person's replies.
    expect(hot.shown.filter((request) => request.messages.some((message) => message.role === 'tool')).length).toBeGreaterThan(20);
    expect(hot.results.flatMap((result) => result.handoffs).map((record) => record.kind)).toEqual(expect.arrayContaining(['delegate', 'handback', 'escalate', 'resume']));

    // The handoff an agent is told about is the latest move into it, however long ago it was made.
    for (const [index, request] of hot.shown.entries()) {
      const system = String(request.messages[0]?.content ?? '');
      const agent = AGENTS.find(([prefix]) => system.startsWith(prefix))?.[1];
      const move = hot.moves[index] as Extract<SwitchboardEvent, { type: 'handoff-accept' }> | undefined;
      if (move && move.to === agent) expect(system).toMatch(new RegExp(`(${move.from} handed this conversation to you|You are taking over from ${move.from})`));
      else expect(system).not.toContain('## Handoff');
    }

    // Only the window stayed hot: the last 10 user turns, where the old path kept all 36.
    expect(users((await hotValues(whole.graph, threadId)).messages)).toHaveLength(36);
    const kept = await hotValues(hot.graph, threadId);
    expect(users(kept.messages)).toEqual(Array.from({ length: 10 }, (_, index) => `m${27 + index}`));
    // The hot trail is the latest moves; the full trail is each turn's (the journal's summaries).
    expect(kept.handoffs.every((record) => record.turn === kept.handoffs.at(-1)?.turn)).toBe(true);
  });

  it('holds after 200 turns no more than the largest window needs', async () => {
    const { tree, tools } = await supportTree();
    const saver = new MemorySaver();
    const journal = new MemoryJournal();
    const model = new ScriptedChatModel(Array.from({ length: 2_000 }, () => scriptedDesk));
    const graph = compileTree(tree, { tools, checkpointer: saver, journal, models: { small: model, large: model }, sleep: async () => {} });
    const threadId = 'long-thread';
    const bytes = new Map<number, number>();
    await converse(graph, threadId, 1, 200, (n) => bytes.set(n, savedBytes(saver, threadId)));
    process.stderr.write(`hot checkpoint bytes: ${[2, 10, 20, 50, 100, 200].map((n) => `turn ${n} ${bytes.get(n)}`).join(', ')}\n`);

    // Flat once the window is full: turn 200 keeps what turn 20 kept, give or take a turn's messages.
    expect(bytes.get(200)!).toBeLessThan(bytes.get(20)! * 1.5);
    // Exactly the window: the messages of the last 10 user turns, as the journal has them.
    const kept = (await hotValues(graph, threadId)).messages;
    expect(users(kept)).toEqual(Array.from({ length: 10 }, (_, index) => `m${191 + index}`));
    const journaled: string[] = [];
    for (let page = await journal.read(threadId, { kinds: ['message'], limit: 500 }); ; page = await journal.read(threadId, { kinds: ['message'], after: page.next, limit: 500 })) {
      journaled.push(...page.entries.map((entry) => entry.key.slice('message:'.length)));
      if (page.next === undefined) break;
    }
    expect(journaled.filter((id) => /^m\d+$/.test(id))).toHaveLength(200);
    expect(kept.map((message) => message.id)).toEqual(journaled.slice(journaled.indexOf('m191')));
  }, 120_000);
});

const STORES = storeKinds(dir);

describe.each(Object.keys(STORES) as (keyof typeof STORES)[])('on %s', (kind) => {
  it('replays a message id sent again after it left the hot state, and runs nothing again', async () => {
    const store = await STORES[kind]();
    try {
      server.fallback(fakeDesk);
      const options = { ...viaFakeOpenAI(server), checkpointer: store.saver, threadLock: store.threadLock };
      const { graph } = await compileExample('support', options);
      const { threadId } = newThread();
      const results = await converse(graph, threadId, 1, 9);
      // support's hot window is 6 turns: m1, m2 and m3 have left the checkpoint.
      const before = await hotValues(graph, threadId);
      expect(users(before.messages)).toEqual(['m4', 'm5', 'm6', 'm7', 'm8', 'm9']);
      const calls = server.requests.length;

      // The same process (it knows the thread's head) and a new one (it reads the checkpoint).
      const { graph: restarted } = await compileExample('support', options);
      for (const [again, n] of [[graph, 1], [restarted, 2], [graph, 5]] as const) {
        await expect(runTurn(again, { threadId, messageId: `m${n}`, message: `message ${n}: another text` })).rejects.toMatchObject({ code: 'MESSAGE_ID_REUSED' });
        const replay = await runTurn(again, { threadId, messageId: `m${n}`, message: sentText(n) });
        expect(replay).toMatchObject({ replayed: true, turn: n, status: 'done', reply: results[n - 1]!.reply, agent: results[n - 1]!.agent, handoffs: results[n - 1]!.handoffs });
      }
      expect(server.requests.length).toBe(calls);
      const after = await hotValues(restarted, threadId);
      expect(after.messages.map((message) => message.id)).toEqual(before.messages.map((message) => message.id));
      expect(after.turn.number).toBe(9);
      // And the thread goes on.
      await converse(restarted, threadId, 10, 10);
    } finally {
      await store.close();
    }
  });
});
