/**
 * What limits and costs say: an agent's own token budget is named as its own, the attempts of a
 * context-length failure count both calls, costs carry no floating-point noise, and `messageChars`
 * counts characters as a person does (grapheme clusters), cheaply even for a huge message.
 */
import { describe, expect, it } from 'vitest';
import { parseTree } from '../../config/load.js';
import { compileTree } from '../../graphs/compile.js';
import { turnJson } from '../../cli/output.js';
import { withRoundedCosts } from '../../cli/commands/stats.js';
import type { AgentRuntime } from '../../nodes/context.js';
import { checkReply } from '../../nodes/human.js';
import { messageTooLong } from '../../nodes/turn.js';
import { getTurnSummaries } from '../../runtime/transcript.js';
import { routingStats } from '../../runtime/stats.js';
import type { RoutingStats } from '../../runtime/stats.js';
import { runTurn } from '../../runtime/turn.js';
import { captureLogs } from '../../testing/capture-logs.js';
import { fakeOpenAIForFile, newThread, viaFakeOpenAI } from '../helpers.js';

const server = await fakeOpenAIForFile();

/** Every scripted call uses 120 tokens (and costs $0.000027 on gpt-4o-mini). */
const usage = { prompt_tokens: 100, completion_tokens: 20 };

function compile(agentLimits = '', treeLimits = '') {
  const tree = parseTree(
    `version: 1
name: desk
root: desk
${treeLimits}
agents:
  desk: { description: Front desk., prompt: Answer.${agentLimits ? `, limits: ${agentLimits}` : ''} }
`,
    'desk.yaml',
  );
  return compileTree(tree, { ...viaFakeOpenAI(server), logger: captureLogs('warn').logger });
}

describe('TOKEN_LIMIT', () => {
  it("names the agent's own budget when that is what ran out, far under the tree's", async () => {
    const graph = compile('{ tokensPerSession: 150 }', 'limits: { tokensPerSession: 100000 }');
    server.fallback(() => ({ content: 'Fine.', usage }));
    const { threadId } = newThread();
    await runTurn(graph, { threadId, message: 'one' });
    await runTurn(graph, { threadId, message: 'two' });
    const third = await runTurn(graph, { threadId, message: 'three' });
    expect(third.error).toEqual({ code: 'TOKEN_LIMIT', message: 'desk used 240 tokens of its own limit of 150 in this session' });
  });

  it("keeps the session's wording when the tree's budget ran out", async () => {
    const graph = compile('', 'limits: { tokensPerSession: 150 }');
    server.fallback(() => ({ content: 'Fine.', usage }));
    const { threadId } = newThread();
    await runTurn(graph, { threadId, message: 'one' });
    await runTurn(graph, { threadId, message: 'two' });
    expect((await runTurn(graph, { threadId, message: 'three' })).error).toEqual({ code: 'TOKEN_LIMIT', message: 'the session used 240 tokens; the limit is 150' });
  });
});

describe('a context-length failure', () => {
  it('counts the attempt of the call asked again with only the current turn', async () => {
    const graph = compile();
    const tooLong = { status: 400, error: { message: "This model's maximum context length is 128000 tokens.", type: 'invalid_request_error', code: 'context_length_exceeded' } };
    server.enqueue(tooLong, tooLong);
    const result = await runTurn(graph, { threadId: newThread().threadId, message: 'hi' });
    expect(server.requests).toHaveLength(2);
    expect(result.error?.code).toBe('CONTEXT_TOO_LONG');
    expect(result.error?.message).toMatch(/^the model failed \(context-length\) after 2 attempt\(s\): /);
  });
});

describe('costs', () => {
  it('add up without floating-point noise in --json and the turn summaries', async () => {
    const graph = compile();
    server.fallback(() => ({ content: 'Fine.', usage }));
    const { threadId } = newThread();
    await runTurn(graph, { threadId, message: 'one' });
    await runTurn(graph, { threadId, message: 'two' });
    const third = await runTurn(graph, { threadId, message: 'three' });
    const last = turnJson(third);
    // 3 × 0.000027 is 0.00008099999999999999 in binary floating point.
    expect(0.000027 + 0.000027 + 0.000027).not.toBe(0.000081);
    expect((last.sessionUsage as { costUsd: number }).costUsd).toBe(0.000081);
    // The library's own figures too: the session's usage by agent and by path, and the routing stats.
    expect(third.sessionUsage.total.costUsd).toBe(0.000081);
    expect(Object.values(third.sessionUsage.byAgent).map((totals) => totals.costUsd)).toEqual([0.000081]);
    expect(Object.values(third.sessionUsage.byPath).map((totals) => totals.costUsd)).toEqual([0.000081]);
    const stats = await routingStats(graph);
    expect([stats.cost.totalUsd, stats.cost.perConversationUsd, ...stats.cost.byPath.map((path) => path.costUsd)]).toEqual([0.000081, 0.000081, 0.000081]);
    expect((last.usage as { costUsd: number }).costUsd).toBe(0.000027);
    for (const summary of await getTurnSummaries(graph, threadId)) expect(summary.usage.total.costUsd).toBe(0.000027);
  });

  it('are rounded in `switchboard stats --json`', () => {
    const noisy = 0.000027 + 0.000027 + 0.000027;
    const stats = { cost: { totalUsd: noisy, perConversationUsd: noisy, byPath: [{ path: 'desk', modelCalls: 3, inputTokens: 300, outputTokens: 60, costUsd: noisy, latencyMs: 3 }], unpricedModels: [] } } as unknown as RoutingStats;
    expect(withRoundedCosts(stats).cost).toMatchObject({ totalUsd: 0.000081, perConversationUsd: 0.000081, byPath: [{ costUsd: 0.000081 }] });
  });
});

