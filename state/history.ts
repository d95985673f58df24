/**
 * The history policy: which messages of the thread an agent's model sees.
 */
import type { AIMessage, BaseMessage, ToolMessage } from '@langchain/core/messages';
import { aiMessage, textOf } from '../models/messages.js';
import type { History } from '../config/schema.js';

/**
 * The messages `agent` sees under `policy`:
 * - the last `turns` user turns (a turn starts at a user message), or all of them;
 * - without `toolCalls`, earlier tool calls and results are dropped (an assistant message keeps
 *   its text), except the agent's own calls in progress, which its model needs to continue;
 * - never a tool result whose call is not shown, nor a call whose result is not shown.
 */
export function selectHistory(messages: readonly BaseMessage[], agent: string, policy: History): BaseMessage[] {
  const start = windowStart(messages, policy.turns);
  const window = messages.slice(start);
  const keepToolsFrom = policy.toolCalls ? 0 : ownActivationStart(window, agent);
  const interrupted = policy.toolCalls ? undefined : interruptedCalls(window, agent);
  const shown: BaseMessage[] = [];
  for (const [index, message] of window.entries()) {
    const kept = index >= keepToolsFrom || (interrupted !== undefined && index >= interrupted.start && index < interrupted.end);
    if (kept || (message.type !== 'tool' && !hasToolCalls(message))) {
      shown.push(message);
    } else if (message.type === 'ai' && textOf(message).trim() !== '') {
      shown.push(aiMessage({ content: textOf(message), id: message.id, name: message.name }));
    }
  }
  return pairToolMessages(shown);
}

/** The text of the last `turns` user turns, for a person taking over ("user: …", "billing: …"). */
export function transcript(messages: readonly BaseMessage[], turns: number): string {
  return messages
    .slice(windowStart(messages, turns))
    .filter((message) => (message.type === 'human' || message.type === 'ai') && textOf(message).trim() !== '')
    .map((message) => `${message.type === 'human' ? 'user' : (message.name ?? 'assistant')}: ${textOf(message)}`)
    .join('\n');
}

/** How many of the last turns a person is shown when a thread waits for them (an escalation, an approval). */
export const PERSON_TRANSCRIPT_TURNS = 6;

/** Where the last `turns` user turns start in `messages` (0 with fewer turns than that, or `all`). */
export function windowStart(messages: readonly BaseMessage[], turns: History['turns']): number {
  if (turns === 'all') return 0;
  let seen = 0;
  for (let index = messages.length - 1; index >= 0; index -= 1) {
    if (messages[index]?.type === 'human') {
      seen += 1;
      if (seen === turns) return index;
    }
  }
  return 0;
}

/** Where the agent's own run of messages in the current turn starts (its tool calls are kept from there). */
function ownActivationStart(window: readonly BaseMessage[], agent: string): number {
  let index = window.length;
  while (index > 0) {
    const message = window[index - 1] as BaseMessage;
    if (message.type === 'tool' || (message.type === 'ai' && message.name === agent)) index -= 1;
    else break;
  }
  return index;
}

/**
 * The agent's own calls that the user's latest message interrupted (a handoff waiting for approval
 * and the tools held back with it, answered as not run when the user wrote again): the agent's
 * response and its answers just before that message. Kept, so its model knows what became of them.
 */
function interruptedCalls(window: readonly BaseMessage[], agent: string): { start: number; end: number } | undefined {
  const end = window.findLastIndex((message) => message.type === 'human');
  let start = end;
  while (start > 0 && window[start - 1]?.type === 'tool') start -= 1;
  const asked = window[start - 1];
  if (start === end || asked?.type !== 'ai' || asked.name !== agent || !hasToolCalls(asked)) return undefined;
  return { start: start - 1, end };
}

function hasToolCalls(message: BaseMessage): boolean {
  return message.type === 'ai' && ((message as AIMessage).tool_calls?.length ?? 0) > 0;
}

/** Drops tool results whose call is not shown, and calls whose results are not all shown. */
function pairToolMessages(messages: BaseMessage[]): BaseMessage[] {
  const called = new Set<string>();
  const answered = new Set<string>();
  for (const message of messages) {
    if (message.type === 'ai') for (const call of (message as AIMessage).tool_calls ?? []) if (call.id) called.add(call.id);
    if (message.type === 'tool') answered.add((message as ToolMessage).tool_call_id);
  }
  return messages.flatMap((message) => {
    if (message.type === 'tool') return called.has((message as ToolMessage).tool_call_id) ? [message] : [];
    const calls = (message as AIMessage).tool_calls ?? [];
    if (message.type !== 'ai' || calls.length === 0 || calls.every((call) => call.id && answered.has(call.id))) return [message];
    return textOf(message).trim() ? [aiMessage({ content: textOf(message), id: message.id, name: message.name })] : [];
  });
}
