/**
 * A fake Anthropic-compatible server on 127.0.0.1: the Messages API (`POST /v1/messages`) answered
 * from a script, whole or streamed (SSE: message_start, content_block_start/delta/stop with
 * text_delta and input_json_delta, message_delta with the usage, message_stop), with tool_use blocks
 * and Anthropic's error bodies (429, 500, 529 overloaded, an error event in the middle of a stream),
 * so tests run the real `@langchain/anthropic` client end to end, offline. Every request is recorded.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One scripted answer. */
export interface FakeAnthropicResponse {
  content?: string;
  /** tool_use blocks, after the text. */
  toolCalls?: { name: string; input: Record<string, unknown> | string; id?: string }[];
  /** An HTTP error status (429, 500, 529 …) instead of a message. */
  status?: number;
  headers?: Record<string, string>;
  /** The error of `status` (default by status: rate_limit_error, overloaded_error, api_error, invalid_request_error). */
  error?: { type?: string; message: string };
  /** In a stream: an `error` event after the first text delta, instead of the rest (Anthropic's overloaded_error mid-stream). */
  streamError?: { type?: string; message: string };
  /** The message id (default: unique per response). */
  id?: string;
  /** Wait this long before answering (timeouts). */
  delayMs?: number;
  /** A 200 answer with this body as it is (a proxy's HTML page, a stream cut short: set `content-type` in `headers`) instead of a message. */
  rawBody?: string;
  usage?: { input_tokens: number; output_tokens: number };
  /** The stop_reason (default `tool_use` or `end_turn`), e.g. `max_tokens` for a reply stopped at maxTokens. */
  stopReason?: string;
  /** In a stream: the connection closes after the first delta of text or tool input (no message_delta, no message_stop). */
  cut?: boolean;
}

/** A content block of a request message, as the client sent it. */
export interface FakeAnthropicBlock {
  type: string;
  text?: string;
  id?: string;
  name?: string;
  input?: unknown;
  tool_use_id?: string;
  content?: unknown;
}

export interface FakeAnthropicRequest {
  model: string;
  stream: boolean;
  /** The system prompt, as text. */
  system: string;
  messages: { role: 'user' | 'assistant'; content: string | FakeAnthropicBlock[] }[];
  /** The names of the tools offered. */
  tools: string[];
  /** The request headers (the key arrives as `x-api-key`). */
  headers: IncomingMessage['headers'];
  body: Record<string, unknown>;
}

export type FakeAnthropicHandler = (request: FakeAnthropicRequest) => FakeAnthropicResponse | Promise<FakeAnthropicResponse>;

export interface FakeAnthropicServer {
  /** The base URL to give the client (no `/v1`: the client adds it), e.g. as ANTHROPIC_BASE_URL or `baseURL:`. */
  url: string;
  /** Every request received, in order. */
  requests: FakeAnthropicRequest[];
  /** Adds answers to the end of the queue. */
  enqueue(...responses: (FakeAnthropicResponse | FakeAnthropicHandler)[]): void;
  /** Answers every request from now on with `handler` once the queue is empty. */
  fallback(handler: FakeAnthropicHandler | undefined): void;
  /** Scripted answers not used yet. */
  pending(): number;
  close(): Promise<void>;
}

const ERROR_TYPES: Record<number, string> = { 400: 'invalid_request_error', 401: 'authentication_error', 404: 'not_found_error', 413: 'request_too_large', 429: 'rate_limit_error', 500: 'api_error', 529: 'overloaded_error' };

