/**
 * `switchboard dev`: a local page on 127.0.0.1 that draws the tree, redraws it when the file is
 * saved, shows the file's problems with `file:line:col`, and runs conversations on the last good
 * tree with the path of handoffs highlighted. Nothing on the page comes from outside this server.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MemorySaver } from '@langchain/langgraph';
import type { BaseCheckpointSaver } from '@langchain/langgraph';
import { MemoryJournal, pairedJournal } from '../store/journal.js';
import type { ThreadJournal } from '../store/journal.js';
import type { Retention } from '../store/retention.js';
import type { ThreadLock } from '../store/thread-lock.js';
import type { CompileOptions } from '../graphs/compile.js';
import { pino } from 'pino';
import type { Logger } from 'pino';
import { SwitchboardError } from '../errors/switchboard-error.js';
import type { ToolRegistry } from '../graphs/compile.js';
import type { ModelOption } from '../models/resolve.js';
import { readAsset } from './assets.js';
import { EventHub, HttpError, NdjsonStream, readJson, sendJson } from './http.js';
import { LiveTree } from './live-tree.js';
import type { GoodTree } from './live-tree.js';
import { toPageSnapshot } from './page-data.js';
import type { PageModels } from './page-data.js';
import { resolveApproval } from '../runtime/approval.js';
import { ApprovalDecisionSchema } from '../nodes/approval.js';
import { ChatRequestSchema, listEscalations, parseBody, readThread, ReplyRequestSchema, requireThread, threadRequestOf, ThreadRunner } from './threads.js';
import type { ThreadRequest } from './threads.js';
import { ForkRequestSchema, httpErrors, ThreadHistory, turnNumber } from './thread-history.js';

export interface DevServerOptions {
  /** The tree file to serve and watch. */
  file: string;
  /** The port on 127.0.0.1; 0 picks a free one. Default 0. */
  port?: number | undefined;
  /** Function tools the tree may use, by name. */
  tools?: ToolRegistry | undefined;
  /** Default `'auto'`: each agent on its provider when that provider's key variable is set, else the offline model. */
  model?: ModelOption | undefined;
  /** Where threads persist. Default: in memory (shared across reloads of the tree). */
  checkpointer?: BaseCheckpointSaver | undefined;
  /** The store's thread lock (default: the one paired with the checkpointer, else in-process). */
  threadLock?: ThreadLock | undefined;
  /** Checkpoints kept per thread. Default `'all'`: every turn can be revisited and forked. */
  retention?: Retention | undefined;
  logger?: Logger | undefined;
  /** The environment API keys and OPENAI_BASE_URL are read from. Default: `process.env`. */
  env?: Record<string, string | undefined> | undefined;
}

export interface DevServer {
  /** `http://127.0.0.1:<port>/` */
  url: string;
  port: number;
  tree: LiveTree;
  close(): Promise<void>;
}

/** The host the dev server listens on: this machine only. */
export const DEV_HOST = '127.0.0.1';

