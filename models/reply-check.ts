/**
 * What a provider's streamed reply must be before Switchboard takes it. LangChain's clients are
 * lenient where Switchboard cannot be:
 * - a stream that ends before the reply does (a dropped connection, a proxy's timeout) is returned
 *   as if it were the whole reply: half a sentence becomes the answer, half a tool call is run;
 * - a streamed tool call's arguments are read with a partial-JSON parser, which completes what was
 *   cut off (`{"invoice_id": "INV-10` is read as `{ invoice_id: "INV-10" }`), so a call the model
 *   did not finish (stopped at `maxTokens`) or sent as broken JSON runs with made-up arguments;
 *   a reply that is not streamed gets the strict reading, and the model is told (README);
 * - a streamed Anthropic reply keeps the pieces it was streamed in (see {@link wholeBlocks}).
 * The provider models Switchboard builds (models/resolve.ts) check their replies here.
 */
import type { AIMessageChunk, InvalidToolCall, ToolCall, ToolCallChunk } from '@langchain/core/messages';

/**
 * A reply that ended before the provider said it was done. Its message says "connection error"
 * so that the one retry layer (nodes/model-call.ts) treats it as the dropped connection it is.
 */
export class ReplyCutShortError extends Error {
  override readonly name = 'ReplyCutShortError';
}

/**
 * A reply the server finished with nothing in it: a stream whose chunks carried no choice (only
 * its usage, before `[DONE]`), or a body with none that a caller rethrows as this (the eval judge).
 * The server's malformed answer, as a 200 with `choices: []` that is not streamed is (see
 * {@link heldNoReply}), not a dropped connection.
 */
export class ReplyWithoutChoicesError extends Error {
  override readonly name = 'ReplyWithoutChoicesError';
}

/**
 * Whether a model call failed because the provider's 200 answer held no reply: a finished stream
 * with no choice ({@link ReplyWithoutChoicesError}), or a body with `choices: []` or `null`, which
 * the client fails reading (a TypeError). The one check agents' calls (nodes/model-call.ts) and the
 * eval judge share: both retry it as the server's failure.
 */
export function heldNoReply(error: unknown): boolean {
  if (error instanceof ReplyWithoutChoicesError) return true;
  return error instanceof TypeError && /Cannot read properties of (undefined|null)/.test(error.message);
}

/**
 * Where a provider's client puts the reason the reply ended, on the reply it returns (streamed or
 * not), by provider. OpenAI's client keeps its finish_reason off a streamed reply: its stream is
 * checked as it arrives instead ({@link endedStream}).
 */
const END_REASON: Record<string, (reply: AIMessageChunk) => unknown> = {
  // The Messages API's stop_reason: message_delta's (streamed, in additional_kwargs) or the message's.
  anthropic: (reply) => reply.response_metadata?.stop_reason ?? reply.additional_kwargs?.stop_reason,
};

/**
 * The reply, checked: throws {@link ReplyCutShortError} when the provider never said why it ended
 * (for the providers whose clients say it on the reply: Anthropic), and reads streamed tool-call
 * arguments strictly (broken JSON becomes an invalid tool call, which the model is told about).
 */
export function checkedReply(reply: AIMessageChunk, provider: string): AIMessageChunk {
  const endReason = END_REASON[provider];
  if (endReason && isMissing(endReason(reply))) throw cutShort(provider);
  const checked = strictToolCalls(reply);
  if (provider === 'anthropic') checked.content = wholeBlocks(checked);
  return checked;
}

/**
 * A streamed Anthropic reply's content as the Messages API returns a whole one. Streamed, each
 * block keeps its stream `index`, and a tool_use block has an empty input followed by the
 * `input_json_delta` blocks it was sent in: shown to another provider's model (a model fallback,
 * an agent that sees tool calls), OpenAI refuses those blocks (a 400), so the fallback fails
 * exactly when it is needed.
 */
function wholeBlocks(reply: AIMessageChunk): AIMessageChunk['content'] {
  if (typeof reply.content === 'string') return reply.content;
  const inputs = new Map<string, unknown>([...reply.tool_calls ?? [], ...(reply.invalid_tool_calls ?? []).map((call) => ({ ...call, args: {} }))].flatMap((call) => (call.id ? [[call.id, call.args]] : [])));
  return reply.content.flatMap((block) => {
    if (block.type === 'input_json_delta') return [];
    const { index: _index, ...rest } = block as Record<string, unknown>;
    if (rest.type === 'tool_use' && typeof rest.id === 'string' && inputs.has(rest.id)) rest.input = inputs.get(rest.id);
    return [rest];
  }) as AIMessageChunk['content'];
}

/**
 * A stream of generation chunks that throws {@link ReplyCutShortError} at its end when no chunk
 * carried a finish reason (`generationInfo.finish_reason`, where OpenAI's client puts it), or
 * {@link ReplyWithoutChoicesError} when the stream came whole but no chunk carried a choice: OpenAI's
 * client gives each choice's chunk its generation info, and the usage it adds at the end none.
 */
export async function* endedStream<T extends { generationInfo?: Record<string, unknown> | undefined }>(chunks: AsyncIterable<T>, provider: string): AsyncGenerator<T> {
  let ended = false;
  let chunkCount = 0;
  let choiceCount = 0;
  for await (const chunk of chunks) {
    chunkCount += 1;
    if (chunk.generationInfo !== undefined) choiceCount += 1;
    if (!isMissing(chunk.generationInfo?.finish_reason)) ended = true;
    yield chunk;
  }
  if (ended) return;
  // Its usage came (sent last, before `[DONE]`), its reply did not: the stream was whole, and empty.
  if (chunkCount > 0 && choiceCount === 0) throw withoutChoices(provider);
  throw cutShort(provider);
}

