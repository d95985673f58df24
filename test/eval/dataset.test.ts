import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parseTree } from '../../config/load.js';
import { loadDataset, parseDataset } from '../../eval/dataset.js';
import { DatasetError, formatDatasetIssue } from '../../eval/dataset-error.js';
import type { DatasetOptions } from '../../eval/dataset.js';
import { datasetJsonSchemaText } from '../../eval/json-schema.js';
import { EXAMPLES } from '../helpers.js';
import { datasetPath, loadExample } from './helpers.js';

const support = await loadExample('support');
const hybrid = await loadExample('hybrid');

/** The formatted issues of a dataset text that must fail. */
function problems(text: string, file = 'cases.yaml', options: DatasetOptions = { trees: [support] }): string[] {
  try {
    parseDataset(text, file, options);
  } catch (error) {
    if (error instanceof DatasetError) return error.issues.map(formatDatasetIssue);
    throw error;
  }
  throw new Error('the dataset was accepted');
}

describe('parseDataset() with YAML', () => {
  it('turns single-message and multi-turn cases into turns with expectations', () => {
    const dataset = parseDataset(
      `version: 1
name: smoke
fields: { customer_id: cus_1, department: sales }
cases:
  - message: Why was I charged $99 twice in May?
    agent: billing
    path: [triage, billing]
    payload: { amount: 99 }
    tags: [seed-002]
  - id: topic-change
    fields: { department: billing }
    turns:
      - message: My invoice is wrong
      - message: Also, can I get a demo?
        agent: sales
`,
      'smoke.yaml',
      { trees: [support] },
    );

    expect(dataset.name).toBe('smoke');
    expect(dataset.cases).toEqual([
      {
        id: 'case-1',
        line: 5,
        turnLines: [5],
        turns: [
          {
            message: 'Why was I charged $99 twice in May?',
            expect: { agent: 'billing', path: ['triage', 'billing'], payload: { amount: 99 } },
          },
        ],
        fields: { customer_id: 'cus_1', department: 'sales' },
        tags: ['seed-002'],
        note: undefined,
      },
      {
        id: 'topic-change',
        line: 10,
        turnLines: [13, 14],
        turns: [
          { message: 'My invoice is wrong', expect: undefined },
          { message: 'Also, can I get a demo?', expect: { agent: 'sales', path: undefined, payload: undefined } },
        ],
        fields: { customer_id: 'cus_1', department: 'billing' },
        tags: [],
        note: undefined,
      },
    ]);
  });

  it('names the dataset after its file when it has no name', () => {
    expect(parseDataset('version: 1\ncases:\n  - { message: hi, agent: triage }\n', 'eval/smoke-test.yaml').name).toBe('smoke-test');
  });

  it('checks only the format when no tree is given', () => {
    expect(parseDataset('version: 1\ncases:\n  - { message: hi, agent: nobody }\n').cases[0]?.turns[0]?.expect?.agent).toBe('nobody');
  });

  it('accepts a name that only the other tree knows when two trees are compared', () => {
    const text = 'version: 1\ncases:\n  - { message: hi, agent: technical_specialist }\n';
    expect(problems(text)).toHaveLength(1);
    expect(parseDataset(text, 'cases.yaml', { trees: [support, hybrid] }).cases).toHaveLength(1);
  });
});

