/**
 * The package as users import it: `switchboard` (what a backend turn needs), its sub-paths
 * (`switchboard/viz`, `/dev`, `/eval`, `/postgres`, `/testing`), resolved through the package's own
 * exports map to the built files.
 */
import { describe, expect, it } from 'vitest';
import * as switchboard from 'switchboard';
import * as testing from 'switchboard/testing';
import * as viz from 'switchboard/viz';
import * as dev from 'switchboard/dev';
import * as evaluation from 'switchboard/eval';
import * as postgres from 'switchboard/postgres';

/** What the entry exported before the drawing, the dev server, eval and PostgreSQL got their own sub-paths. */
const MOVED: Record<string, { module: Record<string, unknown>; names: string[] }> = {
  'switchboard/viz': {
    module: viz,
    names: ['describeGraph', 'toMermaid', 'toDot', 'renderSvg', 'renderPng', 'drawGraph', 'drawDiagram', 'DRAWING_FORMATS', 'chooseDirection', 'DIRECTION_CHOICES'],
  },
  'switchboard/dev': { module: dev, names: ['startDevServer'] },
  'switchboard/eval': {
    module: evaluation,
    names: [
      'loadDataset', 'parseDataset', 'datasetFormatOf', 'DatasetSchema', 'EvalCaseSchema', 'EvalTurnSchema', 'DatasetError', 'formatDatasetIssue',
      'runEval', 'runCase', 'DEFAULT_CONCURRENCY', 'ERROR_AGENT', 'buildReport', 'routingMetrics', 'percentile', 'score', 'compareReports',
      'formatReport', 'formatComparison', 'datasetJsonSchema', 'judgeHandoffs', 'readVerdict', 'handoffReasonRubric', 'JUDGE_SCORE_RANGE', 'DEFAULT_JUDGE_LOWEST',
    ],
  },
  'switchboard/postgres': { module: postgres, names: ['BatchedPostgresSaver', 'PostgresLedger', 'createPostgresThreadLock', 'openPostgresStore'] },
};

describe('the public entry points', () => {
  it('exports the backend-turn API from the entry', () => {
    for (const name of ['loadTree', 'parseTree', 'lintTreeText', 'compileTree', 'runTurn', 'streamTurn', 'resumeThread', 'pendingEscalations', 'recoverThread', 'openCheckpointer', 'getToolContext', 'createExampleTools', 'ConfigError', 'TurnError', 'NothingPendingError', 'StoreError', 'ThreadBusyError', 'TreeSchema', 'escapeControlCharacters', 'createPostgresThreadLock', 'PostgresLedger', 'MemoryJournal']) {
      expect(switchboard, name).toHaveProperty(name);
    }
  });

  it('keeps every name the entry moved reachable from its sub-path, and out of the entry', () => {
    for (const [path, { module, names }] of Object.entries(MOVED)) {
      for (const name of names) expect(module, `${path} ${name}`).toHaveProperty(name);
      // PostgresLedger and the PostgreSQL lock load no driver: they stay in the entry as well.
      for (const name of names.filter((name) => !['PostgresLedger', 'createPostgresThreadLock'].includes(name))) expect(switchboard, `switchboard ${name}`).not.toHaveProperty(name);
    }
  });

  it('draws from switchboard/viz a graph compiled with the entry', async () => {
    const tree = switchboard.parseTree(
      'version: 1\nname: mine\nroot: desk\nagents:\n  desk: { description: Desk, prompt: Route., children: [refunds] }\n  refunds: { description: Refunds, prompt: Refund. }\n',
      'mine.yaml',
    );
    const mermaid = await viz.drawGraph(switchboard.compileTree(tree, { model: 'offline' }), 'mermaid');
    expect(mermaid).toContain('refunds');
  });

  it('lets a user test their own tree with the shared scripted model', async () => {
    const tools = switchboard.createExampleTools();
    const tree = switchboard.parseTree(
      'version: 1\nname: mine\nroot: desk\nagents:\n  desk: { description: Desk, prompt: Route., children: [refunds] }\n  refunds: { description: Refunds, prompt: Refund., tools: [issue_refund], escalate: [person] }\n  person: { kind: human, description: Person }\n',
      'mine.yaml',
      { tools },
    );
    const model = new testing.ScriptedChatModel([testing.call('transfer_to_refunds'), testing.call('issue_refund', { invoice_id: 'I-1', amount: 5 }), 'Refunded $5.']);
    const graph = switchboard.compileTree(tree, { tools, model });
    const result = await switchboard.runTurn(graph, { threadId: 'user-test', message: 'refund me' });
    expect(result).toMatchObject({ agent: 'refunds', reply: 'Refunded $5.' });
    expect(model.requests.map((request) => request.tools)).toEqual([['transfer_to_refunds'], ['transfer_to_desk', 'transfer_to_person', 'issue_refund'], ['transfer_to_desk', 'transfer_to_person', 'issue_refund']]);
  });
});
