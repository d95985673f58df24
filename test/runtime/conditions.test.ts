/**
 * Conditional edges at run time (`when:`), through the real OpenAI client and the fake server: the
 * tools each model call is offered follow the clock (across the changes to summer time in Paris
 * and New York) and the shared state; a hidden handoff called anyway is refused and control does
 * not move.
 */
import { describe, expect, it } from 'vitest';
import type { ToolMessage } from '@langchain/core/messages';
import { parseTree } from '../../config/load.js';
import { compileTree, runtimeOf } from '../../graphs/compile.js';
import { runTurn } from '../../runtime/turn.js';
import { modelsForCall } from '../../nodes/conditions.js';
import type { SwitchboardEvent } from '../../nodes/events.js';
import { captureLogs } from '../../testing/capture-logs.js';
import { compileExample, expectEveryCallAnswered, fakeOpenAIForFile, newThread, viaFakeOpenAI } from '../helpers.js';

const server = fakeOpenAIForFile();

const TREE = `
version: 1
name: desks
root: triage
state:
  vip: { type: boolean, default: false, owner: backend }
  tier: { type: enum, values: [gold, silver] }
agents:
  triage:
    description: Front desk.
    prompt: Route the caller.
    children: [paris_desk, night_desk, new_york_desk, senior, gold_desk]
    escalate: [person]
    when:
      senior: vip
  paris_desk:
    description: The Paris office, open on weekdays.
    prompt: Help.
    handoff:
      when: business_hours("Europe/Paris", "09:00-18:00", "mon-fri")
  night_desk:
    description: The night line.
    prompt: Help.
    handoff:
      when: '!business_hours("Europe/Paris", "09:00-18:00", "mon-fri")'
  new_york_desk:
    description: The New York office.
    prompt: Help.
    handoff:
      when: hour("America/New_York") >= 9 && hour("America/New_York") < 17 && weekday("America/New_York") != "sun"
  senior:
    description: A senior agent for VIP callers.
    prompt: Help.
  gold_desk:
    description: Gold members.
    prompt: Help.
    handoff:
      when: tier == "gold"
  person:
    kind: human
    description: A person.
`;

/** The desks tree on the fake server, reading the time from `clock.now`. */
async function desks(clock: { now: Date }, observers: ((event: SwitchboardEvent) => void)[] = []) {
  const fake = await server;
  // Each test reads the requests of its own turns.
  fake.requests.length = 0;
  fake.fallback(undefined);
  const logs = captureLogs('debug');
  const graph = compileTree(parseTree(TREE, 'desks.yaml'), { ...viaFakeOpenAI(fake), clock: () => clock.now, logger: logs.logger, observers, sleep: async () => {} });
  return { fake, graph, logs };
}

/** The handoff tools triage was offered in the last request. */
function offered(fake: Awaited<typeof server>): string[] {
  return (fake.requests.at(-1)?.tools ?? []).filter((name) => name.startsWith('transfer_to_')).sort();
}

async function ask(graph: Awaited<ReturnType<typeof desks>>['graph'], fields: Record<string, string | number | boolean> = {}) {
  return runTurn(graph, { threadId: newThread().threadId, message: 'hello', fields });
}

