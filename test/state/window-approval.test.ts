/**
 * The hot window of a tree whose approvals are written on an edge (`approval: { lead: required }`)
 * or on the target's handoff (`handoff: { approval: required }`): a person deciding an approval is
 * shown the last 6 turns, however small the agents' own history windows are.
 */
import { describe, expect, it } from 'vitest';
import { parseTree } from '../../config/load.js';
import { compileTree } from '../../graphs/compile.js';
import { runTurn } from '../../runtime/turn.js';
import { hotTurns } from '../../state/window.js';
import { fakeOpenAIForFile, newThread, viaFakeOpenAI } from '../helpers.js';

const server = await fakeOpenAIForFile();

const tree = (gate: string) => `
version: 1
name: small-windows
root: triage
defaults:
  history: { turns: 1 }
agents:
  triage:
    description: Front desk.
    prompt: Route.
    children: [lead]
${gate === 'edge' ? '    approval: { lead: required }\n' : ''}  lead:
    description: The lead.
    prompt: Lead.
${gate === 'handoff' ? '    handoff: { approval: required }\n' : ''}`;

describe('the hot window of a tree with approvals', () => {
  it.each(['edge', 'handoff'])('keeps what a person deciding an approval is shown (approval on the %s)', async (gate) => {
    const loaded = parseTree(tree(gate), 'small-windows.yaml');
    expect(hotTurns(loaded.spec)).toBe(6);
    const graph = compileTree(loaded, { ...viaFakeOpenAI(server), sleep: async () => {} });
    const { threadId } = newThread();
    for (let index = 1; index <= 7; index += 1) {
      server.enqueue({ content: `answer ${index}` });
      await runTurn(graph, { threadId, message: `message ${index}` });
    }
    server.enqueue({ toolCalls: [{ name: 'transfer_to_lead', arguments: {} }] });

    const paused = await runTurn(graph, { threadId, message: 'message 8' });

    expect(paused.waitingFor?.transcript.split('\n')).toEqual([
      ...[3, 4, 5, 6, 7].flatMap((index) => [`user: message ${index}`, `triage: answer ${index}`]),
      'user: message 8',
    ]);
  });
});
