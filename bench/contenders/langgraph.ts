/**
 * A hand-written @langchain/langgraph graph doing the same work, the way the LangGraph docs write
 * a handoff: a node per agent, a handoff tool, `Command({ goto, update })`, and an `activeAgent`
 * channel that START routes on, so the next turn goes to the agent that owns the conversation.
 * It has none of Switchboard's checks (limits, payload validation, locks, usage, events).
 */
import { ToolMessage } from '@langchain/core/messages';
import type { AIMessage } from '@langchain/core/messages';
import { tool } from '@langchain/core/tools';
import { Annotation, Command, END, MessagesAnnotation, START, StateGraph } from '@langchain/langgraph';
import { z } from 'zod';
import { BILLING_PROMPT, BILLING_REPLY, HANDOFF_TOOL, TRIAGE_PROMPT } from '../workload.js';
import type { ContenderFactory } from '../workload.js';
import { FakeChatModel } from './fake-chat-model.js';
import { openStore } from './stores.js';

const State = Annotation.Root({
  ...MessagesAnnotation.spec,
  activeAgent: Annotation<string>({ reducer: (_, next) => next, default: () => 'triage' }),
});

const transferToBilling = tool(async () => 'Transferred to billing.', {
  name: HANDOFF_TOOL,
  description: 'Hand the conversation to billing.',
  schema: z.object({ reason: z.string() }),
});
const transferToTriage = tool(async () => 'Transferred to triage.', {
  name: 'transfer_to_triage',
  description: 'Hand the conversation back to the front desk.',
  schema: z.object({ reason: z.string() }),
});

function buildGraph(modelDelayMs: number) {
  const model = new FakeChatModel(modelDelayMs);
  const agents = {
    triage: { prompt: TRIAGE_PROMPT, model: model.bindTools([transferToBilling]), targets: { [HANDOFF_TOOL]: 'billing' } as Record<string, string> },
    billing: { prompt: BILLING_PROMPT, model: model.bindTools([transferToTriage]), targets: { transfer_to_triage: 'triage' } as Record<string, string> },
  };
  const node = (name: keyof typeof agents) => async (state: typeof State.State) => {
    const agent = agents[name];
    const response = (await agent.model.invoke([{ role: 'system', content: agent.prompt }, ...state.messages])) as AIMessage;
    const call = response.tool_calls?.[0];
    const target = call ? agent.targets[call.name] : undefined;
    if (call && target) {
      const answer = new ToolMessage({ content: `Transferred to ${target}.`, tool_call_id: call.id ?? '', name: call.name });
      return new Command({ goto: target, update: { messages: [response, answer], activeAgent: target } });
    }
    return new Command({ goto: END, update: { messages: [response], activeAgent: name } });
  };
  return new StateGraph(State)
    .addNode('triage', node('triage'), { ends: ['billing', END] })
    .addNode('billing', node('billing'), { ends: ['triage', END] })
    .addConditionalEdges(START, (state) => state.activeAgent, ['triage', 'billing']);
}

export const create: ContenderFactory = async (options) => {
  const store = await openStore('langgraph', options);
  const builder = buildGraph(options.modelDelayMs);
  let graph = builder.compile({ checkpointer: store.saver });
  return {
    name: 'langgraph',
    async send(sessionId, text) {
      const state = await graph.invoke({ messages: [{ role: 'user', content: text }] }, { configurable: { thread_id: sessionId } });
      const reply = state.messages.at(-1)?.text;
      if (reply !== BILLING_REPLY || state.activeAgent !== 'billing') throw new Error(`langgraph: unexpected reply ${reply}`);
      return reply;
    },
    bytesKept: (sessionId) => store.bytesKept(sessionId),
    async reset() {
      await store.reset();
      graph = builder.compile({ checkpointer: store.saver });
    },
    close: () => store.close(),
  };
};
