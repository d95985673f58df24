/**
 * Small constructors over LangChain's message classes: its generic field types fight
 * `exactOptionalPropertyTypes`, so the casts live here, once.
 */
import { AIMessage, AIMessageChunk } from '@langchain/core/messages';
import type { BaseMessage, InvalidToolCall, ToolCall, ToolCallChunk, UsageMetadata } from '@langchain/core/messages';

export interface AIMessageInit {
  content: AIMessage['content'];
  id?: string | undefined;
  name?: string | undefined;
  toolCalls?: ToolCall[] | undefined;
  invalidToolCalls?: InvalidToolCall[] | undefined;
  usage?: UsageMetadata | undefined;
  additionalKwargs?: Record<string, unknown> | undefined;
  responseMetadata?: Record<string, unknown> | undefined;
}

export function aiMessage(init: AIMessageInit): AIMessage {
  const fields: Record<string, unknown> = { content: init.content };
  if (init.id !== undefined) fields.id = init.id;
  if (init.name !== undefined) fields.name = init.name;
  if (init.toolCalls) fields.tool_calls = init.toolCalls;
  if (init.invalidToolCalls) fields.invalid_tool_calls = init.invalidToolCalls;
  if (init.usage) fields.usage_metadata = init.usage;
  if (init.additionalKwargs) fields.additional_kwargs = init.additionalKwargs;
  if (init.responseMetadata) fields.response_metadata = init.responseMetadata;
  return new AIMessage(fields);
}

export function aiMessageChunk(init: { content: string; id?: string | undefined; toolCallChunks?: ToolCallChunk[]; usage?: UsageMetadata | undefined }): AIMessageChunk {
  const fields: Record<string, unknown> = { content: init.content };
  if (init.id !== undefined) fields.id = init.id;
  if (init.toolCallChunks) fields.tool_call_chunks = init.toolCallChunks;
  if (init.usage) fields.usage_metadata = init.usage;
  return new AIMessageChunk(fields);
}

/** The provider's token usage of a response, if it reported one. */
export function usageOf(message: AIMessage | AIMessageChunk): UsageMetadata | undefined {
  return (message as unknown as { usage_metadata?: UsageMetadata }).usage_metadata;
}

/**
 * The input tokens of a usage that the provider's prompt cache served (`read`) or stored (`write`),
 * from LangChain's `input_token_details`: `cache_read` (OpenAI's `prompt_tokens_details.cached_tokens`,
 * Anthropic's `cache_read_input_tokens`) and `cache_creation` (Anthropic's `cache_creation_input_tokens`).
 * Both are among `input_tokens`. A count that is missing or not a count (OpenAI's client copies a
 * `null`) is 0.
 */
export function cacheTokensOf(usage: UsageMetadata): { read: number; write: number } {
  const details = usage.input_token_details;
  return { read: tokenCount(details?.cache_read), write: tokenCount(details?.cache_creation) };
}

function tokenCount(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : 0;
}

/**
 * The text of a message. The same as LangChain's `message.text`, which converts the content to
 * standard blocks on every read (most of the cost of a short message's bookkeeping): plain string
 * content, the usual case, is returned as it is.
 */
export function textOf(message: BaseMessage): string {
  const content: unknown = message.content;
  if (typeof content === 'string') return content;
  // Content that is neither text nor content blocks (a number from a client's JSON) has no text.
  return Array.isArray(content) && content.every((block) => typeof block === 'string' || (block !== null && typeof block === 'object')) ? message.text : '';
}

/** Whitespace, control and invisible format characters (NUL, zero-width space, BOM…): nothing a person reads. */
const UNSEEN = /[\s\p{Cc}\p{Cf}]/gu;

/** Whether `text` holds nothing a person or a model could read (empty, spaces, NULs, zero-width characters). */
export function isBlank(text: string): boolean {
  return text.replace(UNSEEN, '') === '';
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * `text` with each lone surrogate (half an emoji, from a client that cut a string in two) replaced
 * by U+FFFD, as a browser shows it: providers refuse malformed UTF-16 with a 400, which would fail
 * every later turn that shows the model the message.
 */
export function wellFormed(text: string): string {
  return text.replace(LONE_SURROGATE, '\uFFFD');
}

/**
 * Why a user's message cannot be put to a model — content that is neither text nor content
 * blocks, no text at all, or malformed text — or undefined when it can.
 */
export function unusableUserMessage(message: BaseMessage): string | undefined {
  const content: unknown = message.content;
  if (typeof content === 'string') {
    if (isBlank(content)) return 'The message is empty: there is nothing for an agent to answer.';
    return wellFormed(content) === content ? undefined : 'The message contains a lone surrogate (malformed UTF-16): send well-formed text.';
  }
  if (!Array.isArray(content) || content.length === 0 || !content.every((block) => block !== null && typeof block === 'object' && typeof (block as { type?: unknown }).type === 'string')) {
    return 'The message content must be text (a string) or a list of content blocks, each with a type.';
  }
  return undefined;
}

/**
 * The text a streamed chunk adds: its content when it is a string (OpenAI), or its text blocks
 * (Anthropic streams `[{ type: 'text', text, index }]`, and tool input as other blocks).
 */
export function deltaTextOf(chunk: AIMessageChunk): string {
  const content: unknown = chunk.content;
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  let text = '';
  for (const block of content as { type?: unknown; text?: unknown }[]) if (block.type === 'text' && typeof block.text === 'string') text += block.text;
  return text;
}
