/**
 * LangGraph Swarm: two prebuilt ReAct agents (`createReactAgent`) in `createSwarm`, triage holding
 * `transfer_to_billing` and billing `transfer_to_triage`, compiled on the same checkpointers as
 * Switchboard (bench/contenders/stores.ts). The swarm remembers the active agent in its state, so
 * later turns start at billing.
 *
 * Not exactly the same work: swarm's handoff tools take no arguments, so the fake model's
 * `{ reason }` is dropped by the tool schema rather than carried to billing; each agent runs as a
 * subgraph of the swarm, whose checkpoints are kept too (that is what swarm does).
 */
import { createReactAgent } from '@langchain/langgraph/prebuilt';
import { createHandoffTool, createSwarm } from '@langchain/langgraph-swarm';
import { BILLING_PROMPT, BILLING_REPLY, TRIAGE_PROMPT } from '../workload.js';
import type { ContenderFactory } from '../workload.js';
import { FakeChatModel } from './fake-chat-model.js';
import { openStore } from './stores.js';

const NAME = 'swarm';

export const create: ContenderFactory = async (options) => {
  const store = await openStore(NAME, options);
  const llm = new FakeChatModel(options.modelDelayMs);
  const triage = createReactAgent({ llm, name: 'triage', prompt: TRIAGE_PROMPT, tools: [createHandoffTool({ agentName: 'billing' })] });
  const billing = createReactAgent({ llm, name: 'billing', prompt: BILLING_PROMPT, tools: [createHandoffTool({ agentName: 'triage' })] });
  const swarm = createSwarm({ agents: [triage, billing], defaultActiveAgent: 'triage' });
  // The memory store swaps in a new MemorySaver on reset, so compile against the current one.
  let graph = swarm.compile({ checkpointer: store.saver });
  return {
    name: NAME,
    async send(sessionId, text) {
      const state = await graph.invoke({ messages: [{ role: 'user', content: text }] }, { configurable: { thread_id: store.session(sessionId) } });
      const reply = state.messages.at(-1)?.text;
      if (reply !== BILLING_REPLY || state.activeAgent !== 'billing') throw new Error(`${NAME}: unexpected turn result (active ${state.activeAgent}): ${reply}`);
      return reply;
    },
    bytesKept: (sessionId) => store.bytesKept(sessionId),
    async reset() {
      await store.reset();
      graph = swarm.compile({ checkpointer: store.saver });
    },
    close: () => store.close(),
  };
};
