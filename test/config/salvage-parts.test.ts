/**
 * One schema error hides nothing else: the retry policy, the limits, the prices and each field of a
 * model are salvaged on their own, so lint still checks every part that passed the schema, reports
 * each problem once, and says nothing about a part that is itself invalid.
 */
import { describe, expect, it } from 'vitest';
import { lintTreeText } from '../../config/load.js';
import { showIssues } from './lint-fixtures.js';

/** A valid tree but for the lines given: `retry`, `models` (under models:), `prices`, and the triage agent's extra lines. */
function treeWith({ retry = '', models = [] as string[], prices = [] as string[], triage = [] as string[] }): string {
  return [
    'version: 1',
    'name: desk',
    'root: triage',
    ...(retry ? [`retry: ${retry}`] : []),
    ...(models.length ? ['models:', ...models.map((line) => `  ${line}`)] : []),
    ...(prices.length ? ['prices:', ...prices.map((line) => `  ${line}`)] : []),
    'agents:',
    '  triage:',
    '    description: Front desk.',
    '    prompt: Route.',
    '    escalate: [person]',
    ...triage.map((line) => `    ${line}`),
    '  person:',
    '    kind: human',
    '    description: A person.',
    '',
  ].join('\n');
}

/** `CODE@line:col` of every issue, in order. */
function found(text: string): string[] {
  return lintTreeText(text, 'desk.yaml').map((issue) => `${issue.code}@${issue.line}:${issue.column}`);
}

const RETRY = '{ attempts: 3, initialDelayMs: 9000, maxDelayMs: 100 }';
const SMALL = 'small: { provider: openai, name: gpt-4o-mini, apiKeyEnv: OPENAI_KEY }';
const SMALL_OPTIONS = 'small: { name: gpt-4o-mini, apiKeyEnv: OPENAI_KEY, temperature: 5, baseURL: "ftp://x" }';

describe('lintTreeText(): a schema error hides no other problem', () => {
  it('reports a bad retry range and a disallowed key variable beside a bad temperature, a bad baseURL and a bad agent model', () => {
    expect(found(treeWith({ retry: RETRY, models: [SMALL] }))).toEqual(['INVALID_RANGE@4:39', 'API_KEY_ENV_NOT_ALLOWED@6:60']);
    const text = treeWith({ retry: RETRY, models: [SMALL_OPTIONS], triage: ['model: []'] });
    expect(showIssues(text, lintTreeText(text, 'desk.yaml'))).toMatchInlineSnapshot(`
      "desk.yaml:4:39 error INVALID_RANGE retry.initialDelayMs (9000) is greater than retry.maxDelayMs (100): every retry would wait the most. Make initialDelayMs the smaller of the two.
        retry: { attempts: 3, initialDelayMs: 9000, maxDelayMs: 100 }
                                              ^
      desk.yaml:6:42 error API_KEY_ENV_NOT_ALLOWED models.small.apiKeyEnv names OPENAI_KEY, which is not an API key variable: the model would send its value to the provider. Name a variable ending in _API_KEY (such as OPENAI_API_KEY), or allow it in code: loadTree(path, { allowedKeyEnv: ['OPENAI_KEY'] }).
          small: { name: gpt-4o-mini, apiKeyEnv: OPENAI_KEY, temperature: 5, baseURL: "ftp://x" }
                                                 ^
      desk.yaml:6:67 error NUMBER_TOO_LARGE models.small.temperature is 5; it must be at most 2. Change it to at most 2.
          small: { name: gpt-4o-mini, apiKeyEnv: OPENAI_KEY, temperature: 5, baseURL: "ftp://x" }
                                                                          ^
      desk.yaml:6:79 error BASE_URL_NOT_HTTP models.small.baseURL is the text "ftp://x"; it must be an http:// or https:// URL. Write the endpoint of an OpenAI-compatible server, such as http://127.0.0.1:11434/v1 or https://api.openai.com/v1: the model sends its API key there.
          small: { name: gpt-4o-mini, apiKeyEnv: OPENAI_KEY, temperature: 5, baseURL: "ftp://x" }
                                                                                      ^
      desk.yaml:12:12 error OUT_OF_RANGE agents.triage.model is empty. List at least one item, or remove the key.
            model: []
                   ^"
    `);
  });

  it('checks the retry range beside an invalid retry field, but not against a pause that is itself invalid', () => {
    expect(found(treeWith({ retry: '{ attempts: 30, initialDelayMs: 9000, maxDelayMs: 100 }' }))).toEqual(['NUMBER_TOO_LARGE@4:20', 'INVALID_RANGE@4:40']);
    // The invalid pause gets no default (8000) to be compared with.
    expect(found(treeWith({ retry: '{ initialDelayMs: 9000, maxDelayMs: soon }' }))).toEqual(['INVALID_TYPE@4:44']);
    expect(found(treeWith({ retry: '{ initialDelayMs: -1, maxDelayMs: 100 }' }))).toEqual(['OUT_OF_RANGE@4:26']);
  });

  it("checks each model field on its own, and nothing that hangs on a field that failed (its provider, its name)", () => {
    // An unknown provider: the key variable is still checked; a baseURL is not blamed on a provider that is not known.
    expect(found(treeWith({ models: ['typo: { provider: opnai, name: gpt-4.1, apiKeyEnv: MY_KEY, baseURL: "http://127.0.0.1:9/" }'] }))).toEqual([
      'INVALID_VALUE@5:21',
      'API_KEY_ENV_NOT_ALLOWED@5:54',
    ]);
    // An empty name is reported as such, never as "names no model"; the temperature is still checked.
    expect(found(treeWith({ models: ['claude: { provider: anthropic, name: "", temperature: 1.5 }'] }))).toEqual(['OUT_OF_RANGE@5:40', 'NUMBER_TOO_LARGE@5:57']);
    // A model of models: named offline is refused even when another of its fields failed.
    expect(found(treeWith({ models: ['offline: { provider: openai, name: gpt-4o, timeoutMs: 0 }'] }))).toEqual(['RESERVED_NAME@5:3', 'OUT_OF_RANGE@5:57']);
  });

  it('checks the prices beside invalid ones and an invalid limit, each problem once', () => {
    const text = [
      'version: 1',
      'name: desk',
      'root: triage',
      'limits: { handoffsPerTurn: 0, modelCallsPerTurn: 5 }',
      'models:',
      '  local: { provider: openai, name: "llama3.1:8b", baseURL: "http://127.0.0.1:11434/v1" }',
      'prices:',
      '  local: { input: -1, output: 2 }',
      '  "llama3.1:8b": { input: 0, output: many }',
      'agents:',
      '  triage: { description: Front desk., prompt: Route., model: local, escalate: [person] }',
      '  person: { kind: human, description: A person. }',
      '',
    ].join('\n');
    expect(found(text)).toEqual(['OUT_OF_RANGE@4:28', 'UNKNOWN_MODEL@8:3', 'OUT_OF_RANGE@8:19', 'INVALID_TYPE@9:38']);
  });

  it('leaves the prices unchecked while a model id failed the schema: a price may be meant for it', () => {
    const prices = ['"gpt-4o\\u0007": { input: 1, output: 2 }'];
    expect(found(treeWith({ models: ['main: { provider: openai, name: "gpt-4o\\u0007" }'], prices }))).toEqual(['UNSAFE_CHARACTER@5:42', 'UNSAFE_CHARACTER@7:10']);
  });
});
