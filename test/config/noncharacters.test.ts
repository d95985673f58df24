import { describe, expect, it } from 'vitest';
import { lintTreeText } from '../../config/load.js';
import { findUnsafeCharacter, SAFE_TEXT_PATTERN } from '../../config/unsafe-text.js';
import { exampleTools, showIssues } from './lint-fixtures.js';

/** A tree with `description` for triage, written in double quotes (where `\uFFFE` escapes work). */
function treeWith(description: string): string {
  return `version: 1
name: desk
root: triage
agents:
  triage:
    description: "${description}"
    prompt: Route.
    escalate: [person]
    offline: { reply: Hello }
  person:
    kind: human
    description: A person.
    offline: { keywords: [person] }
`;
}

describe('Unicode noncharacters in a tree', () => {
  it('are reported as UNSAFE_CHARACTER, at their place, naming the character', () => {
    const text = treeWith('Front \\uFFFE desk');
    expect(showIssues(text, lintTreeText(text, 'desk.yaml', { tools: exampleTools }))).toMatchInlineSnapshot(`
      "desk.yaml:6:25 error UNSAFE_CHARACTER agents.triage.description contains U+FFFE, a noncharacter, which Unicode reserves for use inside programs, never in text (character 7). Remove it: text in a tree may hold tabs and line breaks, but no other control character, no bidirectional override or isolate and no Unicode noncharacter such as U+FFFE (in double quotes, "\\e", "\\u202E" and "\\uFFFE" write them).
            description: "Front \\uFFFE desk"
                                ^"
    `);
  });

  it('are every one of U+FDD0–U+FDEF and the last two code points of each plane, and nothing else', () => {
    const noncharacters = [
      0xfdd0,
      0xfdef,
      0xfffe,
      0xffff,
      ...Array.from({ length: 16 }, (_, plane) => [(plane + 1) * 0x10000 + 0xfffe, (plane + 1) * 0x10000 + 0xffff]).flat(),
    ];
    for (const point of noncharacters) {
      const text = `a ${String.fromCodePoint(point)} b`;
      expect(SAFE_TEXT_PATTERN.test(text), point.toString(16)).toBe(false);
      expect(findUnsafeCharacter(text)).toEqual({
        index: 2,
        description: expect.stringContaining(`U+${point.toString(16).toUpperCase()}, a noncharacter`),
      });
    }
    // Their neighbours are ordinary text: the replacement character, emoji, the last letters before a plane's end.
    for (const point of [0xfdcf, 0xfdf0, 0xfffd, 0x1f600, 0x1fffd, 0x2fffd, 0x10fffd]) {
      const text = `a ${String.fromCodePoint(point)} b`;
      expect(SAFE_TEXT_PATTERN.test(text), point.toString(16)).toBe(true);
      expect(findUnsafeCharacter(text)).toBeUndefined();
    }
  });
});
