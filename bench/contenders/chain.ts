/**
 * The handoff-depth workload: one turn walks a chain of `handoffs` handoffs (bench/trees.ts,
 * `chainTree`), on Switchboard and on a hand-written LangGraph graph of the same chain in the form
 * of bench/contenders/langgraph.ts (a node per agent, `Command({ goto, update })` per handoff, the
 * message sent straight to the root as `Command` input). Each agent holds the same tools in both:
 * a handoff to its child and one back to its parent. Every turn is a new session.
 */
import { ToolMessage } from '@langchain/core/messages';
import type { AIMessage, BaseMessage } from '@langchain/core/messages';
import { tool } from '@langchain/core/tools';
import { Annotation, Command, END, MessagesAnnotation, START, StateGraph } from '@langchain/langgraph';
import { z } from 'zod';
import { switchboard } from '../build.js';
import { chainAgents, chainPrompt, chainStepOf, chainTree } from '../trees.js';
import { BILLING_REPLY } from '../workload.js';
import type { ContenderFactory } from '../workload.js';
import { FakeChatModel } from './fake-chat-model.js';
import type { ChooseTool } from './fake-chat-model.js';
import { openStore } from './stores.js';
import { switchboardContender } from './switchboard.js';

/** Hands on to the next step (read from the prompt the model is shown) when it holds that tool. */
export const chooseNextStep: ChooseTool = (tools, messages) => {
  const system = messages.find((message: BaseMessage) => message.type === 'system');
  const step = chainStepOf(system?.text ?? '');
  const next = step === undefined ? undefined : `transfer_to_step_${step + 1}`;
  return next !== undefined && tools.includes(next) ? next : undefined;
};

export function switchboardChain(handoffs: number): ContenderFactory {
  const last = chainAgents(handoffs).at(-1)!;
  return switchboardContender(`switchboard-chain-${handoffs}`, {}, { tree: async () => switchboard.parseTree(chainTree(handoffs), `chain-${handoffs}.yaml`), choose: chooseNextStep, answers: last });
}

const State = Annotation.Root({
  ...MessagesAnnotation.spec,
  activeAgent: Annotation<string>({ reducer: (_, next) => next, default: () => 'step_0' }),
});

const handoffTool = (target: string) =>
  tool(async () => `Transferred to ${target}.`, { name: `transfer_to_${target}`, description: `Hand the conversation to ${target}.`, schema: z.object({ reason: z.string() }) });

export function handwrittenChain(handoffs: number): ContenderFactory {
  const names = chainAgents(handoffs);
  const last = names.at(-1)!;
  const name = `langgraph-chain-${handoffs}`;
  return async (options) => {
    const store = await openStore(name, options);
    const model = new FakeChatModel(options.modelDelayMs, [], undefined, chooseNextStep);
    const agents = new Map(
      names.map((agent, index) => {
        const neighbours = [names[index + 1], names[index - 1]].filter((target): target is string => target !== undefined);
        return [agent, { prompt: chainPrompt(index), model: model.bindTools(neighbours.map(handoffTool)), targets: new Map(neighbours.map((target) => [`transfer_to_${target}`, target])), ends: [...neighbours, END] }];
      }),
    );
    const node = (agentName: string) => async (state: typeof State.State) => {
      const agent = agents.get(agentName)!;
      const response = (await agent.model.invoke([{ role: 'system', content: agent.prompt }, ...state.messages])) as AIMessage;
      const call = response.tool_calls?.[0];
      const target = call ? agent.targets.get(call.name) : undefined;
      if (call && target) {
        const answer = new ToolMessage({ content: `Transferred to ${target}.`, tool_call_id: call.id ?? '', name: call.name });
        return new Command({ goto: target, update: { messages: [response, answer], activeAgent: target } });
      }
      return new Command({ goto: END, update: { messages: [response], activeAgent: agentName } });
    };
    const builder = new StateGraph(State);
    for (const [agentName, agent] of agents) builder.addNode(agentName, node(agentName), { ends: agent.ends });
    (builder as unknown as { addEdge(from: string, to: string): void }).addEdge(START, names[0]!);
    let graph = builder.compile({ checkpointer: store.saver });
    return {
      name,
      async send(sessionId, text) {
        const update = { messages: [{ role: 'user', content: text }] };
        const state = await graph.invoke(new Command({ goto: names[0]!, update }) as Parameters<typeof graph.invoke>[0], { configurable: { thread_id: store.session(sessionId) } });
        const reply = state.messages.at(-1)?.text;
        if (reply !== BILLING_REPLY || state.activeAgent !== last) throw new Error(`${name}: unexpected turn result (active ${state.activeAgent}): ${reply}`);
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
}
