/**
 * Datasets written by hand or by other tools: a byte order mark, a JSONL line with a key twice,
 * values YAML reads as numbers JSON cannot write, binary data.
 */
import { describe, expect, it } from 'vitest';
import { parseDataset } from '../../eval/dataset.js';
import { DatasetError, formatDatasetIssue } from '../../eval/dataset-error.js';
import { loadExample } from './helpers.js';

const support = await loadExample('support');

function problems(text: string, file: string): string[] {
  try {
    parseDataset(text, file, { trees: [support] });
  } catch (error) {
    if (error instanceof DatasetError) return error.issues.map(formatDatasetIssue);
    throw error;
  }
  throw new Error('the dataset was accepted');
}

describe('parseDataset() on datasets from other tools', () => {
  it('reads a JSONL file that starts with a byte order mark, as it reads such a YAML file', () => {
    const jsonl = parseDataset('\uFEFF{"message":"I was charged twice","agent":"billing"}\n{"message":"hi","agent":"triage"}\n', 'cases.jsonl', { trees: [support] });
    expect(jsonl.cases.map((testCase) => [testCase.id, testCase.turns[0]?.expect?.agent])).toEqual([
      ['line-1', 'billing'],
      ['line-2', 'triage'],
    ]);
    expect(problems('\uFEFF{"message":"hi","agent":"biling"}\n', 'cases.jsonl')).toEqual([
      expect.stringMatching(/^cases\.jsonl:1:25 error UNKNOWN_AGENT "biling"/),
    ]);
  });

  it('reports a key written twice on a JSONL line where it is, as in a YAML dataset (JSON.parse would keep the last)', () => {
    expect(problems('{"message":"hi","agent":"billing"}\n{"message":"refund please","agent":"billing","agent":"sales"}\n', 'cases.jsonl')).toEqual([
      'cases.jsonl:2:46 error DUPLICATE_KEY The key "agent" appears twice in the same mapping. Each key may appear once: remove or merge one of them.',
    ]);
  });

  it('names .nan, .inf and !!binary values as they are, not as null or a mapping', () => {
    expect(problems('version: 1\ncases:\n  - message: !!binary aGVsbG8=\n    agent: billing\n    payload: { amount: .nan, reason: -.inf }\n', 'cases.yaml')).toEqual([
      'cases.yaml:3:23 error INVALID_TYPE cases[0].message must be text, not binary data (!!binary). Write text; quote it if YAML reads it as something else (a number, true, null).',
      'cases.yaml:5:24 error INVALID_TYPE cases[0].payload.amount must be text, a number or true/false, not number NaN. Write a plain value; quote text that YAML would read as something else.',
      'cases.yaml:5:38 error INVALID_TYPE cases[0].payload.reason must be text, a number or true/false, not number -Infinity. Write a plain value; quote text that YAML would read as something else.',
    ]);
  });
});
