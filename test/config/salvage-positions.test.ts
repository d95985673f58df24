/**
 * What salvage keeps of a broken part is still reported where the file has it, as the file has it:
 * an entry of a list one of whose entries failed the schema is reported at itself, with its own
 * index; a state field whose schema check failed still counts as declared (its name, and its type
 * when that is valid), and its other mistakes are still found.
 */
import { describe, expect, it } from 'vitest';
import { lintTreeText } from '../../config/load.js';

/** `CODE@line:col message` of every issue, in order. */
function found(text: string): string[] {
  return lintTreeText(text, 'desk.yaml').map((issue) => `${issue.code}@${issue.line}:${issue.column} ${issue.message}`);
}

/** A tree whose triage agent gets the extra lines given (from line 8 on), with `state` lines under state:. */
function treeWith(triage: string[], { state = [] as string[], agents = [] as string[] } = {}): string {
  return [
    'version: 1', // 1
    'name: desk', // 2
    'root: triage', // 3
    'agents:', // 4
    '  triage:', // 5
    '    description: Front desk.', // 6
    '    prompt: Route.', // 7
    ...triage.map((line) => `    ${line}`),
    ...agents.map((line) => `  ${line}`),
    '  person:',
    '    kind: human',
    '    description: A person.',
    ...(state.length ? ['state:', ...state.map((line) => `  ${line}`)] : []),
    '',
  ].join('\n');
}

describe('lintTreeText(): an entry after one the schema refuses is reported at itself', () => {
  it('points each unknown child at its own item after a reserved name', () => {
    const issues = found(treeWith(['children: [__end__, end-user, click, billing]', 'escalate: [person]']));
    expect(issues.filter((issue) => issue.startsWith('UNKNOWN_AGENT'))).toEqual([
      'UNKNOWN_AGENT@8:25 "end-user" is not an agent.',
      'UNKNOWN_AGENT@8:35 "click" is not an agent.',
      'UNKNOWN_AGENT@8:42 "billing" is not an agent.',
    ]);
  });

  it('points at the misspelt child after an invalid name, a number and a prototype key', () => {
    for (const bad of ['"billing desk"', '42', '__proto__', '__start__']) {
      const line = `children: [${bad}, billng]`;
      const issues = found(treeWith([line, 'escalate: [person]'], { agents: ['billing: { description: B., prompt: B. }'] }));
      const column = 4 + line.indexOf('billng') + 1;
      expect(issues.filter((issue) => issue.startsWith('UNKNOWN_AGENT')), bad).toEqual([`UNKNOWN_AGENT@8:${column} "billng" is not an agent.`]);
    }
  });

  it('still checks the valid tool names of a tools: list with an invalid one, each at itself', () => {
    const text = treeWith(['escalate: [person]', 'tools: ["bad tool", lookp, refund]', 'offline:', '  tools:', '    refund: { keywords: [money] }']);
    const issues = lintTreeText(text, 'desk.yaml', { tools: ['lookup_invoice', 'refund'] }).map((issue) => `${issue.code}@${issue.line}:${issue.column}`);
    expect(issues).toEqual(['INVALID_NAME@9:13', 'UNKNOWN_TOOL@9:25']);
  });

  it('names a reserved name by its own index, in escalate:, helpers: and fallback: too', () => {
    const agents = ['click: { description: C., prompt: C., kind: helper }', 'graph: { kind: human, description: G. }'];
    const text = treeWith(['escalate: ["a b", graph, person]', 'helpers: [1, click]', 'fallback: [x y, graph]'], { agents });
    const reserved = lintTreeText(text, 'desk.yaml').filter((issue) => issue.code === 'RESERVED_NAME' && issue.line >= 8 && issue.line <= 10);
    expect(reserved.map((issue) => `${issue.line}:${issue.column} ${issue.message.split(' is ')[0]}`)).toEqual([
      '8:23 "graph" (agents.triage.escalate[1])',
      '9:18 "click" (agents.triage.helpers[1])',
      '10:21 "graph" (agents.triage.fallback[1])',
    ]);
  });
});

describe('lintTreeText(): a state field the schema refuses still counts as declared', () => {
  const state = [
    'score: { type: number, default: "high" }',
    'vip: { type: bool, default: false }',
    'level: { type: number, min: 10, max: 1, default: true }',
    'customer: { type: string, maxLength: -1 }',
  ];

  it('lets a condition read it, and reports only the fields’ own mistakes', () => {
    const issues = found(treeWith(['children: [billing]', "when: { billing: 'vip && score > 3 && level < 5' }", 'escalate: [person]'], { state, agents: ['billing: { description: B., prompt: B. }'] }));
    expect(issues.map((issue) => issue.split(' ')[0])).toEqual([
      'INVALID_TYPE@16:35',
      'INVALID_VALUE@17:16',
      'INVALID_RANGE@18:31',
      'INVALID_TYPE@18:52',
      'OUT_OF_RANGE@19:40',
    ]);
    expect(issues[2]).toBe('INVALID_RANGE@18:31 "level" has min 10 above max 1: no value fits.');
  });

  it('still type-checks a condition on a broken field whose type is valid', () => {
    const issues = found(treeWith(['children: [billing]', `when: { billing: 'score == "high"' }`, 'escalate: [person]'], { state, agents: ['billing: { description: B., prompt: B. }'] }));
    expect(issues.filter((issue) => issue.startsWith('CONDITION'))).toEqual(['CONDITION_TYPE@9:23 The condition mixes types: no such overload: double == string.']);
  });

  it('suggests a broken field for a misspelt sets:, and lists every field', () => {
    const agents = ['billing:', '  description: B.', '  prompt: B.', '  handoff:', '    payload:', '      name: { type: string, sets: customr }'];
    const text = treeWith(['children: [billing]', 'escalate: [person]'], { state, agents });
    const unknown = lintTreeText(text, 'desk.yaml').find((issue) => issue.code === 'UNKNOWN_STATE_FIELD');
    expect(unknown?.hint).toBe('Did you mean "customer"? Declare it under state: (fields: score, level, customer, vip).');
  });
});

describe('lintTreeText(): a condition reading a field whose type failed the schema', () => {
  it('is not blamed for giving a value of unknown type: only the field is reported', () => {
    const issues = found(
      treeWith(['children: [billing]', 'escalate: [person]', 'when: { billing: vip }'], {
        agents: ['billing: { description: Billing., prompt: Bill. }'],
        state: ['vip: { type: bool }'],
      }),
    );
    expect(issues.filter((issue) => issue.startsWith('CONDITION_'))).toEqual([]);
    expect(issues.some((issue) => issue.includes('boolean'))).toBe(true);
  });
});
