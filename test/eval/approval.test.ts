/**
 * Cases that expect a turn to stop for a person's approval of a handoff (`approval: <agent>`): how
 * they are checked against the tree, scored, reported and compared.
 */
import { describe, expect, it } from 'vitest';
import { parseTree } from '../../config/load.js';
import { compareReports } from '../../eval/compare.js';
import { parseDataset } from '../../eval/dataset.js';
import type { DatasetOptions } from '../../eval/dataset.js';
import { DatasetError, formatDatasetIssue } from '../../eval/dataset-error.js';
import { formatComparison, formatReport } from '../../eval/format.js';
import type { EvalReport } from '../../eval/report.js';
import { runEval } from '../../eval/runner.js';
import { compileTree } from '../../graphs/compile.js';

/**
 * A front desk; sales behind a gate on every handoff into it (a paid line), and billing's own gate
 * on its handoff to the manager. The offline model hands off on its keywords, with these payloads.
 */
const GATED = `version: 1
name: gated
root: triage
agents:
  triage:
    description: Front desk.
    prompt: Route billing questions to billing and sales questions to sales.
    children: [billing, sales]
    offline: { reply: Hello! }
  billing:
    description: Charges and refunds.
    prompt: You are the billing specialist.
    children: [manager]
    approval: { manager: required }
    offline: { keywords: [refund], reply: Billing here. }
  sales:
    description: Plans and demos.
    prompt: You are sales.
    approval: required
    handoff:
      payload:
        plan: { type: enum, values: [pro, team] }
        reason: { type: string }
    offline: { keywords: [demo], reply: Sales here., payload: { plan: team } }
  manager:
    description: A manager who decides large refunds.
    prompt: You are the manager.
    handoff:
      payload:
        priority: { type: enum, values: [high, low] }
    offline: { keywords: [manager], reply: Manager here., payload: { priority: high } }
`;
const gated = parseTree(GATED, 'gated.yaml');
/** The same tree with no gate at all. */
const open = parseTree(GATED.replace('    approval: required\n', '').replace('    approval: { manager: required }\n', ''), 'open.yaml');

const DATASET = `version: 1
cases:
  - id: demo-waits
    message: a demo please
    agent: triage
    path: [triage]
    approval: sales
    payload: { plan: team }
  - id: demo-unexpected-wait
    message: a demo please
    agent: triage
  - id: refund-no-wait
    message: refund please
    agent: billing
    approval: manager
  - id: manager-waits
    turns:
      - { message: refund please, agent: billing }
      - message: I need a manager
        agent: billing
        path: [billing]
        approval: manager
        payload: { priority: low }
`;

async function run(tree = gated): Promise<EvalReport> {
  return runEval(compileTree(tree, { model: 'offline' }), parseDataset(DATASET, 'cases.yaml', { trees: [gated, open] }), {
    treeFile: `${tree.spec.name}.yaml`,
  });
}

