/**
 * LangSmith with LANGSMITH_HIDE_INPUTS and LANGSMITH_HIDE_OUTPUTS on turns that wait for a person (an
 * escalation, an approval gate). LangGraph's interrupt() throws a GraphInterrupt whose message is
 * the JSON of what the turn waits on (the user's message, the transcript, the reason and payload),
 * and the tracer posts a run's error text as it is (the hide settings cover inputs and outputs
 * only): Switchboard's pause keeps the value out of that error.
 */
import { describe, expect, it } from 'vitest';
import { awaitAllCallbacks } from '@langchain/core/callbacks/promises';
import { loadTree } from '../../config/load.js';
import { compileTree } from '../../graphs/compile.js';
import { approveHandoff } from '../../runtime/approval.js';
import { resumeThread, runTurn } from '../../runtime/turn.js';
import { createExampleTools } from '../../tools/examples.js';
import { compileExample, examplePath, fakeOpenAIForFile, newThread, viaFakeOpenAI } from '../helpers.js';
import { useFakeLangSmith } from './fake-langsmith.js';

// A file of its own: LangChain's LangSmith client reads the hide settings once, when it is made.
const server = await fakeOpenAIForFile();
const langsmith = useFakeLangSmith({ LANGSMITH_HIDE_INPUTS: 'true', LANGSMITH_HIDE_OUTPUTS: 'true' });

/** Run fields (`human_agent.error`…) that hold any of `texts`, and whether any request body does. */
function leaks(texts: string[]) {
  const pattern = new RegExp(texts.map((text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'));
  const fields = [...langsmith.runs.values()].flatMap((run) => Object.entries(run).filter(([, value]) => pattern.test(JSON.stringify(value ?? ''))).map(([field]) => `${run.name}.${field}`));
  return { fields, inBodies: texts.filter((text) => langsmith.bodies.join('\n').includes(text)) };
}

describe('LangSmith tracing with hidden inputs and outputs, on turns that wait for a person', () => {
  it('posts no message text, reason or payload of an escalation (the person run ends paused, not with the request as its error)', async () => {
    const { graph } = await compileExample('support', viaFakeOpenAI(server));
    server.enqueue(
      { toolCalls: [{ name: 'transfer_to_technical', arguments: { reason: 'webhook fails' } }] },
      { toolCalls: [{ name: 'escalate_to_manager', arguments: { reason: 'two fixes failed' } }] },
      { toolCalls: [{ name: 'escalate_to_human', arguments: { reason: 'customer insists', summary: 'card ending 4242' } }] },
    );
    const { threadId } = newThread();
    const result = await runTurn(graph, { threadId, message: 'My webhook is down, call me on +1 555 0100' });
    expect(result.status).toBe('waiting');
    // The person still gets the whole request.
    expect(result.waitingFor).toMatchObject({ type: 'escalation', message: 'My webhook is down, call me on +1 555 0100', reason: 'customer insists' });
    await resumeThread(graph, threadId, { reply: 'Hi, Dana here.', handBackTo: 'technical' });
    await awaitAllCallbacks();

    expect(langsmith.runs.size).toBeGreaterThan(0);
    expect(leaks(['555 0100', 'card ending 4242', 'customer insists', 'two fixes failed', 'Dana here'])).toEqual({ fields: [], inBodies: [] });
  });

  it('posts no payload of a handoff waiting for approval', async () => {
    const tools = createExampleTools({});
    const tree = await loadTree(examplePath('support'), { tools });
    tree.spec.agents.billing!.approval = 'required';
    const graph = compileTree(tree, { tools, sleep: async () => {}, ...viaFakeOpenAI(server) });
    server.enqueue({ toolCalls: [{ name: 'transfer_to_billing', arguments: { reason: 'refund for order 88231' } }] }, { content: 'Billing here.' });
    const { threadId } = newThread();
    const result = await runTurn(graph, { threadId, message: 'Refund my card ending 4242 please' });
    expect(result.status).toBe('waiting');
    expect(result.waitingFor).toMatchObject({ type: 'approval', payload: { reason: 'refund for order 88231' } });
    expect(await approveHandoff(graph, threadId)).toMatchObject({ status: 'done', reply: 'Billing here.' });
    await awaitAllCallbacks();

    expect(leaks(['card ending 4242', 'order 88231'])).toEqual({ fields: [], inBodies: [] });
  });
});