describe('conditions on the clock', () => {
  it('offers the Paris desk in Paris office hours and the night desk otherwise, across the change to summer time (29 March 2026)', async () => {
    const clock = { now: new Date() };
    const { fake, graph } = await desks(clock);
    fake.fallback(() => ({ content: 'Hello.' }));
    const seen: Record<string, string[]> = {};
    // The same UTC times on the Friday before and the Monday after: Paris is UTC+1, then UTC+2.
    for (const at of ['2026-03-27T07:30:00Z', '2026-03-27T16:30:00Z', '2026-03-27T17:30:00Z', '2026-03-30T07:30:00Z', '2026-03-30T15:30:00Z', '2026-03-30T16:30:00Z', '2026-03-29T10:00:00Z']) {
      clock.now = new Date(at);
      await ask(graph);
      seen[at] = offered(fake).filter((tool) => tool === 'transfer_to_paris_desk' || tool === 'transfer_to_night_desk');
    }
    expect(seen).toEqual({
      '2026-03-27T07:30:00Z': ['transfer_to_night_desk'], // Friday 08:30 CET: not open yet
      '2026-03-27T16:30:00Z': ['transfer_to_paris_desk'], // Friday 17:30 CET
      '2026-03-27T17:30:00Z': ['transfer_to_night_desk'], // Friday 18:30 CET: closed
      '2026-03-30T07:30:00Z': ['transfer_to_paris_desk'], // Monday 09:30 CEST: open
      '2026-03-30T15:30:00Z': ['transfer_to_paris_desk'], // Monday 17:30 CEST
      '2026-03-30T16:30:00Z': ['transfer_to_night_desk'], // Monday 18:30 CEST: closed
      '2026-03-29T10:00:00Z': ['transfer_to_night_desk'], // Sunday, the day of the change: closed all day
    });
  });

  it('follows New York’s own change to summer time (8 March 2026), three weeks before Europe’s', async () => {
    const clock = { now: new Date() };
    const { fake, graph } = await desks(clock);
    fake.fallback(() => ({ content: 'Hello.' }));
    const newYork = async (at: string) => {
      clock.now = new Date(at);
      await ask(graph);
      return offered(fake).includes('transfer_to_new_york_desk');
    };
    expect(await newYork('2026-03-06T13:30:00Z')).toBe(false); // Friday 08:30 EST
    expect(await newYork('2026-03-06T14:30:00Z')).toBe(true); // Friday 09:30 EST
    expect(await newYork('2026-03-09T13:30:00Z')).toBe(true); // Monday 09:30 EDT: the same UTC time is now open
    expect(await newYork('2026-03-09T21:30:00Z')).toBe(false); // Monday 17:30 EDT
    expect(await newYork('2026-03-08T15:00:00Z')).toBe(false); // Sunday
  });
});

describe('conditions on the shared state', () => {
  it('offers the senior agent only to a VIP caller, and keeps every other tool as it was', async () => {
    const clock = { now: new Date('2026-03-30T07:30:00Z') };
    const { fake, graph } = await desks(clock);
    fake.fallback(() => ({ content: 'Hello.' }));
    await ask(graph, { vip: false });
    const regular = fake.requests.at(-1)?.tools ?? [];
    await ask(graph, { vip: true });
    const vip = fake.requests.at(-1)?.tools ?? [];
    expect(regular).not.toContain('transfer_to_senior');
    expect(vip).toContain('transfer_to_senior');
    expect(vip.filter((tool) => tool !== 'transfer_to_senior')).toEqual(regular);
    expect(regular).toEqual(['transfer_to_paris_desk', 'transfer_to_person']);
  });

  it('hides a target whose condition reads a field without a value, and logs the edge and a code, not the state', async () => {
    const clock = { now: new Date('2026-03-30T07:30:00Z') };
    const { fake, graph, logs } = await desks(clock);
    fake.fallback(() => ({ content: 'Hello.' }));
    await ask(graph);
    expect(offered(fake)).not.toContain('transfer_to_gold_desk');
    const record = logs.records.find((entry) => entry.event === 'condition-error');
    // An everyday case (the README: such a condition is false), so not a warning on every turn.
    expect(record).toMatchObject({ agent: 'triage', tool: 'transfer_to_gold_desk', code: 'unknown_variable', level: 20 });
    // With the field set, the condition decides.
    const tiers = runtimeOf(graph).agents.get('triage');
    expect(tiers?.conditions?.byTool.get('transfer_to_gold_desk')?.[0]?.test({ tier: 'gold' }, clock.now)).toBe(true);
    expect(tiers?.conditions?.byTool.get('transfer_to_gold_desk')?.[0]?.test({ tier: 'silver' }, clock.now)).toBe(false);
  });
});