describe('messageChars counts characters as a person does', () => {
  const FAMILY = '👨‍👩‍👧‍👦'; // 7 code points
  const FLAGS = '🇫🇷🇩🇪🇯🇵'; // 6 code points
  const DECOMPOSED = 'e\u0301'; // é as e and a combining accent

  it('an emoji sequence, a flag and a decomposed letter are one character each', () => {
    const limit = (messageChars: number) => ({ limits: { messageChars } });
    expect(messageTooLong(FAMILY, limit(1))).toBeUndefined();
    expect(messageTooLong(FLAGS, limit(3))).toBeUndefined();
    expect(messageTooLong(FLAGS, limit(2))).toBe('The message has 3 characters; the limit is 2.');
    expect(messageTooLong(DECOMPOSED.repeat(5), limit(5))).toBeUndefined();
    expect(messageTooLong(`${FAMILY}${FLAGS}${DECOMPOSED}`, limit(4))).toBe('The message has 5 characters; the limit is 4.');
  });

  it("in a user's message through a turn, and in a person's reply", async () => {
    const graph = compile('{ messageChars: 5 }');
    server.enqueue({ content: 'Fine.', usage });
    expect(await runTurn(graph, { threadId: newThread().threadId, message: `${FAMILY}${FLAGS}${DECOMPOSED}` })).toMatchObject({ status: 'done', reply: 'Fine.' });
    const person = { name: 'person', limits: { messageChars: 2 } } as unknown as AgentRuntime;
    expect(() => checkReply(person, { reply: `${FAMILY}${DECOMPOSED}` }, [])).not.toThrow();
    expect(() => checkReply(person, { reply: `${FAMILY}${DECOMPOSED}x` }, [])).toThrow('The reply has 3 characters; the limit is 2.');
  });

  it('a long message is counted only to twice the limit, and one of more than 8 code units a character is refused uncounted', () => {
    const limits = { limits: { messageChars: 8000 } };
    expect(messageTooLong('a'.repeat(20_000), limits)).toBe('The message has more than 16000 characters; the limit is 8000.');
    expect(messageTooLong(`${FAMILY}${'a'.repeat(30_000)}`, limits)).toBe('The message has more than 16000 characters; the limit is 8000.');
    // Few characters, megabytes of text (a letter under a pile of combining marks): the model would be sent them all.
    expect(messageTooLong(`e${'\u0301'.repeat(999_999)}`, limits)).toBe('The message has 1000000 characters (counted in UTF-16 code units); the limit is 8000.');
    expect(messageTooLong(`a${'\u0301'.repeat(99)}`.repeat(7_000), limits)).toBe('The message has 700000 characters (counted in UTF-16 code units); the limit is 8000.');
    expect(messageTooLong(FAMILY.repeat(1_000), limits)).toBeUndefined();
  });
});

describe('a call that answered after a retry', () => {
  it("is timed whole in the turn's usage (its failed attempt included), as a call that failed is", async () => {
    const tree = parseTree('version: 1\nname: desk\nroot: desk\nagents:\n  desk: { description: Front desk., prompt: Answer. }\n', 'desk.yaml');
    const graph = compileTree(tree, { ...viaFakeOpenAI(server), sleep: async () => {}, logger: captureLogs('warn').logger });
    server.enqueue({ status: 500, delayMs: 300 }, { content: 'Fine.', usage });
    const result = await runTurn(graph, { threadId: newThread().threadId, message: 'hi' });
    expect(result).toMatchObject({ status: 'done', reply: 'Fine.' });
    // The failed attempt alone took 300 ms: the call's latency cannot be less.
    expect(result.usage.total.latencyMs).toBeGreaterThanOrEqual(300);
    expect(result.usage.total.modelCalls).toBe(2);
  });
});
