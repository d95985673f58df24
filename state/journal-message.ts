/**
 * A conversation message as plain JSON, the form the thread journal keeps (and `getTranscript`
 * returns): what a backend shows or exports, without LangChain's classes. Turned back into a
 * LangChain message by {@link messageFromJournal}.
 */
import { AIMessage, HumanMessage, SystemMessage, ToolMessage } from '@langchain/core/messages';
import type { BaseMessage, MessageContent, UsageMetadata } from '@langchain/core/messages';

export interface JournalMessage {
  /** `human` (the user), `ai` (an agent, or a person answering as one), `tool` (a tool's answer), `system`. */
  type: 'human' | 'ai' | 'tool' | 'system' | (string & {});
  /** The message id (for the user's message: the backend's messageId). */
  id: string | undefined;
  /** For `ai`: the agent that wrote it (a person's agent for a person's reply); for `tool`: the tool. */
  name?: string | undefined;
  /** Text, or content blocks as the model sent them. */
  content: MessageContent;
  /** For `ai`: the tools it called. */
  tool_calls?: { id: string | undefined; name: string; args: Record<string, unknown> }[] | undefined;
  /** For `tool`: the call it answers. */
  tool_call_id?: string | undefined;
  /** For `tool`: `error` when the tool failed. */
  status?: string | undefined;
  /** For `ai`: the tokens the provider reported. */
  usage?: UsageMetadata | undefined;
  /** For a person's reply: the operator who wrote it. */
  operator?: string | undefined;
}

/** The plain form of a LangChain message (a copy: later changes to the message do not reach it). */
export function messageToJournal(message: BaseMessage): JournalMessage {
  const plain: JournalMessage = { type: message.type, id: message.id, content: structuredClone(message.content) };
  if (message.name !== undefined) plain.name = message.name;
  if (message.type === 'ai') {
    const ai = message as AIMessage;
    if (ai.tool_calls?.length) plain.tool_calls = ai.tool_calls.map((call) => ({ id: call.id, name: call.name, args: structuredClone(call.args) }));
    if (ai.usage_metadata) plain.usage = structuredClone(ai.usage_metadata);
    const operator = (ai.additional_kwargs as { operator?: unknown } | undefined)?.operator;
    if (typeof operator === 'string') plain.operator = operator;
  }
  if (message.type === 'tool') {
    const tool = message as ToolMessage;
    plain.tool_call_id = tool.tool_call_id;
    if (tool.status !== undefined) plain.status = tool.status;
  }
  return plain;
}

/** The LangChain message of a plain one (unknown types come back as system messages with their content). */
export function messageFromJournal(plain: JournalMessage): BaseMessage {
  const common = { content: plain.content as string, ...(plain.id !== undefined ? { id: plain.id } : {}), ...(plain.name !== undefined ? { name: plain.name } : {}) };
  switch (plain.type) {
    case 'human':
      return new HumanMessage(common);
    case 'ai':
      // LangChain's field types fight exactOptionalPropertyTypes (see models/messages.ts).
      return new AIMessage({
        ...common,
        ...(plain.tool_calls ? { tool_calls: plain.tool_calls.map((call) => ({ ...call, id: call.id ?? '', type: 'tool_call' as const })) } : {}),
        ...(plain.usage ? { usage_metadata: plain.usage } : {}),
        ...(plain.operator !== undefined ? { additional_kwargs: { operator: plain.operator } } : {}),
      } as never);
    case 'tool':
      return new ToolMessage({ ...common, tool_call_id: plain.tool_call_id ?? '', ...(plain.status === 'error' || plain.status === 'success' ? { status: plain.status } : {}) });
    default:
      return new SystemMessage(common);
  }
}
