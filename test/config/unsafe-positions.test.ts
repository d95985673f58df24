/**
 * UNSAFE_CHARACTER points at the character itself, not at the start of its text: on its own line of
 * a block scalar, past the doubled quote of a single-quoted text, at the escape that writes it in
 * double quotes (`\e`), in a key as in a value.
 */
import { describe, expect, it } from 'vitest';
import { parseDocument, isMap, isScalar } from 'yaml';
import { lintTreeText } from '../../config/load.js';
import { exactOffsetWithin } from '../../config/condition-position.js';

const RLO = '\u202E';

/** A tree whose triage agent has `lines` (YAML, indented under the agent) among its keys. */
function treeWith(lines: string): string {
  return `version: 1
name: desk
root: triage
agents:
  triage:
    prompt: Route.
    escalate: [person]
    tools: [lookup_invoice]
${lines}
  person:
    kind: human
    description: A person.
`;
}

/** Where each UNSAFE_CHARACTER issue points, as `line:column`. */
function positions(text: string): string[] {
  return lintTreeText(text, 'desk.yaml', { tools: new Set(['lookup_invoice']) })
    .filter((issue) => issue.code === 'UNSAFE_CHARACTER')
    .map((issue) => `${issue.line}:${issue.column}`);
}

describe('UNSAFE_CHARACTER at the character', () => {
  it('points at a character written as it is in a plain text', () => {
    expect(positions(treeWith(`    description: Front ${RLO}desk`))).toEqual(['9:24']);
  });

  it('points at its line and column in a block text, past a header comment that holds one too', () => {
    const text = treeWith(`    description: |  # not part of the text ${RLO}\n      Route billing\n        questions ${RLO}to billing.`);
    expect(positions(text)).toEqual(['11:19']);
  });

  it('points at it in a folded text, whose line breaks become spaces', () => {
    expect(positions(treeWith(`    description: >-\n      Charges and\n      refunds \uFDD0 here`))).toEqual(['11:15']);
  });

  it('points at it past a doubled quote of a single-quoted text, a character past U+FFFF included', () => {
    expect(positions(treeWith(`    description: 'It''s ${String.fromCodePoint(0x1fffe)} billing'`))).toEqual(['9:25']);
  });

  it('points at the escape that writes it in double quotes, past other escapes and a continued line', () => {
    expect(positions(treeWith('    description: "Charges\\t\\x41 \\u00e9.\\e]0;pwned"'))).toEqual(['9:40']);
    expect(positions(treeWith('    description: "A person \\\n      on the team \\u202E here"'))).toEqual(['10:19']);
    expect(positions(treeWith('    description: "Front desk\\r"'))).toEqual(['9:29']);
  });

  it('points at it in a key and in a value of fixed tool arguments', () => {
    const text = treeWith(
      `    description: Front desk.\n    offline:\n      tools:\n        lookup_invoice: { args: { "no\\te${RLO}": "a\\tb${RLO}c" } }`,
    );
    expect(positions(text)).toEqual(['12:41', '12:50']);
  });
});

describe('exactOffsetWithin()', () => {
  /** The value scalar of the first key of `yaml`, and its text. */
  function scalarOf(yaml: string) {
    const contents = parseDocument(yaml).contents;
    const node = isMap(contents) ? contents.items[0]?.value : undefined;
    if (!isScalar(node) || typeof node.value !== 'string') throw new Error('no text scalar');
    return { node, value: node.value };
  }

  it('finds a character the file writes, and the escape that writes one', () => {
    const yaml = 'key: "a\\eb"\n';
    const { node, value } = scalarOf(yaml);
    expect(exactOffsetWithin(yaml, node, value, 1)).toBe(yaml.indexOf('\\e'));
    expect(exactOffsetWithin(yaml, node, value, 2)).toBe(yaml.indexOf('b'));
  });

  it('tells nothing for a space (folding makes and drops them), or for a value the text does not write', () => {
    const yaml = 'key: a\n  b\n';
    const { node, value } = scalarOf(yaml);
    expect(value).toBe('a b');
    expect(exactOffsetWithin(yaml, node, value, 1)).toBeUndefined();
    expect(exactOffsetWithin(yaml, node, 'a c', 2)).toBeUndefined();
  });
});
