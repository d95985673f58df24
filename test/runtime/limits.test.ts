import { describe, expect, it } from 'vitest';
import type { AIMessage, ToolMessage } from '@langchain/core/messages';
import { parseTree } from '../../config/load.js';
import { compileTree } from '../../graphs/compile.js';
import { call, ScriptedChatModel } from '../../models/scripted.js';
import type { ScriptStep } from '../../models/scripted.js';
import { runTurn } from '../../runtime/turn.js';
import { getTurnSummaries } from '../../runtime/transcript.js';
import { createExampleTools } from '../../tools/examples.js';
import { newThread } from '../helpers.js';

/** A chain triage → lead → clerk, a manager and a person; limits and escalation set per test. */
function chainTree(limits: string, escalation = true): string {
  return `
version: 1
name: limits
root: triage
${escalation ? 'escalation: manager' : ''}
limits: ${limits}
agents:
  triage: { description: Front desk, prompt: Route., children: [lead], escalate: [manager] }
  lead: { description: Lead, prompt: Lead., children: [clerk] }
  clerk: { description: Clerk, prompt: Clerk., tools: [lookup_invoice] }
  manager: { description: Manager, prompt: Manager., escalate: [person] }
  person: { kind: human, description: A person }
`;
}

function compile(limits: string, steps: ScriptStep[], escalation = true) {
  const tools = createExampleTools();
  const model = new ScriptedChatModel(steps);
  const graph = compileTree(parseTree(chainTree(limits, escalation), 'limits.yaml', { tools }), { tools, model });
  return { graph, model };
}

/** Triage with two children that may hand off to each other (a round of three is possible), no escalation target. */
function compileRounds(steps: ScriptStep[]) {
  const yaml = `
version: 1
name: rounds
root: triage
limits: { handoffsPerTurn: 10 }
agents:
  triage: { description: Front desk, prompt: Route., children: [billing, technical] }
  billing: { description: Billing, prompt: Bill., sideways: [technical] }
  technical: { description: Technical, prompt: Fix., sideways: [billing] }
`;
  const tools = createExampleTools();
  return compileTree(parseTree(yaml, 'rounds.yaml', { tools }), { tools, model: new ScriptedChatModel(steps) });
}

const lookup = call('lookup_invoice', { invoice_id: 'INV-1' });
const repeat = (step: ScriptStep, times: number) => Array.from({ length: times }, () => step);

