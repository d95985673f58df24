/**
 * One model call of an agent, with the one retry layer: a timeout per call (the agent's SLA),
 * retries with backoff for 429 (honouring Retry-After), 5xx and dropped connections, then the
 * agent's model fallbacks in order. The OpenAI client's own retries are off (see models/resolve.ts).
 */
import { randomUUID } from 'node:crypto';
import { BaseCallbackHandler } from '@langchain/core/callbacks/base';
import type { Callbacks } from '@langchain/core/callbacks/manager';
import type { AIMessage, AIMessageChunk, BaseMessage } from '@langchain/core/messages';
import type { LLMResult } from '@langchain/core/outputs';
import type { LangGraphRunnableConfig } from '@langchain/langgraph';
import { aiMessage, usageOf } from '../models/messages.js';
import { heldNoReply } from '../models/reply-check.js';
import type { BoundModel, TreeRuntime } from './context.js';
import { linkedAbort, unlessAborted } from './abort.js';
import { emit } from './events.js';
import { logFields, threadIdOf } from './turn.js';
import type { Turn } from '../state/schema.js';

/** Why a model call failed, as far as what to do next is concerned. */
export type ModelFailureKind = 'timeout' | 'rate-limit' | 'server' | 'connection' | 'context-length' | 'rejected';

