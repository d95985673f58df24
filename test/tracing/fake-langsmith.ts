/**
 * A fake LangSmith endpoint on 127.0.0.1 for the `langsmith` client LangChain's tracer uses:
 * `GET /info` (multipart ingestion, no compression), `POST /runs/multipart`, `POST /runs/batch`,
 * `POST /runs` and `PATCH /runs/:id`. Runs are merged by id (a create, then its update), and every
 * request body is kept as text so a test can check what left the process.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll } from 'vitest';

export interface PostedRun {
  id: string;
  name?: string;
  run_type?: string;
  parent_run_id?: string | null;
  trace_id?: string;
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
  extra?: { metadata?: Record<string, unknown> };
  end_time?: string | number;
  error?: string;
  [field: string]: unknown;
}

export interface FakeLangSmith {
  url: string;
  runs: Map<string, PostedRun>;
  /** Every request body received (decoded), for "nothing of this text left the process". */
  bodies: string[];
  /** The paths posted to, in order (`POST /runs/multipart`…). */
  requests: string[];
  close(): Promise<void>;
}

export async function startFakeLangSmith(): Promise<FakeLangSmith> {
  const runs = new Map<string, PostedRun>();
  const bodies: string[] = [];
  const requests: string[] = [];
  const merge = (id: string, fields: Partial<PostedRun>) => runs.set(id, { ...runs.get(id), ...fields, id });

  const handle = async (incoming: IncomingMessage, outgoing: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of incoming) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const path = (incoming.url ?? '').split('?')[0] ?? '';
    requests.push(`${incoming.method} ${path}`);
    if (incoming.method === 'GET' && path === '/info') {
      return send(outgoing, 200, { version: 'fake', batch_ingest_config: { use_multipart_endpoint: true }, instance_flags: {} });
    }
    if (incoming.headers['content-encoding']) return send(outgoing, 415, { detail: 'this fake reads uncompressed bodies only' });
    if (incoming.method === 'POST' && path === '/runs/multipart') {
      const form = await new Response(body, { headers: { 'content-type': String(incoming.headers['content-type']) } }).formData();
      const fields: [string, FormDataEntryValue][] = [];
      form.forEach((value, name) => fields.push([name, value]));
      for (const [name, value] of fields) {
        const text = typeof value === 'string' ? value : await value.text();
        bodies.push(text);
        const [, id, field] = /^(?:post|patch)\.([^.]+)(?:\.(\w+))?$/.exec(name) ?? [];
        if (!id) continue;
        merge(id, field ? { [field]: JSON.parse(text) as unknown } : (JSON.parse(text) as Partial<PostedRun>));
      }
      return send(outgoing, 202, {});
    }
    const text = body.toString('utf8');
    bodies.push(text);
    if (incoming.method === 'POST' && path === '/runs/batch') {
      const batch = JSON.parse(text) as { post?: PostedRun[]; patch?: PostedRun[] };
      for (const run of [...(batch.post ?? []), ...(batch.patch ?? [])]) merge(run.id, run);
      return send(outgoing, 202, {});
    }
    if (incoming.method === 'POST' && path === '/runs') {
      const run = JSON.parse(text) as PostedRun;
      merge(run.id, run);
      return send(outgoing, 202, {});
    }
    const patch = /^\/runs\/([^/]+)$/.exec(path);
    if (incoming.method === 'PATCH' && patch?.[1]) {
      merge(patch[1], JSON.parse(text) as Partial<PostedRun>);
      return send(outgoing, 202, {});
    }
    return send(outgoing, 404, { detail: `not faked: ${incoming.method} ${path}` });
  };

  const server = createServer((incoming, outgoing) => {
    handle(incoming, outgoing).catch((error: unknown) => send(outgoing, 500, { detail: String(error) }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    runs,
    bodies,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function send(outgoing: ServerResponse, status: number, body: unknown): void {
  outgoing.writeHead(status, { 'content-type': 'application/json' });
  outgoing.end(JSON.stringify(body));
}

/**
 * Turns LangChain's built-in LangSmith tracing on, pointed at `url`, the way an app does (environment
 * variables); returns a function that puts the environment back. The tracer's root run waits for its
 * batch to be sent (LANGCHAIN_CALLBACKS_BACKGROUND=false), so `awaitAllCallbacks()` flushes it.
 */
export function langSmithEnvironment(url: string, extra: Record<string, string> = {}): () => void {
  const values: Record<string, string> = {
    LANGSMITH_TRACING: 'true',
    LANGSMITH_ENDPOINT: url,
    LANGSMITH_API_KEY: 'lsv2-fake-key',
    LANGSMITH_PROJECT: 'switchboard-test',
    LANGCHAIN_CALLBACKS_BACKGROUND: 'false',
    ...extra,
  };
  const saved = Object.fromEntries(Object.keys(values).map((name) => [name, process.env[name]]));
  Object.assign(process.env, values);
  return () => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
}

/**
 * The test file's fake LangSmith, started before its tests with the environment pointed at it (and
 * `extra`: the hide settings), stopped and the environment restored after them. A file of its own
 * per setting: LangChain's LangSmith client is a process-wide singleton that reads them once.
 */
export function useFakeLangSmith(extra: Record<string, string> = {}): FakeLangSmith {
  let server: FakeLangSmith | undefined;
  let restore: (() => void) | undefined;
  beforeAll(async () => {
    server = await startFakeLangSmith();
    restore = langSmithEnvironment(server.url, extra);
  });
  afterAll(async () => {
    restore?.();
    await server?.close();
  });
  const started = (): FakeLangSmith => {
    if (!server) throw new Error('The fake LangSmith starts before the tests (beforeAll).');
    return server;
  };
  return {
    get url() {
      return started().url;
    },
    get runs() {
      return started().runs;
    },
    get bodies() {
      return started().bodies;
    },
    get requests() {
      return started().requests;
    },
    close: () => started().close(),
  };
}
