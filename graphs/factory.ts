/**
 * Graph factories for LangGraph's own server (`langgraph.json`, `npx @langchain/langgraph-cli dev`):
 * a function the server calls whenever it needs the graph. It reads the tree file on every call, so
 * edits to the YAML show without restarting the server. The server supplies its own checkpointer.
 */
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { loadTree } from '../config/load.js';
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
 * A factory that compiles `tree` (a path, or a `file:` URL) each time it is called. A broken file
 * makes the call throw a `ConfigError` listing every problem with `file:line:col`.
 *
 * ```ts
 * // graphs.ts, named in langgraph.json as "./graphs.ts:desk"
 * export const desk = createGraphFactory('trees/desk.yaml', { tools });
 * ```
 */
export function createGraphFactory(tree: string | URL, options: GraphFactoryOptions = {}): GraphFactory {
  const path = tree instanceof URL ? fileURLToPath(tree) : tree;
  return async () => {
    const loaded = await loadTree(path, { tools: toolNamesOf(options.tools) });
    // No checkpointer here: the LangGraph server attaches its own to the graph it gets back.
    return compileTree(loaded, { tools: options.tools, model: options.model, logger: options.logger, checkpointer: false });
  };
}
