/**
 * OpenAI Agents SDK: a triage `Agent` with a handoff to billing (the SDK names its tool
 * `transfer_to_billing`) and billing with one back, run on a fake `Model`. Sessions are kept the way
 * backend code keeps them with this SDK: per session, the run's `history` and the agent that owns
 * the conversation (`lastAgent`); the next message runs that agent on the history plus the message.
 *
 * Not exactly the same work: memory store only (the installed SDK ships no SQLite or PostgreSQL
 * session store); the default handoff takes no input, so `{ reason }` is not parsed; nothing is
 * checkpointed mid-turn, only the finished turn's history is kept.
 */
import { randomUUID } from 'node:crypto';
import { Agent, run, setTracingDisabled, Usage, user } from '@openai/agents';
import type { AgentInputItem, Model, ModelRequest, ModelResponse, protocol, StreamEvent } from '@openai/agents';
import { BILLING_PROMPT, BILLING_REPLY, delay, fakeDecision, HANDOFF_ARGS, HANDOFF_TOOL, TOKENS, TRIAGE_PROMPT } from '../workload.js';
import type { ContenderFactory } from '../workload.js';

const NAME = 'openai-agents';

const USAGE = { requests: 1, inputTokens: TOKENS.input, outputTokens: TOKENS.output, totalTokens: TOKENS.input + TOKENS.output };

/** Hands off when offered `transfer_to_billing` (among tools and handoffs), answers otherwise. */
export class FakeAgentsModel implements Model {
  /** Model calls made. */
  calls = 0;

  constructor(private readonly delayMs: number) {}

  async getResponse(request: ModelRequest): Promise<ModelResponse> {
    const { output, responseId } = await this.respond(request);
    return { usage: new Usage(USAGE), output, responseId };
  }

  async *getStreamedResponse(request: ModelRequest): AsyncIterable<StreamEvent> {
    const { output, responseId } = await this.respond(request);
    yield { type: 'response_done', response: { id: responseId, usage: USAGE, output } };
  }

  private async respond(request: ModelRequest): Promise<{ output: protocol.OutputModelItem[]; responseId: string }> {
    this.calls += 1;
    await delay(this.delayMs);
    const offered = [...request.tools.map((tool) => tool.name), ...request.handoffs.map((handoff) => handoff.toolName)];
    const output: protocol.OutputModelItem[] =
      fakeDecision(offered) === 'handoff'
        ? [{ type: 'function_call', id: `fc_${randomUUID()}`, callId: `call_${randomUUID()}`, name: HANDOFF_TOOL, arguments: JSON.stringify(HANDOFF_ARGS), status: 'completed' }]
        : [{ type: 'message', id: `msg_${randomUUID()}`, role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: BILLING_REPLY }] }];
    return { output, responseId: `resp_${randomUUID()}` };
  }
}

export const create: ContenderFactory = async (options) => {
  if (options.store !== 'memory') throw new Error(`${NAME}: memory store only`);
  setTracingDisabled(true);
  const model = new FakeAgentsModel(options.modelDelayMs);
  const billing = new Agent({ name: 'billing', instructions: BILLING_PROMPT, model });
  const triage = new Agent({ name: 'triage', instructions: TRIAGE_PROMPT, model, handoffs: [billing] });
  billing.handoffs.push(triage);
  const sessions = new Map<string, { history: AgentInputItem[]; owner: Agent }>();
  return {
    name: NAME,
    async send(sessionId, text) {
      const session = sessions.get(sessionId);
      const result = await run(session?.owner ?? triage, [...(session?.history ?? []), user(text)]);
      const owner = result.lastAgent;
      if (result.finalOutput !== BILLING_REPLY || owner !== billing) throw new Error(`${NAME}: unexpected turn result (agent ${owner?.name}): ${result.finalOutput}`);
      sessions.set(sessionId, { history: result.history, owner });
      return BILLING_REPLY;
    },
    async bytesKept(sessionId) {
      const session = sessions.get(sessionId);
      return session ? Buffer.byteLength(JSON.stringify(session.history)) + Buffer.byteLength(session.owner.name) : 0;
    },
    async reset() {
      sessions.clear();
    },
    async close() {},
  };
};
