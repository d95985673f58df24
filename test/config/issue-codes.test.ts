import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadTree, lintTreeText } from '../../config/load.js';
import { MAX_FILE_BYTES } from '../../config/source.js';
import { ConfigError, CONFIG_ISSUE_CODES, formatIssue } from '../../errors/config-error.js';
import { exampleTools, kebab, lintFixture, readFixture, REPO, showIssues } from './lint-fixtures.js';

/** Codes that need no fixture file: the file is missing, or generated in the test. */
const NO_FIXTURE = new Set(['FILE_NOT_FOUND', 'FILE_TOO_LARGE']);

describe('lintTreeText(): every issue code', () => {
  it('has a fixture for every code, and the fixture gets that code', () => {
    for (const code of CONFIG_ISSUE_CODES.filter((entry) => !NO_FIXTURE.has(entry))) {
      const path = `test/fixtures/invalid/${kebab(code)}.yaml`;
      expect(existsSync(`${REPO}${path}`), path).toBe(true);
      const codes = lintTreeText(readFixture(path), path, { tools: exampleTools }).map((issue) => issue.code);
      expect(codes, path).toContain(code);
    }
  });

  it('rejects a missing file with FILE_NOT_FOUND on a ConfigError', async () => {
    const error: unknown = await loadTree('test/fixtures/invalid/no-such-tree.yaml').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues.map(formatIssue).join('\n')).toMatchInlineSnapshot(
      `"test/fixtures/invalid/no-such-tree.yaml:1:1 error FILE_NOT_FOUND The tree file test/fixtures/invalid/no-such-tree.yaml does not exist. Check the path (a relative path starts from the current folder)."`,
    );
  });

  it('refuses a file over 1 MB with FILE_TOO_LARGE before parsing it', () => {
    const text = `version: 1\nname: big\nroot: triage\nagents:\n  triage:\n    description: Front desk.\n    prompt: "${'x'.repeat(MAX_FILE_BYTES)}"\n`;
    expect(lintTreeText(text, 'big.yaml').map(formatIssue).join('\n')).toMatchInlineSnapshot(
      `"big.yaml:1:1 error FILE_TOO_LARGE The file is 1000096 bytes; a tree file may have at most 1000000. Shorten the prompts, or split the tree into smaller trees."`,
    );
  });

  it('reports a file with only comments as EMPTY_FILE, saying what a tree starts with', () => {
    expect(lintFixture('empty-file')).toMatchInlineSnapshot(`
      "test/fixtures/invalid/empty-file.yaml:1:1 error EMPTY_FILE The file holds no tree, only comments or document markers. Start with version: 1, name:, root: and agents:; or delete the file and run \`npx switchboard init <file>\`, which writes a starter tree there.
        # A tree file with nothing but a comment.
        ^"
    `);
  });

  it('points YAML_SYNTAX at the bracket that is never closed, not where the parser gave up', () => {
    expect(lintFixture('yaml-syntax')).toMatchInlineSnapshot(`
      "test/fixtures/invalid/yaml-syntax.yaml:3:7 warning NO_HUMAN_ESCALATION No conversation can reach a person: the tree has no path to a kind: human agent. Add a kind: human agent and list it under escalate: (or as the tree escalation:).
        root: triage
              ^
      test/fixtures/invalid/yaml-syntax.yaml:8:15 error YAML_SYNTAX The list [ opened here is never closed. Add the closing ], or indent its continuation lines further than its key.
            children: [billing
                      ^"
    `);
  });

  it('points YAML_SYNTAX at a list item or a key indented unlike its siblings, and says to line it up', () => {
    expect(`${lintFixture('syntax-under-indented-item', 'hostile')}\n${lintFixture('syntax-under-indented-key', 'hostile')}`).toMatchInlineSnapshot(`
      "test/fixtures/hostile/syntax-under-indented-item.yaml:10:6 error YAML_SYNTAX A block sequence may not be used as an implicit map key. Line this item up with the other items of its list: start its "-" in the same column as theirs.
             - sales
             ^
      test/fixtures/hostile/syntax-under-indented-key.yaml:12:4 error YAML_SYNTAX All mapping items must start at the same column. Line this key up with the other keys of its mapping: start it in the same column as theirs.
           prompt: You are the billing specialist.
           ^"
    `);
  });

  it('points YAML_SYNTAX at a key indented deeper than the one above it, which YAML read into that value', () => {
    expect(lintFixture('syntax-bad-indent', 'hostile')).toMatchInlineSnapshot(`
      "test/fixtures/hostile/syntax-bad-indent.yaml:12:7 error YAML_SYNTAX This line is indented deeper than the key "prompt" above it, so YAML reads it as part of that value. Line its key up with the keys of its mapping; or, if it continues the text above, put that text in quotes (it contains ": ").
              escalate: [person]
              ^"
    `);
  });

  it('keeps the quoting hint for a value that holds ": " itself', () => {
    const text = 'version: 1\nname: desk\nroot: triage\nagents:\n  triage:\n    description: Note: the front desk.\n    prompt: Route.\n';
    expect(showIssues(text, lintTreeText(text, 'desk.yaml'))).toMatchInlineSnapshot(`
      "desk.yaml:3:7 warning NO_HUMAN_ESCALATION No conversation can reach a person: the tree has no path to a kind: human agent. Add a kind: human agent and list it under escalate: (or as the tree escalation:).
        root: triage
              ^
      desk.yaml:6:18 error YAML_SYNTAX Nested mappings are not allowed in compact mappings. Put a nested mapping on its own lines under its key, or quote a value that contains ": ".
            description: Note: the front desk.
                         ^"
    `);
  });

  it('points DUPLICATE_KEY at the second key and names the line of the first', () => {
    expect(lintFixture('duplicate-key')).toMatchInlineSnapshot(`
      "test/fixtures/invalid/duplicate-key.yaml:13:5 error DUPLICATE_KEY The key "prompt" appears twice in the same mapping (first on line 11). Keep one of the two: delete this one or the first, or merge their values.
            prompt: You are the refunds specialist.
            ^"
    `);
  });

  it('rejects a !!js/function tag as UNKNOWN_TAG instead of reading it as text', () => {
    expect(lintFixture('unknown-tag')).toMatchInlineSnapshot(`
      "test/fixtures/invalid/unknown-tag.yaml:7:13 error UNKNOWN_TAG The tag !!js/function is not allowed. Remove the tag: a tree file holds only text, numbers, true/false, lists and mappings.
            prompt: !!js/function 'function () { return process.exit(1) }'
                    ^"
    `);
  });

  it('stops an alias bomb with ALIAS_LIMIT at the first alias, before expanding it', () => {
    expect(lintFixture('alias-limit')).toMatchInlineSnapshot(`
      "test/fixtures/invalid/alias-limit.yaml:5:8 error ALIAS_LIMIT The aliases (*name) in this file expand to more than 200 copies of data: an alias bomb. Write the values out, or use far fewer aliases of aliases.
        b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
               ^"
    `);
  });

  it('rejects nesting deeper than 40 levels as TOO_DEEP where the limit is crossed', () => {
    expect(lintFixture('too-deep')).toMatchInlineSnapshot(`
      "test/fixtures/invalid/too-deep.yaml:9:53 error TOO_DEEP The file nests deeper than 40 levels. Nest at most 40 levels.
              payload: [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]…
                                                            ^"
    `);
  });

  it('rejects a __proto__ key as FORBIDDEN_KEY at the key', () => {
    expect(lintFixture('forbidden-key')).toMatchInlineSnapshot(`
      "test/fixtures/invalid/forbidden-key.yaml:9:5 error FORBIDDEN_KEY The key "__proto__" is not allowed: JavaScript reserves it on every object. Rename or remove it.
            __proto__:
            ^"
    `);
  });

  it('points UNKNOWN_KEY at the misspelled key and suggests the known one', () => {
    expect(lintFixture('unknown-key')).toMatchInlineSnapshot(`
      "test/fixtures/invalid/unknown-key.yaml:8:5 error UNKNOWN_KEY "childern" is not a known key of agents.triage. Did you mean "children"? Known keys: kind, description, prompt, model, tools, helpers, children, handback, sideways, escalate, fallback, handoff, when, approval, history, limits, offline.
            childern: [billing]
            ^"
    `);
  });

  it('points MISSING_FIELD at the agent that lacks the field and says what the field is', () => {
    expect(lintFixture('missing-field')).toMatchInlineSnapshot(`
      "test/fixtures/invalid/missing-field.yaml:9:3 error MISSING_FIELD agents.billing.description is required. Add description: <text> — what this agent handles. It becomes the handoff tool description.
          billing:
          ^"
    `);
  });

  it('reports INVALID_TYPE with the type found and the type expected', () => {
    expect(lintFixture('invalid-type')).toMatchInlineSnapshot(`
      "test/fixtures/invalid/invalid-type.yaml:8:15 error INVALID_TYPE agents.triage.children is the text "billing"; it must be a list. Write a list, e.g. [billing, sales] or one "- item" per line.
            children: billing
                      ^"
    `);
  });

  it('reports INVALID_VALUE with the allowed values and the closest one', () => {
    expect(lintFixture('invalid-value')).toMatchInlineSnapshot(`
      "test/fixtures/invalid/invalid-value.yaml:14:11 error INVALID_VALUE agents.person.kind is the text "humna"; it must be one of "agent", "human", "helper". Did you mean "human"?
            kind: humna
                  ^"
    `);
  });

  it('reports UNSAFE_CHARACTER at text with a terminal escape sequence, naming the character', () => {
    expect(lintFixture('unsafe-character')).toMatchInlineSnapshot(`
      "test/fixtures/invalid/unsafe-character.yaml:10:39 error UNSAFE_CHARACTER agents.billing.description contains U+001B (ESC), a control character that can rewrite a terminal (character 21). Remove it: text in a tree may hold tabs and line breaks, but no other control character, no bidirectional override or isolate and no Unicode noncharacter such as U+FFFE (in double quotes, "\\e", "\\u202E" and "\\uFFFE" write them).
            description: "Charges and refunds.\\e]0;pwned\\a\\e[2J"
                                              ^"
    `);
  });

  it('reports OUT_OF_RANGE with the bound to respect', () => {
    expect(lintFixture('out-of-range')).toMatchInlineSnapshot(`
      "test/fixtures/invalid/out-of-range.yaml:5:20 error OUT_OF_RANGE limits.handoffsPerTurn must be at least 1. Change it to at least 1.
          handoffsPerTurn: 0
                           ^"
    `);
  });

  it('says only to write some text for an empty required text, and to write some or remove the key for an optional one', () => {
    const text = 'version: 1\nname: desk\nroot: triage\nagents:\n  triage:\n    description: ""\n    prompt: ""\n    escalate: [person]\n  person: { kind: human, description: A person. }\nmodels:\n  fast: { provider: openai, name: "" }\n';
    expect(showIssues(text, lintTreeText(text, 'desk.yaml'))).toMatchInlineSnapshot(`
      "desk.yaml:6:18 error OUT_OF_RANGE agents.triage.description is empty. Write some text.
            description: ""
                         ^
      desk.yaml:7:13 error OUT_OF_RANGE agents.triage.prompt is empty. Write some text.
            prompt: ""
                    ^
      desk.yaml:11:35 error OUT_OF_RANGE models.fast.name is empty. Write some text, or remove the key.
          fast: { provider: openai, name: "" }
                                          ^"
    `);
  });

  it('reports NUMBER_TOO_LARGE for a timeout Node.js would fire after 1 ms, with the maximum and why', () => {
    expect(lintFixture('number-too-large')).toMatchInlineSnapshot(`
      "test/fixtures/invalid/number-too-large.yaml:5:59 error NUMBER_TOO_LARGE models.slow.timeoutMs is 2147483648; it must be at most 600,000. Change it to at most 600,000. A model call that takes longer has failed anyway, and Node.js fires a timer set over 2147483647 ms after 1 ms.
          slow: { provider: openai, name: gpt-4o-mini, timeoutMs: 2147483648 }
                                                                  ^"
    `);
  });

  it('reports UNSUPPORTED_VERSION at the version number', () => {
    expect(lintFixture('unsupported-version')).toMatchInlineSnapshot(`
      "test/fixtures/invalid/unsupported-version.yaml:1:10 error UNSUPPORTED_VERSION Tree format version 2 is not supported. Use version: 1 (the only version so far).
        version: 2
                 ^"
    `);
  });

  it('reports INVALID_NAME at the bad agent key and at the reference to it, with a valid name to use', () => {
    expect(lintFixture('invalid-name')).toMatchInlineSnapshot(`
      "test/fixtures/invalid/invalid-name.yaml:8:16 error INVALID_NAME "billing desk" (agents.triage.children[0]) is not a valid name: it contains a space; a name starts with a letter and has only letters, digits, "_" or "-" (48 at most). Rename it, e.g. "billing_desk".
            children: [billing desk]
                       ^
      test/fixtures/invalid/invalid-name.yaml:9:3 error INVALID_NAME "billing desk" is not a valid name: it contains a space; a name starts with a letter and has only letters, digits, "_" or "-" (48 at most). Rename it, e.g. "billing_desk".
          billing desk:
          ^"
    `);
  });

  it('reports RESERVED_NAME for an agent called end, which would break LangGraph and Mermaid, at its key and where it is listed', () => {
    expect(lintFixture('reserved-name')).toMatchInlineSnapshot(`
      "test/fixtures/invalid/reserved-name.yaml:8:16 error RESERVED_NAME "end" (agents.triage.children[0]) is a reserved name (it breaks LangGraph or Mermaid). Rename it, e.g. "end_desk".
            children: [end]
                       ^
      test/fixtures/invalid/reserved-name.yaml:9:3 error RESERVED_NAME "end" is a reserved name (it breaks LangGraph or Mermaid). Rename it, e.g. "end_desk".
          end:
          ^"
    `);
  });

  it('reports NAME_COLLISION for an agent named like a channel of the shared state, which LangGraph refuses', () => {
    expect(lintFixture('name-collision')).toMatchInlineSnapshot(`
      "test/fixtures/invalid/name-collision.yaml:9:3 error NAME_COLLISION The agent "turn" collides with the shared state's channel "turn". Rename it, e.g. "turn_desk".
          turn:
          ^"
    `);
  });

  it('reports DUPLICATE_AGENT at the second definition of an agent', () => {
    expect(lintFixture('duplicate-agent')).toMatchInlineSnapshot(`
      "test/fixtures/invalid/duplicate-agent.yaml:16:3 error DUPLICATE_AGENT The agent "billing" is defined twice (first on line 9). Rename one of them, or merge the two definitions into one.
          billing:
          ^"
    `);
  });

  it('reports DUPLICATE_TOOL_NAME once, at the later of the two handoff tool names in the file', () => {
    // triage hands off to sales first, but billing's name comes first in the file: sales's is the duplicate.
    expect(lintFixture('duplicate-tool-name')).toMatchInlineSnapshot(`
      "test/fixtures/invalid/duplicate-tool-name.yaml:25:22 error DUPLICATE_TOOL_NAME "triage" has two tools named "transfer_to_desk" (the handoff to "billing" and the handoff to "sales"). Rename one with handoff.tool on the target agent, or rename the function tool.
            handoff: { tool: transfer_to_desk }
                             ^"
    `);
  });

  it('points DUPLICATE_TOOL_NAME at a function tool named like a handoff when the tools: list comes later in the file', () => {
    const text = [
      'version: 1',
      'name: desk',
      'root: triage',
      'agents:',
      '  billing:',
      '    description: Charges and refunds.',
      '    prompt: You are the billing specialist.',
      '    escalate: [person]',
      '  person:',
      '    kind: human',
      '    description: A person on the billing team.',
      '  triage:',
      '    description: Front desk.',
      '    prompt: Route billing questions to billing.',
      '    children: [billing]',
      '    tools: [lookup_invoice, transfer_to_billing]',
      '',
    ].join('\n');
    expect(showIssues(text, lintTreeText(text, 'desk.yaml', { tools: ['lookup_invoice', 'transfer_to_billing'] }))).toMatchInlineSnapshot(`
      "desk.yaml:16:29 error DUPLICATE_TOOL_NAME "triage" has two tools named "transfer_to_billing" (the handoff to "billing" and function tool "transfer_to_billing"). Rename one with handoff.tool on the target agent, or rename the function tool.
            tools: [lookup_invoice, transfer_to_billing]
                                    ^"
    `);
  });

  it('points DUPLICATE_TOOL_NAME at the agent whose default handoff name clashes when that agent comes later in the file', () => {
    const text = [
      'version: 1',
      'name: desk',
      'root: triage',
      'agents:',
      '  triage:',
      '    description: Front desk.',
      '    prompt: Route billing questions to billing.',
      '    tools: [transfer_to_billing]',
      '    children: [technical, billing]',
      '  technical:',
      '    description: Bugs and outages.',
      '    prompt: You are the technical specialist.',
      '    escalate: [person]',
      '  person:',
      '    kind: human',
      '    description: A person on the support team.',
      '  billing:',
      '    description: Charges and refunds.',
      '    prompt: You are the billing specialist.',
      '    escalate: [person]',
      '',
    ].join('\n');
    expect(showIssues(text, lintTreeText(text, 'desk.yaml', { tools: ['transfer_to_billing'] }))).toMatchInlineSnapshot(`
      "desk.yaml:17:3 error DUPLICATE_TOOL_NAME "triage" has two tools named "transfer_to_billing" (function tool "transfer_to_billing" and the handoff to "billing"). Rename one with handoff.tool on the target agent, or rename the function tool.
          billing:
          ^"
    `);
  });

  it('reports UNKNOWN_AGENT at the reference with "did you mean", and no echo errors', () => {
    expect(lintFixture('unknown-agent')).toMatchInlineSnapshot(`
      "test/fixtures/invalid/unknown-agent.yaml:8:16 error UNKNOWN_AGENT "biling" is not an agent. Did you mean "billing"? Agents: triage, billing, person.
            children: [biling]
                       ^"
    `);
  });

  it('reports UNKNOWN_TOOL at the tool name with the closest registered tool', () => {
    expect(lintFixture('unknown-tool')).toMatchInlineSnapshot(`
      "test/fixtures/invalid/unknown-tool.yaml:12:29 error UNKNOWN_TOOL "issue_refunds" is not a registered tool. Did you mean "issue_refund"? Registered tools: lookup_invoice, issue_refund, fetch_call_log, book_demo, schedule_appointment, check_insurance, lookup_balance, create_invoice, capture_voicemail, send_sms, book_callback, route_emergency, log_missed_call.
            tools: [lookup_invoice, issue_refunds]
                                    ^"
    `);
  });

  it('reports UNKNOWN_MODEL at the model name with the closest declared model', () => {
    expect(lintFixture('unknown-model')).toMatchInlineSnapshot(`
      "test/fixtures/invalid/unknown-model.yaml:10:12 error UNKNOWN_MODEL "smal" is not a model of this tree. Did you mean "small"? Declare it under models:, or use one of: small, offline.
            model: smal
                   ^"
    `);
  });

  it('reports API_KEY_ENV_NOT_ALLOWED for a model that would send PGPASSWORD to its endpoint', () => {
    expect(lintFixture('api-key-env-not-allowed')).toMatchInlineSnapshot(`
      "test/fixtures/invalid/api-key-env-not-allowed.yaml:9:16 error API_KEY_ENV_NOT_ALLOWED models.local.apiKeyEnv names PGPASSWORD, which is not an API key variable: the model would send its value to https://models.example.com/v1. Name a variable ending in _API_KEY (such as OPENAI_API_KEY), or allow it in code: loadTree(path, { allowedKeyEnv: ['PGPASSWORD'] }).
            apiKeyEnv: PGPASSWORD
                       ^"
    `);
  });

  it('reports BASE_URL_NOT_HTTP for a file:// endpoint', () => {
    expect(lintFixture('base-url-not-http')).toMatchInlineSnapshot(`
      "test/fixtures/invalid/base-url-not-http.yaml:5:58 error BASE_URL_NOT_HTTP models.local.baseURL is the text "file:///etc/passwd"; it must be an http:// or https:// URL. Write the endpoint of an OpenAI-compatible server, such as http://127.0.0.1:11434/v1 or https://api.openai.com/v1: the model sends its API key there.
          local: { provider: openai, name: gpt-4o-mini, baseURL: 'file:///etc/passwd' }
                                                                 ^"
    `);
  });

  it('reports UNKNOWN_STATE_FIELD at sets: with the closest state field', () => {
    expect(lintFixture('unknown-state-field')).toMatchInlineSnapshot(`
      "test/fixtures/invalid/unknown-state-field.yaml:17:59 error UNKNOWN_STATE_FIELD "priorty" is not a state field. Did you mean "priority"? Declare it under state: (fields: priority).
                urgency: { type: enum, values: [low, high], sets: priorty }
                                                                  ^"
    `);
  });

  it('reports SETS_TYPE_MISMATCH when a payload field cannot be stored in its state field', () => {
    expect(lintFixture('sets-type-mismatch')).toMatchInlineSnapshot(`
      "test/fixtures/invalid/sets-type-mismatch.yaml:17:40 error SETS_TYPE_MISMATCH Payload field "urgency" (number) cannot be stored in state field "priority" (enum low|high). Give both the same type (and, for enums, values the state field allows).
                urgency: { type: number, sets: priority }
                                               ^"
    `);
  });

  it('reports SETS_TYPE_MISMATCH when a payload field names a value (an enum value, a default) its state field cannot hold', () => {
    const text = `version: 1
name: desk
root: triage
state:
  code: { type: string, maxLength: 4 }
  amount: { type: number, min: 0, max: 10 }
agents:
  triage: { description: Front desk., prompt: Route., children: [billing], escalate: [person] }
  billing:
    description: Billing.
    prompt: Bills.
    handoff:
      payload:
        code: { type: enum, values: [short, ok], sets: code }
        amount: { type: number, default: 50, sets: amount }
  person: { kind: human, description: A person. }
`;
    expect(showIssues(text, lintTreeText(text, 'desk.yaml'))).toMatchInlineSnapshot(`
      "desk.yaml:14:56 error SETS_TYPE_MISMATCH Payload field "code" can hold "short", which state field "code" (string of at most 4 characters) cannot. Keep the payload field's values within the state field's limits.
                code: { type: enum, values: [short, ok], sets: code }
                                                               ^
      desk.yaml:15:52 error SETS_TYPE_MISMATCH Payload field "amount" can hold 50, which state field "amount" (number from 0 to 10) cannot. Keep the payload field's values within the state field's limits.
                amount: { type: number, default: 50, sets: amount }
                                                           ^"
    `);
  });

  it('reports INVALID_RANGE, DUPLICATE_VALUE and APPROVAL_CONFLICT where they are', () => {
    expect(lintFixture('invalid-range')).toMatchInlineSnapshot(`
      "test/fixtures/invalid/invalid-range.yaml:5:26 error INVALID_RANGE retry.initialDelayMs (9000) is greater than retry.maxDelayMs (100): every retry would wait the most. Make initialDelayMs the smaller of the two.
        retry: { initialDelayMs: 9000, maxDelayMs: 100 }
                                 ^
      test/fixtures/invalid/invalid-range.yaml:7:32 error INVALID_RANGE "refund" has min 10 above max 5: no value fits. Swap them, or correct the one that is wrong.
          refund: { type: number, min: 10, max: 5 }
                                       ^"
    `);
    expect(lintFixture('duplicate-value')).toMatchInlineSnapshot(`
      "test/fixtures/invalid/duplicate-value.yaml:6:46 error DUPLICATE_VALUE "gold" is listed twice in the values of "tier". Remove the repeat.
          tier: { type: enum, values: [gold, silver, gold] }
                                                     ^"
    `);
    expect(lintFixture('approval-conflict')).toMatchInlineSnapshot(`
      "test/fixtures/invalid/approval-conflict.yaml:15:26 error APPROVAL_CONFLICT "billing" has approval: required and handoff.approval: none, which say different things (handoff.approval would win). Keep one of them: approval: required and handoff: { approval: required } mean the same.
            handoff: { approval: none }
                                 ^"
    `);
  });

  it('names the bad entry of an approval: mapping and every choice of a union (a number or "all")', () => {
    const text = `version: 1
name: desk
root: triage
agents:
  triage:
    description: Front desk.
    prompt: Route.
    children: [billing]
    escalate: [person]
    approval: { billing: required, person: maybe }
    history: { turns: six }
  billing: { description: Billing., prompt: Bills., history: { turns: true } }
  person: { kind: human, description: A person. }
`;
    expect(showIssues(text, lintTreeText(text, 'desk.yaml'))).toMatchInlineSnapshot(`
      "desk.yaml:10:44 error INVALID_VALUE agents.triage.approval.person is the text "maybe"; it must be one of "required", "none". Write one of these values.
            approval: { billing: required, person: maybe }
                                                   ^
      desk.yaml:11:23 error INVALID_VALUE agents.triage.history.turns is the text "six"; it must be a number or "all". Write a number or "all".
            history: { turns: six }
                              ^
      desk.yaml:12:71 error INVALID_TYPE agents.billing.history.turns is the boolean true; it must be a number or "all". Write a number or "all".
          billing: { description: Billing., prompt: Bills., history: { turns: true } }
                                                                              ^"
    `);
  });

  it('refuses text that was not UTF-8 (read as U+FFFD) and old Mac line endings, where they are', () => {
    const latin1 = Buffer.from('version: 1\nname: desk\nroot: triage\nagents:\n  triage: { description: "caf\xe9", prompt: x }\n', 'latin1').toString('utf8');
    expect(showIssues(latin1, lintTreeText(latin1, 'desk.yaml'))).toMatchInlineSnapshot(`
      "desk.yaml:3:7 warning NO_HUMAN_ESCALATION No conversation can reach a person: the tree has no path to a kind: human agent. Add a kind: human agent and list it under escalate: (or as the tree escalation:).
        root: triage
              ^
      desk.yaml:5:30 error YAML_SYNTAX The file is not UTF-8 text here: a byte could not be read (U+FFFD, the replacement character, stands in for it). Save the tree as UTF-8 (editors call it "UTF-8" or "Unicode"); Windows-1252 and Latin-1 are not read.
          triage: { description: "caf�", prompt: x }
                                     ^"
    `);
    const mac = 'version: 1\rname: desk\rroot: triage\r';
    expect(lintTreeText(mac, 'desk.yaml').map(formatIssue)).toMatchInlineSnapshot(`
      [
        "desk.yaml:1:11 error YAML_SYNTAX The lines of this file end with CR alone (old Mac line endings), which YAML reads as one line. Save it with LF (or CRLF) line endings.",
      ]
    `);
  });

  it('reports every byte that is not UTF-8, and the problems of the rest of the tree beside them', () => {
    const latin1 = Buffer.from('version: 1\nname: desk\nroot: triage\nagents:\n  triage:\n    description: Caf\xe9 front desk.\n    prompt: Route \xe0 la carte.\n    children: [billng]\n    escalate: [person]\n  billing: { description: Na\xefve billing., prompt: Bill. }\n  person: { kind: human, description: A person. }\n', 'latin1').toString('utf8');
    expect(showIssues(latin1, lintTreeText(latin1, 'desk.yaml'))).toMatchInlineSnapshot(`
      "desk.yaml:6:21 error YAML_SYNTAX The file is not UTF-8 text here: a byte could not be read (U+FFFD, the replacement character, stands in for it). Save the tree as UTF-8 (editors call it "UTF-8" or "Unicode"); Windows-1252 and Latin-1 are not read.
            description: Caf� front desk.
                            ^
      desk.yaml:7:19 error YAML_SYNTAX The file is not UTF-8 text here: a byte could not be read (U+FFFD, the replacement character, stands in for it). Save the tree as UTF-8 (editors call it "UTF-8" or "Unicode"); Windows-1252 and Latin-1 are not read.
            prompt: Route � la carte.
                          ^
      desk.yaml:8:16 error UNKNOWN_AGENT "billng" is not an agent. Did you mean "billing"? Agents: triage, billing, person.
            children: [billng]
                       ^
      desk.yaml:10:29 error YAML_SYNTAX The file is not UTF-8 text here: a byte could not be read (U+FFFD, the replacement character, stands in for it). Save the tree as UTF-8 (editors call it "UTF-8" or "Unicode"); Windows-1252 and Latin-1 are not read.
          billing: { description: Na�ve billing., prompt: Bill. }
                                    ^"
    `);
  });

  it('reports the first few bytes that are not UTF-8, then how many more there are', () => {
    const garbled = Buffer.from(`version: 1\nname: desk\nroot: triage\nagents:\n  triage: { description: "${'\xe9'.repeat(40)}", prompt: x, escalate: [person] }\n  person: { kind: human, description: A person. }\n`, 'latin1').toString('utf8');
    expect(lintTreeText(garbled, 'desk.yaml').map((issue) => `${issue.line}:${issue.column} ${issue.code} ${issue.message}`)).toMatchInlineSnapshot(`
      [
        "5:27 YAML_SYNTAX The file is not UTF-8 text here: a byte could not be read (U+FFFD, the replacement character, stands in for it).",
        "5:28 YAML_SYNTAX The file is not UTF-8 text here: a byte could not be read (U+FFFD, the replacement character, stands in for it).",
        "5:29 YAML_SYNTAX The file is not UTF-8 text here: a byte could not be read (U+FFFD, the replacement character, stands in for it).",
        "5:30 YAML_SYNTAX The file is not UTF-8 text here: a byte could not be read (U+FFFD, the replacement character, stands in for it).",
        "5:31 YAML_SYNTAX The file is not UTF-8 text here: a byte could not be read (U+FFFD, the replacement character, stands in for it).",
        "5:32 YAML_SYNTAX The file is not UTF-8 text in 35 more places, from here on.",
      ]
    `);
  });

  it('refuses a model of models: named offline, which the built-in offline model would shadow', () => {
    const text = `version: 1
name: desk
root: triage
models:
  offline: { provider: openai, name: gpt-4o-mini }
defaults: { model: offline }
agents:
  triage: { description: Front desk., prompt: Route., escalate: [person] }
  person: { kind: human, description: A person. }
`;
    expect(showIssues(text, lintTreeText(text, 'desk.yaml'))).toMatchInlineSnapshot(`
      "desk.yaml:5:3 error RESERVED_NAME "offline" names the built-in offline model; a model of models: under that name would never be used. Rename it, e.g. "openai-main", and use that name in defaults: and agents.
          offline: { provider: openai, name: gpt-4o-mini }
          ^"
    `);
  });

  it('says which limit an offline payload value breaks', () => {
    const text = `version: 1
name: desk
root: triage
agents:
  triage: { description: Front desk., prompt: Route., children: [billing], escalate: [person] }
  billing:
    description: Billing.
    prompt: Bills.
    handoff: { payload: { amount: { type: number, min: 1, max: 5 } } }
    offline: { keywords: [bill], payload: { amount: 12 } }
  person: { kind: human, description: A person. }
`;
    expect(showIssues(text, lintTreeText(text, 'desk.yaml'))).toMatchInlineSnapshot(`
      "desk.yaml:10:53 error INVALID_VALUE offline.payload.amount is 12, which the payload field "amount" (number from 1 to 5) does not accept. Use a number from 1 to 5: the offline model hands off with this value, and a refused payload never moves the conversation.
            offline: { keywords: [bill], payload: { amount: 12 } }
                                                            ^"
    `);
  });

  it('reports SETS_BACKEND_FIELD at a sets: into a field backend code owns', () => {
    expect(lintFixture('sets-backend-field')).toMatchInlineSnapshot(`
      "test/fixtures/invalid/sets-backend-field.yaml:17:77 error SETS_BACKEND_FIELD Payload field "account" sets state field "customer_id", which only backend code may write: it is marked owner: backend. Remove sets: customer_id. Backend code sets "customer_id" (runTurn fields:), from the authenticated session; a model must not be able to change it.
                account: { type: string, description: The customer's account, sets: customer_id }
                                                                                    ^"
    `);
  });

  it('reports INVALID_DEFAULT at an enum default that is not one of the values', () => {
    expect(lintFixture('invalid-default')).toMatchInlineSnapshot(`
      "test/fixtures/invalid/invalid-default.yaml:5:65 error INVALID_DEFAULT The default "urgent" is not one of low, medium, high. Change the default to one of the values, or add "urgent" to values:.
          priority: { type: enum, values: [low, medium, high], default: urgent }
                                                                        ^"
    `);
  });

  it('reports INVALID_PATTERN at an offline pattern that is not a regular expression', () => {
    expect(lintFixture('invalid-pattern')).toMatchInlineSnapshot(`
      "test/fixtures/invalid/invalid-pattern.yaml:14:18 error INVALID_PATTERN "refund (please" is not a valid regular expression (Invalid regular expression: /refund (please/i: Unterminated group). Escape special characters such as ( [ + ? with a backslash.
              patterns: ['refund (please']
                         ^"
    `);
  });

  it('reports UNSUPPORTED_PATTERN for a backreference, which the linear-time engine has not', () => {
    expect(lintFixture('unsupported-pattern')).toMatchInlineSnapshot(`
      "test/fixtures/invalid/unsupported-pattern.yaml:14:18 error UNSUPPORTED_PATTERN "(charged)\\s+\\1" is a regular expression RE2 cannot run (invalid escape sequence: \`\\1\`). The offline model matches with RE2, in linear time: it has no backreferences. Repeat the group instead, or list the words under keywords:.
              patterns: ['(charged)\\s+\\1']
                         ^"
    `);
  });

  it('reports MISSING_PROMPT at an agent without a prompt', () => {
    expect(lintFixture('missing-prompt')).toMatchInlineSnapshot(`
      "test/fixtures/invalid/missing-prompt.yaml:9:3 error MISSING_PROMPT The agent "billing" has no prompt. Add prompt: with its instructions (a person needs none: kind: human).
          billing:
          ^"
    `);
  });

  it('reports WRONG_AGENT_KIND at a key that means nothing for a person', () => {
    expect(lintFixture('wrong-agent-kind')).toMatchInlineSnapshot(`
      "test/fixtures/invalid/wrong-agent-kind.yaml:16:5 error WRONG_AGENT_KIND "person" is a human; tools has no meaning for a person. Remove tools, or make it kind: agent.
            tools: [lookup_invoice]
            ^"
    `);
  });

  it("reports MULTIPLE_PARENTS at the second parent's children entry", () => {
    expect(lintFixture('multiple-parents')).toMatchInlineSnapshot(`
      "test/fixtures/invalid/multiple-parents.yaml:16:16 error MULTIPLE_PARENTS "billing" is a child of both "triage" and "sales". An agent has one parent: keep it under one, and use escalate: or sideways: for the other edge.
            children: [billing]
                       ^"
    `);
  });

  it('reports TREE_CYCLE, with the loop, where an agent lists its own ancestor as a child', () => {
    expect(lintFixture('tree-cycle')).toMatchInlineSnapshot(`
      "test/fixtures/invalid/tree-cycle.yaml:17:16 error TREE_CYCLE "refunds" lists its own ancestor "billing" as a child: billing → refunds → billing is a loop. Remove "billing" from this list; to send a conversation back up, hand back or escalate instead.
            children: [billing]
                       ^"
    `);
  });

  it('reports SELF_REFERENCE where an agent escalates to itself', () => {
    expect(lintFixture('self-reference')).toMatchInlineSnapshot(`
      "test/fixtures/invalid/self-reference.yaml:12:16 error SELF_REFERENCE "billing" lists itself in escalate. Remove it from the list.
            escalate: [billing, person]
                       ^"
    `);
  });

  it("reports UNREACHABLE_AGENT for an agent that only a person's hand-back could reach", () => {
    expect(lintFixture('unreachable-agent')).toMatchInlineSnapshot(`
      "test/fixtures/invalid/unreachable-agent.yaml:13:3 error UNREACHABLE_AGENT No conversation can reach "sales" from the root "triage". List it under children: of an agent (or escalate:, helpers:, fallback:), or remove it.
          sales:
          ^"
    `);
  });

  it('reports SIDEWAYS_NOT_ALLOWED for a sideways handoff to an agent that is not a sibling', () => {
    expect(lintFixture('sideways-not-allowed')).toMatchInlineSnapshot(`
      "test/fixtures/invalid/sideways-not-allowed.yaml:17:16 error SIDEWAYS_NOT_ALLOWED "sales" is not a sibling of "refunds", so a sideways handoff to it is not allowed. To reach an agent elsewhere in the tree, list it under escalate:.
            sideways: [sales]
                       ^"
    `);
  });

  it('reports DEAD_END at handback: false when the agent has no way to a person either', () => {
    expect(lintFixture('dead-end')).toMatchInlineSnapshot(`
      "test/fixtures/invalid/dead-end.yaml:16:5 error DEAD_END "sales" is a dead end: it cannot hand back to "triage" and has no escalation path to a person. Remove handback: false, or add escalate: [person].
            handback: false
            ^"
    `);
  });

  it('warns NO_HUMAN_ESCALATION when no conversation can reach a person', () => {
    expect(lintFixture('no-human-escalation')).toMatchInlineSnapshot(`
      "test/fixtures/invalid/no-human-escalation.yaml:3:7 warning NO_HUMAN_ESCALATION No conversation can reach a person: the tree has no path to a kind: human agent. Add a kind: human agent and list it under escalate: (or as the tree escalation:).
        root: triage
              ^"
    `);
  });

  it('warns TOO_MANY_TARGETS for more than 5 handoff targets', () => {
    expect(lintFixture('too-many-targets')).toMatchInlineSnapshot(`
      "test/fixtures/invalid/too-many-targets.yaml:5:3 warning TOO_MANY_TARGETS "triage" can hand off to 7 agents (billing, sales, technical, shipping, returns, accounts, person); routing accuracy drops beyond 5. Group some targets under a lead (a second triage level).
          triage:
          ^"
    `);
  });

  it("does not warn TOO_MANY_TARGETS for a person: a person's hand-backs are a person's choice, not a model's routing", () => {
    // Five desks escalate to the person, who may hand back to each of them and to the root: six targets.
    const desks = ['billing', 'sales', 'technical', 'shipping', 'returns'];
    const text = `version: 1\nname: desk\nroot: triage\nagents:\n  triage: { description: d, prompt: p, children: [${desks.join(', ')}] }\n${desks.map((name) => `  ${name}: { description: d, prompt: p, escalate: [person] }\n`).join('')}  person: { kind: human, description: A person. }\n`;
    expect(lintTreeText(text, 'desk.yaml').map(formatIssue)).toEqual([]);
  });

  it('reports UNUSED_OFFLINE_TOOL for an offline hint about a tool the agent cannot call', () => {
    expect(lintFixture('unused-offline-tool')).toMatchInlineSnapshot(`
      "test/fixtures/invalid/unused-offline-tool.yaml:16:9 error UNUSED_OFFLINE_TOOL offline.tools names "issue_refund", which "billing" cannot call. Add it to tools:, or remove the hint.
                issue_refund: { keywords: [refund], args: { invoice_id: INV-1001, amount: 10 } }
                ^"
    `);
  });

  it('shows an invisible character in a name as \\u{…}, and names it', () => {
    const text =
      'version: 1\nname: desk\nroot: triage\nagents:\n  triage:\n    description: Front desk.\n    prompt: Route.\n    children: [bill\u200Bing]\n';
    expect(showIssues(text, lintTreeText(text, 'desk.yaml'))).toMatchInlineSnapshot(`
      "desk.yaml:3:7 warning NO_HUMAN_ESCALATION No conversation can reach a person: the tree has no path to a kind: human agent. Add a kind: human agent and list it under escalate: (or as the tree escalation:).
        root: triage
              ^
      desk.yaml:8:16 error INVALID_NAME "bill\\u{200B}ing" (agents.triage.children[0]) is not a valid name: it contains "\\u{200B}" (U+200B); a name starts with a letter and has only letters, digits, "_" or "-" (48 at most). Rename it, e.g. "billing".
            children: [bill?ing]
                       ^"
    `);
  });

  it('reports an offline payload value that the payload field refuses as INVALID_VALUE', () => {
    const text = readFixture('test/fixtures/invalid/unknown-state-field.yaml').replace(
      'sets: priorty }',
      'sets: priority }\n    offline: { payload: { urgency: urgent } }',
    );
    expect(showIssues(text, lintTreeText(text, 'desk.yaml'))).toMatchInlineSnapshot(`
      "desk.yaml:18:36 error INVALID_VALUE offline.payload.urgency is "urgent", which the payload field "urgency" (enum low|high) does not accept. Use one of low, high: the offline model hands off with this value, and a refused payload never moves the conversation.
            offline: { payload: { urgency: urgent } }
                                           ^"
    `);
  });

  it('points a missing field of the tree at the top of the file and says what to write', () => {
    const text = 'name: desk\nroot: triage\nagents:\n  triage: { description: Front desk., prompt: Route. }\n';
    expect(showIssues(text, lintTreeText(text, 'desk.yaml'))).toMatchInlineSnapshot(`
      "desk.yaml:1:1 error MISSING_FIELD version is required. Add version: 1 at the top of the file.
        name: desk
        ^
      desk.yaml:2:7 warning NO_HUMAN_ESCALATION No conversation can reach a person: the tree has no path to a kind: human agent. Add a kind: human agent and list it under escalate: (or as the tree escalation:).
        root: triage
              ^"
    `);
  });
});
