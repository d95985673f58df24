import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lintTreeText, parseTree } from '../../config/load.js';
import { MAX_DEPTH, MAX_FILE_BYTES } from '../../config/source.js';
import { ConfigError } from '../../errors/config-error.js';
import type { ConfigIssue } from '../../errors/config-error.js';
import { chainLastAgent, LINT_STRESS } from '../../bench/trees.js';
import { exampleTools, issueProblems, readFixture, REPO } from './lint-fixtures.js';

const FOLDER = 'test/fixtures/hostile';
const files = readdirSync(`${REPO}${FOLDER}`).sort();
let prototypeKeys: string[];

beforeAll(() => {
  prototypeKeys = Object.getOwnPropertyNames(Object.prototype).sort();
});

afterAll(() => {
  // Belt and braces: nothing the whole file ran may have touched Object.prototype.
  expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeKeys);
});

/** Lints `text` and checks what must hold for any hostile input; returns the issues. */
function expectRejected(text: string, file: string): ConfigIssue[] {
  let issues: ConfigIssue[] = [];
  expect(() => (issues = lintTreeText(text, file, { tools: exampleTools }))).not.toThrow();
  expect(issues.filter((issue) => issue.severity === 'error').length, 'errors').toBeGreaterThan(0);
  expect(issueProblems(text, issues, file)).toEqual([]);
  expect(() => parseTree(text, file, { tools: exampleTools })).toThrow(ConfigError);
  expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeKeys);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  return issues;
}

const summary = (issues: ConfigIssue[]) => issues.map((issue) => `${issue.code}@${issue.line}:${issue.column}`).join(' ');

