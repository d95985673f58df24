/**
 * A hand-written @langchain/langgraph graph doing the same work, the way the LangGraph docs write
 * a handoff: a node per agent, a handoff tool, `Command({ goto, update })`, and an `activeAgent`
 * channel. In its fairest form: the app remembers who owns each session (a Map, as the Agents SDK
 * contender does; a new session starts at triage), so each message goes straight to its owner as
 * `Command({ goto: owner, update })` input, with no START routing step (LangGraph then writes one
 * checkpoint fewer per turn). START still routes on `activeAgent` for plain input (a session this
 * process does not know). It has none of Switchboard's checks (limits, payload validation, locks,
 * usage, events) and keeps no transcript beside its checkpoints.
 */
import { ToolMessage } from '@langchain/core/messages';
import type { AIMessage } from '@langchain/core/messages';
import { tool } from '@langchain/core/tools';
import { Annotation, Command, END, MessagesAnnotation, START, StateGraph } from '@langchain/langgraph';
import { z } from 'zod';
import { BILLING_PROMPT, BILLING_REPLY, HANDOFF_TOOL, TRIAGE_PROMPT } from '../workload.js';
import type { ContenderFactory } from '../workload.js';
import { FakeChatModel } from './fake-chat-model.js';
import { hotCheckpointBytes, openStore } from './stores.js';

/** The user turns the desk's agents are shown (Switchboard's default history window). */
export const DESK_WINDOW_TURNS = 6;

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
  const owners = new Map<string, string>();
  return {
    name: 'langgraph',
    async send(sessionId, text) {
      const update = { messages: [{ role: 'user', content: text }] };
      const state = await graph.invoke(new Command({ goto: owners.get(sessionId) ?? 'triage', update }) as Parameters<typeof graph.invoke>[0], { configurable: { thread_id: store.session(sessionId) } });
      const reply = state.messages.at(-1)?.text;
      if (reply !== BILLING_REPLY || state.activeAgent !== 'billing') throw new Error(`langgraph: unexpected reply ${reply}`);
      owners.set(sessionId, state.activeAgent);
      return reply;
    },
    bytesKept: (sessionId) => store.bytesKept(sessionId),
    hotCheckpoint: (sessionId) => hotCheckpointBytes(store.saver, sessionId, DESK_WINDOW_TURNS),
    async reset() {
      owners.clear();
      await store.reset();
      graph = builder.compile({ checkpointer: store.saver });
    },
    close: () => store.close(),
  };
};
