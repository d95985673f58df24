/**
 * Every example tree runs offline (no key): a conversation reaches each of its agents, and each
 * lints clean. (The after-hours fallback rungs are reached by faults: see after-hours.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import type { AIMessage } from '@langchain/core/messages';
import { readFileSync } from 'node:fs';
import { lintTreeText } from '../../config/load.js';
import { runTurn } from '../../runtime/turn.js';
import { createExampleTools } from '../../tools/examples.js';
import { compileExample, EXAMPLES, examplePath, newThread } from '../helpers.js';

/** For each tree: conversations (messages on one fresh thread, with the agent that must answer each). */
const reaches: Record<string, [string, string][][]> = {
  support: [
    [['Why was I charged $99 twice in May?', 'billing']],
    [['My webhook returns 502 every 10 minutes.', 'technical']],
    [['Can I get a discount if I prepay annually?', 'sales']],
    [
      ['My invoice is wrong', 'billing'],
      ['This is unacceptable, I want a manager', 'escalation_manager'],
    ],
    [['hello', 'triage']],
  ],
  clinic: [
    [['I need to book an appointment for a checkup', 'scheduler']],
    [['I have a fever and a bad headache', 'nurse_triage']],
    [['What is my balance?', 'billing']],
    [['Is an office visit covered by my insurance?', 'insurance']],
    [['I have a question about my account', 'ops_lead']],
    [['I need a doctor, something medical', 'clinical_lead']],
    [['hello', 'triage']],
  ],
  hybrid: [
    [['I want to upgrade my plan, what will I be charged?', 'billing_specialist']],
    [['The API integration throws an error every time', 'technical_specialist']],
    [['hi there', 'triage']],
  ],
  'after-hours': [
    [['What are your opening hours?', 'primary']],
    [['I want to leave a message for the office', 'voicemail']],
    [['Can you text me the reset password link?', 'sms_deflection']],
    [['Please call me back tomorrow', 'callback_scheduler']],
    [['Emergency! The basement is flooding', 'emergency_router']],
  ],
};

/** Conversations that end with the thread paused for a person. */
const persons: Record<string, [string[], string]> = {
  support: [['My webhook is broken', 'I need to speak to a real person'], 'human_agent'],
  clinic: [['I have chest pain, I need to talk to a nurse'], 'human_nurse'],
  hybrid: [['The API integration is broken', 'please get me a human person'], 'human_escalation'],
  'after-hours': [['I need a real person'], 'on_call'],
};

describe.each(EXAMPLES)('the %s example tree', (name) => {
  it('lints clean with the example tools', () => {
    const issues = lintTreeText(readFileSync(examplePath(name), 'utf8'), `config/${name}.yaml`, { tools: createExampleTools() });
    expect(issues).toEqual([]);
  });

  it('reaches each of its agents offline, with the handoffs of the tree', async () => {
    const { graph, tree } = await compileExample(name, { model: 'offline' });
    const reached = new Set<string>();
    for (const conversation of reaches[name] ?? []) {
      const { threadId } = newThread();
      for (const [message, agent] of conversation) {
        const result = await runTurn(graph, { threadId, message });
        expect({ message, agent: result.agent, status: result.status }).toEqual({ message, agent, status: 'done' });
        expect(result.reply?.startsWith('[offline]')).toBe(true);
        for (const record of result.handoffs) reached.add(record.to);
        reached.add(result.agent);
        for (const message of result.state.messages) {
          for (const call of (message as AIMessage).tool_calls ?? []) if (tree.spec.agents[call.name]) reached.add(call.name);
          const helper = Object.entries(tree.spec.agents).find(
            ([, agent]) => agent.kind === 'helper' && agent.handoff?.tool === (message as { name?: string }).name,
          );
          if (message.type === 'tool' && helper) reached.add(helper[0]);
        }
      }
    }
    const [messages, person] = persons[name] as [string[], string];
    const { threadId } = newThread();
    let waiting;
    for (const message of messages) waiting = await runTurn(graph, { threadId, message });
    expect(waiting).toMatchObject({ status: 'waiting', agent: person });
    reached.add(person);

    const expected = Object.keys(tree.spec.agents).filter(
      (agent) =>
        // The office is offered only in opening hours (a condition on the clock: test/runtime/conditions.test.ts).
        !(name === 'after-hours' && ['secondary', 'missed_caller_logger', 'office'].includes(agent)) &&
        !(name === 'clinic' && agent === 'front_desk'),
    );
    expect([...reached].sort()).toEqual(expected.sort());
  });
});
