/**
 * Where issues point when the YAML says a thing twice: an agent defined twice (the data keeps the
 * second definition, so its problems are there), and a value shared through an alias (`*team`).
 */
import { describe, expect, it } from 'vitest';
import { lintTreeText, parseTree } from '../../config/load.js';
import { showIssues } from './lint-fixtures.js';

function lint(text: string): string {
  return showIssues(text, lintTreeText(text, 'desk.yaml'));
}

describe('lintTreeText(): an agent defined twice', () => {
  it('points the problems of the second definition at the second definition, not the first', () => {
    const text = `version: 1
name: desk
root: triage
agents:
  triage:
    description: Front desk.
    prompt: Route billing questions to billing.
    children: [billing]
  billing:
    description: Charges and refunds.
    prompt: You are the billing specialist.
    escalate: [person]
  person:
    kind: human
    description: A person on the billing team.
  billing:
    description: Refunds.
    model: smal
    escalate: [persn]
`;
    expect(lint(text)).toMatchInlineSnapshot(`
      "desk.yaml:16:3 error DUPLICATE_AGENT The agent "billing" is defined twice (first on line 9). Rename one of them, or merge the two definitions into one.
          billing:
          ^
      desk.yaml:16:3 error MISSING_PROMPT The agent "billing" has no prompt. Add prompt: with its instructions (a person needs none: kind: human).
          billing:
          ^
      desk.yaml:18:12 error UNKNOWN_MODEL "smal" is not a model of this tree. Declare it under models:, or use one of: offline.
            model: smal
                   ^
      desk.yaml:19:16 error UNKNOWN_AGENT "persn" is not an agent. Did you mean "person"? Agents: triage, billing, person.
            escalate: [persn]
                       ^"
    `);
  });
});

describe('lintTreeText(): values shared through an alias', () => {
  const text = `version: 1
name: desk
root: triage
state:
  vip: { type: boolean }
agents:
  triage:
    description: Front desk.
    prompt: Route.
    children: &team [billing, sales, biling]
    when: { billing: &cond 'vip && scor > 3' }
  billing:
    description: Charges.
    prompt: Bill.
    escalate: [person]
    approval: &gates { person: required }
  sales:
    description: Sales.
    prompt: Sell.
    sideways: *team
    approval: *gates
    handoff: { when: *cond }
  person:
    kind: human
    description: A person.
`;

  it('points a problem of where the alias is used at the alias, naming the line of its anchor', () => {
    // sales lists itself, and gates an edge it does not have, only where *team and *gates are used.
    expect(lint(text)).toMatchInlineSnapshot(`
      "desk.yaml:10:38 error UNKNOWN_AGENT "biling" is not an agent. Did you mean "billing"? Agents: triage, billing, sales, person.
            children: &team [billing, sales, biling]
                                             ^
      desk.yaml:11:36 error CONDITION_UNKNOWN_FIELD The condition reads "scor", which is not a state field. Declare it under state: (fields: vip), or write text in double quotes.
            when: { billing: &cond 'vip && scor > 3' }
                                           ^
      desk.yaml:20:15 error SELF_REFERENCE "sales" lists itself in sideways (through the alias *team; &team is on line 10). Remove it from the list.
            sideways: *team
                      ^
      desk.yaml:21:15 error APPROVAL_NOT_AN_EDGE approval: names "person", which "sales" cannot hand off to (through the alias *gates; &gates is on line 16). A gate goes on a handoff of "sales": triage, billing. List "person" under children:, sideways: or escalate: first (fallbacks, limit redirects and helpers are not gated).
            approval: *gates
                      ^"
    `);
  });

  it('reports a problem of the shared value itself once, where the anchor writes it', () => {
    const issues = lintTreeText(text, 'desk.yaml');
    expect(issues.filter((issue) => issue.code === 'UNKNOWN_AGENT').map((issue) => `${issue.line}:${issue.column}`)).toEqual(['10:38']);
    expect(issues.filter((issue) => issue.code === 'CONDITION_UNKNOWN_FIELD').map((issue) => `${issue.line}:${issue.column}`)).toEqual(['11:36']);
  });

  it('points at the alias when the anchored value is not checked where it is written', () => {
    const shared = `version: 1
name: desk
root: triage
x-shared: &team [billing, biling]
agents:
  triage:
    description: Front desk.
    prompt: Route.
    children: *team
  billing:
    description: Charges.
    prompt: Bill.
`;
    expect(lint(shared)).toMatchInlineSnapshot(`
      "desk.yaml:3:7 warning NO_HUMAN_ESCALATION No conversation can reach a person: the tree has no path to a kind: human agent. Add a kind: human agent and list it under escalate: (or as the tree escalation:).
        root: triage
              ^
      desk.yaml:4:1 error UNKNOWN_KEY "x-shared" is not a known key of the tree. Known keys: version, name, description, root, escalation, defaults, limits, retry, models, prices, state, agents.
        x-shared: &team [billing, biling]
        ^
      desk.yaml:9:15 error UNKNOWN_AGENT "biling" is not an agent (through the alias *team; &team is on line 4). Did you mean "billing"? Agents: triage, billing.
            children: *team
                      ^"
    `);
  });

  it('locates a path through an alias where the alias is used', () => {
    const valid = `version: 1
name: desk
root: triage
agents:
  triage:
    description: Front desk.
    prompt: Route.
    children: [billing, sales]
  billing:
    description: Charges.
    prompt: Bill.
    escalate: &desk [person]
  sales:
    description: Sales.
    prompt: Sell.
    escalate: *desk
  person:
    kind: human
    description: A person.
`;
    const loaded = parseTree(valid, 'desk.yaml');
    expect(loaded.locate(['agents', 'billing', 'escalate', 0])).toEqual({ line: 12, column: 22 });
    expect(loaded.locate(['agents', 'sales', 'escalate', 0])).toEqual({ line: 16, column: 15 });
  });
});
