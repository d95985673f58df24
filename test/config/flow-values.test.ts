/**
 * A plain value inside `{ }` that holds a comma (a condition calling a function), a ": " or brackets
 * is cut short by YAML. The mistake is reported at the value, with the value quoted in the hint, and
 * the rest of the file is still checked, with the value taken as quoted.
 */
import { describe, expect, it } from 'vitest';
import { lintTreeText } from '../../config/load.js';

/** A tree with a misspelt child on line 8 and `line` on line 10 (under triage) or 13 (under billing). */
function treeWith({ triage = '', billing = '' }): string {
  return [
    'version: 1', // 1
    'name: desk', // 2
    'root: triage', // 3
    'agents:', // 4
    '  triage:', // 5
    '    description: Front desk.', // 6
    '    prompt: Route.', // 7
    '    children: [billng]', // 8
    '    escalate: [office]', // 9
    `    ${triage}`, // 10
    '  billing:', // 11
    '    description: Charges.', // 12
    `    ${billing}`, // 13
    '    prompt: Bill.', // 14
    '  office: { kind: human, description: A person. }', // 15
    '',
  ].join('\n');
}

function found(text: string): string[] {
  return lintTreeText(text, 'desk.yaml').map((issue) => `${issue.code}@${issue.line}:${issue.column} ${issue.message} | ${issue.hint}`);
}

describe('lintTreeText(): a value inside { } that YAML cuts short', () => {
  it('says to quote a condition that calls a function, and checks the rest of the file', () => {
    const text = treeWith({ triage: 'when: { office: business_hours("UTC", "09:00-17:00", "mon-fri") }' });
    expect(found(text)).toEqual([
      'UNKNOWN_AGENT@8:16 "billng" is not an agent. | Did you mean "billing"? Agents: triage, billing, office.',
      `YAML_SYNTAX@10:21 Inside { }, a comma ends a value (even one between the parentheses of a call): the value of "office" is cut short. | Quote the whole value: office: 'business_hours("UTC", "09:00-17:00", "mon-fri")'`,
    ]);
  });

  it('says to quote a text that holds ": ", and checks the rest of the file', () => {
    const text = treeWith({ billing: 'handoff: { description: Send here: when they ask }' });
    expect(found(text)).toEqual([
      'UNKNOWN_AGENT@8:16 "billng" is not an agent. | Did you mean "billing"? Agents: triage, billing, office.',
      `YAML_SYNTAX@13:29 Inside { }, ": " separates a key from its value: the value of "description" is cut short. | Quote the whole value: description: 'Send here: when they ask'`,
    ]);
  });

  it('quotes with double quotes a value that holds a single quote', () => {
    const text = treeWith({ billing: "handoff: { description: Customer's bill: charges }" });
    expect(found(text)[1]).toBe(`YAML_SYNTAX@13:29 Inside { }, ": " separates a key from its value: the value of "description" is cut short. | Quote the whole value: description: "Customer's bill: charges"`);
  });

  it('leaves quoted values and values with nothing to quote alone', () => {
    const text = treeWith({ triage: `when: { office: 'business_hours("UTC", "09:00-17:00")' }`, billing: 'handoff: { description: "Send: here", tool: send_it }' });
    expect(found(text)).toEqual(['UNKNOWN_AGENT@8:16 "billng" is not an agent. | Did you mean "billing"? Agents: triage, billing, office.']);
  });
});
