/**
 * Small HTTP helpers for the dev server (node:http, no framework): JSON in and out, NDJSON streams,
 * Server-Sent Events. Everything sent has its control characters made visible (see
 * control-characters.ts): the page shows model and tree text as it is, never as terminal or bidi
 * controls. Thread ids are the exception: they are sent as they are (JSON carries any text safely),
 * since the page sends them back to name the thread, and the page makes them visible where it
 * shows them (see assets/visible.js). A thread id never holds a C0 or C1 control
 * (checkId refuses them), but it may hold a bidi control.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { escapeControlCharactersExcept } from './control-characters.js';

/** The keys whose string values are thread ids: sent unchanged. */
export const RAW_ID_KEYS: ReadonlySet<string> = new Set(['threadId']);

/** JSON for the page, with control characters in every string and key made visible, thread ids aside. */
export function toPageJson(value: unknown): string {
  return JSON.stringify(escapeControlCharactersExcept(value, RAW_ID_KEYS));
}

/** An HTTP error with a status and a message for the page. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  response.end(toPageJson(body));
}

/** Reads a JSON body (at most `limit` bytes). Only `application/json` is accepted, which keeps other sites' forms out. */
export async function readJson(request: IncomingMessage, limit = 64 * 1024): Promise<unknown> {
  if (!/^application\/json\b/.test(request.headers['content-type'] ?? '')) throw new HttpError(415, 'Send the body as application/json.');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new HttpError(413, `The body is larger than ${limit} bytes.`);
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    throw new HttpError(400, 'The body is not valid JSON.');
  }
}

/** A response that streams one JSON value a line (`application/x-ndjson`). */
export class NdjsonStream {
  constructor(private readonly response: ServerResponse) {
    response.writeHead(200, {
      'content-type': 'application/x-ndjson; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    });
  }

  write(value: unknown): void {
    if (!this.response.writableEnded) this.response.write(`${toPageJson(value)}\n`);
  }

  end(): void {
    if (!this.response.writableEnded) this.response.end();
  }
}

/** Server-Sent Events to every open page. */
export class EventHub {
  private readonly clients = new Set<ServerResponse>();
  private readonly heartbeat: NodeJS.Timeout;

  constructor() {
    // A comment line now and then keeps idle connections open through proxies and sleep.
    this.heartbeat = setInterval(() => this.clients.forEach((client) => client.write(': keep-alive\n\n')), 15_000);
    this.heartbeat.unref();
  }

  /** Opens an event stream on `response`, starting with `first`. */
  add(request: IncomingMessage, response: ServerResponse, first: { event: string; data: unknown }): void {
    response.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive' });
    response.write(formatEvent(first.event, first.data));
    this.clients.add(response);
    request.on('close', () => this.clients.delete(response));
  }

  send(event: string, data: unknown): void {
    const text = formatEvent(event, data);
    for (const client of this.clients) client.write(text);
  }

  close(): void {
    clearInterval(this.heartbeat);
    for (const client of this.clients) client.end();
    this.clients.clear();
  }
}

function formatEvent(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${toPageJson(data)}\n\n`;
}
