/**
 * A YAML syntax mistake is reported once, at itself, and does not hide the other problems of the
 * file: the rest is still checked, with the mistake's fix guessed. Nothing the guess itself decides
 * (the lines it changed, a mapping it broke) is reported.
 */
import { describe, expect, it } from 'vitest';
import { lintTreeText } from '../../config/load.js';
import type { ConfigIssue } from '../../errors/config-error.js';

/** A small tree whose only problem is the misspelt child `biling` on line 10. */
const TREE = [
  'version: 1', // 1
  'name: desk', // 2
  'root: triage', // 3
  'limits:', // 4
  '  handoffsPerTurn: 4', // 5
  '  modelCallsPerTurn: 12', // 6
  'agents:', // 7
  '  triage:', // 8
  '    description: Front desk.', // 9
  '    children: [biling, sales]', // 10
  '    escalate: [person]', // 11
  '    prompt: |', // 12
  '      Route billing questions to billing.', // 13
  '    offline:', // 14
  '      keywords: [hello, hi]', // 15
  '      reply: Hello, how can I help?', // 16
  '  billing:', // 17
  '    description: Charges and refunds.', // 18
  '    prompt: You are the billing specialist.', // 19
  '    escalate: [person]', // 20
  '  sales:', // 21
  '    description: Pricing and demos.', // 22
  '    prompt: |', // 23
  '      You are a pre-sales engineer.', // 24
  '    escalate: [person]', // 25
  '    handoff:', // 26
  '      payload:', // 27
  '        interest: { type: string, description: What the prospect wants. }', // 28
  '  person:', // 29
  '    kind: human', // 30
  '    description: A person on the team.', // 31
  '',
].join('\n');

/** TREE with line `line` (1-based) replaced. */
function withLine(line: number, content: string, text = TREE): string {
  const lines = text.split('\n');
  lines[line - 1] = content;
  return lines.join('\n');
}

function summary(issues: ConfigIssue[]): string[] {
  return issues.map((issue) => `${issue.line}:${issue.column} ${issue.code} ${issue.message} ${issue.hint ?? ''}`.trim());
}

const TYPO = '10:16 UNKNOWN_AGENT "biling" is not an agent. Did you mean "billing"? Agents: triage, billing, sales, person.';

describe('a YAML syntax mistake beside other problems', () => {
  it('has one problem without the mistake', () => {
    expect(summary(lintTreeText(TREE, 'desk.yaml'))).toEqual([TYPO]);
  });

  it('reports a tab in the indentation and the misspelt agent further down', () => {
    expect(summary(lintTreeText(withLine(5, '\thandoffsPerTurn: 4'), 'desk.yaml'))).toEqual([
      '5:1 YAML_SYNTAX Tabs are not allowed as indentation. Indent with spaces, not tabs.',
      TYPO,
    ]);
  });

  it('reports a quote never closed and the misspelt agent above it', () => {
    expect(summary(lintTreeText(withLine(16, "      reply: 'Hello, how can I help?"), 'desk.yaml'))).toEqual([
      TYPO,
      "16:14 YAML_SYNTAX The text quoted with ' here is never closed. Add the closing ' quote, or indent its continuation lines further than its key.",
    ]);
  });

  it('reports a key indented one space too deep and the misspelt agent above it', () => {
    expect(summary(lintTreeText(withLine(25, '     escalate: [person]'), 'desk.yaml'))).toEqual([
      TYPO,
      '25:6 YAML_SYNTAX All mapping items must start at the same column. Line this key up with the other keys of its mapping: start it in the same column as theirs.',
    ]);
  });

  it('reports a value holding ": " and the other problems', () => {
    expect(summary(lintTreeText(withLine(18, '    description: Note: charges and refunds.'), 'desk.yaml'))).toEqual([
      TYPO,
      '18:18 YAML_SYNTAX Nested mappings are not allowed in compact mappings. Put a nested mapping on its own lines under its key, or quote a value that contains ": ".',
    ]);
  });

  it('reports each of several syntax mistakes once, and the other problems', () => {
    let text = withLine(5, '\thandoffsPerTurn: 4');
    text = withLine(19, '   prompt: You are the billing specialist.', text);
    text = withLine(28, "        interest: { type: string, description: 'What the prospect wants. }", text);
    expect(summary(lintTreeText(text, 'desk.yaml')).map((line) => line.split(' ').slice(0, 2).join(' '))).toEqual([
      '5:1 YAML_SYNTAX',
      TYPO.split(' ').slice(0, 2).join(' '),
      '19:4 YAML_SYNTAX',
      '28:48 YAML_SYNTAX',
    ]);
  });

  it('reports nothing that comes from the guessed fix: not a problem on the broken line, nor a missing field of its mapping', () => {
    // The list is never closed: whatever its entries, "biling" there is not checked (the guess decides it).
    expect(summary(lintTreeText(withLine(10, '    children: [biling, sales'), 'desk.yaml'))).toEqual([
      '10:15 YAML_SYNTAX The list [ opened here is never closed. Add the closing ], or indent its continuation lines further than its key.',
    ]);
    // The prompt key is misspelt and broken: the agent's missing prompt is not reported beside it.
    expect(summary(lintTreeText(withLine(19, '    prompt You are the billing specialist.'), 'desk.yaml'))).toEqual([
      '10:16 UNKNOWN_AGENT "biling" is not an agent. Did you mean "billing"? Agents: triage, billing, sales, person.',
      expect.stringMatching(/^19:5 YAML_SYNTAX /) as unknown as string,
    ]);
  });

  it('keeps reporting the parser errors, and nothing else, when no fix can be guessed', () => {
    const issues = lintTreeText(withLine(9, '    description: Front desk.\n  @@@ ]'), 'desk.yaml');
    expect(issues.length).toBeGreaterThan(0);
    expect(issues.every((issue) => issue.code === 'YAML_SYNTAX')).toBe(true);
  });
});