describe('lintTreeText() on hostile YAML', () => {
  it('has a corpus of at least 30 files', () => {
    expect(files.length).toBeGreaterThanOrEqual(30);
  });

  it.each(files)('rejects %s with positioned errors, no crash and Object.prototype untouched', (file) => {
    expectRejected(readFixture(`${FOLDER}/${file}`), file);
  });

  it('gets these codes and positions for each file of the corpus', () => {
    const lines = files.map((file) => `${file}: ${summary(lintTreeText(readFixture(`${FOLDER}/${file}`), file, { tools: exampleTools }))}`);
    expect(lines.join('\n')).toMatchInlineSnapshot(`
      "agents-wrong-shape.yaml: INVALID_TYPE@4:9
      alias-billion-laughs.yaml: ALIAS_LIMIT@5:12
      alias-quadratic-blowup.yaml: ALIAS_LIMIT@5:10
      alias-recursive.yaml: YAML_SYNTAX@4:17
      alias-undefined-anchor.yaml: YAML_SYNTAX@11:13
      anchors-on-agents.yaml: UNREACHABLE_AGENT@16:3
      bidi-overrides.yaml: UNSAFE_CHARACTER@7:48 UNSAFE_CHARACTER@9:7 UNSAFE_CHARACTER@11:37 UNSAFE_CHARACTER@14:30 UNSAFE_CHARACTER@15:50 UNSAFE_CHARACTER@22:24 UNSAFE_CHARACTER@25:28
      binary-garbage.yaml: YAML_SYNTAX@2:1
      bom-and-error.yaml: UNSUPPORTED_VERSION@1:10
      channel-and-prototype-names.yaml: NAME_COLLISION@7:3 NAME_COLLISION@8:3 NAME_COLLISION@9:3 NAME_COLLISION@10:3 TOO_MANY_TARGETS@12:3 NAME_COLLISION@17:3 NAME_COLLISION@18:3 NAME_COLLISION@19:3 NAME_COLLISION@20:3 NAME_COLLISION@21:3 NAME_COLLISION@22:3 NAME_COLLISION@26:27
      control-characters.yaml: YAML_SYNTAX@6:23
      crlf-line-endings.yaml: UNKNOWN_AGENT@8:16
      cycle-in-children.yaml: TREE_CYCLE@12:25 TREE_CYCLE@17:16 TREE_CYCLE@21:16
      dead-ends.yaml: NO_HUMAN_ESCALATION@3:7 DEAD_END@11:3 DEAD_END@14:3
      deep-block-nesting.yaml: TOO_DEEP@51:81
      document-markers-only.yaml: YAML_SYNTAX@3:1
      duplicate-keys-everywhere.yaml: DUPLICATE_KEY@4:1 DUPLICATE_KEY@9:5 TREE_CYCLE@10:16 DUPLICATE_AGENT@18:3
      empty.yaml: EMPTY_FILE@1:1
      json-flow-style.yaml: UNKNOWN_AGENT@1:135
      long-name.yaml: INVALID_NAME@8:25 INVALID_NAME@16:3
      merge-key.yaml: UNKNOWN_KEY@4:1 MISSING_FIELD@12:3 UNKNOWN_KEY@13:5
      multiple-documents.yaml: YAML_SYNTAX@16:1
      non-string-keys.yaml: INVALID_TYPE@4:3 INVALID_TYPE@6:1
      numbers-past-bounds.yaml: NUMBER_TOO_LARGE@6:28 INVALID_TYPE@6:52 OUT_OF_RANGE@6:75 NUMBER_TOO_LARGE@6:97 NUMBER_TOO_LARGE@6:117 OUT_OF_RANGE@7:20 INVALID_TYPE@7:40 NUMBER_TOO_LARGE@7:57 NUMBER_TOO_LARGE@9:61 INVALID_TYPE@9:78 NUMBER_TOO_LARGE@9:94 INVALID_TYPE@10:60 NUMBER_TOO_LARGE@10:77 OUT_OF_RANGE@10:120 NUMBER_TOO_LARGE@11:33 NUMBER_TOO_LARGE@11:46 NUMBER_TOO_LARGE@13:36 NUMBER_TOO_LARGE@15:21 INVALID_TYPE@22:23
      proto-agent-name.yaml: FORBIDDEN_KEY@16:3 UNREACHABLE_AGENT@16:3 FORBIDDEN_KEY@19:3 UNREACHABLE_AGENT@19:3
      proto-deep-keys.yaml: UNUSED_OFFLINE_TOOL@15:9 FORBIDDEN_KEY@16:29 FORBIDDEN_KEY@19:9
      proto-json-style.yaml: NO_HUMAN_ESCALATION@1:40 FORBIDDEN_KEY@1:107
      proto-top-level.yaml: FORBIDDEN_KEY@4:1
      prototype-method-names.yaml: UNKNOWN_AGENT@3:7 UNKNOWN_AGENT@4:13 UNKNOWN_AGENT@9:25 INVALID_NAME@13:24
      regex-engine-limits.yaml: UNSUPPORTED_PATTERN@17:53 UNSUPPORTED_PATTERN@17:70 UNSUPPORTED_PATTERN@17:88 UNSUPPORTED_PATTERN@17:106 UNSUPPORTED_PATTERN@17:119 UNSUPPORTED_PATTERN@19:38 UNSUPPORTED_PATTERN@19:54
      scalars-where-names-go.yaml: INVALID_TYPE@2:7 INVALID_TYPE@3:7 INVALID_TYPE@4:13 INVALID_TYPE@9:16 INVALID_TYPE@9:22 INVALID_TYPE@9:25 INVALID_TYPE@9:32 INVALID_TYPE@10:12 INVALID_NAME@11:3 INVALID_NAME@14:3
      secret-key-env.yaml: API_KEY_ENV_NOT_ALLOWED@7:102 API_KEY_ENV_NOT_ALLOWED@8:57 API_KEY_ENV_NOT_ALLOWED@9:58 BASE_URL_NOT_HTTP@10:63 BASE_URL_NOT_HTTP@11:59 BASE_URL_NOT_HTTP@12:60 BASE_URL_NOT_HTTP@13:56
      sets-identity-field.yaml: SETS_BACKEND_FIELD@21:41 SETS_BACKEND_FIELD@29:54
      syntax-bad-indent.yaml: YAML_SYNTAX@12:7
      syntax-missing-colon.yaml: YAML_SYNTAX@8:5
      syntax-stray-reserved-character.yaml: YAML_SYNTAX@6:18
      syntax-tab-indent.yaml: YAML_SYNTAX@7:1
      syntax-unclosed-flow-map.yaml: YAML_SYNTAX@4:9
      syntax-unclosed-quote.yaml: YAML_SYNTAX@11:13
      syntax-under-indented-item.yaml: YAML_SYNTAX@10:6
      syntax-under-indented-key.yaml: YAML_SYNTAX@12:4
      tag-js-function.yaml: UNKNOWN_TAG@7:13
      tag-js-undefined-verbatim.yaml: UNKNOWN_TAG@4:13 INVALID_NAME@4:47
      tag-local-and-directive.yaml: UNKNOWN_TAG@9:13 UNKNOWN_TAG@12:18
      tag-python-object.yaml: UNKNOWN_TAG@8:15 INVALID_NAME@8:48
      tag-yaml11-types.yaml: UNKNOWN_TAG@8:15 INVALID_TYPE@8:21 UNKNOWN_TAG@9:13 INVALID_NAME@9:22 UNKNOWN_TAG@10:23
      terminal-escapes.yaml: UNSAFE_CHARACTER@5:27 UNSAFE_CHARACTER@8:46 UNSAFE_CHARACTER@8:91 UNSAFE_CHARACTER@12:49 UNSAFE_CHARACTER@14:32 UNSAFE_CHARACTER@14:56 UNSAFE_CHARACTER@16:39 UNSAFE_CHARACTER@21:29 UNSAFE_CHARACTER@23:50 UNSAFE_CHARACTER@26:74 UNSAFE_CHARACTER@26:87
      top-level-list.yaml: INVALID_TYPE@1:1
      top-level-scalar.yaml: INVALID_TYPE@1:1
      unicode-names.yaml: INVALID_NAME@8:16 INVALID_NAME@8:26 INVALID_NAME@8:35 INVALID_NAME@16:3 INVALID_NAME@19:3 INVALID_NAME@22:3
      whitespace-only.yaml: EMPTY_FILE@1:1
      wrong-types-everywhere.yaml: UNSUPPORTED_VERSION@1:10 INVALID_TYPE@2:7 INVALID_TYPE@3:14 INVALID_TYPE@4:7 INVALID_TYPE@5:13 INVALID_TYPE@6:20 OUT_OF_RANGE@6:41 INVALID_TYPE@6:55 INVALID_TYPE@6:74 INVALID_TYPE@7:28 OUT_OF_RANGE@7:52 INVALID_TYPE@7:74 OUT_OF_RANGE@7:97 INVALID_TYPE@7:114 NUMBER_TOO_LARGE@8:20 OUT_OF_RANGE@8:40 INVALID_TYPE@8:56 INVALID_VALUE@10:22 OUT_OF_RANGE@10:39 NUMBER_TOO_LARGE@10:56 OUT_OF_RANGE@10:70 BASE_URL_NOT_HTTP@10:82 INVALID_VALUE@10:104 INVALID_TYPE@10:123 INVALID_TYPE@11:8 OUT_OF_RANGE@12:28 INVALID_TYPE@12:40 OUT_OF_RANGE@14:35 INVALID_VALUE@15:18 MISSING_FIELD@16:3 OUT_OF_RANGE@17:36 INVALID_TYPE@17:48 INVALID_TYPE@18:30 INVALID_TYPE@18:42 INVALID_VALUE@21:11 OUT_OF_RANGE@22:18 INVALID_TYPE@23:13 OUT_OF_RANGE@24:12 INVALID_TYPE@25:12 INVALID_TYPE@26:14 INVALID_TYPE@27:16 INVALID_TYPE@27:19 INVALID_TYPE@27:25 INVALID_TYPE@28:15 INVALID_TYPE@29:15 INVALID_TYPE@30:16 OUT_OF_RANGE@31:15 INVALID_NAME@32:22 INVALID_TYPE@32:53 INVALID_NAME@32:67 INVALID_TYPE@32:123 INVALID_TYPE@32:136 UNKNOWN_KEY@33:47 INVALID_TYPE@34:13 INVALID_TYPE@35:26 OUT_OF_RANGE@35:47 INVALID_TYPE@35:66 INVALID_TYPE@35:80 INVALID_NAME@35:92 INVALID_TYPE@36:12 INVALID_TYPE@37:10 INVALID_TYPE@38:11
      yaml11-directive.yaml: UNKNOWN_KEY@6:1 UNKNOWN_KEY@15:5"
    `);
  });

  it('refuses a file over 1 MB before parsing it', () => {
    const agents = Array.from(
      { length: 40_000 },
      (_, index) => `  agent_${index}: { description: Agent ${index}., prompt: You are agent ${index}. }`,
    ).join('\n');
    const text = `version: 1\nname: huge\nroot: agent_0\nagents:\n${agents}\n`;
    expect(Buffer.byteLength(text)).toBeGreaterThan(MAX_FILE_BYTES);
    expect(summary(expectRejected(text, 'huge.yaml'))).toBe('FILE_TOO_LARGE@1:1');
  });

  // How lint's time grows with such files is measured by bench/lint-scale.ts, not here.
  it('lints a file just under 1 MB with thousands of agents', () => {
    const count = 9_000;
    const text = LINT_STRESS.chain(count);
    expect(Buffer.byteLength(text)).toBeLessThan(MAX_FILE_BYTES);
    const issues = lintTreeText(text, 'chain.yaml', { tools: exampleTools });
    expect(issueProblems(text, issues, 'chain.yaml')).toEqual([]);
    expect(summary(issues)).toBe(`NO_HUMAN_ESCALATION@3:7 DEAD_END@${count + 5}:${chainLastAgent(count).indexOf('handback') + 1}`);
  });

  it.each([
    ['5,000 agents that escalate to 5,000 people', LINT_STRESS.people],
    ['5,000 agents with unknown children, models and tools', LINT_STRESS.unknowns],
  ])('lints %s, with short hints', (_name, tree) => {
    const text = tree(5_000);
    const issues = lintTreeText(text, 'many.yaml', { tools: exampleTools });
    expect(issues.length).toBeGreaterThan(4_000);
    expect(issueProblems(text, issues, 'many.yaml')).toEqual([]);
    expect(Math.max(...issues.map((issue) => `${issue.message} ${issue.hint ?? ''}`.length))).toBeLessThan(400);
  });

  // Block nesting costs depth² bytes of indentation: 1 MB allows about 1,400 levels.
  it.each([
    [
      'flow lists',
      [MAX_DEPTH + 1, 500, 5_000, 100_000],
      (depth: number) => `version: 1\nname: deep\nroot: a\nagents: ${'['.repeat(depth)}${']'.repeat(depth)}\n`,
    ],
    [
      'flow mappings',
      [MAX_DEPTH + 1, 500, 5_000, 100_000],
      (depth: number) => `version: 1\nname: deep\nroot: a\nagents: ${'{a: '.repeat(depth)}1${'}'.repeat(depth)}\n`,
    ],
    [
      'block mappings',
      [MAX_DEPTH + 1, 500, 1_300],
      (depth: number) =>
        `version: 1\nname: deep\nroot: a\nagents:\n${Array.from({ length: depth }, (_, index) => `${' '.repeat(index + 1)}k${index}:`).join('\n')} 1\n`,
    ],
    [
      'block lists',
      [MAX_DEPTH + 1, 500, 1_400],
      (depth: number) =>
        `version: 1\nname: deep\nroot: a\nagents:\n${Array.from({ length: depth }, (_, index) => `${' '.repeat(index)}-`).join('\n')} 1\n`,
    ],
  ] as const)('rejects deep nesting of %s as TOO_DEEP, from just over the limit to far beyond it', (_kind, depths, nest) => {
    for (const depth of depths) {
      const text = nest(depth);
      expect(Buffer.byteLength(text)).toBeLessThanOrEqual(MAX_FILE_BYTES);
      const issues = expectRejected(text, 'deep.yaml');
      expect(
        issues.map((issue) => issue.code),
        `depth ${depth}`,
      ).toEqual(['TOO_DEEP']);
    }
  });

  it('keeps messages short and on one line for huge keys and values', () => {
    const key = `? "${'k'.repeat(500_000)}\\n\\u200B"\n: 1`;
    const text = `version: 1\nname: long\nroot: a\n${key}\nagents:\n  a: { description: "${'d'.repeat(400_000)}", prompt: p, children: ["${'c'.repeat(50_000)}"] }\n`;
    const issues = expectRejected(text, 'long.yaml');
    expect(issues.map((issue) => issue.code)).toEqual(['NO_HUMAN_ESCALATION', 'UNKNOWN_KEY', 'INVALID_NAME']);
    for (const issue of issues) expect(`${issue.message} ${issue.hint ?? ''}`.length).toBeLessThan(2_000);
  });

  it('rejects an alias expansion that would be large even below the alias count limit', () => {
    const text = `version: 1\nname: aliases\nroot: a\nx: &x [${Array.from({ length: 150 }, () => '"lol"').join(', ')}]\ny: &y [${Array.from({ length: 150 }, () => '*x').join(', ')}]\nagents:\n  a: { description: *y, prompt: p }\n`;
    expect(expectRejected(text, 'aliases.yaml').map((issue) => issue.code)).toEqual(['ALIAS_LIMIT']);
  });
});