describe('runEval() with cases that expect a wait for approval', () => {
  it('scores the wait: expected and met passes, an unexpected wait or a missing one fails on `approval`', async () => {
    const report = await run();
    const [demoWaits, unexpected, noWait, managerWaits] = report.results;

    expect(demoWaits?.turns[0]?.actual).toMatchObject({ agent: 'triage', path: ['triage'], status: 'waiting', approval: 'sales' });
    expect(demoWaits?.turns[0]?.checks).toEqual({ agent: true, path: true, payload: true, approval: true });
    expect(demoWaits?.passed).toBe(true);

    // Stopping for approval is not answering: the agent is right, the turn is not.
    expect(unexpected?.turns[0]?.actual).toMatchObject({ agent: 'triage', status: 'waiting', approval: 'sales' });
    expect(unexpected?.turns[0]?.checks).toEqual({ agent: true, approval: false });
    expect(unexpected?.passed).toBe(false);

    // Answered right away when a wait was expected.
    expect(noWait?.turns[0]?.actual).toMatchObject({ agent: 'billing', status: 'done', approval: undefined });
    expect(noWait?.turns[0]?.checks).toEqual({ agent: true, approval: false });
    expect(noWait?.passed).toBe(false);

    // A turn with no wait, expected or met, has no approval check.
    expect(managerWaits?.turns[0]?.checks).toEqual({ agent: true });
    expect(managerWaits?.turns[1]?.actual).toMatchObject({ agent: 'billing', path: ['billing'], status: 'waiting', approval: 'manager' });
    expect(report).toMatchObject({
      routing: { correct: 5, total: 5 },
      path: { correct: 2, total: 2 },
      payload: { correct: 1, total: 2 },
      approval: { correct: 2, total: 4 },
      cases: { correct: 1, total: 4 },
    });
  });

  it("counts the pending handoff's payload: the model chose it", async () => {
    const report = await run();
    const managerWaits = report.results[3]?.turns[1];
    expect(managerWaits?.actual.payload).toEqual({ priority: 'high' });
    expect(managerWaits?.actual.handoffs).toEqual([]);
    expect(managerWaits?.checks).toEqual({ agent: true, path: true, payload: false, approval: true });
    expect(report.results[0]?.turns[0]?.actual.payload).toMatchObject({ plan: 'team' });
  });

  it('lists the approval in the mismatches of the JSON report', async () => {
    const report = JSON.parse(JSON.stringify(await run())) as EvalReport;
    expect(report.approval).toEqual({ correct: 2, total: 4, rate: 0.5 });
    expect(report.mismatches).toEqual([
      {
        case: 'demo-unexpected-wait',
        line: 9,
        turn: 1,
        message: 'a demo please',
        failed: ['approval'],
        expected: { agent: 'triage' },
        actual: { agent: 'triage', path: ['triage'], payload: expect.objectContaining({ plan: 'team' }), approval: 'sales', status: 'waiting' },
      },
      {
        case: 'refund-no-wait',
        line: 12,
        turn: 1,
        message: 'refund please',
        failed: ['approval'],
        expected: { agent: 'billing', approval: 'manager' },
        actual: { agent: 'billing', path: ['triage', 'billing'], payload: {}, status: 'done' },
      },
      {
        case: 'manager-waits',
        line: 19,
        turn: 2,
        message: 'I need a manager',
        failed: ['payload'],
        expected: { agent: 'billing', path: ['billing'], approval: 'manager', payload: { priority: 'low' } },
        actual: { agent: 'billing', path: ['billing'], payload: { priority: 'high' }, approval: 'manager', status: 'waiting' },
      },
    ]);
    expect(report.results[0]?.turns[0]).toMatchObject({ actual: { approval: 'sales' }, checks: { approval: true } });
  });

  it('says what was expected of the wait and what happened, and scores approvals only when there are any', async () => {
    const text = formatReport(await run());
    expect(text).toContain('Approval match    2/4   50.0%');
    expect(text).toContain(
      [
        '✗ cases.yaml:9 demo-unexpected-wait turn 1 (approval): "a demo please"',
        '    expected triage, got triage via triage',
        '    expected no approval, got approval to sales',
        '✗ cases.yaml:12 refund-no-wait turn 1 (approval): "refund please"',
        '    expected billing, got billing via triage → billing',
        '    expected approval to manager, got none',
      ].join('\n'),
    );

    const plain = await runEval(
      compileTree(open, { model: 'offline' }),
      parseDataset('version: 1\ncases:\n  - { message: refund please, agent: billing }\n', 'plain.yaml', { trees: [open] }),
    );
    expect(plain.approval).toEqual({ correct: 0, total: 0, rate: null });
    expect(formatReport(plain)).not.toContain('Approval match');
  });

  it('compares two versions of a tree by the wait too', async () => {
    const before = await run(open);
    const after = await run(gated);
    // Without the gates sales answers the demo, and the manager takes the refund.
    expect(before.results[0]?.turns[0]?.actual).toMatchObject({ agent: 'sales', approval: undefined });
    expect(before.results[0]?.turns[0]?.checks?.approval).toBe(false);
    const changes = compareReports(before, after);
    expect(changes.map((change) => [change.case, change.turn, change.verdict])).toEqual([
      ['demo-waits', 1, 'fixed'],
      // Sales answered where triage was expected; now triage waits where it should answer: wrong both times.
      ['demo-unexpected-wait', 1, 'changed'],
      ['manager-waits', 2, 'fixed'],
    ]);
    expect(changes[0]?.after).toEqual({ agent: 'triage', path: ['triage'], approval: 'sales' });
    expect(formatComparison({ before, after, changes })).toContain(
      'fixed   cases.yaml:3 demo-waits turn 1: sales → triage (asks approval to sales) (expected triage)',
    );
  });
});

