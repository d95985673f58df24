/**
 * A decision on a thread whose only gated handoff was refused before anyone was asked (the second
 * handoff of its response) is refused saying no handoff asked for one, not that it "was approved".
 */
import { describe, expect, it } from 'vitest';
import { parseTree } from '../../config/load.js';
import { compileTree } from '../../graphs/compile.js';
import { approveHandoff } from '../../runtime/approval.js';
import { runTurn } from '../../runtime/turn.js';
import { openCheckpointer } from '../../store/checkpointer.js';
import { fakeOpenAIForFile, newThread, viaFakeOpenAI } from '../helpers.js';

const server = await fakeOpenAIForFile();

const DESK = `
version: 1
name: desk
root: triage
agents:
  triage:
    description: Front desk.
    prompt: Route.
    children: [billing, lead]
    approval: { lead: required }
  billing: { description: Billing., prompt: Billing. }
  lead: { description: The lead., prompt: Lead. }
`;

describe('a decision where no person was asked', () => {
  it('says no handoff asked for one when the gated call was refused as a second handoff', async () => {
    const store = await openCheckpointer('memory');
    const graph = compileTree(parseTree(DESK, 'desk.yaml'), { ...viaFakeOpenAI(server), sleep: async () => {}, checkpointer: store.saver, threadLock: store.threadLock, journal: store.journal });
    const { threadId } = newThread();
    server.enqueue(
      {
        toolCalls: [
          { name: 'transfer_to_billing', arguments: {} },
          { name: 'transfer_to_lead', arguments: {} },
        ],
      },
      { content: 'Billing here.' },
    );
    expect(await runTurn(graph, { threadId, message: 'my invoice' })).toMatchObject({ status: 'done', agent: 'billing' });
    await expect(approveHandoff(graph, threadId)).rejects.toMatchObject({
      code: 'NOTHING_PENDING',
      message: `Thread ${threadId} is not waiting for an approval: no handoff asked for one in its latest turns (turn 1 is its latest; billing owns the conversation).`,
    });
    await store.close();
  });
});
