import { describe, expect, it } from 'vitest';
import { awaitAllCallbacks } from '@langchain/core/callbacks/promises';
import { runTurn } from '../../runtime/turn.js';
import { compileExample, fakeOpenAIForFile, newThread, viaFakeOpenAI } from '../helpers.js';
import { useFakeLangSmith } from './fake-langsmith.js';

// A file of its own: LangChain's LangSmith client is a process-wide singleton that reads the
// hide settings once, when it is made.
const server = await fakeOpenAIForFile();
const langsmith = useFakeLangSmith({ LANGSMITH_HIDE_INPUTS: 'true', LANGSMITH_HIDE_OUTPUTS: 'true' });

describe('LangSmith tracing with LANGSMITH_HIDE_INPUTS and LANGSMITH_HIDE_OUTPUTS', () => {
  it('posts the same named runs and no message text, tool arguments, results or payloads', async () => {
    const { graph } = await compileExample('support', viaFakeOpenAI(server));
    server.enqueue(
      { toolCalls: [{ name: 'transfer_to_billing', arguments: { reason: 'double charge on my card', priority: 'high' } }] },
      { toolCalls: [{ name: 'lookup_invoice', arguments: { invoice_id: 'INV-4242' } }] },
      { content: 'Both charges of $49.99 are there.' },
    );
    const result = await runTurn(graph, { threadId: newThread().threadId, message: 'I was charged twice, jane.doe@example.com' });
    expect(result.reply).toBe('Both charges of $49.99 are there.');
    await awaitAllCallbacks();

    const names = [...langsmith.runs.values()].map((run) => run.name).sort();
    expect(names).toEqual(['billing', 'billing', 'billing', 'billing model', 'billing model', 'lookup_invoice', 'support', 'triage', 'triage model']);
    const posted = langsmith.bodies.join('\n');
    expect(posted).toContain('billing model');
    // '$49.99', not '49.99': a run's timestamp can read 09:32:49.991Z.
    for (const text of ['charged twice', 'jane.doe@example.com', 'double charge', 'INV-4242', 'Both charges', '$49.99', 'billing specialist']) expect(posted).not.toContain(text);
  });
});
