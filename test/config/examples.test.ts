import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { lintTreeText, loadTree } from '../../config/load.js';
import { compileTree } from '../../graphs/compile.js';
import { exampleTools, readFixture, REPO } from './lint-fixtures.js';

const TREES = ['config', 'examples'].flatMap((folder) =>
  readdirSync(`${REPO}${folder}`)
    .filter((file) => file.endsWith('.yaml'))
    .map((file) => `${folder}/${file}`),
);

describe('the example trees', () => {
  it('include the trees the README and the CLI use', () => {
    expect(TREES).toEqual(
      expect.arrayContaining([
        'config/support.yaml',
        'config/clinic.yaml',
        'config/hybrid.yaml',
        'config/after-hours.yaml',
        'examples/desk.yaml',
      ]),
    );
  });

  it.each(TREES)('%s lints clean with the example tools: no error, no warning', (path) => {
    expect(lintTreeText(readFixture(path), path, { tools: exampleTools })).toEqual([]);
  });

  it.each(TREES)('%s loads and compiles with the example tools', async (path) => {
    const tree = await loadTree(`${REPO}${path}`, { tools: exampleTools });
    const graph = compileTree(tree, { tools: exampleTools, model: 'offline', checkpointer: false });
    const nodes = Object.keys(graph.getGraph().nodes);
    for (const [name, agent] of Object.entries(tree.spec.agents)) if (agent.kind !== 'helper') expect(nodes).toContain(name);
  });
});