/** Loads the tree, starts watching it and serves the page. Resolves once the server listens. */
export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  const logger = options.logger ?? pino({ level: 'silent' });
  const checkpointer = options.checkpointer ?? new MemorySaver();
  const model = options.model ?? 'auto';
  // Described per snapshot: the models are the tree's, and a save may change them.
  const models: PageModels = { option: model, env: options.env ?? process.env };
  // Transcripts, turn summaries and step traces go to the store's journal (one in memory when the store has none).
  const journal: ThreadJournal = pairedJournal(checkpointer) ?? new MemoryJournal();
  const compile: Partial<CompileOptions> = {
    retention: options.retention ?? 'all',
    ...(options.threadLock ? { threadLock: options.threadLock } : {}),
    journal,
    trace: true,
  };
  const tree = new LiveTree({ file: options.file, tools: options.tools ?? {}, checkpointer, logger, model, env: options.env, compile });
  const history = new ThreadHistory(checkpointer, journal);
  const hub = new EventHub();
  const runner = new ThreadRunner();
  await tree.reload();
  tree.subscribe((state) => hub.send('tree', toPageSnapshot(state, options.file, models)));
  tree.watch();

  let port = 0;
  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (error instanceof HttpError) return sendJson(response, error.status, { error: error.message });
      // The route, not the URL: a thread id in the path may be a phone number or an e-mail address.
      logger.error({ event: 'dev-request-failure', method: request.method, path: routeOf(request.url), error: (error as Error).message }, 'a dev page request failed');
      if (!response.headersSent) sendJson(response, 500, { error: (error as Error).message });
      else response.end();
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    // Only this machine's names: a page elsewhere cannot reach the server through DNS rebinding.
    const host = request.headers.host ?? '';
    if (!isDevHost(host, port)) throw new HttpError(403, `Unexpected host "${host}".`);
    const url = new URL(request.url ?? '/', `http://${DEV_HOST}:${port}`);
    const method = request.method ?? 'GET';
    const route = `${method} ${url.pathname}`;
    if (route === 'GET /' || route.startsWith('GET /assets/')) {
      const asset = await readAsset(url.pathname === '/' ? 'index.html' : url.pathname.slice('/assets/'.length));
      if (!asset) throw new HttpError(404, `No such file: ${url.pathname}`);
      response.writeHead(200, {
        'content-type': asset.type,
        'cache-control': 'no-store',
        'content-security-policy': CONTENT_SECURITY_POLICY,
      });
      response.end(asset.body);
      return;
    }
    if (route === 'GET /api/tree') return sendJson(response, 200, toPageSnapshot(tree.current, options.file, models));
    if (route === 'GET /api/events')
      return hub.add(request, response, { event: 'tree', data: toPageSnapshot(tree.current, options.file, models) });
    if (route === 'POST /api/chat') {
      const body = parseBody(ChatRequestSchema, await readJson(request));
      const good = requireGoodTree();
      if (await runner.chat(good.graph, body.threadId, body.message, new NdjsonStream(response), body.messageId)) changed(request, body.threadId);
      return;
    }
    if (route === 'GET /api/escalations') return sendJson(response, 200, await listEscalations(requireGoodTree().graph, checkpointer));
    if (route === 'GET /api/threads')
      return sendJson(
        response,
        200,
        await history.list(url.searchParams.get('search') ?? undefined, url.searchParams.get('limit') ?? undefined, url.searchParams.get('offset') ?? undefined),
      );
    const target = threadRequestOf(url);
    if (target && (await handleThread(method, target, url, request, response))) return;
    throw new HttpError(404, `No such page: ${method} ${url.pathname}`);
  }

  /** A request about one thread (see threadRequestOf); false when there is no such request. */
  async function handleThread(method: string, target: ThreadRequest, url: URL, request: IncomingMessage, response: ServerResponse): Promise<boolean> {
    const { threadId } = target;
    const route = `${method} ${target.collection}/${target.action}`;
    if (route === 'POST escalations/decision') {
      // A person's decision on a handoff waiting for approval: { approved, reason?, operator?, toolCallId? }.
      const body = parseBody(ApprovalDecisionSchema, await readJson(request));
      const graph = requireGoodTree().graph;
      // Deciding on a thread that is not there (404), or not waiting (decided already: 409), is the request's mistake.
      await requireThread(graph, threadId);
      const result = await httpErrors(() => resolveApproval(graph, threadId, body));
      sendJson(response, 200, { threadId, status: result.status, agent: result.agent, reply: result.reply ?? null });
      changed(request, threadId);
      return true;
    }
    if (route === 'POST escalations/reply') {
      const body = parseBody(ReplyRequestSchema, await readJson(request));
      const graph = requireGoodTree().graph;
      // Refused before the stream starts, as a decision is: the status says the thread is not there.
      await requireThread(graph, threadId);
      if (await runner.reply(graph, threadId, body, new NdjsonStream(response))) changed(request, threadId);
      return true;
    }
    const turn = /^GET threads\/turns\/(\d+)$/.exec(route)?.[1];
    if (route === 'GET threads/') {
      const graph = requireGoodTree().graph;
      const found = await readThread(graph, threadId);
      sendJson(response, 200, found.exists ? { ...found, ...(await history.turns(graph, threadId)) } : found);
    } else if (route === 'GET threads/trace') {
      requireGoodTree();
      sendJson(response, 200, await history.trace(threadId, url.searchParams.get('turn') ?? undefined));
    } else if (turn !== undefined) {
      sendJson(response, 200, await history.atTurn(requireGoodTree().graph, threadId, turnNumber(turn)));
    } else if (route === 'POST threads/fork') {
      const graph = requireGoodTree().graph;
      const body = parseBody(ForkRequestSchema, await readJson(request));
      const fork = await history.fork(graph, threadId, body);
      sendJson(response, 200, fork);
      changed(request, fork.thread.threadId);
    } else {
      return false;
    }
    return true;
  }

  /**
   * Tells every open page that `threadId` changed (a turn ran, a decision, a fork), and which page
   * made the change (its `x-switchboard-page` header): another tab on the same thread shows it.
   */
  function changed(request: IncomingMessage, threadId: string): void {
    const page = request.headers['x-switchboard-page'];
    hub.send('thread', { threadId, page: typeof page === 'string' && page.length <= 100 ? page : null });
  }

  function requireGoodTree(): GoodTree {
    const good = tree.current.good;
    if (!good) throw new HttpError(409, 'The tree has not loaded yet: fix the errors shown on the page and save.');
    return good;
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      tree.close();
      hub.close();
      const port = options.port ?? 0;
      if (error.code === 'EADDRINUSE')
        reject(new SwitchboardError('PORT_IN_USE', `Port ${port} on ${DEV_HOST} is in use: choose another with --port.`));
      else
        reject(
          new SwitchboardError(
            'PORT_UNAVAILABLE',
            `Port ${port} on ${DEV_HOST} cannot be opened (${error.code ?? error.message}): choose another with --port.`,
          ),
        );
    });
    server.listen(options.port ?? 0, DEV_HOST, () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  logger.info({ event: 'dev-start', port, file: options.file }, 'dev page ready');
  return {
    url: `http://${DEV_HOST}:${port}/`,
    port,
    tree,
    close: async () => {
      tree.close();
      hub.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

/**
 * Whether a request's Host header names this server: `127.0.0.1` or `localhost` with its port,
 * or without it when the port is HTTP's default, 80 (browsers then leave it out).
 */
export function isDevHost(host: string, port: number): boolean {
  const names = [`${DEV_HOST}:${port}`, `localhost:${port}`, ...(port === 80 ? [DEV_HOST, 'localhost'] : [])];
  return names.includes(host);
}

/** A request's path with thread ids replaced by `:thread` and without its query. */
function routeOf(url: string | undefined): string {
  return (url ?? '/').replace(/[?#].*$/s, '').replace(/\/(threads|escalations)\/[^/]+/, '/$1/:thread');
}

/** Scripts, styles and connections from this server only. */
const CONTENT_SECURITY_POLICY =
  "default-src 'self'; img-src 'self' data:; style-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
