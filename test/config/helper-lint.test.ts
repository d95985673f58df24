/**
 * What a helper (called as a tool, nodes/helper.ts) cannot use: it sees only its prompt and the
 * request, never the conversation (history: has no effect), never takes the conversation over
 * (handback: has no effect), and calls only its own function tools, never other helpers.
 */
import { describe, expect, it } from 'vitest';
import { lintTreeText } from '../../config/load.js';
import { showIssues } from './lint-fixtures.js';

/** A valid tree whose triage calls the helper `lookup`, with these extra lines on `lookup`. */
function treeWith(lines: string[]): string {
  return [
    'version: 1',
    'name: desk',
    'root: triage',
    'agents:',
    '  triage:',
    '    description: Front desk.',
    '    prompt: Route.',
    '    helpers: [lookup, other]',
    '    escalate: [person]',
    '  lookup:',
    '    kind: helper',
    '    description: Looks things up.',
    '    prompt: Look it up.',
    ...lines.map((line) => `    ${line}`),
    '  other:',
    '    kind: helper',
    '    description: Another helper.',
    '    prompt: Help.',
    '  person:',
    '    kind: human',
    '    description: A person.',
    '',
  ].join('\n');
}

const show = (text: string) => showIssues(text, lintTreeText(text, 'desk.yaml'));

describe('lintTreeText(): keys a helper cannot use', () => {
  it('warns that history: and handback: have no effect on a helper', () => {
    expect(show(treeWith(['history: { turns: 2 }', 'handback: false']))).toMatchInlineSnapshot(`
      "desk.yaml:14:5 warning WRONG_AGENT_KIND "lookup" is a helper (called as a tool); it sees only its prompt and the request, never the conversation, so history has no effect. Remove history; put what the helper needs into the request the calling agent writes.
            history: { turns: 2 }
            ^
      desk.yaml:15:5 warning WRONG_AGENT_KIND "lookup" is a helper (called as a tool); it never takes over the conversation, so it has nothing to hand back and handback has no effect. Remove handback.
            handback: false
            ^"
    `);
    expect(lintTreeText(treeWith([]), 'desk.yaml')).toEqual([]);
  });

  it('says a helper cannot have helpers because it calls only its own function tools, not because it cannot hand off', () => {
    expect(show(treeWith(['helpers: [other]']))).toMatchInlineSnapshot(`
      "desk.yaml:14:5 error WRONG_AGENT_KIND "lookup" is a helper (called as a tool); a helper calls only its own function tools (tools:), never other helpers, so helpers has no meaning. Remove helpers, and list those helpers under helpers: of the agent that calls this one; or make it kind: agent.
            helpers: [other]
            ^"
    `);
  });

  it('says nothing of a history: that is itself invalid but what the schema says', () => {
    expect(lintTreeText(treeWith(['history: { turns: 0 }']), 'desk.yaml').map((issue) => issue.code)).toEqual(['OUT_OF_RANGE']);
  });
});
