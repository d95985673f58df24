/**
 * A YAML edit that changes an agent's kind while a thread waits on it: a person made an agent or a
 * helper, the agent that asked for an approval renamed or made a person. The wait cannot be met as
 * it was made: it is listed with why, answering or deciding it is refused (never swallowed by the
 * node the name became), and the next message closes it and goes on.
 */
import { MemorySaver } from '@langchain/langgraph';
import { describe, expect, it } from 'vitest';
import { parseTree } from '../../config/load.js';
import { compileTree } from '../../graphs/compile.js';
import { approveHandoff, denyHandoff } from '../../runtime/approval.js';
import { listWaitingThreads } from '../../runtime/threads.js';
import { getTranscript, getTurnSummaries } from '../../runtime/transcript.js';
import { resumeThread, runTurn } from '../../runtime/turn.js';
import { routingStats } from '../../runtime/stats.js';
import { staleRequestReason } from '../../runtime/waiting.js';
import { runtimeOf } from '../../graphs/compile.js';
import { MemoryJournal } from '../../store/journal.js';
import { fakeOpenAIForFile, newThread, viaFakeOpenAI } from '../helpers.js';

const server = await fakeOpenAIForFile();

const desk = (person: string, extra = '') => `
version: 1
name: desk
root: triage
agents:
  triage:
    description: Front desk.
    prompt: Route.
    children: [billing]
    escalate: [person]
${extra}  billing: { description: Billing., prompt: Billing., escalate: [person] }
${person}`;
const PERSON = '  person: { kind: human, description: A person. }\n';
const AS_AGENT = '  person: { description: Now a model., prompt: You answer as the desk lead., escalate: [manager] }\n  manager: { kind: human, description: A manager. }\n';
const AS_HELPER = '  person: { kind: helper, description: Now a helper., prompt: Help. }\n';

function options() {
  return { ...viaFakeOpenAI(server), sleep: async () => {}, checkpointer: new MemorySaver(), journal: new MemoryJournal() };
}

async function waitingForPerson(opts: ReturnType<typeof options>) {
  const before = compileTree(parseTree(desk(PERSON), 'desk.yaml'), opts);
  const { threadId } = newThread();
  server.enqueue({ toolCalls: [{ name: 'transfer_to_person', arguments: {} }] });
  expect(await runTurn(before, { threadId, message: 'a person, please' })).toMatchObject({ status: 'waiting', agent: 'person' });
  return threadId;
}

describe('a wait whose person the YAML made something else', () => {
  it('made an agent: the reply is refused (not swallowed by the agent), the wait is listed as stale, and the next message goes to that agent', async () => {
    const opts = options();
    const threadId = await waitingForPerson(opts);
    const after = compileTree(parseTree(desk(AS_AGENT), 'desk.yaml'), opts);
    const requests = await listWaitingThreads(after, opts.checkpointer, [threadId]);
    expect(requests).toMatchObject([{ type: 'escalation', agent: 'person', handBackTargets: [] }]);
    expect(staleRequestReason(runtimeOf(after), requests[0]!)).toBe('person is not a person any more (it is an agent now)');
    const calls = server.requests.length;
    await expect(resumeThread(after, threadId, { reply: 'Dana here.' })).rejects.toMatchObject({
      code: 'NOTHING_PENDING',
      message: `Thread ${threadId} waited for person, who is not a person any more (it is an agent now): its next message goes to person.`,
    });
    // No model ran in the reply's place.
    expect(server.requests.length).toBe(calls);

    server.enqueue({ content: 'Lead here.' });
    expect(await runTurn(after, { threadId, message: 'hello?' })).toMatchObject({ status: 'done', agent: 'person', reply: 'Lead here.' });
    expect(await listWaitingThreads(after, opts.checkpointer, [threadId])).toEqual([]);
    expect((await getTurnSummaries(after, threadId)).map((summary) => `${summary.turn}:${summary.status}`)).toEqual(['1:done', '2:done']);
    // The move was to a person when it was made: stats count it so under the edited tree too.
    expect((await routingStats(after)).escalations).toMatchObject({ toPerson: 1, toManager: 0 });
  });

  it('made a helper: the wait is still listed, the reply refused, and the next message goes to the root', async () => {
    const opts = options();
    const threadId = await waitingForPerson(opts);
    const after = compileTree(parseTree(desk(AS_HELPER, '').replace('    escalate: [person]\n', '    helpers: [person]\n').replace(', escalate: [person] }', ' }'), 'desk.yaml'), opts);
    const requests = await listWaitingThreads(after, opts.checkpointer, [threadId]);
    expect(requests).toMatchObject([{ type: 'escalation', agent: 'person', handBackTargets: [] }]);
    expect(staleRequestReason(runtimeOf(after), requests[0]!)).toBe('person is not a person any more (it is a helper now)');
    await expect(resumeThread(after, threadId, { reply: 'Dana here.' })).rejects.toMatchObject({
      code: 'NOTHING_PENDING',
      message: `Thread ${threadId} waited for person, who is not a person any more (it is a helper now): its next message goes to triage.`,
    });
    server.enqueue({ content: 'Triage here.' });
    expect(await runTurn(after, { threadId, message: 'hello?' })).toMatchObject({ status: 'done', agent: 'triage', reply: 'Triage here.' });
    expect((await getTurnSummaries(after, threadId)).map((summary) => `${summary.turn}:${summary.status}`)).toEqual(['1:done', '2:done']);
  });
});

