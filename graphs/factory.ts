/**
 * Graph factories for LangGraph's own server (`langgraph.json`, `npx @langchain/langgraph-cli dev`):
 * a function the server calls whenever it needs the graph. It reads the tree file on every call, so
 * edits to the YAML show without restarting the server. The server supplies its own checkpointer.
 */
import { isAbsolute, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { loadTree } from '../config/load.js';
import { ConfigError } from '../errors/config-error.js';
import type { ModelOption } from '../models/resolve.js';
import { compileTree } from './compile.js';
import type { SwitchboardGraph, ToolRegistry } from './compile.js';
import { toolNamesOf } from './tool-names.js';

export interface GraphFactoryOptions {
  /** The function tools the tree may use. */
  tools?: ToolRegistry | undefined;
  /** Default `'auto'`: the offline model unless OPENAI_API_KEY is set. */
  model?: ModelOption | undefined;
  logger?: Logger | undefined;
}

/** What `langgraph.json` points at: called with the run's config, returns a freshly compiled graph. */
export type GraphFactory = (config?: unknown) => Promise<SwitchboardGraph>;

/**
 * The HTTP status a broken tree file gets from LangGraph's server: the request was fine but the graph
 * it names cannot be built until the file is fixed. A 4xx, so the SDK client does not retry it.
 */
export const BROKEN_TREE_STATUS = 422;

/**
 * A factory that compiles `tree` (a path, or a `file:` URL) each time it is called. A broken file
 * makes the call throw a `ConfigError` whose message lists every problem as `file:line:col` (the
 * path relative to the current folder when the file is inside it).
 *
 * Served by LangGraph's server, that message reaches the client too: the server answers an error
 * that has a `getResponse()` method with that response (Hono, which it is built on, does so for
 * every route), else with a bare `500 Internal Server Error`. So the error gets one: a 422 whose
 * body is the message, which the SDK client throws as `HTTP 422: The tree has 1 error: …`. A run
 * on a broken tree ends with an `error` event carrying the same message.
 *
 * ```ts
 * // graphs.ts, named in langgraph.json as "./graphs.ts:desk"
 * export const desk = createGraphFactory('trees/desk.yaml', { tools });
 * ```
 */
export function createGraphFactory(tree: string | URL, options: GraphFactoryOptions = {}): GraphFactory {
  const path = tree instanceof URL ? fileURLToPath(tree) : tree;
  return async () => {
    let loaded;
    try {
      loaded = await loadTree(shownPath(path), { tools: toolNamesOf(options.tools) });
    } catch (error) {
      if (error instanceof ConfigError) answerOverHttp(error, BROKEN_TREE_STATUS);
      throw error;
    }
    // No checkpointer here: the LangGraph server attaches its own to the graph it gets back.
    return compileTree(loaded, { tools: options.tools, model: options.model, logger: options.logger, checkpointer: false });
  };
}

/** `path` relative to the current folder when it is inside it, so errors read `config/support.yaml:14:9`. */
function shownPath(path: string): string {
  const inside = relative(process.cwd(), path);
  return inside !== '' && !inside.startsWith('..') && !isAbsolute(inside) ? inside : path;
}

/** Gives `error` the `getResponse()` that Hono's error handler answers with: `status`, the message as plain text. */
function answerOverHttp(error: Error, status: number): void {
  Object.defineProperty(error, 'getResponse', {
    value: () => new Response(error.message, { status, headers: { 'content-type': 'text/plain; charset=UTF-8' } }),
    enumerable: false,
  });
}
