/**
 * Helper agents and the turn's limits: a helper's own model and tool calls are held to the limits
 * of the tree and to the helper's own `limits:` (its session tokens too), however many tool calls its
 * model sends at once.
 */
import { describe, expect, it } from 'vitest';
import { tool } from '@langchain/core/tools';
import { z } from 'zod';
import { parseTree } from '../../config/load.js';
import { compileTree } from '../../graphs/compile.js';
import { runTurn, streamTurn } from '../../runtime/turn.js';
import type { SwitchboardEvent } from '../../nodes/events.js';
import { expectEveryCallAnswered, fakeOpenAIForFile, newThread, viaFakeOpenAI } from '../helpers.js';

const server = await fakeOpenAIForFile();

const tree = (limits: string) => `
version: 1
name: research-desk
root: triage
${limits.startsWith('tree') ? 'limits: { toolCallsPerTurn: 3 }' : ''}
agents:
  triage:
    description: Front desk.
    prompt: Answer, with research when needed.
    helpers: [research]
    escalate: [person]
  research:
    kind: helper
    description: Researches a question.
    prompt: Research prompt.
    tools: [lookup]
${limits.startsWith('helper') ? '    limits: { modelCallsPerTurn: 2, toolCallsPerTurn: 2 }' : ''}${limits.startsWith('tokens') ? '    limits: { tokensPerSession: 150 }' : ''}
  person:
    kind: human
    description: A person.
`;

function compile(limits: string) {
  const looked: string[] = [];
  const lookup = tool(async ({ id }: { id: string }) => {
    looked.push(id);
    return `record ${id}`;
  }, { name: 'lookup', description: 'Looks a record up.', schema: z.object({ id: z.string() }) });
  const graph = compileTree(parseTree(tree(limits), 'research-desk.yaml', { tools: { lookup } }), { ...viaFakeOpenAI(server), tools: { lookup }, sleep: async () => {} });
  return { graph, looked };
}

const fourLookups = { toolCalls: ['a', 'b', 'c', 'd'].map((id) => ({ name: 'lookup', arguments: { id }, id: 'call_0' })) };

describe('helpers and the limits of a turn', () => {
  it.each([
    ['tree', 2],
    ['helper', 2],
  ])("runs no more of a helper's tool calls than the %s's toolCallsPerTurn allows", async (limits, runs) => {
    const { graph, looked } = compile(limits);
    server.enqueue({ toolCalls: [{ name: 'research', arguments: { request: 'records a to d' } }] }, fourLookups, { content: 'Found two.' }, { content: 'Here is what I found.' });

    const result = await runTurn(graph, { threadId: newThread().threadId, message: 'look up a, b, c and d' });

    expect(looked).toHaveLength(runs);
    expect(result).toMatchObject({ status: 'done', reply: 'Here is what I found.' });
    const shownToHelper = server.requests[2]?.messages.filter((message) => message.role === 'tool').map((message) => message.content);
    expect(shownToHelper?.slice(runs)).toEqual(['Refused: the limit of tool calls in one turn is reached; lookup was not run.', 'Refused: the limit of tool calls in one turn is reached; lookup was not run.']);
    expectEveryCallAnswered(result.state.messages);
  });

  it("makes no more model calls for a helper than the helper's own modelCallsPerTurn allows", async () => {
    const { graph } = compile('helper');
    const oneLookup = (id: string) => ({ toolCalls: [{ name: 'lookup', arguments: { id } }] });
    server.enqueue({ toolCalls: [{ name: 'research', arguments: { request: 'keep looking' } }] }, oneLookup('a'), oneLookup('b'), { content: 'Nothing found.' });

    const result = await runTurn(graph, { threadId: newThread().threadId, message: 'find it' });

    expect(result.usage.byAgent.research?.modelCalls).toBe(2);
    const answer = result.state.messages.find((message) => message.type === 'tool');
    expect(answer?.content).toBe('Refused: the limit of model calls in one turn is reached; research did not answer.');
    expect(result).toMatchObject({ status: 'done', reply: 'Nothing found.' });
  });

  it("makes no model call for a helper past its own tokensPerSession", async () => {
    const { graph, looked } = compile('tokens');
    const bigLookup = { toolCalls: [{ name: 'lookup', arguments: { id: 'a' } }], usage: { prompt_tokens: 200, completion_tokens: 10 } };
    server.enqueue({ toolCalls: [{ name: 'research', arguments: { request: 'look a up' } }] }, bigLookup, { content: 'Could not research it.' });

    const result = await runTurn(graph, { threadId: newThread().threadId, message: 'find a' });

    expect(looked).toEqual(['a']);
    expect(result.usage.byAgent.research).toMatchObject({ modelCalls: 1, inputTokens: 200, outputTokens: 10 });
    const answer = result.state.messages.find((message) => message.type === 'tool' && message.name === 'research');
    expect(answer?.content).toBe("Refused: the session's token limit is reached; research did not answer.");
    expect(result).toMatchObject({ status: 'done', reply: 'Could not research it.' });
  });

  it("streams a helper's own tool runs as tool-call and tool-result events, with their idempotency keys", async () => {
    const { graph, looked } = compile('none');
    server.enqueue({ toolCalls: [{ name: 'research', arguments: { request: 'look a up' } }] }, { toolCalls: [{ name: 'lookup', arguments: { id: 'a' } }] }, { content: 'Record a.' }, { content: 'Found it.' });
    const { threadId } = newThread();
    const events: SwitchboardEvent[] = [];
    for await (const event of streamTurn(graph, { threadId, message: 'find a' })) events.push(event);

    expect(looked).toEqual(['a']);
    const tools = events.filter((event) => event.type === 'tool-call' || event.type === 'tool-result');
    const outer = tools.find((event) => event.type === 'tool-call' && event.tool === 'research');
    expect(tools).toEqual([
      expect.objectContaining({ type: 'tool-call', agent: 'triage', tool: 'research' }),
      expect.objectContaining({ type: 'tool-call', agent: 'research', tool: 'lookup', args: { id: 'a' }, idempotencyKey: `${threadId}:${(outer as { toolCallId: string }).toolCallId}:0` }),
      expect.objectContaining({ type: 'tool-result', agent: 'research', tool: 'lookup', ok: true, content: 'record a' }),
      expect.objectContaining({ type: 'tool-result', agent: 'triage', tool: 'research', ok: true, content: 'Record a.' }),
    ]);
  });
});