describe('parseDataset() with JSONL', () => {
  it('reads one case a line, skipping blank lines, with ids from line numbers', () => {
    const dataset = parseDataset(
      '{"message": "My webhook returns 502 every 10 minutes.", "agent": "technical"}\n\n{"id": "two", "turns": [{"message": "hi"}, {"message": "refund please", "agent": "billing"}]}\n',
      'cases.jsonl',
      { trees: [support] },
    );

    expect(dataset.cases.map((testCase) => [testCase.id, testCase.line, testCase.turns.length])).toEqual([
      ['line-1', 1, 1],
      ['two', 3, 2],
    ]);
  });

  it('positions each problem on its line and column', () => {
    expect(
      problems(
        '{"message": "hi", "agent": "triage"}\n{"message": "x", agent: 1}\n{"message": "q", "agent": "biling", "fields": {"prio": 1}}\n{"id": "z", "turns": [{"message": "a"}], "agent": "billing"}\n',
        'cases.jsonl',
      ),
    ).toMatchInlineSnapshot(`
      [
        "cases.jsonl:2:18 error INVALID_JSON Line 2 is not valid JSON (Expected double-quoted property name). Each line of a JSONL dataset is one JSON object, e.g. {"message": "…", "agent": "billing"}.",
        "cases.jsonl:3:27 error UNKNOWN_AGENT "biling" is not an agent of "support". Did you mean "billing"? Agents: triage, billing, technical, sales, escalation_manager, human_agent.",
        "cases.jsonl:3:48 error UNKNOWN_FIELD "prio" is not a state field of "support". Fields: priority, department, customer_id.",
        "cases.jsonl:4:22 error MISSING_EXPECTATION turns: No turn of this case says which agent should answer, so nothing would be scored.",
        "cases.jsonl:4:42 error MISPLACED_EXPECTATION agent: In a multi-turn case \`agent:\` belongs to the turn it is about.",
      ]
    `);
  });
});

describe('loadDataset()', () => {
  it('reads a file and says so when it does not exist', async () => {
    await expect(loadDataset('nowhere/cases.yaml')).rejects.toThrow(
      /nowhere\/cases\.yaml:1:1 error FILE_NOT_FOUND The dataset file does not exist\./,
    );
  });

  it('refuses a file past the size limit before reading it whole (a device that never ends too)', async () => {
    await expect(loadDataset('/dev/zero')).rejects.toThrow(/\/dev\/zero:1:1 error FILE_TOO_LARGE The file is larger than 10000000 bytes\./);
  });

  it.each(EXAMPLES)('loads the %s dataset against its tree: at least 30 cases, some of them multi-turn', async (name) => {
    const dataset = await loadDataset(datasetPath(name), { trees: [await loadExample(name)] });

    expect(dataset.cases.length).toBeGreaterThanOrEqual(30);
    expect(dataset.cases.filter((testCase) => testCase.turns.length > 1).length).toBeGreaterThanOrEqual(5);
    expect(new Set(dataset.cases.map((testCase) => testCase.id)).size).toBe(dataset.cases.length);
  });

  it('ships the four rows of the seed article table in the support dataset, mapped to the tree agents', async () => {
    const dataset = await loadDataset(datasetPath('support'), { trees: [support] });
    const rows = dataset.cases
      .filter((testCase) => testCase.tags.includes('seed-002'))
      .map((testCase) => [testCase.turns[0]?.message, testCase.turns[0]?.expect?.agent]);

    expect(rows).toEqual([
      ['Why was I charged $99 twice in May?', 'billing'],
      ['My webhook returns 502 every 10 minutes.', 'technical'],
      ['Can I get a discount if I prepay annually?', 'sales'],
      ['How do I export call recordings?', 'technical'],
    ]);
  });
});

