import { describe, expect, it } from 'vitest';
import { lintTreeText, parseTree } from '../../config/load.js';
import { ConfigError } from '../../errors/config-error.js';
import { exampleTools, lintFixture, readFixture } from './lint-fixtures.js';

const FOLDER = 'test/fixtures/all-at-once';

describe('lintTreeText(): every problem at once', () => {
  it('reports schema errors, YAML errors and reference errors of one file in one run, sorted by position', () => {
    expect(lintFixture('schema-and-references', 'all-at-once')).toMatchInlineSnapshot(`
      "test/fixtures/all-at-once/schema-and-references.yaml:3:7 error INVALID_NAME "support desk" (name) is not a valid name: it contains a space; a name starts with a letter and has only letters, digits, "_" or "-" (48 at most). Rename it, e.g. "support_desk".
        name: support desk
              ^
      test/fixtures/all-at-once/schema-and-references.yaml:5:1 error UNKNOWN_KEY "escalaton" is not a known key of the tree. Did you mean "escalation"? Known keys: version, name, description, root, escalation, defaults, limits, retry, models, prices, state, agents.
        escalaton: manager
        ^
      test/fixtures/all-at-once/schema-and-references.yaml:8:20 error OUT_OF_RANGE limits.handoffsPerTurn must be at least 1. Change it to at least 1.
          handoffsPerTurn: 0
                           ^
      test/fixtures/all-at-once/schema-and-references.yaml:11:62 error NUMBER_TOO_LARGE models.small.temperature is 3; it must be at most 2. Change it to at most 2.
          small: { provider: openai, name: gpt-4o-mini, temperature: 3 }
                                                                     ^
      test/fixtures/all-at-once/schema-and-references.yaml:14:57 error INVALID_DEFAULT The default "medium" is not one of low, high. Change the default to one of the values, or add "medium" to values:.
          priority: { type: enum, values: [low, high], default: medium }
                                                                ^
      test/fixtures/all-at-once/schema-and-references.yaml:20:12 error UNKNOWN_MODEL "smal" is not a model of this tree. Did you mean "small"? Declare it under models:, or use one of: small, offline.
            model: smal
                   ^
      test/fixtures/all-at-once/schema-and-references.yaml:21:16 error UNKNOWN_AGENT "biling" is not an agent. Did you mean "billing"? Agents: triage, billing, sales, manager, person.
            children: [biling, sales]
                       ^
      test/fixtures/all-at-once/schema-and-references.yaml:23:18 error INVALID_PATTERN "refund (now" is not a valid regular expression (Invalid regular expression: /refund (now/i: Unterminated group). Escape special characters such as ( [ + ? with a backslash.
              patterns: ['refund (now']
                         ^
      test/fixtures/all-at-once/schema-and-references.yaml:26:18 error INVALID_TYPE agents.billing.description is the number 42; it must be a string. Write text; quote it if YAML reads it as something else.
            description: 42
                         ^
      test/fixtures/all-at-once/schema-and-references.yaml:28:29 error UNKNOWN_TOOL "issue_refunds" is not a registered tool. Did you mean "issue_refund"? Registered tools: lookup_invoice, issue_refund, fetch_call_log, book_demo, schedule_appointment, check_insurance, lookup_balance, create_invoice, capture_voicemail, send_sms, book_callback, route_emergency, log_missed_call.
            tools: [lookup_invoice, issue_refunds]
                                    ^
      test/fixtures/all-at-once/schema-and-references.yaml:29:16 error SELF_REFERENCE "billing" lists itself in escalate. Remove it from the list.
            escalate: [billing, manager]
                       ^
      test/fixtures/all-at-once/schema-and-references.yaml:32:59 error UNKNOWN_STATE_FIELD "priorty" is not a state field. Did you mean "priority"? Declare it under state: (fields: priority).
                urgency: { type: enum, values: [low, high], sets: priorty }
                                                                  ^
      test/fixtures/all-at-once/schema-and-references.yaml:35:11 error INVALID_VALUE agents.sales.kind is the text "agnet"; it must be one of "agent", "human", "helper". Did you mean "agent"?
            kind: agnet
                  ^
      test/fixtures/all-at-once/schema-and-references.yaml:42:5 error DUPLICATE_KEY The key "description" appears twice in the same mapping (first on line 40). Keep one of the two: delete this one or the first, or merge their values.
            description: The manager.
            ^
      test/fixtures/all-at-once/schema-and-references.yaml:44:16 error SIDEWAYS_NOT_ALLOWED "billing" is not a sibling of "manager", so a sideways handoff to it is not allowed. To reach an agent elsewhere in the tree, list it under escalate:.
            sideways: [billing]
                       ^
      test/fixtures/all-at-once/schema-and-references.yaml:50:5 error WRONG_AGENT_KIND "person" is a human; prompt has no meaning for a person. Remove prompt, or make it kind: agent.
            prompt: You are a person.
            ^"
    `);
  });

  it('reports errors in the shape of the graph next to schema errors in leaf fields', () => {
    expect(lintFixture('schema-and-graph', 'all-at-once')).toMatchInlineSnapshot(`
      "test/fixtures/all-at-once/schema-and-graph.yaml:6:20 error NUMBER_TOO_LARGE retry.attempts is 20; it must be at most 10. Change it to at most 10.
        retry: { attempts: 20 }
                           ^
      test/fixtures/all-at-once/schema-and-graph.yaml:13:23 error OUT_OF_RANGE agents.triage.history.turns must be at least 1. Change it to at least 1.
            history: { turns: 0 }
                              ^
      test/fixtures/all-at-once/schema-and-graph.yaml:24:5 error DEAD_END "refunds" is a dead end: it cannot hand back to "billing" and has no escalation path to a person. Remove handback: false, or add escalate: [person].
            handback: false
            ^
      test/fixtures/all-at-once/schema-and-graph.yaml:29:16 error MULTIPLE_PARENTS "refunds" is a child of both "billing" and "sales". An agent has one parent: keep it under one, and use escalate: or sideways: for the other edge.
            children: [refunds]
                       ^
      test/fixtures/all-at-once/schema-and-graph.yaml:30:34 error INVALID_TYPE agents.sales.limits.modelCallsPerTurn is the text "many"; it must be a number. Write a number without quotes.
            limits: { modelCallsPerTurn: many }
                                         ^
      test/fixtures/all-at-once/schema-and-graph.yaml:32:3 error UNREACHABLE_AGENT No conversation can reach "archive" from the root "triage". List it under children: of an agent (or escalate:, helpers:, fallback:), or remove it.
          archive:
          ^"
    `);
  });

  it('reports a loop of parents and, beside it, the unreachable agents and dead ends elsewhere in the tree', () => {
    expect(lintFixture('loop-and-the-rest', 'all-at-once')).toMatchInlineSnapshot(`
      "test/fixtures/all-at-once/loop-and-the-rest.yaml:18:16 error TREE_CYCLE "sales" lists its own ancestor "billing" as a child: billing → sales → billing is a loop. Remove "billing" from this list; to send a conversation back up, hand back or escalate instead.
            children: [billing]
                       ^
      test/fixtures/all-at-once/loop-and-the-rest.yaml:19:3 error UNREACHABLE_AGENT No conversation can reach "orphan" from the root "triage". List it under children: of an agent (or escalate:, helpers:, fallback:), or remove it.
          orphan:
          ^
      test/fixtures/all-at-once/loop-and-the-rest.yaml:26:5 error DEAD_END "deadend" is a dead end: it cannot hand back to "triage" and has no escalation path to a person. Remove handback: false, or add escalate: [person].
            handback: false
            ^"
    `);
  });

  it('reports a person listed by another person where it is listed, and as unreachable when no agent leads to it', () => {
    expect(lintFixture('person-to-person', 'all-at-once')).toMatchInlineSnapshot(`
      "test/fixtures/all-at-once/person-to-person.yaml:18:16 error WRONG_AGENT_KIND The person "person" lists the person "boss" in escalate, but a person can hand the conversation back only to an agent. Remove "boss" here, and let an agent escalate to "boss" instead.
            escalate: [boss, billing]
                       ^
      test/fixtures/all-at-once/person-to-person.yaml:19:16 error WRONG_AGENT_KIND The person "person" lists the person "vip" in children, but a person can hand the conversation back only to an agent. Remove "vip" here, and let an agent escalate to "vip" instead.
            children: [vip]
                       ^
      test/fixtures/all-at-once/person-to-person.yaml:21:3 error UNREACHABLE_AGENT No conversation can reach "boss" from the root "triage". List it under children: of an agent (or escalate:, helpers:, fallback:), or remove it.
          boss:
          ^
      test/fixtures/all-at-once/person-to-person.yaml:24:3 error UNREACHABLE_AGENT No conversation can reach "vip" from the root "triage". List it under children: of an agent (or escalate:, helpers:, fallback:), or remove it.
          vip:
          ^"
    `);
  });

  it('reports an agent with no way out as a dead end though the root is unknown, and nothing that depends on the root', () => {
    expect(lintFixture('unknown-root', 'all-at-once')).toMatchInlineSnapshot(`
      "test/fixtures/all-at-once/unknown-root.yaml:5:7 error UNKNOWN_AGENT "recepton" is not an agent. Did you mean "reception"? Agents: reception, lead, leaf, lonely.
        root: recepton
              ^
      test/fixtures/all-at-once/unknown-root.yaml:18:5 error DEAD_END "leaf" is a dead end: it cannot hand back to "lead" and has no escalation path to a person. Remove handback: false, or add a kind: human agent and list it under escalate:.
            handback: false
            ^"
    `);
  });

  it('reports an agent with no way out as a dead end below a loop of parents too', () => {
    const text =
      'version: 1\nname: desk\nroot: triage\nagents:\n  triage: { description: d, prompt: p, children: [billing], escalate: [person] }\n' +
      '  billing: { description: d, prompt: p, children: [sales] }\n  sales: { description: d, prompt: p, children: [billing, leaf] }\n' +
      '  leaf: { description: d, prompt: p, handback: false }\n  person: { kind: human, description: d }\n';
    expect(lintTreeText(text, 'desk.yaml').map((issue) => `${issue.code} ${String(issue.path[1] ?? '')}`)).toEqual(['TREE_CYCLE sales', 'DEAD_END leaf']);
  });

  it('reports a helper used as a handoff target by its kind alone, not again as unreachable or as a dead end below it', () => {
    expect(lintFixture('misplaced-helper', 'all-at-once')).toMatchInlineSnapshot(`
      "test/fixtures/all-at-once/misplaced-helper.yaml:9:25 error WRONG_AGENT_KIND "helpy" is a helper; it cannot take over a conversation (agents.triage.children). List it under helpers: instead, or give it kind: agent.
            children: [billing, helpy]
                                ^
      test/fixtures/all-at-once/misplaced-helper.yaml:11:15 error WRONG_AGENT_KIND "billing" is listed in agents.triage.helpers but is an agent. Give "billing" kind: helper, or hand off to it instead.
            helpers: [billing]
                      ^
      test/fixtures/all-at-once/misplaced-helper.yaml:19:5 error WRONG_AGENT_KIND "helpy" is a helper (called as a tool); it cannot hand off, so children has no meaning. Remove children, or make it kind: agent.
            children: [leaf]
            ^"
    `);
  });

  it('runs the graph checks on what the schema errors leave: __proto__ keys, an unknown key, wrong types, a wrong kind', () => {
    // billing and sales are not unreachable though triage's children: failed, nor refunds though it is
    // only under billing's misspelled childern:; refunds is no dead end: supervisor, whose kind failed, may be a person.
    expect(lintFixture('broken-agents-and-graph', 'all-at-once')).toMatchInlineSnapshot(`
      "test/fixtures/all-at-once/broken-agents-and-graph.yaml:7:1 error FORBIDDEN_KEY The key "__proto__" is not allowed: JavaScript reserves it on every object. Rename or remove it.
        __proto__: { polluted: true }
        ^
      test/fixtures/all-at-once/broken-agents-and-graph.yaml:13:15 error INVALID_TYPE agents.triage.children is the text "billing, sales"; it must be a list. Write a list, e.g. [billing, sales] or one "- item" per line.
            children: billing, sales
                      ^
      test/fixtures/all-at-once/broken-agents-and-graph.yaml:14:23 error INVALID_VALUE agents.triage.history.turns is the text "none"; it must be a number or "all". Write a number or "all".
            history: { turns: none }
                              ^
      test/fixtures/all-at-once/broken-agents-and-graph.yaml:19:5 error UNKNOWN_KEY "childern" is not a known key of agents.billing. Did you mean "children"? Known keys: kind, description, prompt, model, tools, helpers, children, handback, sideways, escalate, fallback, handoff, when, approval, history, limits, offline.
            childern: [refunds]
            ^
      test/fixtures/all-at-once/broken-agents-and-graph.yaml:29:5 error FORBIDDEN_KEY The key "__proto__" is not allowed: JavaScript reserves it on every object. Rename or remove it.
            __proto__: { polluted: true }
            ^
      test/fixtures/all-at-once/broken-agents-and-graph.yaml:33:16 error UNKNOWN_AGENT "persn" is not an agent. Did you mean "person"? Agents: triage, billing, refunds, sales, quotes, renewals, archive, supervisor, person.
            escalate: [persn]
                       ^
      test/fixtures/all-at-once/broken-agents-and-graph.yaml:38:5 error DEAD_END "quotes" is a dead end: it cannot hand back to "sales" and has no escalation path to a person. Remove handback: false, or add escalate: [person].
            handback: false
            ^
      test/fixtures/all-at-once/broken-agents-and-graph.yaml:43:16 error SIDEWAYS_NOT_ALLOWED "billing" is not a sibling of "renewals", so a sideways handoff to it is not allowed. Siblings: quotes. To reach an agent elsewhere in the tree, list it under escalate:.
            sideways: [billing]
                       ^
      test/fixtures/all-at-once/broken-agents-and-graph.yaml:46:3 error UNREACHABLE_AGENT No conversation can reach "archive" from the root "triage". List it under children: of an agent (or escalate:, helpers:, fallback:), or remove it.
          archive:
          ^
      test/fixtures/all-at-once/broken-agents-and-graph.yaml:49:16 error MULTIPLE_PARENTS "renewals" is a child of both "sales" and "archive". An agent has one parent: keep it under one, and use escalate: or sideways: for the other edge.
            children: [renewals]
                       ^
      test/fixtures/all-at-once/broken-agents-and-graph.yaml:53:11 error INVALID_VALUE agents.supervisor.kind is the text "humna"; it must be one of "agent", "human", "helper". Did you mean "human"?
            kind: humna
                  ^"
    `);
  });

  it('blames no agent for what a broken part may hide', () => {
    const tree = (billing: string) =>
      `version: 1\nname: desk\nroot: triage\nagents:\n  triage: { description: d, prompt: p, escalate: [person], ${billing} }\n` +
      '  billing: { description: d, prompt: p, handback: false }\n  person: { kind: human, description: d }\n';
    const graphCodes = (text: string) =>
      lintTreeText(text, 'desk.yaml')
        .map((issue) => issue.code)
        .filter((code) => ['UNREACHABLE_AGENT', 'DEAD_END', 'SIDEWAYS_NOT_ALLOWED', 'NO_HUMAN_ESCALATION'].includes(code));
    // With nothing broken, billing is unreachable, and a dead end.
    expect(graphCodes(tree('sideways: []'))).toEqual(['UNREACHABLE_AGENT', 'DEAD_END']);
    // An entry that names no agent may mean any of them: billing may be reachable, and hand back.
    expect(graphCodes(tree('children: [42]'))).toEqual([]);
    expect(graphCodes(tree('children: [biling]'))).toEqual([]);
    // An entry that names some other agent leaves billing as it is.
    expect(graphCodes(tree('children: person'))).toEqual(['UNREACHABLE_AGENT', 'DEAD_END']);
    // A misspelled key that may be an edge counts as one; a misspelled prompt does not.
    expect(graphCodes(tree('childen: [billing]'))).toEqual([]);
    expect(graphCodes(tree('promt: Route to billing.'))).toEqual(['UNREACHABLE_AGENT', 'DEAD_END']);
  });

  it('returns the issues sorted by line and column', () => {
    for (const name of ['schema-and-references', 'schema-and-graph', 'broken-agents-and-graph']) {
      const path = `${FOLDER}/${name}.yaml`;
      const issues = lintTreeText(readFixture(path), path, { tools: exampleTools });
      const positions = issues.map((issue) => issue.line * 10_000 + issue.column);
      expect(positions).toEqual([...positions].sort((a, b) => a - b));
    }
  });

  it('gives backend code the same issues as data on the ConfigError that parseTree throws', () => {
    const path = `${FOLDER}/schema-and-references.yaml`;
    const text = readFixture(path);
    const error: unknown = (() => {
      try {
        parseTree(text, path, { tools: exampleTools });
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).code).toBe('CONFIG_INVALID');
    expect((error as ConfigError).issues).toEqual(lintTreeText(text, path, { tools: exampleTools }));
  });
});