/**
 * LangChain's "Received empty response" (a 200 whose stream carried no chunk at all: a body that
 * is not a stream, or a connection closed at once) as the dropped connection it is; other errors as they are.
 */
export function replyError(error: unknown, provider: string): unknown {
  if (error instanceof Error && error.message === 'Received empty response from chat model call.') return cutShort(provider, { cause: error });
  return error;
}

function cutShort(provider: string, options?: ErrorOptions): ReplyCutShortError {
  return new ReplyCutShortError(`${labelOf(provider)}'s reply was cut short: the stream ended before the provider said the reply was done (connection error)`, options);
}

function withoutChoices(provider: string): ReplyWithoutChoicesError {
  const where = provider === 'openai' ? "the base URL (the model's baseURL, else $OPENAI_BASE_URL) is an OpenAI-compatible Chat Completions server and that it serves this model" : "the provider's endpoint serves this model";
  return new ReplyWithoutChoicesError(`${labelOf(provider)}'s streamed reply ended with no choice in any chunk (only its usage): check that ${where}`);
}

function labelOf(provider: string): string {
  return provider === 'openai' ? 'OpenAI' : provider === 'anthropic' ? 'Anthropic' : provider;
}

function isMissing(value: unknown): boolean {
  return value === undefined || value === null || value === '';
}

/**
 * The reply with its tool calls read from the streamed chunks by strict JSON. A reply that was not
 * streamed has no chunks: its client already read the arguments strictly.
 */
function strictToolCalls(reply: AIMessageChunk): AIMessageChunk {
  const chunks = reply.tool_call_chunks ?? [];
  if (chunks.length === 0) return reply;
  const toolCalls: ToolCall[] = [];
  const invalidToolCalls: InvalidToolCall[] = [];
  for (const call of callsOf(chunks)) {
    const parsed = parseArguments(call.args);
    // A call the provider sent without an id is still a call: Switchboard gives every call its own id.
    if (parsed.ok) toolCalls.push({ name: call.name, args: parsed.args, ...(call.id ? { id: call.id } : {}), type: 'tool_call' });
    else invalidToolCalls.push({ name: call.name, args: call.args, ...(call.id ? { id: call.id } : {}), error: parsed.error, type: 'invalid_tool_call' });
  }
  // Assigned, not passed to a new chunk: a chunk built from tool_call_chunks reads them leniently again.
  Object.assign(reply, { tool_calls: toolCalls, invalid_tool_calls: invalidToolCalls });
  return reply;
}

/**
 * The calls of a reply's chunks, grouped as LangChain groups them, in order: by index, else by id;
 * a chunk with the index of an earlier call but another id starts a call of its own (some servers,
 * Ollama among them, send every parallel call at index 0).
 */
function callsOf(chunks: ToolCallChunk[]): { name: string; id: string | undefined; args: string }[] {
  const calls: { name: string; id: string | undefined; args: string; index: number | undefined }[] = [];
  for (const chunk of chunks) {
    const sameIndex = (call: (typeof calls)[number]) => call.index === chunk.index && (chunk.id === undefined || call.id === undefined || call.id === chunk.id);
    // The latest call it can continue: a continuation chunk of the second call at index 0 belongs to it, not the first.
    const same = calls.findLast((call) => (chunk.index !== undefined ? sameIndex(call) : chunk.id !== undefined && call.id === chunk.id));
    if (same) {
      same.args += chunk.args ?? '';
      same.id ??= chunk.id;
      if (!same.name && chunk.name) same.name = chunk.name;
    } else {
      calls.push({ name: chunk.name ?? '', id: chunk.id, args: chunk.args ?? '', index: chunk.index });
    }
  }
  return calls;
}

/**
 * A call's arguments: blank means none (some servers send `""` for a call without parameters);
 * otherwise one JSON object. The error of one that is not says which it is (as LangChain's client
 * words broken JSON, `Error:` before the parser's complaint), JSON that is not an object apart.
 */
function parseArguments(text: string): { ok: true; args: Record<string, unknown> } | { ok: false; error: string } {
  if (text.trim() === '') return { ok: true, args: {} };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, error: `The arguments are not valid JSON.\nError: ${(error as Error).message}` };
  }
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) return { ok: true, args: value as Record<string, unknown> };
  return { ok: false, error: `The arguments are JSON but not an object (${jsonKindOf(value)}).` };
}

/** What a JSON value that is not an object is, in words: `an array`, `a string`, `a number`, `a boolean`, `null`. */
export function jsonKindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return typeof value === 'string' ? 'a string' : typeof value === 'number' ? 'a number' : typeof value === 'boolean' ? 'a boolean' : typeof value;
}

/**
 * The reasons providers give for a reply stopped at its output ceiling (the model's `maxTokens`):
 * OpenAI's and Ollama's `length`, Anthropic's `max_tokens`, Google's `MAX_TOKENS`.
 */
const CUT_AT_MAX_TOKENS = new Set(['length', 'max_tokens', 'MAX_TOKENS']);

/**
 * Whether the provider stopped the reply at its output ceiling: what it says is only the start of
 * an answer. (A tool call cut off so has broken arguments, and is refused: see {@link checkedReply}.)
 */
export function cutAtMaxTokens(message: { response_metadata?: Record<string, unknown> | undefined; additional_kwargs?: Record<string, unknown> | undefined }): boolean {
  const metadata = message.response_metadata ?? {};
  const reason = metadata.finish_reason ?? metadata.stop_reason ?? metadata.finishReason ?? metadata.done_reason ?? message.additional_kwargs?.stop_reason;
  return typeof reason === 'string' && CUT_AT_MAX_TOKENS.has(reason);
}