describe('a hidden handoff called anyway', () => {
  it('is refused with CONDITION_FALSE and a ToolMessage; control stays with the agent that called it', async () => {
    const clock = { now: new Date('2026-03-28T12:00:00Z') }; // Saturday: the Paris desk is closed
    const events: SwitchboardEvent[] = [];
    const { fake, graph } = await desks(clock, [(event) => events.push(event)]);
    fake.enqueue({ toolCalls: [{ name: 'transfer_to_paris_desk', arguments: {} }] }, { content: 'The office is closed; the night line can help.' });
    const result = await runTurn(graph, { threadId: newThread().threadId, message: 'Put me through to Paris' });
    expect(result).toMatchObject({ status: 'done', agent: 'triage', handoffs: [], reply: 'The office is closed; the night line can help.' });
    expect(fake.requests[0]?.tools).not.toContain('transfer_to_paris_desk');
    const refusal = events.find((event) => event.type === 'handoff-refuse');
    expect(refusal).toMatchObject({ type: 'handoff-refuse', from: 'triage', to: 'paris_desk', tool: 'transfer_to_paris_desk', code: 'CONDITION_FALSE' });
    expect(events.some((event) => event.type === 'handoff-accept')).toBe(false);
    const answer = result.state.messages.find((message) => message.type === 'tool') as ToolMessage;
    expect(String(answer.content)).toMatch(/^Refused: transfer_to_paris_desk is not available now \(its condition is false\), so triage keeps the conversation\. You can hand off with: .*transfer_to_night_desk/);
    expect(String(answer.content)).not.toContain('transfer_to_paris_desk (to paris_desk)');
    // The model is told in the next call, which is again without the hidden tool.
    expect(fake.requests[1]?.tools).not.toContain('transfer_to_paris_desk');
    expectEveryCallAnswered(result.state.messages);
  });

  it('is accepted once its condition holds: the same call moves control in office hours', async () => {
    const clock = { now: new Date('2026-03-30T08:00:00Z') }; // Monday 10:00 CEST
    const { fake, graph } = await desks(clock);
    fake.enqueue({ toolCalls: [{ name: 'transfer_to_paris_desk', arguments: {} }] }, { content: 'Paris here.' });
    const result = await runTurn(graph, { threadId: newThread().threadId, message: 'Put me through to Paris' });
    expect(result).toMatchObject({ status: 'done', agent: 'paris_desk', reply: 'Paris here.' });
    expect(result.handoffs).toEqual([expect.objectContaining({ from: 'triage', to: 'paris_desk', kind: 'delegate' })]);
  });
});

describe('the cost of conditions', () => {
  it('binds an agent without conditions once, and an agent with conditions once per set of hidden tools', async () => {
    const clock = { now: new Date('2026-03-30T08:00:00Z') };
    const { graph } = await desks(clock);
    const runtime = runtimeOf(graph);
    const desk = runtime.agents.get('paris_desk');
    expect(desk?.conditions).toBeUndefined();
    expect(modelsForCall(runtime, desk!, { fields: {} })).toBe(desk?.models);
    const triage = runtime.agents.get('triage')!;
    const first = modelsForCall(runtime, triage, { fields: { vip: false } });
    expect(modelsForCall(runtime, triage, { fields: { vip: false } })).toBe(first);
    expect(modelsForCall(runtime, triage, { fields: { vip: true } })).not.toBe(first);
  });
});

describe('the after-hours tree', () => {
  /** Voicemail, then a request to be put through, on the offline model at `at`. */
  async function putThrough(at: string) {
    const { graph } = await compileExample('after-hours', { model: 'offline', clock: () => new Date(at) });
    const { threadId } = newThread();
    const first = await runTurn(graph, { threadId, message: 'I want to leave a message', fields: { caller_number: '+15550100' } });
    expect(first.agent).toBe('voicemail');
    return runTurn(graph, { threadId, message: 'Can you put me through to the front desk?' });
  }

  it('puts a caller through to the office in New York opening hours', async () => {
    const result = await putThrough('2026-03-10T15:00:00Z'); // Tuesday 11:00 EDT
    expect(result).toMatchObject({ status: 'waiting', agent: 'office' });
    expect(result.handoffs.at(-1)).toMatchObject({ from: 'voicemail', to: 'office', kind: 'escalate', tool: 'put_through_to_office' });
  });

  it('keeps the caller with voicemail after hours: the office is not offered', async () => {
    const result = await putThrough('2026-03-10T23:00:00Z'); // Tuesday 19:00 EDT
    expect(result).toMatchObject({ status: 'done', agent: 'voicemail' });
    expect(result.handoffs).toEqual([]);
  });
});