describe('dataset errors', () => {
  it('reports every problem at once, sorted by position', () => {
    expect(
      problems(`version: 1
cases:
  - message: Why was I charged twice?
    agent: biling
  - message: hi
  - id: a
    turns:
      - message: x
        agnt: billing
`),
    ).toMatchInlineSnapshot(`
      [
        "cases.yaml:4:12 error UNKNOWN_AGENT "biling" is not an agent of "support". Did you mean "billing"? Agents: triage, billing, technical, sales, escalation_manager, human_agent.",
        "cases.yaml:5:5 error MISSING_FIELD cases[1]: \`agent:\` is required: the agent expected to answer.",
        "cases.yaml:9:9 error UNKNOWN_KEY "agnt" is not a known key of cases[2].turns[0]. Did you mean "agent"? Known keys: message, agent, path, payload, approval.",
      ]
    `);
  });

  it('checks the agent names of a case the schema refused too, so they do not wait for the next run', () => {
    expect(
      problems(`version: 1
cases:
  - id: turn-unknown
    turns:
      - message: hi
        agent: nobody
      - message: there
        agent: salse
        path: [triage, sales]
  - id: empty
    turns:
      - message: ""
      - message: ok
        agent: bililng
`),
    ).toMatchInlineSnapshot(`
      [
        "cases.yaml:6:16 error UNKNOWN_AGENT "nobody" is not an agent of "support". Agents: triage, billing, technical, sales, escalation_manager, human_agent.",
        "cases.yaml:8:16 error UNKNOWN_AGENT "salse" is not an agent of "support". Did you mean "sales"? Agents: triage, billing, technical, sales, escalation_manager, human_agent.",
        "cases.yaml:9:24 error PATH_MISMATCH cases[0].turns[1].path[1]: The path ends at "sales" but the expected agent is "salse".",
        "cases.yaml:12:18 error OUT_OF_RANGE cases[1].turns[0].message must have at least 1 character. Write what the user says.",
        "cases.yaml:14:16 error UNKNOWN_AGENT "bililng" is not an agent of "support". Did you mean "billing"? Agents: triage, billing, technical, sales, escalation_manager, human_agent.",
      ]
    `);
  });

  it('has one message, position and hint per code', () => {
    const fixtures: [string, string][] = [
      ['EMPTY_FILE', '  \n'],
      ['YAML_SYNTAX', 'version: 1\ncases:\n  - message: "unclosed\n'],
      ['DUPLICATE_KEY', 'version: 1\ncases:\n  - message: hi\n    message: hello\n    agent: triage\n'],
      ['UNKNOWN_TAG', 'version: 1\ncases:\n  - message: !secret hi\n    agent: triage\n'],
      ['FORBIDDEN_KEY', 'version: 1\ncases:\n  - message: hi\n    agent: triage\n    __proto__: { polluted: true }\n'],
      ['UNKNOWN_KEY', 'version: 1\ncases:\n  - message: hi\n    agnet: triage\n'],
      ['MISSING_FIELD (no message)', 'version: 1\ncases:\n  - agent: triage\n'],
      ['MISSING_FIELD (no agent)', 'version: 1\ncases:\n  - message: hi\n'],
      ['MISSING_FIELD (cases)', 'version: 1\n'],
      ['INVALID_TYPE', 'version: 1\ncases:\n  - message: hi\n    agent: triage\n    path: triage\n'],
      ['INVALID_TYPE (payload value)', 'version: 1\ncases:\n  - message: hi\n    agent: billing\n    payload: { amount: [99] }\n'],
      ['INVALID_VALUE', 'version: 1\ncases:\n  - id: has spaces\n    message: hi\n    agent: triage\n'],
      ['OUT_OF_RANGE', 'version: 1\ncases: []\n'],
      ['UNSUPPORTED_VERSION', 'version: 2\ncases:\n  - { message: hi, agent: triage }\n'],
      ['CONFLICTING_KEYS', 'version: 1\ncases:\n  - message: hi\n    turns:\n      - { message: hi, agent: triage }\n'],
      ['MISPLACED_EXPECTATION', 'version: 1\ncases:\n  - agent: billing\n    turns:\n      - { message: refund, agent: billing }\n'],
      ['MISSING_EXPECTATION', 'version: 1\ncases:\n  - turns:\n      - message: hi\n      - message: refund\n'],
      ['PATH_MISMATCH', 'version: 1\ncases:\n  - message: refund\n    agent: billing\n    path: [triage, sales]\n'],
      [
        'DUPLICATE_CASE_ID',
        'version: 1\ncases:\n  - { id: a, message: hi, agent: triage }\n  - { id: a, message: refund, agent: billing }\n',
      ],
      ['UNKNOWN_AGENT', 'version: 1\ncases:\n  - message: refund\n    agent: billing\n    path: [triag, billing]\n'],
      ['UNKNOWN_FIELD', 'version: 1\nfields: { customer: cus_1 }\ncases:\n  - { message: hi, agent: triage }\n'],
      ['UNKNOWN_PAYLOAD_FIELD', 'version: 1\ncases:\n  - message: refund\n    agent: billing\n    payload: { priorty: high }\n'],
      ['NO_APPROVAL_GATE', 'version: 1\ncases:\n  - message: refund\n    agent: billing\n    approval: escalation_manager\n'],
    ];
    expect(Object.fromEntries(fixtures.map(([code, text]) => [code, problems(text)]))).toMatchInlineSnapshot(`
      {
        "CONFLICTING_KEYS": [
          "cases.yaml:4:5 error CONFLICTING_KEYS cases[0].turns: A case has either \`message:\` or \`turns:\`, not both.",
        ],
        "DUPLICATE_CASE_ID": [
          "cases.yaml:4:11 error DUPLICATE_CASE_ID The case id "a" is already used on line 3. Give each case its own id: reports and --against name cases by id.",
        ],
        "DUPLICATE_KEY": [
          "cases.yaml:4:5 error DUPLICATE_KEY The key "message" appears twice in the same mapping. Each key may appear once: remove or merge one of them.",
        ],
        "EMPTY_FILE": [
          "cases.yaml:1:1 error EMPTY_FILE The dataset file is empty. Add \`version: 1\` and \`cases:\` (YAML), or one case a line (JSONL).",
        ],
        "FORBIDDEN_KEY": [
          "cases.yaml:5:5 error FORBIDDEN_KEY The key "__proto__" is not allowed. Rename it: this key name is reserved by JavaScript.",
        ],
        "INVALID_TYPE": [
          "cases.yaml:5:11 error INVALID_TYPE cases[0].path must be a list, not the text "triage". Write a list, e.g. [triage, billing] or one "- item" per line.",
        ],
        "INVALID_TYPE (payload value)": [
          "cases.yaml:5:24 error INVALID_TYPE cases[0].payload.amount must be text, a number or true/false, not a list. Write a plain value; quote text that YAML would read as something else.",
        ],
        "INVALID_VALUE": [
          "cases.yaml:3:9 error INVALID_VALUE cases[0].id is "has spaces": it must be 1 to 80 letters, digits, "_", ".", ":" or "-".",
        ],
        "MISPLACED_EXPECTATION": [
          "cases.yaml:3:5 error MISPLACED_EXPECTATION cases[0].agent: In a multi-turn case \`agent:\` belongs to the turn it is about.",
        ],
        "MISSING_EXPECTATION": [
          "cases.yaml:4:7 error MISSING_EXPECTATION cases[0].turns: No turn of this case says which agent should answer, so nothing would be scored.",
        ],
        "MISSING_FIELD (cases)": [
          "cases.yaml:1:1 error MISSING_FIELD cases is required. Add cases: (a list).",
        ],
        "MISSING_FIELD (no agent)": [
          "cases.yaml:3:5 error MISSING_FIELD cases[0]: \`agent:\` is required: the agent expected to answer.",
        ],
        "MISSING_FIELD (no message)": [
          "cases.yaml:3:5 error MISSING_FIELD cases[0]: A case needs \`message:\` (one turn) or \`turns:\` (several turns on one thread).",
        ],
        "NO_APPROVAL_GATE": [
          "cases.yaml:5:15 error NO_APPROVAL_GATE No handoff of "support" from billing to escalation_manager waits for a person's approval, so the turn can never stop for it and the case can only fail. No handoff from billing waits for approval. Gate it in the tree: \`approval: required\` on escalation_manager (every handoff into it), or \`approval: { escalation_manager: required }\` on billing (this handoff only).",
        ],
        "OUT_OF_RANGE": [
          "cases.yaml:2:8 error OUT_OF_RANGE cases must have at least 1 item. Add at least one case.",
        ],
        "PATH_MISMATCH": [
          "cases.yaml:5:20 error PATH_MISMATCH cases[0].path[1]: The path ends at "sales" but the expected agent is "billing".",
        ],
        "UNKNOWN_AGENT": [
          "cases.yaml:5:12 error UNKNOWN_AGENT "triag" is not an agent of "support". Did you mean "triage"? Agents: triage, billing, technical, sales, escalation_manager, human_agent.",
        ],
        "UNKNOWN_FIELD": [
          "cases.yaml:2:11 error UNKNOWN_FIELD "customer" is not a state field of "support". Fields: priority, department, customer_id.",
        ],
        "UNKNOWN_KEY": [
          "cases.yaml:4:5 error UNKNOWN_KEY "agnet" is not a known key of cases[0]. Did you mean "agent"? Known keys: id, message, turns, agent, path, payload, approval, fields, tags, note.",
        ],
        "UNKNOWN_PAYLOAD_FIELD": [
          "cases.yaml:5:16 error UNKNOWN_PAYLOAD_FIELD No handoff of "support" carries a payload field "priorty". Did you mean "priority"? Handing off to billing carries: reason, priority, amount.",
        ],
        "UNKNOWN_TAG": [
          "cases.yaml:3:14 error UNKNOWN_TAG Unresolved tag: !secret Remove the tag: datasets hold plain text, numbers, booleans, lists and mappings.",
        ],
        "UNSUPPORTED_VERSION": [
          "cases.yaml:1:10 error UNSUPPORTED_VERSION Dataset format version 2 is not supported. Use version: 1.",
        ],
        "YAML_SYNTAX": [
          "cases.yaml:3:14 error YAML_SYNTAX The text quoted with " here is never closed. Add the closing " quote, or indent its continuation lines further than its key.",
        ],
      }
    `);
  });

  it('HELPER_CANNOT_ANSWER', () => {
    expect(problems('version: 1\ncases:\n  - { message: what is my balance, agent: account_lookup }\n', 'cases.yaml', { trees: [hybrid] }))
      .toMatchInlineSnapshot(`
      [
        "cases.yaml:3:43 error HELPER_CANNOT_ANSWER "account_lookup" is a helper: helpers are called as tools and never hold the conversation. Expect the agent that calls it instead.",
      ]
    `);
  });

  it('FILE_TOO_LARGE', () => {
    expect(problems(`version: 1\n# ${'x'.repeat(10_000_000)}\n`)).toMatchInlineSnapshot(`
      [
        "cases.yaml:1:1 error FILE_TOO_LARGE The file is larger than 10000000 bytes. Split the dataset.",
      ]
    `);
  });

  it('INVALID_JSON', () => {
    expect(problems('{"message": "hi", "agent": "triage"\n', 'cases.jsonl')).toMatchInlineSnapshot(`
      [
        "cases.jsonl:1:36 error INVALID_JSON Line 1 is not valid JSON (Expected ',' or '}' after property value). Each line of a JSONL dataset is one JSON object, e.g. {"message": "…", "agent": "billing"}.",
      ]
    `);
  });
});