describe('one error per indentation mistake, at it', () => {
  it('does not flag the correctly indented keys after a key one space short', () => {
    expect(summary(lintTreeText(withLine(25, '   escalate: [person]', withLine(10, '    children: [billing, sales]')), 'desk.yaml'))).toEqual([
      '25:4 YAML_SYNTAX All mapping items must start at the same column. Line this key up with the other keys of its mapping: start it in the same column as theirs.',
    ]);
  });

  it('does not flag the lines after a list item one space short', () => {
    const text = withLine(10, '    children:\n    - billing\n   - sales');
    expect(summary(lintTreeText(text, 'desk.yaml'))).toEqual([
      '12:4 YAML_SYNTAX A block sequence may not be used as an implicit map key. Line this item up with the other items of its list: start its "-" in the same column as theirs.',
    ]);
  });

  it('does not flag the lines after a tab, wherever the tab is', () => {
    const fixed = withLine(10, '    children: [billing, sales]');
    for (const [line, content] of [
      [5, '\thandoffsPerTurn: 4'],
      [11, '\tescalate: [person]'],
      [21, '\tsales:'],
      [29, '\tperson:'],
    ] as const) {
      expect(summary(lintTreeText(withLine(line, content, fixed), 'desk.yaml')), `line ${line}`).toEqual([
        `${line}:1 YAML_SYNTAX Tabs are not allowed as indentation. Indent with spaces, not tabs.`,
      ]);
    }
  });

  it('names the tab of a line after a `|` text, which the parser reports as less indented', () => {
    const text = withLine(25, '\tescalate: [person]', withLine(10, '    children: [billing, sales]'));
    expect(summary(lintTreeText(text, 'desk.yaml'))).toEqual([
      '25:1 YAML_SYNTAX This line is indented with a tab: YAML allows only spaces in indentation. Indent with spaces, not tabs.',
    ]);
  });

  it('points at the first key of a mapping when it, not the rest, is a space off', () => {
    const text = withLine(8, '   triage:', withLine(10, '    children: [billing, sales]'));
    expect(summary(lintTreeText(text, 'desk.yaml'))).toEqual([
      '8:4 YAML_SYNTAX This key is indented deeper than the other keys of its mapping (column 4), so YAML cannot read the lines after it. Line it up with them: start it in column 3.',
    ]);
  });
});