export class ModelCallFailure extends Error {
  override readonly name = 'ModelCallFailure';
  constructor(
    readonly kind: ModelFailureKind,
    message: string,
    readonly attempts: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface ModelCallResult {
  message: AIMessage;
  modelId: string;
  latencyMs: number;
  /** Calls sent to providers, retries and model fallbacks included. */
  attempts: number;
  /** The answering model's own part of the call (the models that failed before it went to `onModelFailed`). */
  answered: ModelTry;
}

/**
 * One model's part of a call: its attempts (its retries included) and its times. Spans, metrics
 * and usage credit each model with its own part, never a fallback model with the failures before it.
 */
export interface ModelTry {
  modelId: string;
  attempts: number;
  /** When its first attempt started (epoch milliseconds). */
  startedAt: number;
  /** From its first attempt's start to its last one's end (the waits between its retries included). */
  durationMs: number;
}

export interface CallModelOptions {
  stream?: boolean;
  turn?: Turn;
  /** Told of each model that failed, as it fails (before the next model is tried, or the failure is thrown). */
  onModelFailed?: (tried: ModelTry, failure: ModelCallFailure) => void;
}

/** The default time a model call may take when neither the model nor the tree sets one. */
export const DEFAULT_MODEL_TIMEOUT_MS = 60_000;

/**
 * Calls the agent's models in order until one answers. Throws {@link ModelCallFailure} (the last
 * failure) when every model failed; a context-length error is not retried on another model.
 */
export async function callModel(
  runtime: TreeRuntime,
  agent: string,
  models: readonly BoundModel[],
  messages: BaseMessage[],
  config: LangGraphRunnableConfig,
  options: CallModelOptions = {},
): Promise<ModelCallResult> {
  let attempts = 0;
  let lastFailure: ModelCallFailure | undefined;
  // Made when a retry or a fallback is logged, not on every call.
  const logger = () => runtime.logger.child({ agent, thread_id: threadIdOf(config) });
  for (const [index, model] of models.entries()) {
    if (index > 0 && lastFailure) {
      emit(config, logger(), { type: 'model-fallback', agent, from: models[index - 1]?.id ?? '', to: model.id, reason: lastFailure.kind }, options.turn ? logFields(options.turn) : {}, runtime.observers);
    }
    const tried = startTry(model.id);
    for (let retry = 0; ; retry += 1) {
      attempts += 1;
      tried.attempts += 1;
      try {
        const ids = new MessageIds();
        const chunk = await invokeWithTimeout(model, messages, config, agent, options.stream ?? true, ids);
        const answered = endTry(tried);
        // The answering model's whole try, its retries and their pauses included (as a failed try counts them).
        return { message: toMessage(chunk, agent, ids), modelId: model.id, latencyMs: answered.durationMs, attempts, answered };
      } catch (error) {
        if (config.signal?.aborted) throw error;
        lastFailure = classify(error, attempts);
        if (lastFailure.kind === 'context-length' || lastFailure.kind === 'rejected' || lastFailure.kind === 'timeout') break;
        if (retry >= runtime.retry.attempts) break;
        const delayMs = backoff(runtime, retry, error);
        // A server asking for a longer pause than the tree allows: move on to the fallbacks instead (saying why).
        if (delayMs === undefined) {
          const why = `${lastFailure.message} (the server asked to wait ${retryAfterMs(error)} ms, longer than retry.maxDelayMs: ${runtime.retry.maxDelayMs} ms)`;
          lastFailure = new ModelCallFailure(lastFailure.kind, why, attempts, { cause: error });
          break;
        }
        emit(config, logger(), { type: 'model-retry', agent, attempt: retry + 1, delayMs, reason: lastFailure.kind }, options.turn ? logFields(options.turn) : {}, runtime.observers);
        // A stopped run does not sit out the pause (it would hold the thread through it).
        await unlessAborted(runtime.sleep(delayMs), config.signal);
      }
    }
    if (lastFailure) options.onModelFailed?.(endTry(tried), lastFailure);
    if (lastFailure?.kind === 'context-length') break;
  }
  const failure = lastFailure ?? new ModelCallFailure('rejected', 'The agent has no model.', attempts);
  throw new ModelCallFailure(failure.kind, failure.message, attempts, { cause: failure.cause });
}

/** A model's part of a call, begun now (its times are measured from here). */
function startTry(modelId: string): ModelTry & { started: number } {
  return { modelId, attempts: 0, startedAt: Date.now(), durationMs: 0, started: performance.now() };
}

function endTry({ started, ...tried }: ModelTry & { started: number }): ModelTry {
  return { ...tried, durationMs: performance.now() - started };
}

/**
 * The id the stored message gets (Switchboard's own, see {@link toMessage}), and the provider's.
 * With LangGraph's `messages` stream mode on, the streamed chunks carry the stored message's id
 * (stamped before LangGraph's handler sees them): LangGraph then knows the message the node returns
 * as the one it streamed, and does not send it a second time under another id.
 */
class MessageIds {
  readonly id = randomUUID();
  providerId: string | undefined;

  stamp(message: BaseMessage | undefined): void {
    if (!message || message.id === this.id) return;
    this.providerId ??= message.id;
    message.id = this.id;
    (message.lc_kwargs as { id?: string }).id = this.id;
  }

  /** `callbacks` with a handler that stamps the chunks first, when LangGraph streams messages through them; else as they are. */
  stampingIn(callbacks: Callbacks): Callbacks {
    const streamed = Array.isArray(callbacks) ? callbacks.some(isMessagesStreamer) : callbacks.handlers.some(isMessagesStreamer);
    if (!streamed) return callbacks;
    const stamper = new IdStamper(this);
    if (Array.isArray(callbacks)) return [stamper, ...callbacks];
    const manager = callbacks.copy();
    manager.handlers.unshift(stamper);
    manager.inheritableHandlers.unshift(stamper);
    return manager;
  }
}

/** Stamps a model run's chunks (and its final message) with the stored message's id. */
class IdStamper extends BaseCallbackHandler {
  override name = 'switchboard_message_ids';

  constructor(private readonly ids: MessageIds) {
    // Run at once, in order (first in the list): the streaming handler must see the stamped id.
    super({ _awaitHandler: true });
  }

  override handleLLMNewToken(_token: string, _index: unknown, _runId: string, _parentRunId?: string, _tags?: string[], fields?: { chunk?: unknown }): void {
    this.ids.stamp((fields?.chunk as { message?: BaseMessage } | undefined)?.message);
  }

  override handleLLMEnd(output: LLMResult): void {
    this.ids.stamp((output.generations[0]?.[0] as { message?: BaseMessage } | undefined)?.message);
  }
}

/** LangGraph's handler of the `messages` stream mode. */
function isMessagesStreamer(handler: unknown): boolean {
  const name = (handler as { name?: unknown }).name;
  return name === 'StreamMessagesHandler' || name === 'StreamProtocolMessagesHandler';
}

async function invokeWithTimeout(model: BoundModel, messages: BaseMessage[], config: LangGraphRunnableConfig, agent: string, stream: boolean, ids: MessageIds): Promise<AIMessageChunk> {
  const timeoutMs = model.timeoutMs ?? DEFAULT_MODEL_TIMEOUT_MS;
  const { controller, dispose } = linkedAbort(config.signal);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new ModelCallFailure('timeout', `The model did not answer within ${timeoutMs} ms.`, 0));
    }, timeoutMs);
  });
  try {
    return await Promise.race([
      model.runnable.invoke(messages, {
        ...(config.callbacks ? { callbacks: stream ? ids.stampingIn(config.callbacks) : config.callbacks } : {}),
        // Tracers (LangSmith's via LANGSMITH_TRACING) show the call as "<agent> model", with the agent and model id.
        metadata: { ...config.metadata, switchboard_agent: agent, switchboard_model: model.id },
        // A helper's tokens are not the answer the user reads: keep them out of the messages stream.
        tags: [...(config.tags ?? []), ...(stream ? [] : ['nostream'])],
        signal: controller.signal,
        runName: `${agent} model`,
      }),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
    dispose();
  }
}

/**
 * The response as Switchboard stores it:
 * - signed with the agent's name (in the constructor fields, so it survives checkpoints);
 * - a fresh id (the provider's id is kept in `response_metadata.provider_message_id`);
 * - fresh tool-call ids, minted here (the provider's are kept in `response_metadata.provider_tool_call_ids`):
 *   some providers send `call_0` every time, and a tool call's id is its side effects' idempotency key.
 *   The response is checkpointed before tools with side effects run, so a replay sees the same ids;
 * - tool calls with malformed JSON arguments are kept as calls (with empty arguments) as well as in
 *   `invalid_tool_calls`, so every call the provider sent is in the history and gets its ToolMessage;
 * - an OpenAI refusal is read from the raw response into `additional_kwargs.refusal`, and the raw
 *   response is dropped (it would bloat every checkpoint).
 */
function toMessage(chunk: AIMessageChunk | AIMessage, agent: string, ids: MessageIds): AIMessage {
  const { __raw_response: raw, tool_calls: _rawCalls, ...additionalKwargs } = (chunk.additional_kwargs ?? {}) as Record<string, unknown>;
  const refusal = refusalIn(raw);
  // Empty arguments (`""`, which some servers send for a call without parameters) mean `{}`.
  const blank = (call: { args?: string | undefined }) => (call.args ?? '').trim() === '';
  const calls = [...(chunk.tool_calls ?? []), ...(chunk.invalid_tool_calls ?? []).filter(blank).map((call) => ({ name: call.name ?? 'unknown', args: {}, type: 'tool_call' as const }))].map((call) => ({ ...call, id: mintToolCallId() }));
  const invalid = (chunk.invalid_tool_calls ?? []).filter((call) => !blank(call)).map((call) => ({ ...call, id: mintToolCallId() }));
  const providerIds = [...(chunk.tool_calls ?? []), ...(chunk.invalid_tool_calls ?? [])].map((call) => call.id ?? null);
  // Anthropic sends the calls back as tool_use blocks of the content too: they must carry the ids the ToolMessages answer.
  const renamed = new Map<string, string>();
  [...(chunk.tool_calls ?? []), ...(chunk.invalid_tool_calls ?? []).filter(blank)].forEach((call, index) => call.id && renamed.set(call.id, calls[index]?.id as string));
  (chunk.invalid_tool_calls ?? []).filter((call) => !blank(call)).forEach((call, index) => call.id && renamed.set(call.id, invalid[index]?.id as string));
  const providerId = ids.providerId ?? (chunk.id === ids.id ? undefined : chunk.id);
  const metadata = { ...chunk.response_metadata, ...(providerId ? { provider_message_id: providerId } : {}), ...(providerIds.length ? { provider_tool_call_ids: providerIds } : {}) };
  return aiMessage({
    content: renameToolUseIds(chunk.content, renamed),
    // Our own id: providers' ids are not always unique, and LangGraph's messages reducer replaces a
    // message that has the id of an earlier one.
    id: ids.id,
    name: agent,
    toolCalls: [...calls, ...invalid.map((call) => ({ id: call.id, name: call.name ?? 'unknown', args: {}, type: 'tool_call' as const }))],
    invalidToolCalls: invalid,
    additionalKwargs: refusal === undefined ? additionalKwargs : { ...additionalKwargs, refusal },
    responseMetadata: metadata,
    usage: usageOf(chunk),
  });
}

/** Content blocks with the tool-call ids Switchboard minted in place of the provider's (string content as it is). */
function renameToolUseIds(content: AIMessage['content'], renamed: Map<string, string>): AIMessage['content'] {
  if (typeof content === 'string' || renamed.size === 0) return content;
  return content.map((block) => {
    const id = (block as { id?: unknown }).id;
    return typeof id === 'string' && renamed.has(id) ? { ...block, id: renamed.get(id) } : block;
  }) as AIMessage['content'];
}

/** A tool-call id of Switchboard's own: unique, and in the alphabet every provider accepts back. */
export function mintToolCallId(): string {
  return `call_sb${randomUUID().replaceAll('-', '').slice(0, 24)}`;
}

function refusalIn(raw: unknown): string | undefined {
  const choice = (raw as { choices?: { message?: { refusal?: unknown }; delta?: { refusal?: unknown } }[] } | undefined)?.choices?.[0];
  const refusal = choice?.message?.refusal ?? choice?.delta?.refusal;
  return typeof refusal === 'string' && refusal !== '' ? refusal : undefined;
}

interface HttpLikeError {
  status?: number;
  code?: string;
  headers?: Headers | Record<string, string>;
  error?: { code?: string; type?: string };
  lc_error_code?: string;
  cause?: unknown;
}

/** Error types a provider sends for its own failures in the body of a 200 stream. */
const SERVER_ERROR_TYPES = new Set(['server_error', 'api_error', 'overloaded_error']);

function classify(error: unknown, attempts: number): ModelCallFailure {
  if (error instanceof ModelCallFailure) return new ModelCallFailure(error.kind, error.message, attempts, { cause: error });
  const http = (error ?? {}) as HttpLikeError;
  const status = http.status ?? (http.cause as HttpLikeError | undefined)?.status;
  // Without the troubleshooting link LangChain appends to its errors: the turn's error is one line.
  const message = (error instanceof Error ? error.message : String(error)).replace(/\s*Troubleshooting URL: \S+\s*$/, '');
  const code = http.code ?? http.error?.code ?? '';
  // OpenAI's context_length_exceeded; Anthropic's "prompt is too long" (LangChain's ContextOverflowError).
  if (code === 'context_length_exceeded' || (error as Error | undefined)?.name === 'ContextOverflowError' || /context.length|maximum context|too many tokens|prompt is too long/i.test(message)) {
    return new ModelCallFailure('context-length', message, attempts, { cause: error });
  }
  if (status === 429) return new ModelCallFailure('rate-limit', message, attempts, { cause: error });
  if (status !== undefined && status >= 500) return new ModelCallFailure('server', message, attempts, { cause: error });
  if (status !== undefined) return new ModelCallFailure('rejected', message, attempts, { cause: error });
  // Anthropic's overloaded_error, or OpenAI's server_error event, inside a stream that began with 200: no status, a server failure all the same.
  if (/overloaded_error|\bapi_error\b/.test(message) || SERVER_ERROR_TYPES.has(http.error?.type ?? '')) return new ModelCallFailure('server', message, attempts, { cause: error });
  // A 200 with no reply in it (`choices: []`, a `null` body, a stream with no choice): the server's fault, retried.
  if (heldNoReply(error)) {
    return new ModelCallFailure('server', `the server's answer held no reply (${message})`, attempts, { cause: error });
  }
  // A 200 whose body is not JSON (a proxy's HTML page, a body cut short) is the server's failure, and is retried.
  if (error instanceof SyntaxError || /is not valid JSON|Unexpected end of JSON|Unterminated string in JSON/.test(message)) {
    return new ModelCallFailure('server', `the server's answer was not valid JSON (${message})`, attempts, { cause: error });
  }
  if (/timed? ?out|timeout/i.test(message) || (error as Error)?.name === 'TimeoutError') return new ModelCallFailure('timeout', message, attempts, { cause: error });
  if (/ECONNREFUSED|ECONNRESET|socket hang up|fetch failed|connection error|network/i.test(message)) {
    return new ModelCallFailure('connection', message, attempts, { cause: error });
  }
  if (droppedConnection(error)) return new ModelCallFailure('connection', `the connection closed in the middle of the reply (${message})`, attempts, { cause: error });
  return new ModelCallFailure('rejected', message, attempts, { cause: error });
}

/** Socket-level error codes: Node's, and undici's (`UND_ERR_SOCKET`: "other side closed"). */
const CONNECTION_CODES = /^(ECONNRESET|ECONNREFUSED|ECONNABORTED|EPIPE|ETIMEDOUT|EAI_AGAIN|UND_ERR_SOCKET|UND_ERR_CLOSED|UND_ERR_CONNECT_TIMEOUT|UND_ERR_HEADERS_TIMEOUT|UND_ERR_BODY_TIMEOUT)$/;

/**
 * Whether the error is a connection lost under the call: a socket error code anywhere in its cause
 * chain, or undici's `TypeError: terminated` (a response body cut off mid-stream, which the
 * clients rethrow as is, its socket error as its cause).
 */
function droppedConnection(error: unknown): boolean {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth += 1) {
    const { code } = current as { code?: unknown };
    if (typeof code === 'string' && CONNECTION_CODES.test(code)) return true;
    if (current instanceof TypeError && current.message === 'terminated') return true;
  }
  return false;
}