/** A front desk, a billing specialist and a person only billing can escalate to (who declares no payload). */
const desk = parseTree(
  `version: 1
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
    handoff:
      payload:
        reason: { type: string }
  person:
    kind: human
    description: A person on the billing team.
`,
  'desk.yaml',
);

describe('dataset values and paths, checked against the tree', () => {
  it('refuses a state field value of the wrong type or outside its enum, at the value, with what to write', () => {
    expect(
      problems(`version: 1
fields: { customer_id: 42 }
cases:
  - message: I was charged twice
    agent: billing
    fields: { priority: urgent, department: billing }
  - message: I was charged twice
    agent: billing
    fields: { priority: critcal }
`),
    ).toEqual([
      'cases.yaml:2:24 error INVALID_TYPE The state field "customer_id" must be text, not the number 42. Quote it: "42".',
      'cases.yaml:6:25 error INVALID_VALUE The state field "priority" must be one of: low, medium, high, critical, not "urgent". Use one of: low, medium, high, critical.',
      'cases.yaml:9:25 error INVALID_VALUE The state field "priority" must be one of: low, medium, high, critical, not "critcal". Did you mean "critical"? Use one of: low, medium, high, critical.',
    ]);
  });

  it("checks the fields of a case the schema refused too (one run reports every problem)", () => {
    const found = problems(`version: 1
cases:
  - message: I was charged twice
    agent: billing
    tag: [billing]
    fields: { priority: urgent }
`);
    expect(found.some((line) => line.includes('UNKNOWN_KEY'))).toBe(true);
    expect(found).toContain('cases.yaml:6:25 error INVALID_VALUE The state field "priority" must be one of: low, medium, high, critical, not "urgent". Use one of: low, medium, high, critical.');
  });

  it('refuses an expected payload value the handoff payload schema would refuse (types and enums)', () => {
    expect(
      problems(`version: 1
cases:
  - message: I was charged $99 twice
    agent: billing
    path: [triage, billing]
    payload: { priority: urgent, amount: "99", reason: double charge }
  - message: I was charged $99 twice
    agent: billing
    payload: { priority: high, amount: 99, reason: true }
`),
    ).toEqual([
      'cases.yaml:6:26 error INVALID_VALUE The payload field "priority" must be one of: low, medium, high, critical, not "urgent". Use one of: low, medium, high, critical.',
      'cases.yaml:6:42 error INVALID_TYPE The payload field "amount" must be a number, not "99". Write it without quotes: 99.',
      'cases.yaml:9:52 error INVALID_TYPE The payload field "reason" must be text, not true. Quote it: "true".',
    ]);
  });

  it('accepts a value any of the compared trees takes', () => {
    const quoted = 'version: 1\nfields: { customer_id: "42" }\ncases:\n  - { message: hi, agent: triage, fields: { priority: high } }\n';
    expect(parseDataset(quoted, 'cases.yaml', { trees: [support] }).cases[0]?.fields).toEqual({ customer_id: '42', priority: 'high' });
  });

  it('says a missing version is missing, not unsupported', () => {
    expect(problems('cases:\n  - { message: hi, agent: triage }\n')).toEqual([
      'cases.yaml:1:1 error MISSING_FIELD version is required. Add version: 1 at the top of the file.',
    ]);
  });

  it('checks every step of a path, the last one too, with a suggestion', () => {
    expect(problems('version: 1\ncases:\n  - { message: refund, agent: billing, path: [triage, billng] }\n')).toEqual([
      'cases.yaml:3:55 error PATH_MISMATCH cases[0].path[1]: The path ends at "billng" but the expected agent is "billing".',
      'cases.yaml:3:55 error UNKNOWN_AGENT "billng" is not an agent of "support". Did you mean "billing"? Agents: triage, billing, technical, sales, escalation_manager, human_agent.',
    ]);
  });

  it('refuses a path with a step no edge of the tree allows: such a turn can only fail', () => {
    expect(problems('version: 1\ncases:\n  - { message: a person please, agent: person, path: [triage, person] }\n', 'cases.yaml', { trees: [desk] })).toEqual([
      'cases.yaml:3:63 error IMPOSSIBLE_PATH No edge of "desk" goes from triage to person, so a turn can never take this path and the case can only fail. From triage, control can move to: billing. Fix the path, or add the edge to the tree.',
    ]);
    // Handoffs, hand-backs, escalations, fallbacks and limit redirects are all edges.
    expect(parseDataset('version: 1\ncases:\n  - { message: refund, agent: person, path: [triage, billing, person] }\n', 'cases.yaml', { trees: [desk] }).cases).toHaveLength(1);
  });

  it('says a handoff to a person carries nothing when the person declares no payload', () => {
    expect(problems('version: 1\ncases:\n  - { message: a person please, agent: person, payload: { reasn: x } }\n', 'cases.yaml', { trees: [desk] })).toEqual([
      'cases.yaml:3:59 error UNKNOWN_PAYLOAD_FIELD No handoff of "desk" carries a payload field "reasn". Did you mean "reason"? Handing off to person carries nothing: a person takes only what its handoff.payload declares, and person declares none. Other handoffs carry: reason.',
    ]);
  });
});

describe('schema/dataset.schema.json', () => {
  it('is what the zod source generates (run `npx tsx scripts/write-dataset-schema.ts` after a change)', async () => {
    const committed = await readFile(new URL('../../schema/dataset.schema.json', import.meta.url), 'utf8');
    expect(committed).toBe(datasetJsonSchemaText());
  });
});
