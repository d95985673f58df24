import { describe, expect, it } from 'vitest';
import { lintTreeText } from '../../config/load.js';
import { nameCollision, RESERVED_NAMES } from '../../config/reserved-names.js';
import { NAME_PATTERN } from '../../config/schema.js';
import { FORBIDDEN_KEYS } from '../../config/source.js';
import { suggestRename } from '../../config/suggest.js';
import { showIssues } from './lint-fixtures.js';

/** A valid tree but for `name`: the root hands off to it and to `others`, and each escalates to a person. */
function treeWith(name: string, others: readonly string[] = []): string {
  const agent = (key: string) => `  ${JSON.stringify(key)}:\n    description: An agent.\n    prompt: Help.\n    escalate: [person]\n`;
  const children = [name, ...others].map((child) => JSON.stringify(child)).join(', ');
  return [
    'version: 1\nname: desk\nroot: triage\nagents:\n',
    `  triage:\n    description: Front desk.\n    prompt: Route.\n    children: [${children}]\n`,
    agent(name),
    ...others.map(agent),
    '  person:\n    kind: human\n    description: A person.\n',
  ].join('');
}

const RENAMED = new Set(['RESERVED_NAME', 'NAME_COLLISION', 'INVALID_NAME']);

/** The names the hints of the issues about names offer, from `Rename it, e.g. "…"`. */
function offeredNames(text: string): string[] {
  return lintTreeText(text, 'desk.yaml')
    .filter((issue) => RENAMED.has(issue.code))
    .map((issue) => /e\.g\. "([^"]*)"/.exec(issue.hint ?? '')?.[1] ?? `(no name in: ${issue.hint})`);
}

/** Every reserved name an agent key can have (a forbidden key is dropped before), in two spellings. */
const RESERVED = [...RESERVED_NAMES].flatMap((name) => [name, name.toUpperCase()]).filter((name) => !FORBIDDEN_KEYS.has(name));

describe('suggestRename()', () => {
  it.each(RESERVED)('offers for an agent named %s one valid name, that no check refuses and no other agent has', (name) => {
    // The obvious offer is taken already: the one made must be another.
    const taken = `${name.replace(/^_+|_+$/g, '')}_desk`;
    const offered = new Set(offeredNames(treeWith(name, [taken])));
    // The reserved key and the reference to it get the same offer.
    expect(offered.size).toBe(1);
    const [rename] = [...offered] as [string];
    expect(rename).toMatch(NAME_PATTERN);
    expect(RESERVED_NAMES.has(rename.toLowerCase())).toBe(false);
    expect(nameCollision(rename)).toBeUndefined();
    expect([name, taken, 'triage', 'person'].map((agent) => agent.toLowerCase())).not.toContain(rename.toLowerCase());
    // Renamed as offered, the tree lints clean.
    expect(lintTreeText(treeWith(rename, [taken]), 'desk.yaml').filter((issue) => issue.severity === 'error')).toEqual([]);
  });

  it('offers start_desk for __start__, and numbers the offer past the agents that have it', () => {
    expect(showIssues(treeWith('__start__'), lintTreeText(treeWith('__start__'), 'desk.yaml'))).toMatchInlineSnapshot(`
      "desk.yaml:8:16 error RESERVED_NAME "__start__" (agents.triage.children[0]) is a reserved name (it breaks LangGraph or Mermaid). Rename it, e.g. "start_desk".
            children: ["__start__"]
                       ^
      desk.yaml:9:3 error RESERVED_NAME "__start__" is a reserved name (it breaks LangGraph or Mermaid). Rename it, e.g. "start_desk".
          "__start__":
          ^"
    `);
    // At the reference (children:) and at the key, as for __start__.
    expect(offeredNames(treeWith('end', ['end_desk', 'END_DESK_2']))).toEqual(['end_desk_3', 'end_desk_3']);
    expect(offeredNames(treeWith('Graph'))).toEqual(['Graph_desk', 'Graph_desk']);
  });

  it('offers a valid name for a name that collides, or that cleaned would be reserved', () => {
    // One offer per name, whichever check (and whether at the agent or at the reference to it) makes it.
    expect(new Set(offeredNames(treeWith('__defineGetter__')))).toEqual(new Set(['defineGetter']));
    expect(new Set(offeredNames(treeWith('toString')))).toEqual(new Set(['toString_desk']));
    expect(new Set(offeredNames(treeWith('_end')))).toEqual(new Set(['end_desk']));
  });

  it('keeps to 48 characters, and gives up on a name with no letter', () => {
    const long = `__${'a'.repeat(60)}`;
    expect(suggestRename(long, 'desk')).toHaveLength(48);
    expect(suggestRename(long, 'desk', ['a'.repeat(48)])).toBe(`${'a'.repeat(43)}_desk`);
    expect(suggestRename('123', 'desk')).toBeUndefined();
  });
});
