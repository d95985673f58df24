/**
 * A fake OpenAI-compatible server on 127.0.0.1: `POST /v1/chat/completions` answered from a script,
 * plain or streamed (SSE), so tests run the real `@langchain/openai` client end to end, offline.
 * Every request is recorded.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One scripted answer. */
export interface FakeResponse {
  content?: string;
  toolCalls?: { name: string; arguments: string | Record<string, unknown>; id?: string }[];
  /** An OpenAI refusal (`message.refusal`). */
  refusal?: string;
  /** An HTTP error status (e.g. 429, 500, 400) instead of a completion. */
  status?: number;
  headers?: Record<string, string>;
  /** The error body with `status`; default `{ error: { message, type, code } }`. */
  error?: { message: string; type?: string; code?: string };
  /** The completion id (default: unique per response). */
  id?: string;
  /** Wait this long before answering (timeouts). */
  delayMs?: number;
  /** A 200 answer with this body as it is (a proxy's HTML page, a body cut short) instead of a completion. */
  rawBody?: string;
  usage?: { prompt_tokens: number; completion_tokens: number };
  /** The finish_reason (default `tool_calls` or `stop`), e.g. `length` for a reply stopped at max_tokens. */
  finishReason?: string;
  /**
   * In a stream: the connection closes after the first delta of text or tool-call arguments (no
   * finish_reason, no `[DONE]`). `'reset'`: the socket is destroyed there instead, as when a proxy
   * or the network drops it (the body never ends: the client fails with `terminated`).
   */
  cut?: boolean | 'reset';
}

export interface FakeRequest {
  model: string;
  stream: boolean;
  messages: { role: string; content?: unknown; name?: string; tool_calls?: { id: string; function: { name: string; arguments: string } }[]; tool_call_id?: string }[];
  /** The names of the tools offered. */
  tools: string[];
  body: Record<string, unknown>;
}

export type FakeHandler = (request: FakeRequest) => FakeResponse | Promise<FakeResponse>;

export interface FakeOpenAIServer {
  /** The base URL to give the client (`…/v1`). */
  url: string;
  /** Every request received, in order. */
  requests: FakeRequest[];
  /** Adds answers to the end of the queue. */
  enqueue(...responses: (FakeResponse | FakeHandler)[]): void;
  /** Answers every request from now on with `handler` once the queue is empty. */
  fallback(handler: FakeHandler | undefined): void;
  /** Scripted answers not used yet. */
  pending(): number;
  close(): Promise<void>;
}

export async function startFakeOpenAI(options: { port?: number } = {}): Promise<FakeOpenAIServer> {
  const queue: (FakeResponse | FakeHandler)[] = [];
  const requests: FakeRequest[] = [];
  let defaultHandler: FakeHandler | undefined;
  const server: Server = createServer((incoming, outgoing) => {
    handle(incoming, outgoing).catch((error: unknown) => {
      outgoing.statusCode = 500;
      outgoing.end(JSON.stringify({ error: { message: String(error) } }));
    });
  });

  async function handle(incoming: IncomingMessage, outgoing: ServerResponse): Promise<void> {
    if (incoming.method !== 'POST' || !incoming.url?.endsWith('/chat/completions')) {
      outgoing.statusCode = 404;
      outgoing.end(JSON.stringify({ error: { message: `fake OpenAI: no route ${incoming.method} ${incoming.url}` } }));
      return;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of incoming) chunks.push(chunk as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
    const request: FakeRequest = {
      model: String(body.model),
      stream: body.stream === true,
      messages: body.messages as FakeRequest['messages'],
      tools: ((body.tools as { function: { name: string } }[] | undefined) ?? []).map((tool) => tool.function.name),
      body,
    };
    requests.push(request);
    const invalid = invalidContentPart(request);
    if (invalid) {
      send(outgoing, 400, { error: { message: invalid, type: 'invalid_request_error', code: 'invalid_value' } });
      return;
    }
    const next = queue.shift() ?? defaultHandler;
    if (!next) {
      send(outgoing, 500, { error: { message: `fake OpenAI: no scripted response for request #${requests.length}`, type: 'server_error' } });
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
      const error = response.error ?? { message: `fake error ${response.status}`, type: response.status >= 500 ? 'server_error' : 'invalid_request_error' };
      send(outgoing, response.status, { error }, response.headers);
      return;
    }
    const toolCalls = (response.toolCalls ?? []).map((call, index) => ({
      id: call.id ?? `call_${requests.length}_${index}`,
      type: 'function' as const,
      function: { name: call.name, arguments: typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments) },
    }));
    const usage = response.usage ?? { prompt_tokens: 100, completion_tokens: 20 };
    const id = response.id ?? `chatcmpl-${randomUUID()}`;
    const created = Math.floor(Date.now() / 1000);
    const finish = response.finishReason ?? (toolCalls.length > 0 ? 'tool_calls' : 'stop');
    if (!request.stream) {
      send(outgoing, 200, {
        id,
        object: 'chat.completion',
        created,
        model: request.model,
        choices: [{ index: 0, finish_reason: finish, message: { role: 'assistant', content: response.content ?? (toolCalls.length ? null : ''), refusal: response.refusal ?? null, ...(toolCalls.length ? { tool_calls: toolCalls } : {}) } }],
        usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
      }, response.headers);
      return;
    }
    outgoing.writeHead(200, { 'content-type': 'text/event-stream', ...response.headers });
    const event = (delta: Record<string, unknown>, finishReason: string | null = null) =>
      outgoing.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: request.model, choices: [{ index: 0, delta, finish_reason: finishReason }] })}\n\n`);
    // A reset once what was written has reached the client (destroyed at once, the client sees no reply at all).
    const hangUp = () => (response.cut === 'reset' ? void outgoing.write('', () => setTimeout(() => outgoing.destroy(), 20)) : outgoing.end());
    event({ role: 'assistant', content: '' });
    if (response.refusal) event({ refusal: response.refusal });
    for (const word of (response.content ?? '').split(/(?<= )/)) {
      if (!word) continue;
      event({ content: word });
      if (response.cut) return void hangUp();
    }
    for (const [index, call] of toolCalls.entries()) {
      const half = Math.ceil(call.function.arguments.length / 2);
      event({ tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.function.name, arguments: call.function.arguments.slice(0, half) } }] });
      if (response.cut) return void hangUp();
      event({ tool_calls: [{ index, function: { arguments: call.function.arguments.slice(half) } }] });
    }
    event({}, finish);
    const streamOptions = body.stream_options as { include_usage?: boolean } | undefined;
    if (streamOptions?.include_usage) {
      outgoing.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: request.model, choices: [], usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens } })}\n\n`);
    }
    outgoing.end('data: [DONE]\n\n');
  }

  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
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

/**
 * What the Chat Completions API refuses in an assistant message's content parts: a part that is
 * not text or a refusal (another provider's block, such as Anthropic's tool_use or input_json_delta).
 */
function invalidContentPart(request: FakeRequest): string | undefined {
  for (const [index, message] of request.messages.entries()) {
    if (message.role !== 'assistant' || !Array.isArray(message.content)) continue;
    for (const [position, part] of (message.content as { type?: unknown }[]).entries()) {
      if (part.type !== 'text' && part.type !== 'refusal') return `Invalid value: '${String(part.type)}'. Supported values are: 'text' and 'refusal'. (messages[${index}].content[${position}].type)`;
    }
  }
  return undefined;
}

function send(outgoing: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  outgoing.writeHead(status, { 'content-type': 'application/json', ...headers });
  outgoing.end(JSON.stringify(body));
}
