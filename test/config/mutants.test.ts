import { readdirSync } from 'node:fs';
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { lintTreeText, parseTree } from '../../config/load.js';
import { ConfigError, formatIssue } from '../../errors/config-error.js';
import { compileTree } from '../../graphs/compile.js';
import { exampleTools, issueProblems, readFixture, REPO } from './lint-fixtures.js';
import { mutate, OPERATORS } from './mutate.js';

const EXAMPLES = [
  ...readdirSync(`${REPO}config`)
    .filter((file) => file.endsWith('.yaml'))
    .map((file) => `config/${file}`),
  ...readdirSync(`${REPO}examples`)
    .filter((file) => file.endsWith('.yaml'))
    .map((file) => `examples/${file}`),
];
/** Mutants per operator per example tree. */
const PER_OPERATOR = 6;
/** Codes that only the YAML text can have: a plain object handed to compileTree cannot. */
const TEXT_ONLY = new Set([
  'YAML_SYNTAX',
  'DUPLICATE_KEY',
  'DUPLICATE_AGENT',
  'UNKNOWN_TAG',
  'ALIAS_LIMIT',
  'TOO_DEEP',
  'FORBIDDEN_KEY',
  'EMPTY_FILE',
  'FILE_TOO_LARGE',
]);
const prototypeKeys = Object.getOwnPropertyNames(Object.prototype).sort();
const tally = { valid: 0, invalid: 0, compiledFromData: 0 };

afterAll(() => {
  expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeKeys);
  // The mutants must exercise both sides: some stay valid, most do not.
  expect(tally.valid).toBeGreaterThan(50);
  expect(tally.invalid).toBeGreaterThan(200);
  expect(tally.compiledFromData).toBeGreaterThan(50);
});

describe('lintTreeText() on mutants of the example trees', () => {
  it.each(
    EXAMPLES.flatMap((file, index) =>
      mutate(readFixture(file), 1000 + index, PER_OPERATOR).map((mutant, number) => ({ file, number, ...mutant })),
    ),
  )('$file mutant $number ($operator): never throws, and a graph comes out only when lint finds no error', ({ file, text, invalid }) => {
    let issues: ReturnType<typeof lintTreeText> = [];
    expect(() => (issues = lintTreeText(text, file, { tools: exampleTools }))).not.toThrow();
    expect(issueProblems(text, issues, file)).toEqual([]);
    const errors = issues.filter((issue) => issue.severity === 'error');
    if (invalid) expect(errors.map(formatIssue), 'this mutation always breaks the tree').not.toEqual([]);

    if (errors.length === 0) {
      tally.valid += 1;
      const graph = compileTree(parseTree(text, file, { tools: exampleTools }), {
        tools: exampleTools,
        model: 'offline',
        checkpointer: false,
      });
      expect(graph.getGraph().nodes).toBeDefined();
    } else {
      tally.invalid += 1;
      expect(() => parseTree(text, file, { tools: exampleTools })).toThrow(ConfigError);
      // The same data handed to compileTree as a plain object never becomes a graph either.
      if (errors.every((issue) => !TEXT_ONLY.has(issue.code))) {
        const data: unknown = parse(text, { logLevel: 'silent', schema: 'core' });
        tally.compiledFromData += 1;
        expect(() => compileTree(data as never, { tools: exampleTools, model: 'offline', checkpointer: false })).toThrow(ConfigError);
      }
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('uses every operator', () => {
    expect(OPERATORS.length).toBeGreaterThanOrEqual(10);
    expect(EXAMPLES.length * OPERATORS.length * PER_OPERATOR).toBeGreaterThanOrEqual(300);
  });
});