describe('limits per turn and per session', () => {
  it('crossing the tool-call ceiling escalates to the tree escalation target (once), every call answered', async () => {
    const { graph } = compile('{ toolCallsPerTurn: 3 }', [call('transfer_to_lead'), call('transfer_to_clerk'), ...repeat(lookup, 4), 'Manager here.']);
    const result = await runTurn(graph, { threadId: newThread().threadId, message: 'look it up' });

    expect(result).toMatchObject({ agent: 'manager', reply: 'Manager here.', status: 'done' });
    expect(result.handoffs.at(-1)).toMatchObject({ from: 'clerk', to: 'manager', kind: 'limit', reason: 'TOOL_CALL_LIMIT' });
    const tools = result.state.messages.filter((message) => message.type === 'tool') as ToolMessage[];
    expect(tools.filter((message) => message.name === 'lookup_invoice' && message.status === 'success')).toHaveLength(3);
    expect(tools.at(-1)?.text).toBe('Refused: the limit of tool calls in one turn is reached; lookup_invoice was not run.');
  });

  it('crossing the model-call ceiling without an escalation target ends the turn with a clear error', async () => {
    const { graph, model } = compile('{ modelCallsPerTurn: 4, toolCallsPerTurn: 50 }', [call('transfer_to_lead'), call('transfer_to_clerk'), ...repeat(lookup, 10)], false);
    const result = await runTurn(graph, { threadId: newThread().threadId, message: 'look it up' });

    expect(result.status).toBe('error');
    expect(result.error).toEqual({ code: 'MODEL_CALL_LIMIT', message: 'more than 4 model calls in one turn' });
    expect(model.requests).toHaveLength(4);
    expect(result.reply).toBeUndefined();
  });

  it('crossing the handoff ceiling without an escalation target ends the turn; the refused handoff is answered', async () => {
    const { graph } = compile('{ handoffsPerTurn: 1 }', [call('transfer_to_lead'), call('transfer_to_clerk')], false);
    const result = await runTurn(graph, { threadId: newThread().threadId, message: 'deep' });

    expect(result.error).toEqual({ code: 'HANDOFF_LIMIT', message: 'more than 1 handoffs in one turn' });
    expect(result.state.activeAgent).toBe('lead');
    expect(result.state.messages.at(-1)?.text).toBe('Not done: more than 1 handoffs in one turn. The turn ends.');
  });

  it('ping-pong without an escalation target ends the turn with PING_PONG', async () => {
    const { graph } = compile('{ handoffsPerTurn: 10 }', [call('transfer_to_lead'), call('transfer_to_triage'), call('transfer_to_lead')], false);
    const result = await runTurn(graph, { threadId: newThread().threadId, message: 'loop' });

    expect(result.error?.code).toBe('PING_PONG');
    expect(result.handoffs.map((record) => `${record.from}>${record.to}`)).toEqual(['triage>lead', 'lead>triage']);
  });

  it('a round of three agents about to start again ends the turn with PING_PONG', async () => {
    const graph = compileRounds([call('transfer_to_billing'), call('transfer_to_technical'), call('transfer_to_triage'), call('transfer_to_billing'), 'never']);
    const { threadId } = newThread();
    const result = await runTurn(graph, { threadId, message: 'loop' });

    expect(result.error).toEqual({ code: 'PING_PONG', message: 'ping-pong among triage, billing and technical (triage→billing→technical→triage→billing)' });
    expect(result.handoffs.map((record) => `${record.from}>${record.to}`)).toEqual(['triage>billing', 'billing>technical', 'technical>triage']);
    expect((await getTurnSummaries(graph, threadId)).at(-1)?.pingPongs).toBe(1);
  });

  it('coming back to an agent that then chooses another agent is not a ping-pong', async () => {
    const graph = compileRounds([call('transfer_to_billing'), call('transfer_to_triage'), call('transfer_to_technical'), 'Technical here.']);
    const result = await runTurn(graph, { threadId: newThread().threadId, message: 'billing, no, technical' });

    expect(result).toMatchObject({ status: 'done', agent: 'technical', reply: 'Technical here.' });
    expect(result.handoffs.map((record) => `${record.from}>${record.to}`)).toEqual(['triage>billing', 'billing>triage', 'triage>technical']);
  });

  it('after a limit sends the turn to the escalation target, that agent can still escalate to a person', async () => {
    const { graph } = compile('{ toolCallsPerTurn: 1 }', [call('transfer_to_lead'), call('transfer_to_clerk'), lookup, lookup, call('transfer_to_person', {}), lookup]);
    const result = await runTurn(graph, { threadId: newThread().threadId, message: 'x' });
    // The manager cannot call lookup_invoice at all: it is refused, but that is not a limit. Its handoff to the person goes through.
    expect(result.status).toBe('waiting');
    expect(result.handoffs.map((record) => record.kind)).toEqual(['delegate', 'delegate', 'limit', 'escalate']);
  });

  it('the token budget of a session is a hard ceiling; a flooding thread does not touch another thread', async () => {
    const { graph } = compile('{ tokensPerSession: 40 }', repeat('ok', 10));
    const flood = newThread().threadId;
    const results = [];
    for (let index = 0; index < 4; index += 1) results.push(await runTurn(graph, { threadId: flood, message: `message ${index}` }));

    // Each scripted call reports 15 tokens: three calls fit under 40; the fourth turn is refused before
    // calling a model — the escalation target is a model agent, over the session budget too, so the
    // turn ends where it is (no move to an agent that could not answer either).
    expect(results.map((result) => result.status)).toEqual(['done', 'done', 'done', 'error']);
    expect(results[3]?.error).toEqual({ code: 'TOKEN_LIMIT', message: "the session used 45 tokens; the limit is 40 (manager, the tree's escalation, is a model agent and could not answer either)" });
    expect(results[3]?.handoffs).toEqual([]);
    expect(results[3]?.state.activeAgent).toBe('triage');
    expect(results[3]?.usage.total.modelCalls).toBe(0);
    const other = await runTurn(graph, { threadId: newThread().threadId, message: 'hello' });
    expect(other).toMatchObject({ status: 'done', agent: 'triage', reply: 'ok' });
  });

  it('refuses an oversized message before any model call and removes it from the thread', async () => {
    const { graph, model } = compile('{ messageChars: 100 }', ['never']);
    const { threadId, config } = newThread();
    const result = await runTurn(graph, { threadId, message: 'x'.repeat(101) });

    expect(result.error).toEqual({ code: 'MESSAGE_TOO_LONG', message: 'The message has 101 characters; the limit is 100.' });
    expect(model.requests).toHaveLength(0);
    const state = await graph.getState(config);
    expect((state.values as { messages: unknown[] }).messages).toEqual([]);
  });

  it('refuses an oversized message again when it is sent again with the same id, and names it (not the message before) in the result', async () => {
    const { graph, model } = compile('{ messageChars: 100 }', ['first answer', 'never']);
    const { threadId } = newThread();
    expect(await runTurn(graph, { threadId, messageId: 'm-1', message: 'hello' })).toMatchObject({ status: 'done', messageId: 'm-1', reply: 'first answer' });
    const long = 'x'.repeat(101);
    const refused = await runTurn(graph, { threadId, messageId: 'm-2', message: long });
    expect(refused).toMatchObject({ status: 'error', messageId: 'm-2', error: { code: 'MESSAGE_TOO_LONG' } });
    // The documented retry (same message id) must not get the message past the limit.
    const resent = await runTurn(graph, { threadId, messageId: 'm-2', message: long });
    expect(resent).toMatchObject({ status: 'error', messageId: 'm-2', replayed: false, error: { code: 'MESSAGE_TOO_LONG' } });
    expect(model.requests).toHaveLength(1);
    expect(resent.state.messages.filter((message) => message.type === 'human').map((message) => message.id)).toEqual(['m-1']);
    const summaries = await getTurnSummaries(graph, threadId);
    expect(summaries.map((summary) => [summary.turn, summary.messageId, summary.status])).toEqual([
      [1, 'm-1', 'done'],
      [2, 'm-2', 'error'],
      [3, 'm-2', 'error'],
    ]);
  });

  it('sets the LangGraph recursion limit from the tree, so a long legitimate turn is not cut at 25 steps', async () => {
    const { graph } = compile('{ modelCallsPerTurn: 40, toolCallsPerTurn: 40 }', [call('transfer_to_lead'), call('transfer_to_clerk'), ...repeat(lookup, 30), 'Done after 30 lookups.']);
    const result = await runTurn(graph, { threadId: newThread().threadId, message: 'long' });

    expect(result).toMatchObject({ status: 'done', reply: 'Done after 30 lookups.' });
    expect(result.state.turn.toolCalls).toBe(30);
    const steps = result.state.messages.filter((message) => message.type === 'ai' && (message as AIMessage).tool_calls?.length).length;
    expect(steps).toBe(32);
  });
});