describe('an approval whose asker the YAML renamed', () => {
  const GATED = (billing: string) => `
version: 1
name: desk
root: triage
agents:
  triage:
    description: Front desk.
    prompt: Route.
    children: [${billing}]
  ${billing}: { description: Billing., prompt: Billing., escalate: [lead] }
  lead: { description: The lead., prompt: Lead., approval: required, escalate: [boss] }
  boss: { kind: human, description: The boss. }
`;

  it('is listed, approving and denying are both refused saying why, and the next message withdraws it', async () => {
    const opts = options();
    const before = compileTree(parseTree(GATED('billing'), 'desk.yaml'), opts);
    const { threadId } = newThread();
    server.enqueue({ toolCalls: [{ name: 'transfer_to_billing', arguments: {} }] }, { toolCalls: [{ name: 'transfer_to_lead', arguments: {} }] });
    expect(await runTurn(before, { threadId, message: 'I need the lead' })).toMatchObject({ status: 'waiting' });

    const after = compileTree(parseTree(GATED('accounts'), 'desk.yaml'), opts);
    const requests = await listWaitingThreads(after, opts.checkpointer, [threadId]);
    expect(requests).toMatchObject([{ type: 'approval', from: 'billing', to: 'lead' }]);
    expect(staleRequestReason(runtimeOf(after), requests[0]!)).toBe('billing is not in the tree any more');
    const refused = { code: 'NOTHING_PENDING', message: `Thread ${threadId} waits for approval of billing → lead, which cannot be decided now: billing is not in the tree any more. The thread's next message withdraws it and goes to triage.` };
    await expect(approveHandoff(after, threadId)).rejects.toMatchObject(refused);
    await expect(denyHandoff(after, threadId, { reason: 'no' })).rejects.toMatchObject(refused);
    // A reply is refused saying what the thread waits for, not that it waits for nobody.
    await expect(resumeThread(after, threadId, { reply: 'Dana here.' })).rejects.toMatchObject({
      code: 'NOTHING_PENDING',
      message: `Thread ${threadId} waits for approval of billing → lead, not for a reply, and it cannot be decided now: billing is not in the tree any more. The thread's next message withdraws it and goes to triage.`,
    });

    server.enqueue({ content: 'Triage here.' });
    const next = await runTurn(after, { threadId, message: 'hello?' });
    expect(next).toMatchObject({ status: 'done', agent: 'triage', reply: 'Triage here.' });
    expect(await listWaitingThreads(after, opts.checkpointer, [threadId])).toEqual([]);
    expect((await getTranscript(after, threadId)).messages.filter((message) => message.type === 'human').map((message) => message.content)).toEqual(['I need the lead', 'hello?']);
  });

  it('made a person: a reply is refused too, saying the approval cannot be decided', async () => {
    const opts = options();
    const before = compileTree(parseTree(GATED('billing'), 'desk.yaml'), opts);
    const { threadId } = newThread();
    server.enqueue({ toolCalls: [{ name: 'transfer_to_billing', arguments: {} }] }, { toolCalls: [{ name: 'transfer_to_lead', arguments: {} }] });
    expect(await runTurn(before, { threadId, message: 'I need the lead' })).toMatchObject({ status: 'waiting' });

    const after = compileTree(parseTree(GATED('billing').replace('    children: [billing]\n', '    children: []\n    escalate: [billing]\n').replace('  billing: { description: Billing., prompt: Billing., escalate: [lead] }', '  billing: { kind: human, description: Billing. }\n  spare: { description: Spare., prompt: Spare., escalate: [lead] }').replace('children: []\n', 'children: [spare]\n'), 'desk.yaml'), opts);
    const cannot = expect.stringContaining('cannot be decided now: billing is not an agent any more (it is a person now)');
    await expect(resumeThread(after, threadId, { reply: 'Dana here.' })).rejects.toMatchObject({ code: 'NOTHING_PENDING', message: cannot });
    await expect(approveHandoff(after, threadId)).rejects.toMatchObject({ code: 'NOTHING_PENDING', message: cannot });
    await expect(denyHandoff(after, threadId, { reason: 'no' })).rejects.toMatchObject({ code: 'NOTHING_PENDING', message: cannot });

    // The next message withdraws it and waits for billing, who owns the conversation from then on:
    // a message written meanwhile goes on waiting for billing, in a turn of its own.
    const calls = server.requests.length;
    expect(await runTurn(after, { threadId, message: 'anyone?' })).toMatchObject({ status: 'waiting', agent: 'billing', turn: 2, state: { activeAgent: 'billing' } });
    expect(await runTurn(after, { threadId, message: 'still here' })).toMatchObject({ status: 'waiting', agent: 'billing', turn: 3 });
    expect(server.requests.length).toBe(calls);
    expect(await resumeThread(after, threadId, { reply: 'Billing here, sorted.' })).toMatchObject({ status: 'done', agent: 'billing', turn: 3, reply: 'Billing here, sorted.' });
    expect((await getTurnSummaries(after, threadId)).map((summary) => `${summary.turn}:${summary.status}`)).toEqual(['1:done', '2:done', '3:done']);
    const users = (await getTranscript(after, threadId)).messages.filter((message) => message.type === 'human').map((message) => `${message.turn}:${String(message.content)}`);
    expect(users).toEqual(['1:I need the lead', '2:anyone?', '3:still here']);
  });
});