/** The formatted issues of a dataset text that must fail. */
function problems(text: string, options: DatasetOptions = { trees: [gated] }): string[] {
  try {
    parseDataset(text, 'cases.yaml', options);
  } catch (error) {
    if (error instanceof DatasetError) return error.issues.map(formatDatasetIssue);
    throw error;
  }
  throw new Error('the dataset was accepted');
}

describe('dataset errors of an expected wait for approval', () => {
  it('checks the target like an agent name, with a suggestion, at the value', () => {
    expect(problems('version: 1\ncases:\n  - { message: a demo, agent: triage, approval: salse }\n')).toEqual([
      'cases.yaml:3:49 error UNKNOWN_AGENT "salse" is not an agent of "gated". Did you mean "sales"? Agents: triage, billing, sales, manager.',
    ]);
  });

  it('refuses a wait for a handoff the tree does not gate, listing the gated ones or saying how to gate it', () => {
    expect(
      problems(`version: 1
cases:
  - { message: a refund, agent: triage, approval: billing }
  - { message: a demo, agent: billing, approval: sales }
  - { message: a refund, agent: manager, approval: billing }
`),
    ).toEqual([
      'cases.yaml:3:51 error NO_APPROVAL_GATE No handoff of "gated" from triage to billing waits for a person\'s approval, so the turn can never stop for it and the case can only fail. From triage, these handoffs wait for approval: sales. Gate it in the tree: `approval: required` on billing (every handoff into it), or `approval: { billing: required }` on triage (this handoff only).',
      'cases.yaml:4:50 error NO_APPROVAL_GATE No handoff of "gated" from billing to sales waits for a person\'s approval, so the turn can never stop for it and the case can only fail. From billing, these handoffs wait for approval: manager. billing cannot hand off to sales at all; it can hand off to: manager, triage.',
      'cases.yaml:5:52 error NO_APPROVAL_GATE No handoff of "gated" from manager to billing waits for a person\'s approval, so the turn can never stop for it and the case can only fail. No handoff from manager waits for approval. Gate it in the tree: `approval: required` on billing (every handoff into it), or `approval: { billing: required }` on manager (this handoff only).',
    ]);
  });

  it('accepts a wait that any of the compared trees gates', () => {
    const text = 'version: 1\ncases:\n  - { message: a demo, agent: triage, approval: sales }\n';
    expect(problems(text, { trees: [open] })[0]).toContain('NO_APPROVAL_GATE');
    expect(parseDataset(text, 'cases.yaml', { trees: [open, gated] }).cases[0]?.turns[0]?.expect).toEqual({
      agent: 'triage',
      approval: 'sales',
    });
  });

  it('wants the asking agent with `approval:`, and the expectation on the turn of a multi-turn case', () => {
    expect(
      problems(`version: 1
cases:
  - { message: a demo, approval: sales }
  - approval: manager
    turns:
      - { message: refund please, agent: billing }
      - { message: a manager, approval: manager }
`),
    ).toEqual([
      'cases.yaml:3:5 error MISSING_FIELD cases[0]: `agent:` is required with `approval:`: the agent expected to ask for approval of the handoff to "sales".',
      'cases.yaml:4:5 error MISPLACED_EXPECTATION cases[1].approval: In a multi-turn case `approval:` belongs to the turn it is about.',
      'cases.yaml:7:9 error MISSING_FIELD cases[1].turns[1]: `agent:` is required with `approval:`: the agent expected to ask for approval of the handoff to "manager".',
    ]);
  });

  it('checks a payload against the handoff that waits', () => {
    expect(problems('version: 1\ncases:\n  - { message: a demo, agent: triage, approval: sales, payload: { plan: gold } }\n')).toEqual([
      'cases.yaml:3:73 error INVALID_VALUE The payload field "plan" must be one of: pro, team, not "gold". Use one of: pro, team.',
    ]);
    expect(problems('version: 1\ncases:\n  - { message: a manager, agent: billing, approval: manager, payload: { priorty: high } }\n')[0]).toContain(
      'Did you mean "priority"? Handing off to manager carries: priority.',
    );
  });
});
