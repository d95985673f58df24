/**
 * What lint says about `models:`, `prices:` and `retry:` beyond the schema: a temperature the
 * provider refuses, a price no model of the tree is counted under, and a retry policy described as
 * the runtime applies it (nodes/model-call.ts: a timeout is never retried).
 */
import { describe, expect, it } from 'vitest';
import { lintTreeText } from '../../config/load.js';
import type { TreeRegistry } from '../../config/load.js';
import { treeJsonSchemaText } from '../../config/json-schema.js';
import { showIssues } from './lint-fixtures.js';

/** A valid tree with these lines under `models:` (and `prices:`); triage uses the first model unless `triageModel` says otherwise. */
function treeWith(models: string[], prices: string[] = [], triageModel: string | undefined = models[0]?.split(':')[0]): string {
  return [
    'version: 1',
    'name: desk',
    'root: triage',
    'models:',
    ...models.map((line) => `  ${line}`),
    ...(prices.length ? ['prices:', ...prices.map((line) => `  ${line}`)] : []),
    'agents:',
    '  triage:',
    '    description: Front desk.',
    '    prompt: Route.',
    ...(triageModel ? [`    model: ${triageModel}`] : []),
    '    escalate: [person]',
    '  person:',
    '    kind: human',
    '    description: A person.',
    '',
  ].join('\n');
}

function show(text: string, registry: TreeRegistry = {}): string {
  // The provider packages are not what these tests are about.
  return showIssues(text, lintTreeText(text, 'desk.yaml', registry).filter((issue) => issue.code !== 'PROVIDER_PACKAGE_MISSING'));
}

describe('lintTreeText(): a temperature the provider refuses', () => {
  it('refuses a temperature above 1 for Anthropic, at the value, and accepts 0 to 1', () => {
    expect(show(treeWith(['claude: { provider: anthropic, name: claude-haiku-4-5, temperature: 1.2 }']))).toMatchInlineSnapshot(`
      "desk.yaml:5:71 error NUMBER_TOO_LARGE models.claude.temperature is 1.2; Anthropic takes at most 1, and refuses every call with more. Change it to at most 1 (Anthropic's scale runs from 0 to 1; OpenAI's to 2).
          claude: { provider: anthropic, name: claude-haiku-4-5, temperature: 1.2 }
                                                                              ^"
    `);
    for (const temperature of [0, 0.7, 1]) {
      expect(show(treeWith([`claude: { provider: anthropic, name: claude-haiku-4-5, temperature: ${temperature} }`])), String(temperature)).toBe('');
    }
  });

  it('warns about a temperature other than 1 on an OpenAI reasoning model (o1, o3, o4-mini, gpt-5), and on no other', () => {
    expect(show(treeWith(['reasoner: { provider: openai, name: o4-mini, temperature: 0.2 }']))).toMatchInlineSnapshot(`
      "desk.yaml:5:61 warning INVALID_VALUE models.reasoner.temperature is 0.2, but o4-mini is a reasoning model: OpenAI refuses a temperature other than the default, 1, for most of them (o1, o3, o4-mini, gpt-5). Remove temperature (or set it to 1); steer a reasoning model with its prompt instead.
          reasoner: { provider: openai, name: o4-mini, temperature: 0.2 }
                                                                    ^"
    `);
    const codes = (name: string, temperature: number, provider = 'openai') =>
      lintTreeText(treeWith([`main: { provider: ${provider}, name: ${name}, temperature: ${temperature} }`]), 'desk.yaml')
        .filter((issue) => issue.code !== 'PROVIDER_PACKAGE_MISSING')
        .map((issue) => `${issue.severity} ${issue.code}`);
    for (const name of ['o1', 'o1-mini', 'o3', 'o3-mini-2025-01-31', 'o4-mini', 'gpt-5', 'gpt-5-mini', 'gpt-5-nano']) {
      expect(codes(name, 0, 'openai'), name).toEqual(['warning INVALID_VALUE']);
      expect(codes(name, 1, 'openai'), `${name} at 1`).toEqual([]);
    }
    for (const name of ['gpt-4o', 'gpt-4.1-mini', 'gpt-5-chat-latest', 'omni-local', 'llama3']) expect(codes(name, 0.3), name).toEqual([]);
    // Another provider's model called o3 is not OpenAI's.
    expect(codes('o3', 0.3, 'ollama')).toEqual([]);
  });
});

describe('lintTreeText(): a price no model of the tree is counted under', () => {
  const local = 'local: { provider: openai, name: "llama3.1:8b", baseURL: "http://127.0.0.1:11434/v1" }';

  it("warns about a price keyed by the tree's name for a model instead of its id, and offers the id", () => {
    expect(show(treeWith([local], ['local: { input: 0.1, output: 0.2 }']))).toMatchInlineSnapshot(`
      "desk.yaml:7:3 warning UNKNOWN_MODEL prices names "local", which is no model id of this tree: the price is never used, and the calls it was meant for count at $0 (or at a built-in price). Key it by the model's id: llama3.1:8b (models.local). Prices go by the provider's model id: llama3.1:8b (models.local).
          local: { input: 0.1, output: 0.2 }
          ^"
    `);
  });

  it('accepts a price for a model id of the tree, a dated snapshot of it, a model code supplies, or the offline model', () => {
    expect(show(treeWith([local], ['"llama3.1:8b": { input: 0.1, output: 0.2 }']))).toBe('');
    expect(show(treeWith(['main: { provider: openai, name: gpt-4o-2024-08-06 }'], ['gpt-4o: { input: 2, output: 8 }']))).toBe('');
    expect(show(treeWith(['claude: { provider: anthropic, name: claude-sonnet-4-5 }'], ['claude-sonnet-4-5: { input: 3, output: 15 }']))).toBe('');
    // A model code supplies is counted under its name.
    expect(show(treeWith([local], ['house: { input: 1, output: 1 }'], 'house'), { models: ['house'] })).toBe('');
    expect(show(treeWith([local], ['offline: { input: 0, output: 0 }']))).toBe('');
  });

  it('suggests the closest id, and says when $OPENAI_MODEL may name the model it prices', () => {
    expect(show(treeWith(['main: { provider: openai, name: gpt-4.1-mini }', 'spare: { provider: openai }'], ['gpt-4.1-mni: { input: 0.4, output: 1.6 }']))).toMatchInlineSnapshot(`
      "desk.yaml:8:3 warning UNKNOWN_MODEL prices names "gpt-4.1-mni", which is no model id of this tree: the price is never used, and the calls it was meant for count at $0 (or at a built-in price). Did you mean gpt-4.1-mini? Prices go by the provider's model id: gpt-4.1-mini (models.main), $OPENAI_MODEL or else gpt-4o-mini (models.spare). If it prices the model $OPENAI_MODEL names, leave it.
          gpt-4.1-mni: { input: 0.4, output: 1.6 }
          ^"
    `);
  });
});

describe('schema/tree.schema.json: retry', () => {
  it('says what is retried as nodes/model-call.ts does it: a 429, a 5xx, a dropped connection, never a timeout', () => {
    const schema = JSON.parse(treeJsonSchemaText()) as { properties: { retry: { properties: { attempts: { description: string } } } } };
    const description = schema.properties.retry.properties.attempts.description;
    expect(description).toMatch(/429.*5xx.*connection/);
    expect(description).not.toMatch(/5xx or a timeout/);
    expect(description).toMatch(/timeout is never retried/);
  });
});
