/**
 * What an agent's model sees: its prompt, how the conversation reached it (the handoff payload),
 * the shared state, and the history its policy allows.
 */
import { SystemMessage } from '@langchain/core/messages';
import type { AIMessage, BaseMessage } from '@langchain/core/messages';
import { textOf } from '../models/messages.js';
import type { History } from '../config/schema.js';
import { currentFields } from './context.js';
import type { AgentRuntime } from './context.js';
import { selectHistory } from '../state/history.js';
import { lastMove } from '../state/trail.js';
import type { HandoffRecord, SwitchboardState } from '../state/schema.js';

/** The handoff that gave `agent` the conversation, while it still owns it. */
export function incomingHandoff(state: Pick<SwitchboardState, 'handoffs' | 'turn'>, agent: string): HandoffRecord | undefined {
  const last = lastMove(state);
  return last && last.to === agent ? last : undefined;
}

export function buildModelInput(agent: AgentRuntime, state: SwitchboardState, history: History = agent.history): BaseMessage[] {
  const parts = [agent.spec.prompt ?? agent.spec.description];
  const handoff = incomingHandoff(state, agent.name);
  if (handoff) {
    const how =
      handoff.kind === 'fallback' || handoff.kind === 'limit'
        ? `You are taking over from ${handoff.from} (${handoff.kind}: ${handoff.reason ?? 'no reason given'}).`
        : `${handoff.from} handed this conversation to you (${handoff.kind}${handoff.tool ? ` via ${handoff.tool}` : ''}).`;
    const payload = Object.keys(handoff.payload).length > 0 ? `\nHandoff details: ${JSON.stringify(handoff.payload)}` : '';
    parts.push(`## Handoff\n${how}${payload}`);
  }
  // As the tree declares them now (a field removed or retyped by a tree edit may linger in an older thread's state).
  const fields = Object.entries(currentFields(agent, state.fields));
  if (fields.length > 0) parts.push(`## Shared state\n${fields.map(([key, value]) => `${key}: ${JSON.stringify(value)}`).join('\n')}`);
  const shown = selectHistory(state.messages, agent.name, history);
  const said = trailingWords(shown);
  const speaker = (message: BaseMessage) => (message.name === agent.name ? `${agent.name} (you)` : (message.name ?? 'another agent'));
  if (said.length > 0) parts.push(`## Said to the user since their last message\n${said.map((message) => `${speaker(message)}: ${textOf(message)}`).join('\n')}`);
  return [new SystemMessage(parts.join('\n\n')), ...shown.slice(0, shown.length - said.length)];
}

/**
 * The text written at the end of the history, after the user's last message (or tool result): an
 * agent that handed off with a few words, a person's reply before a hand-back, this agent's own
 * words before the conversation left it and came back in the same turn. Left as the last messages,
 * they would end the request on an assistant turn, which Anthropic's API takes as the start of this
 * agent's own answer to continue (and refuses when it ends in a space); so they go in the prompt,
 * and the history ends where the user (or a tool) spoke last.
 */
function trailingWords(messages: readonly BaseMessage[]): BaseMessage[] {
  let start = messages.length;
  while (start > 0) {
    const message = messages[start - 1] as BaseMessage;
    if (message.type !== 'ai' || ((message as AIMessage).tool_calls?.length ?? 0) > 0) break;
    start -= 1;
  }
  return messages.slice(start);
}
