/**
 * An evaluation on a model the price table does not know (a local or a new model): its calls count
 * as $0, and the report says so instead of showing a cost that a budget check would take at its word.
 */
import { describe, expect, it } from 'vitest';
import { parseTree } from '../../config/load.js';
import { compileTree } from '../../graphs/compile.js';
import { parseDataset } from '../../eval/dataset.js';
import { formatReport } from '../../eval/format.js';
import { runEval } from '../../eval/runner.js';
import { captureLogs } from '../../testing/capture-logs.js';
import { fakeOpenAIForFile, viaFakeOpenAI } from '../helpers.js';

const server = await fakeOpenAIForFile();

const TREE = `version: 1
name: local-desk
root: triage
models:
  router: { provider: openai, name: gpt-4o-mini }
  local: { provider: openai, name: llama-3.1-8b-instruct }
defaults: { model: router }
agents:
  triage:
    description: Front desk.
    prompt: Route billing questions to billing.
    children: [billing]
  billing:
    description: Charges and refunds.
    prompt: You are the billing specialist.
    model: local
`;

describe('runEval() with a model that has no price', () => {
  it('lists the models without a price, and the text report says the cost leaves them out', async () => {
    const graph = compileTree(parseTree(TREE, 'local-desk.yaml'), { ...viaFakeOpenAI(server), logger: captureLogs('warn').logger });
    const dataset = parseDataset('version: 1\ncases:\n  - message: I was charged twice\n    agent: billing\n', 'cases.yaml');
    server.enqueue({ toolCalls: [{ name: 'transfer_to_billing', arguments: {} }] }, { content: 'I see both charges.', usage: { prompt_tokens: 5000, completion_tokens: 800 } });
    const report = await runEval(graph, dataset);

    expect(report.routing).toMatchObject({ correct: 1, total: 1 });
    expect(report.models).toEqual(['gpt-4o-mini', 'llama-3.1-8b-instruct']);
    expect(report.unpricedModels).toEqual(['llama-3.1-8b-instruct']);
    // Only triage's call (100 + 20 tokens on gpt-4o-mini) is priced.
    expect(report.usage.costUsd).toBeCloseTo((100 * 0.15 + 20 * 0.6) / 1e6, 12);
    expect(formatReport(report)).toContain(
      "Cost leaves out llama-3.1-8b-instruct: no price is known for it. Add it to the tree's prices: (US dollars per million input and output tokens).",
    );
  });

  it('lists none when the tree prices its models', async () => {
    const priced = TREE.replace('defaults:', 'prices:\n  llama-3.1-8b-instruct: { input: 0.05, output: 0.08 }\ndefaults:');
    const graph = compileTree(parseTree(priced, 'local-desk.yaml'), { ...viaFakeOpenAI(server), logger: captureLogs('warn').logger });
    const dataset = parseDataset('version: 1\ncases:\n  - message: I was charged twice\n    agent: billing\n', 'cases.yaml');
    server.enqueue({ toolCalls: [{ name: 'transfer_to_billing', arguments: {} }] }, { content: 'I see both charges.', usage: { prompt_tokens: 5000, completion_tokens: 800 } });
    const report = await runEval(graph, dataset);
    expect(report.unpricedModels).toEqual([]);
    expect(report.usage.costUsd).toBeCloseTo((100 * 0.15 + 20 * 0.6 + 5000 * 0.05 + 800 * 0.08) / 1e6, 12);
    expect(formatReport(report)).not.toContain('Cost leaves out');
  });
});
