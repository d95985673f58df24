/**
 * A bad entry in an `offline:` block (an empty keyword, one with a control character, an unknown
 * key) is reported, and the rest of the block is still checked: its patterns, its tool hints and
 * its payload, each at its place in the file.
 */
import { describe, expect, it } from 'vitest';
import { lintTreeText } from '../../config/load.js';
import { showIssues } from './lint-fixtures.js';

/** A tree whose billing agent has `offline` (YAML lines, indented under `offline:`). */
function treeWith(offline: string): string {
  return `version: 1
name: desk
root: triage
agents:
  triage:
    description: Front desk.
    prompt: Route.
    children: [billing]
    escalate: [person]
  billing:
    description: Billing.
    prompt: Bill.
    tools: [lookup_invoice]
    handoff:
      payload:
        priority: { type: enum, values: [low, high] }
    offline:
${offline}
  person:
    kind: human
    description: A person.
`;
}

/** `CODE@line:column` of each issue. */
function found(offline: string): string[] {
  return lintTreeText(treeWith(offline), 'desk.yaml', { tools: new Set(['lookup_invoice']) }).map(
    (issue) => `${issue.code}@${issue.line}:${issue.column}`,
  );
}

const REST = `      patterns: ["(?=x)y"]
      payload: { priority: urgent }
      tools:
        lookup_invoic: { keywords: [invoice] }`;

describe('a bad keyword in offline:', () => {
  it('is reported, and the patterns, tool hints and payload beside it are still checked', () => {
    const text = treeWith(`      keywords: [invoice, "", refund]\n${REST}`);
    expect(showIssues(text, lintTreeText(text, 'desk.yaml', { tools: new Set(['lookup_invoice']) }))).toMatchInlineSnapshot(`
      "desk.yaml:18:27 error OUT_OF_RANGE agents.billing.offline.keywords[1] is empty. Write some text.
              keywords: [invoice, "", refund]
                                  ^
      desk.yaml:19:18 error UNSUPPORTED_PATTERN "(?=x)y" is a regular expression RE2 cannot run (invalid or unsupported Perl syntax: \`(?=\`). The offline model matches with RE2, in linear time: it has no lookahead or lookbehind. Match the words themselves, or list them under keywords:.
              patterns: ["(?=x)y"]
                         ^
      desk.yaml:20:28 error INVALID_VALUE offline.payload.priority is "urgent", which the payload field "priority" (enum low|high) does not accept. Use one of low, high: the offline model hands off with this value, and a refused payload never moves the conversation.
              payload: { priority: urgent }
                                   ^
      desk.yaml:22:9 error UNUSED_OFFLINE_TOOL offline.tools names "lookup_invoic", which "billing" cannot call. Did you mean "lookup_invoice"? Rename the hint to the tool's name, or remove it.
                lookup_invoic: { keywords: [invoice] }
                ^"
    `);
  });

  it('in a tool hint, or a misspelt key of the block, hides nothing either', () => {
    expect(found(`      keyword: [invoice]\n${REST}`)).toEqual([
      'UNKNOWN_KEY@18:7',
      'UNSUPPORTED_PATTERN@19:18',
      'INVALID_VALUE@20:28',
      'UNUSED_OFFLINE_TOOL@22:9',
    ]);
    expect(found(`${REST}\n        lookup_invoice: { keywords: ["\\e[2J"], patterns: ["(?<=a)b"], args: { note: "\\u202E" } }`)).toEqual([
      'UNSUPPORTED_PATTERN@18:18',
      'INVALID_VALUE@19:28',
      'UNUSED_OFFLINE_TOOL@21:9',
      'UNSAFE_CHARACTER@22:39',
      'UNSUPPORTED_PATTERN@22:59',
      'UNSAFE_CHARACTER@22:86',
    ]);
  });

  it('leaves each pattern kept reported at its own index in the file', () => {
    expect(found('      patterns: ["", "(?=x)y", "\\e", "(a)\\\\1"]')).toEqual([
      'OUT_OF_RANGE@18:18',
      'UNSUPPORTED_PATTERN@18:22',
      'UNSAFE_CHARACTER@18:33',
      'UNSUPPORTED_PATTERN@18:38',
    ]);
  });
});