/**
 * Exponential backoff with jitter, or exactly the server's Retry-After when it gives one; undefined
 * when the server asks for more than `maxDelayMs` (waiting that long would break the agent's SLA).
 */
function backoff(runtime: TreeRuntime, retry: number, error: unknown): number | undefined {
  const { initialDelayMs, maxDelayMs } = runtime.retry;
  const retryAfter = retryAfterMs(error);
  if (retryAfter !== undefined) return retryAfter <= maxDelayMs ? retryAfter : undefined;
  const exponential = initialDelayMs * 2 ** retry;
  return Math.min(maxDelayMs, Math.round(exponential * (0.5 + Math.random() / 2)));
}

function retryAfterMs(error: unknown): number | undefined {
  const headers = (error as HttpLikeError | undefined)?.headers ?? ((error as HttpLikeError | undefined)?.cause as HttpLikeError | undefined)?.headers;
  if (!headers) return undefined;
  const read = (name: string) => (typeof (headers as Headers).get === 'function' ? (headers as Headers).get(name) : (headers as Record<string, string>)[name]) ?? undefined;
  // A negative or non-numeric wait is ignored (the usual backoff applies): a proxy's mistake must not mean retrying at once.
  const wait = (value: number) => (Number.isFinite(value) && value >= 0 ? value : undefined);
  const ms = read('retry-after-ms');
  if (ms && !Number.isNaN(Number(ms))) return wait(Number(ms));
  const value = read('retry-after');
  if (!value) return undefined;
  const seconds = Number(value);
  if (!Number.isNaN(seconds)) return wait(seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}
