/**
 * A word an author means but the format spells otherwise (`type: bool`, `kind: person`) gets a
 * "did you mean"; has() on a state field says conditions need no has(); an agent listing itself as
 * a child is reported once.
 */
import { describe, expect, it } from 'vitest';
import { lintTreeText } from '../../config/load.js';

const TREE = [
  'version: 1', // 1
  'name: desk', // 2
  'root: triage', // 3
  'state:', // 4
  '  vip: { type: bool, default: false }', // 5
  '  score: { type: integer }', // 6
  '  level: { type: number }', // 7
  'agents:', // 8
  '  triage:', // 9
  '    description: Front desk.', // 10
  '    prompt: Route.', // 11
  '    children: [billing]', // 12
  '    escalate: [person]', // 13
  "    when: { person: 'has(level)' }", // 14
  '  billing:', // 15
  '    description: Charges.', // 16
  '    prompt: Bill.', // 17
  '    children: [billing]', // 18
  '  person:', // 19
  '    kind: person', // 20
  '    description: A person.', // 21
  '',
].join('\n');

describe('lintTreeText(): words the format spells otherwise', () => {
  const issues = lintTreeText(TREE, 'desk.yaml').map((issue) => `${issue.code}@${issue.line}:${issue.column} ${issue.message} | ${issue.hint}`);

  it('suggests boolean for bool, number for integer and human for person', () => {
    expect(issues.filter((issue) => issue.startsWith('INVALID_VALUE'))).toEqual([
      'INVALID_VALUE@5:16 state.vip.type is the text "bool"; it must be one of "string", "number", "boolean", "enum". | Did you mean "boolean"?',
      'INVALID_VALUE@6:18 state.score.type is the text "integer"; it must be one of "string", "number", "boolean", "enum". | Did you mean "number"?',
      'INVALID_VALUE@20:11 agents.person.kind is the text "person"; it must be one of "agent", "human", "helper". | Did you mean "human"?',
    ]);
  });

  it('says a condition needs no has() on a state field', () => {
    expect(issues.filter((issue) => issue.startsWith('CONDITION'))).toEqual([
      'CONDITION_TYPE@14:26 has() takes a key of a map, such as has(m.key); "level" is a state field, not a map key. | Drop has(): a condition that reads a field with no value is false, so write the field itself (a boolean) or a comparison on it, such as level or level > 3.',
    ]);
  });

  it('reports an agent listing itself as a child once, as SELF_REFERENCE', () => {
    expect(issues.filter((issue) => issue.includes('@18:'))).toEqual(['SELF_REFERENCE@18:16 "billing" lists itself in children. | Remove it from the list.']);
  });

  it('reports the root listing itself as a child once', () => {
    const text = TREE.replace('    children: [billing]\n    escalate', '    children: [billing, triage]\n    escalate');
    const found = lintTreeText(text, 'desk.yaml').filter((issue) => issue.line === 12);
    expect(found.map((issue) => issue.code)).toEqual(['SELF_REFERENCE']);
  });
});
