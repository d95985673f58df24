/**
 * Approval gates when a model's response holds more than one handoff: the gate is decided on the
 * very handoff the tool step accepts, so a refused first call never lets a gated one through.
 */
import { describe, expect, it } from 'vitest';
import type { ToolMessage } from '@langchain/core/messages';
import { parseTree } from '../../config/load.js';
import { compileTree } from '../../graphs/compile.js';
import { approveHandoff } from '../../runtime/approval.js';
import { runTurn } from '../../runtime/turn.js';
import { expectEveryCallAnswered, fakeOpenAIForFile, newThread, viaFakeOpenAI } from '../helpers.js';

const server = await fakeOpenAIForFile();

const TREE = `
version: 1
name: gated-desk
root: triage
state:
  vip: { type: boolean, default: false, owner: backend }
  note: { type: string, maxLength: 10 }
agents:
  triage:
    description: Front desk.
    prompt: Route.
    children: [billing, lead]
    when: { billing: vip }
  billing:
    description: Billing.
    prompt: Billing.
    handoff:
      payload:
        note: { type: string, sets: note }
  lead:
    description: The lead.
    prompt: Lead.
    approval: required
`;

function compile() {
  return compileTree(parseTree(TREE, 'gated-desk.yaml'), { ...viaFakeOpenAI(server), sleep: async () => {} });
}

describe('approval gates with two handoffs in one response', () => {
  it('waits for approval of a gated handoff that follows one whose condition is false', async () => {
    const graph = compile();
    const { threadId } = newThread();
    server.enqueue({ toolCalls: [{ name: 'transfer_to_billing', arguments: { note: 'short' } }, { name: 'transfer_to_lead', arguments: {} }] }, { content: 'Lead here.' });

    const paused = await runTurn(graph, { threadId, message: 'billing, or the lead' });

    expect(paused).toMatchObject({ status: 'waiting', agent: 'triage', waitingFor: { type: 'approval', from: 'triage', to: 'lead', tool: 'transfer_to_lead' } });
    expect(paused.state.activeAgent).toBe('triage');
    const approved = await approveHandoff(graph, threadId);
    expect(approved).toMatchObject({ status: 'done', agent: 'lead', reply: 'Lead here.' });
    const refusal = approved.state.messages.find((message) => message.type === 'tool' && (message as ToolMessage).name === 'transfer_to_billing');
    expect(String(refusal?.content)).toMatch(/^Refused: /);
    expectEveryCallAnswered(approved.state.messages);
  });
});

const OFFICE_TREE = `
version: 1
name: office-desk
root: triage
agents:
  triage:
    description: Front desk.
    prompt: Route.
    children: [office, lead]
  office:
    description: The office, in opening hours.
    prompt: Office.
    approval: required
    handoff:
      when: business_hours("Europe/Paris", "09:00-18:00", "mon-fri")
  lead:
    description: The lead.
    prompt: Lead.
    approval: required
`;

describe('approval gates when a condition changes while the thread waits', () => {
  it('asks again for the gated handoff that would move now, instead of moving on the approval of another', async () => {
    const clock = { now: new Date('2026-03-30T15:00:00Z') };
    const graph = compileTree(parseTree(OFFICE_TREE, 'office-desk.yaml'), { ...viaFakeOpenAI(server), clock: () => clock.now, sleep: async () => {} });
    const { threadId } = newThread();
    server.enqueue({ toolCalls: [{ name: 'transfer_to_office', arguments: {} }, { name: 'transfer_to_lead', arguments: {} }] }, { content: 'Lead here.' });

    const paused = await runTurn(graph, { threadId, message: 'the office, or the lead' });
    expect(paused.waitingFor).toMatchObject({ type: 'approval', to: 'office' });
    // The office closes before the person decides: its handoff is refused for its condition now.
    clock.now = new Date('2026-03-30T19:00:00Z');
    const again = await approveHandoff(graph, threadId);

    expect(again).toMatchObject({ status: 'waiting', handoffs: [], waitingFor: { type: 'approval', to: 'lead', tool: 'transfer_to_lead' } });
    expect(again.state.activeAgent).toBe('triage');
    const approved = await approveHandoff(graph, threadId);
    expect(approved).toMatchObject({ status: 'done', agent: 'lead', reply: 'Lead here.' });
    expect(approved.handoffs.map((record) => record.to)).toEqual(['lead']);
    const refusal = approved.state.messages.find((message) => message.type === 'tool' && (message as ToolMessage).name === 'transfer_to_office');
    expect(String(refusal?.content)).toMatch(/^Refused: transfer_to_office is not available now/);
    expectEveryCallAnswered(approved.state.messages);
  });
});
