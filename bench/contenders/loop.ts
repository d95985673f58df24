/**
 * The floor: a plain TypeScript loop with no framework. Sessions are arrays of messages in a Map,
 * the owner is a string; the fake model is a function. What any orchestrator adds is measured
 * against this.
 */
import { randomUUID } from 'node:crypto';
import { BILLING_PROMPT, BILLING_REPLY, delay, fakeDecision, HANDOFF_ARGS, HANDOFF_TOOL, TOKENS, TRIAGE_PROMPT } from '../workload.js';
import type { ContenderFactory } from '../workload.js';

interface Message {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content: string;
  agent?: string;
  toolCall?: { id: string; name: string; args: Record<string, unknown> };
}

interface Session {
  owner: 'triage' | 'billing';
  messages: Message[];
  tokens: number;
}

const AGENTS = {
  triage: { prompt: TRIAGE_PROMPT, tools: [HANDOFF_TOOL], targets: { [HANDOFF_TOOL]: 'billing' } as Record<string, 'billing' | 'triage'> },
  billing: { prompt: BILLING_PROMPT, tools: ['transfer_to_triage'], targets: { transfer_to_triage: 'triage' } as Record<string, 'billing' | 'triage'> },
};

export const create: ContenderFactory = async (options) => {
  if (options.store !== 'memory') throw new Error('loop: memory store only');
  let sessions = new Map<string, Session>();
  const model = async (tools: readonly string[], _input: readonly Message[]): Promise<Message> => {
    await delay(options.modelDelayMs);
    return fakeDecision(tools) === 'handoff'
      ? { role: 'assistant', content: '', toolCall: { id: `call_${randomUUID()}`, name: HANDOFF_TOOL, args: HANDOFF_ARGS } }
      : { role: 'assistant', content: BILLING_REPLY };
  };
  return {
    name: 'loop',
    async send(sessionId, text) {
      let session = sessions.get(sessionId);
      if (!session) sessions.set(sessionId, (session = { owner: 'triage', messages: [], tokens: 0 }));
      session.messages.push({ role: 'user', content: text });
      for (let step = 0; step < 8; step += 1) {
        const agent = AGENTS[session.owner];
        const response = await model(agent.tools, [{ role: 'system', content: agent.prompt }, ...session.messages]);
        session.tokens += TOKENS.input + TOKENS.output;
        session.messages.push({ ...response, agent: session.owner });
        const target = response.toolCall && agent.targets[response.toolCall.name];
        if (!response.toolCall || !target) {
          if (response.content !== BILLING_REPLY) throw new Error('loop: unexpected reply');
          return response.content;
        }
        session.messages.push({ role: 'tool', content: `Transferred to ${target}.` });
        session.owner = target;
      }
      throw new Error('loop: too many steps');
    },
    bytesKept: async (sessionId) => Buffer.byteLength(JSON.stringify(sessions.get(sessionId) ?? null)),
    async reset() {
      sessions = new Map();
    },
    close: async () => {},
  };
};
