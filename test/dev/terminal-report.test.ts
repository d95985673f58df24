/**
 * What `switchboard dev` prints after each load of the tree: a broken file says the page keeps the
 * last good tree only when there is one.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemorySaver } from '@langchain/langgraph';
import { describe, expect, it } from 'vitest';
import { describeTreeState } from '../../cli/commands/dev.js';
import { LiveTree } from '../../dev/live-tree.js';
import { captureLogs } from '../../testing/capture-logs.js';
import { createExampleTools } from '../../tools/examples.js';

const GOOD = `version: 1
name: desk
root: triage
agents:
  triage:
    description: Front desk.
    prompt: Route.
    escalate: [person]
    offline: { reply: Hello }
  person:
    kind: human
    description: A person.
    offline: { keywords: [person] }
`;
const BROKEN = GOOD.replace('escalate: [person]', 'escalate: [persn]');

describe('the terminal of switchboard dev', () => {
  it('says a broken file has no good tree to keep before one loaded, and keeps the last good one after', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'switchboard-dev-report-')), 'desk.yaml');
    const tree = new LiveTree({
      file,
      tools: createExampleTools(),
      checkpointer: new MemorySaver(),
      logger: captureLogs('warn').logger,
      model: 'offline',
    });
    const status = () => describeTreeState(file, tree.current).at(-1);
    writeFileSync(file, BROKEN);
    await tree.reload();
    expect(describeTreeState(file, tree.current)[0]).toContain('error UNKNOWN_AGENT');
    expect(status()).toBe(`${file}: broken — no version has loaded yet; the page shows the errors until a save fixes them`);
    writeFileSync(file, GOOD);
    await tree.reload();
    expect(status()).toBe(`${file}: loaded version 1 (2 agents)`);
    writeFileSync(file, BROKEN);
    await tree.reload();
    expect(status()).toBe(`${file}: broken — the page keeps the last good tree (version 1)`);
    tree.close();
  });
});
