import { describe, expect, it } from 'vitest';
import { awaitAllCallbacks } from '@langchain/core/callbacks/promises';
import { runTurn } from '../../runtime/turn.js';
import { compileExample, fakeOpenAIForFile, newThread, viaFakeOpenAI } from '../helpers.js';
import { useFakeLangSmith } from './fake-langsmith.js';
import type { PostedRun } from './fake-langsmith.js';

const server = await fakeOpenAIForFile();
const langsmith = useFakeLangSmith();

/** The runs of one trace as a tree of names: `name [run_type]` with children, in start order. */
function outline(runs: PostedRun[], parent: string | undefined = undefined): unknown[] {
  return runs
    .filter((run) => (run.parent_run_id ?? undefined) === parent)
    .sort((a, b) => String(a.dotted_order).localeCompare(String(b.dotted_order)))
    .map((run) => {
      const children = outline(runs, run.id);
      return children.length ? { [`${run.name} [${run.run_type}]`]: children } : `${run.name} [${run.run_type}]`;
    });
}

describe('LangSmith tracing (LANGSMITH_TRACING)', () => {
  it('posts a turn as runs named by the tree, its agents, their models and tools, handoffs readable in order', async () => {
    const { graph } = await compileExample('support', viaFakeOpenAI(server));
    server.enqueue(
      { toolCalls: [{ name: 'transfer_to_billing', arguments: { reason: 'double charge', priority: 'high' } }] },
      { toolCalls: [{ name: 'lookup_invoice', arguments: { invoice_id: 'INV-1001' } }] },
      { content: 'Both charges are there.' },
    );
    const result = await runTurn(graph, { threadId: newThread().threadId, message: 'I was charged twice' });
    expect(result.reply).toBe('Both charges are there.');
    await awaitAllCallbacks();

    const runs = [...langsmith.runs.values()];
    expect(langsmith.requests).toContain('POST /runs/multipart');
    expect(outline(runs)).toEqual([
      {
        'support [chain]': [
          { 'triage [chain]': ['triage model [llm]'] },
          { 'billing [chain]': ['billing model [llm]'] },
          { 'billing [chain]': ['lookup_invoice [tool]'] },
          { 'billing [chain]': ['billing model [llm]'] },
        ],
      },
    ]);
    expect(runs.every((run) => run.end_time !== undefined)).toBe(true);
    const triageModel = runs.find((run) => run.name === 'triage model')!;
    expect(triageModel.extra?.metadata).toMatchObject({ switchboard_agent: 'triage', switchboard_model: server.requests[0]!.model, langgraph_node: 'triage' });
    // The handoff reads as the triage model's tool call, then the billing agent's run.
    expect(JSON.stringify(triageModel.outputs)).toContain('transfer_to_billing');
    expect(JSON.stringify(runs.find((run) => run.name === 'support')!.inputs)).toContain('I was charged twice');
  });
});
