import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadTree } from '../../config/load.js';
import { compareReports } from '../../eval/compare.js';
import { parseDataset } from '../../eval/dataset.js';
import { formatComparison } from '../../eval/format.js';
import { runEval } from '../../eval/runner.js';
import { compileTree } from '../../graphs/compile.js';
import { createExampleTools } from '../../tools/examples.js';
import { examplePath } from '../helpers.js';
import { editedSupportTree, writeTemp } from './helpers.js';

const folders: string[] = [];
afterAll(async () => {
  for (const folder of folders) await rm(folder, { recursive: true, force: true });
});

const DATASET = `version: 1
cases:
  - { id: bank-transfer, message: Can I pay by bank transfer instead of card?, agent: billing }
  - { id: nonprofit, message: Do you offer a nonprofit discount?, agent: sales, path: [triage, sales] }
  - { id: charged-twice, message: Why was I charged $99 twice in May?, agent: billing }
  - id: topic-change
    turns:
      - { message: My invoice is wrong }
      - { message: How do I pay it?, agent: billing }
`;

describe('compareReports()', () => {
  it('lists the turns whose routing changed between two versions of a tree, with the verdict', async () => {
    const tools = createExampleTools();
    const run = async (file: string) => {
      const tree = await loadTree(file, { tools });
      return runEval(compileTree(tree, { tools, model: 'offline' }), parseDataset(DATASET, 'cases.yaml', { trees: [tree] }), {
        treeFile: file,
      });
    };
    const before = await run(examplePath('support'));
    const folder = await writeTemp({ 'support.yaml': await editedSupportTree() });
    folders.push(folder);
    const after = await run(join(folder, 'support.yaml'));

    const changes = compareReports(before, after);

    expect(
      changes.map(({ case: id, turn, before: was, after: now, verdict }) => ({ id, turn, was: was.agent, now: now.agent, verdict })),
    ).toEqual([
      { id: 'bank-transfer', turn: 1, was: 'triage', now: 'billing', verdict: 'fixed' },
      { id: 'nonprofit', turn: 1, was: 'sales', now: 'triage', verdict: 'broken' },
    ]);
    expect(changes[1]).toMatchObject({ line: 4, expected: 'sales', before: { path: ['triage', 'sales'] }, after: { path: ['triage'] } });
    expect(compareReports(before, before)).toEqual([]);

    const text = formatComparison({ before, after, changes });
    expect(text).toContain('2 of 4 cases changed routing (2 turns: 1 fixed, 1 broken, 0 changed)');
    expect(text).toContain('fixed   cases.yaml:3 bank-transfer turn 1: triage → billing (expected billing)');
    expect(text).toContain('broken  cases.yaml:4 nonprofit turn 1: sales → triage (expected sales)');
  });

  it('reports a changed path as a change even when the answering agent is the same', async () => {
    const tools = createExampleTools();
    const tree = await loadTree(examplePath('support'), { tools });
    const dataset = parseDataset('version: 1\ncases:\n  - { id: refund, message: refund please, agent: billing }\n');
    const report = await runEval(compileTree(tree, { tools, model: 'offline' }), dataset);
    const moved = structuredClone(report);
    const turn = moved.results[0]?.turns[0];
    if (!turn) throw new Error('no turn');
    turn.actual.path = ['triage', 'sales', 'triage', 'billing'];

    expect(compareReports(report, moved)).toMatchObject([
      {
        case: 'refund',
        verdict: 'changed',
        before: { agent: 'billing' },
        after: { agent: 'billing', path: ['triage', 'sales', 'triage', 'billing'] },
      },
    ]);
  });
});
