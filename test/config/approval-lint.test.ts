/**
 * Lint of `approval:` (an agent's approval gate, `handoff.approval`, and gates by target on the
 * agent that hands off): positioned errors with hints.
 */
import { describe, expect, it } from 'vitest';
import { lintTreeText } from '../../config/load.js';
import { formatIssue } from '../../errors/config-error.js';
import { lintFixture, showIssues } from './lint-fixtures.js';

const tree = (extra: string) => `version: 1
name: desk
root: triage
agents:
  triage:
    description: Front desk.
    prompt: Route.
    children: [billing]
    helpers: [lookup]
  billing:
    description: Charges.
    prompt: Bill.
    escalate: [person]
${extra}
  lookup:
    kind: helper
    description: Looks things up.
    prompt: Look up.
  person:
    kind: human
    description: A person.
`;

describe('approval:', () => {
  it('accepts approval: required on an agent a handoff tool reaches, and on a person', () => {
    const text = tree('    approval: required').replace('    kind: human\n', '    kind: human\n    approval: required\n');
    expect(lintTreeText(text, 'desk.yaml')).toEqual([]);
  });

  it('warns when no handoff tool leads into the gated agent, pointing at the key', () => {
    expect(lintFixture('approval-never-asked')).toMatchInlineSnapshot(`
      "test/fixtures/invalid/approval-never-asked.yaml:18:5 warning APPROVAL_NEVER_ASKED No agent hands off to "manager" with a handoff tool, so its approval gate is never asked (limit redirects, fallbacks, a person's hand-back and the root's new conversations are not gated). List "manager" under another agent's children:, sideways: or escalate:, or remove approval.
            approval: required
            ^"
    `);
  });

  it('warns where a fallback or the tree escalation moves into a gate without asking, not where an edge lets it through', () => {
    // backup's fallback to lead is not reported: backup's own approval: { lead: none } lets that edge through.
    expect(lintFixture('approval-bypassed')).toMatchInlineSnapshot(`
      "test/fixtures/invalid/approval-bypassed.yaml:5:13 warning APPROVAL_BYPASSED A turn that crosses a limit or ping-pongs moves to "lead" (escalation:) without approval: limit redirects are not gated, though "lead" has approval: required. Name an escalation target without a gate (often a person, kind: human), or remove the gate if those redirects may move to "lead" unasked.
        escalation: lead
                    ^
      test/fixtures/invalid/approval-bypassed.yaml:15:24 warning APPROVAL_BYPASSED "billing" falls back to "lead" without approval: a fallback is not gated, though a handoff from "billing" to "lead" waits for a person to approve it. Fall back to an agent without a gate, or remove the gate if a fallback may move to "lead" unasked.
            fallback: [backup, lead]
                               ^"
    `);
  });

  it('says a gate only a fallback reaches is never asked once, not again at the fallback', () => {
    const text = tree('    fallback: lead\n  lead:\n    description: The lead.\n    prompt: Lead.\n    approval: required\n    escalate: [person]');
    expect(lintTreeText(text, 'desk.yaml').map((issue) => issue.code)).toEqual(['APPROVAL_NEVER_ASKED']);
  });

  it('refuses approval on a helper, and a value other than required or none, with positions', () => {
    const text = tree('    approval: yes please').replace('    kind: helper\n', '    kind: helper\n    approval: required\n');
    const issues = lintTreeText(text, 'desk.yaml');
    expect(issues.map(formatIssue).join('\n')).toMatch(/^desk\.yaml:14:15 error INVALID_VALUE .*"required"/m);
    expect(showIssues(text, issues.filter((issue) => issue.code === 'WRONG_AGENT_KIND'))).toMatchInlineSnapshot(`
      "desk.yaml:17:5 error WRONG_AGENT_KIND "lookup" is a helper (called as a tool, keeping control); no handoff moves into it, so approval: required has no meaning. Remove approval, or make it kind: agent and hand off to it.
            approval: required
            ^"
    `);
  });

  it('accepts handoff.approval, and gates by target on the edges the agent has', () => {
    const text = tree('    approval: { person: required, triage: none }').replace('    kind: human\n', '    kind: human\n    handoff: { approval: required }\n');
    expect(lintTreeText(text, 'desk.yaml')).toEqual([]);
  });

  it('reports a bad value and an unknown target of the same approval: mapping in one run', () => {
    const text = tree('    approval: { person: maybe, persn: required }');
    expect(showIssues(text, lintTreeText(text, 'desk.yaml'))).toMatchInlineSnapshot(`
      "desk.yaml:14:25 error INVALID_VALUE agents.billing.approval.person is the text "maybe"; it must be one of "required", "none". Write one of these values.
            approval: { person: maybe, persn: required }
                                ^
      desk.yaml:14:32 error UNKNOWN_AGENT approval: names "persn", which is not an agent. Did you mean "person"? "billing" hands off to: triage, person.
            approval: { person: maybe, persn: required }
                                       ^"
    `);
  });

  it('blames no gate on an edge a list that failed the schema may hold', () => {
    const text = tree('    approval: { person: required }').replace('escalate: [person]', 'escalate: person');
    expect(lintTreeText(text, 'desk.yaml').map((issue) => issue.code)).toEqual(['INVALID_TYPE']);
  });

  it('refuses a gate by target on an edge the agent does not have, on an unknown agent, and on a person, with positions and the targets it has', () => {
    const text = tree('    approval: { lookup: required, persn: required }').replace('    kind: human\n', '    kind: human\n    approval: { billing: required }\n');
    expect(showIssues(text, lintTreeText(text, 'desk.yaml'))).toMatchInlineSnapshot(`
      "desk.yaml:14:17 error APPROVAL_NOT_AN_EDGE approval: names "lookup", which "billing" cannot hand off to. A gate goes on a handoff of "billing": triage, person. List "lookup" under children:, sideways: or escalate: first (fallbacks, limit redirects and helpers are not gated).
            approval: { lookup: required, persn: required }
                        ^
      desk.yaml:14:35 error UNKNOWN_AGENT approval: names "persn", which is not an agent. Did you mean "person"? "billing" hands off to: triage, person.
            approval: { lookup: required, persn: required }
                                          ^
      desk.yaml:21:5 error APPROVAL_NOT_AN_EDGE "person" is a person (kind: human): a person's hand-back is their own decision, so approval: by target has no meaning. Remove approval:, or gate the target itself (approval: required on it).
            approval: { billing: required }
            ^"
    `);
  });
});