export async function startFakeAnthropic(options: { port?: number } = {}): Promise<FakeAnthropicServer> {
  const queue: (FakeAnthropicResponse | FakeAnthropicHandler)[] = [];
  const requests: FakeAnthropicRequest[] = [];
  let defaultHandler: FakeAnthropicHandler | undefined;
  const server: Server = createServer((incoming, outgoing) => {
    handle(incoming, outgoing).catch((error: unknown) => sendError(outgoing, 500, { type: 'api_error', message: String(error) }));
  });

  async function handle(incoming: IncomingMessage, outgoing: ServerResponse): Promise<void> {
    if (incoming.method !== 'POST' || !incoming.url?.startsWith('/v1/messages')) {
      sendError(outgoing, 404, { type: 'not_found_error', message: `fake Anthropic: no route ${incoming.method} ${incoming.url}` });
      return;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of incoming) chunks.push(chunk as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
    const request: FakeAnthropicRequest = {
      model: String(body.model),
      stream: body.stream === true,
      system: systemText(body.system),
      messages: body.messages as FakeAnthropicRequest['messages'],
      tools: ((body.tools as { name: string }[] | undefined) ?? []).map((tool) => tool.name),
      headers: incoming.headers,
      body,
    };
    requests.push(request);
    // As the Messages API: a last assistant turn is a prefill, and one that ends in white space is refused.
    const refused = prefillError(request.messages);
    if (refused) {
      sendError(outgoing, 400, { type: 'invalid_request_error', message: refused });
      return;
    }
    const next = queue.shift() ?? defaultHandler;
    if (!next) {
      sendError(outgoing, 500, { type: 'api_error', message: `fake Anthropic: no scripted response for request #${requests.length}` });
      return;
    }
    const response = typeof next === 'function' ? await next(request) : next;
    if (response.delayMs) await new Promise((resolve) => setTimeout(resolve, response.delayMs));
    if (outgoing.destroyed || outgoing.socket?.destroyed) return;
    if (response.rawBody !== undefined) {
      outgoing.writeHead(200, { 'content-type': 'application/json', ...response.headers });
      outgoing.end(response.rawBody);
      return;
    }
    if (response.status && response.status >= 400) {
      sendError(outgoing, response.status, { type: response.error?.type ?? ERROR_TYPES[response.status] ?? 'api_error', message: response.error?.message ?? `fake error ${response.status}` }, response.headers);
      return;
    }
    const blocks = [
      ...(response.content ? [{ type: 'text' as const, text: response.content }] : []),
      ...(response.toolCalls ?? []).map((call, index) => ({
        type: 'tool_use' as const,
        id: call.id ?? `toolu_${requests.length}_${index}`,
        name: call.name,
        input: call.input,
      })),
    ];
    const usage = response.usage ?? { input_tokens: 100, output_tokens: 20 };
    const id = response.id ?? `msg_${randomUUID().replaceAll('-', '')}`;
    const stopReason = response.stopReason ?? (blocks.some((block) => block.type === 'tool_use') ? 'tool_use' : 'end_turn');
    const message = { id, type: 'message', role: 'assistant', model: request.model, stop_reason: null, stop_sequence: null };
    if (!request.stream) {
      const content = blocks.map((block) => (block.type === 'tool_use' && typeof block.input === 'string' ? { ...block, input: JSON.parse(block.input) as unknown } : block));
      send(outgoing, 200, { ...message, content, stop_reason: stopReason, usage }, response.headers);
      return;
    }
    outgoing.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', ...response.headers });
    const event = (type: string, data: Record<string, unknown>) => outgoing.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
    event('message_start', { message: { ...message, content: [], usage: { input_tokens: usage.input_tokens, output_tokens: 1 } } });
    event('ping', {});
    for (const [index, block] of blocks.entries()) {
      if (block.type === 'text') {
        event('content_block_start', { index, content_block: { type: 'text', text: '' } });
        for (const [position, word] of block.text.split(/(?<= )/).entries()) {
          event('content_block_delta', { index, delta: { type: 'text_delta', text: word } });
          if (position === 0 && response.streamError) {
            event('error', { error: { type: response.streamError.type ?? 'overloaded_error', message: response.streamError.message } });
            outgoing.end();
            return;
          }
          if (response.cut) return void outgoing.end();
        }
      } else {
        const json = typeof block.input === 'string' ? block.input : JSON.stringify(block.input);
        const half = Math.ceil(json.length / 2);
        event('content_block_start', { index, content_block: { type: 'tool_use', id: block.id, name: block.name, input: {} } });
        event('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: '' } });
        event('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: json.slice(0, half) } });
        if (response.cut) return void outgoing.end();
        event('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: json.slice(half) } });
      }
      event('content_block_stop', { index });
    }
    event('message_delta', { delta: { stop_reason: stopReason, stop_sequence: null }, usage: { output_tokens: usage.output_tokens } });
    event('message_stop', {});
    outgoing.end();
  }

  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    enqueue: (...responses) => queue.push(...responses),
    fallback: (handler) => {
      defaultHandler = handler;
    },
    pending: () => queue.length,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function prefillError(messages: FakeAnthropicRequest['messages'] | undefined): string | undefined {
  const last = messages?.at(-1);
  if (last?.role !== 'assistant') return undefined;
  const text = typeof last.content === 'string' ? last.content : last.content.map((block) => ('text' in block ? String(block.text) : '')).join('');
  return /\s$/.test(text) ? 'messages: final assistant content cannot end with trailing whitespace' : undefined;
}

function systemText(system: unknown): string {
  if (typeof system === 'string') return system;
  if (Array.isArray(system)) return system.map((block: { text?: string }) => block.text ?? '').join('\n');
  return '';
}

function send(outgoing: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  outgoing.writeHead(status, { 'content-type': 'application/json', 'request-id': `req_${randomUUID()}`, ...headers });
  outgoing.end(JSON.stringify(body));
}

function sendError(outgoing: ServerResponse, status: number, error: { type: string; message: string }, headers: Record<string, string> = {}): void {
  send(outgoing, status, { type: 'error', error }, headers);
}
