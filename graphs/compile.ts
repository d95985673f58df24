/**
 * A validated tree → one flat LangGraph StateGraph. Every agent is a node that declares its possible
 * targets in `ends`; START routes each user message to the agent that owns the conversation.
 * What comes back is LangGraph's own compiled graph: `invoke`, `stream`, `getState` and every
 * checkpointer work unchanged.
 */
import { toolRegistryProblems } from './tool-registry.js';
import { SwitchboardError } from '../errors/switchboard-error.js';
import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import type { StructuredToolInterface } from '@langchain/core/tools';
import { END, MemorySaver, START, StateGraph } from '@langchain/langgraph';
import type { BaseCheckpointSaver } from '@langchain/langgraph';
import { pino } from 'pino';
import type { Logger } from 'pino';
import { lintTree } from '../config/lint.js';
import type { LoadedTree } from '../config/load.js';
import { TreeSchema } from '../config/schema.js';
import type { Tree } from '../config/schema.js';
import { toConfigIssues } from '../config/schema-issues.js';
import type { IssueInput } from '../config/source.js';
import { ConfigError } from '../errors/config-error.js';
import type { ConfigIssue } from '../errors/config-error.js';
import type { ModelOption } from '../models/resolve.js';
import { createAgentNode } from '../nodes/agent.js';
import { createHumanNode } from '../nodes/human.js';
import { tracked } from '../nodes/running.js';
import { attachHooks } from '../nodes/hooks.js';
import { MemoryLedger, pairedLedger } from '../store/ledger.js';
import type { HooksOptions } from '../nodes/hooks.js';
import { createTreeRuntime, ownerOf } from '../nodes/context.js';
import type { TreeRuntime } from '../nodes/context.js';
import type { EventObserver } from '../nodes/events.js';
import { DEFAULT_PRICES } from '../models/prices.js';
import { createCheckpointAdapter } from '../store/retention.js';
import type { Retention } from '../store/retention.js';
import { createMemoryThreadLock } from '../store/thread-lock.js';
import { pairedLock } from '../store/fences.js';
import { graphShape, SHAPE_KEY } from '../store/graph-shape.js';
import type { ThreadLock } from '../store/thread-lock.js';
import { MemoryJournal, pairedJournal } from '../store/journal.js';
import type { ThreadJournal } from '../store/journal.js';
import { withFastSerializer } from '../store/serde.js';
import { GuardedGraph } from './outside-input.js';
import { TurnRecorder } from '../nodes/turn-recorder.js';
import { workToDo } from '../nodes/turn.js';
import type { PriceTable } from '../models/prices.js';
import { createStateSchema } from '../state/schema.js';
import type { SwitchboardState } from '../state/schema.js';

/** Function tools by name, or a list of tools (named by their `name`). */
export type ToolRegistry = Record<string, StructuredToolInterface> | readonly StructuredToolInterface[];

export interface CompileOptions {
  /** The function tools agents may call, by the names the tree uses. */
  tools?: ToolRegistry | undefined;
  /** Where threads persist. Default: in memory. `false`: no persistence (each invoke stands alone). */
  checkpointer?: BaseCheckpointSaver | false | undefined;
  /** A pino logger; a child logger is made per agent. Default: silent. */
  logger?: Logger | undefined;
  /** How agents get their models (default `'auto'`: OpenAI when its key is set, offline otherwise). */
  model?: ModelOption | undefined;
  /** Chat models supplied by code, by the tree's model names (they win over `models:` in the tree). */
  models?: Record<string, BaseChatModel> | undefined;
  /** Prices per model id, over the built-in table and the tree's `prices:`. */
  prices?: PriceTable | undefined;
  /** The environment to read API keys and OPENAI_BASE_URL from. Default: `process.env`. */
  env?: Record<string, string | undefined> | undefined;
  /** One turn at a time per thread (default: in-process, policy `wait`). Use the one {@link openCheckpointer} returns with PostgreSQL. */
  threadLock?: ThreadLock | undefined;
  /**
   * Checkpoints kept per thread after each turn run by `runTurn`, `streamTurn` or `resumeThread`
   * (default 1: what a thread needs to continue, recover or resume). `'all'` keeps LangGraph's full
   * history for time travel; storage then grows with the square of a thread's length.
   */
  retention?: Retention | undefined;
  /**
   * Code watching the tree's events as they happen, message text included (tracing, analytics, a
   * step-trace recorder). Synchronous; an observer that throws is logged and the turn goes on.
   */
  observers?: readonly EventObserver[] | undefined;
  /**
   * Where turns run by `runTurn`, `streamTurn` and `resumeThread` append their messages (the
   * transcript) and a summary each, read by `getTranscript`, `getTurnSummaries` and `listThreads`.
   * Default: the journal of the store the checkpointer came from (`openCheckpointer`), or one in
   * memory with the default in-memory checkpointer. `false`: no journal.
   */
  journal?: ThreadJournal | false | undefined;
  /** Journal each turn's step trace too (model calls with exactly what each model was sent, tools, handoffs); read by `getTrace`. Default false. */
  trace?: boolean | undefined;
  /**
   * Code run when a handoff is accepted (`onHandoff`) or a conversation goes to a person
   * (`onEscalation`), for every target or by target agent: it may set shared-state fields for the
   * receiving agent or refuse the move. Runs once per handoff (its outcome is recorded by key).
   */
  hooks?: HooksOptions | undefined;
  /** How to wait between retries (tests replace it to not wait). */
  sleep?: ((ms: number) => Promise<void>) | undefined;
  /**
   * How long a function tool may run (default 60 000 ms). Past it the tool's signal is aborted, its
   * call is answered as timed out (whether it took effect is not known, so the model is not asked
   * to try again) and the turn ends with `TOOL_TIMEOUT`: the thread takes its next message as usual.
   */
  toolTimeoutMs?: number | undefined;
  /** The time conditions (`when:`: business hours, weekdays, dates) read before each model call. Default: the system clock; tests set it. */
  clock?: (() => Date) | undefined;
}

const COMPILED = Symbol.for('switchboard.runtime');

/** Compiles a tree into a LangGraph graph. Throws a {@link ConfigError} if the tree or the registry is wrong. */
export function compileTree(tree: LoadedTree | Tree, options: CompileOptions = {}) {
  const tools = toolMap(options.tools);
  const spec = checkTree(tree, tools, options.models);
  if (options.toolTimeoutMs !== undefined && !(Number.isFinite(options.toolTimeoutMs) && options.toolTimeoutMs > 0)) {
    throw new SwitchboardError('INVALID_OPTION', `toolTimeoutMs must be a positive number of milliseconds; got ${String(options.toolTimeoutMs)}.`);
  }
  const logger = options.logger ?? pino({ level: 'silent' });
  const checkpointer = options.checkpointer === false ? undefined : withFastSerializer(options.checkpointer ?? new MemorySaver());
  const journal = options.journal === false ? undefined : (options.journal ?? pairedJournal(checkpointer) ?? (options.checkpointer === undefined ? new MemoryJournal() : undefined));
  const recorder = journal ? new TurnRecorder() : undefined;
  const runtime = createTreeRuntime(spec, {
    tools,
    logger,
    // Observers learn which tree an event comes from (one observer may serve several graphs).
    observers: [...(options.observers?.map((observer): EventObserver => (event, context) => observer(event, { ...context, tree: spec.name })) ?? []), ...(recorder ? [recorder.observer] : [])],
    journal,
    trace: options.trace,
    recorder,
    prices: { ...DEFAULT_PRICES, ...spec.prices, ...options.prices },
    model: options.model,
    models: options.models,
    env: options.env,
    sleep: options.sleep,
    toolTimeoutMs: options.toolTimeoutMs,
    // Another saver's, or none: this process's own, as hooks fall back to (a timed-out tool is then recorded for this process only).
    ledger: pairedLedger(checkpointer) ?? new MemoryLedger(),
    clock: options.clock,
    threadLock: options.threadLock ?? pairedLock<ThreadLock>(checkpointer) ?? createMemoryThreadLock(),
    checkpoints: createCheckpointAdapter(checkpointer, options.retention),
  });

  // Hook outcomes go to the store's ledger when the checkpointer came from openCheckpointer.
  attachHooks(runtime, options.hooks && { ...options.hooks, ledger: options.hooks.ledger ?? pairedLedger(checkpointer) });

  const builder = new StateGraph(createStateSchema(spec));
  const nodes: string[] = [];
  for (const [name, agent] of runtime.agents) {
    if (agent.spec.kind === 'helper') continue;
    const node = agent.spec.kind === 'human' ? createHumanNode(runtime, agent) : createAgentNode(runtime, agent);
    // Tracked, so that a stopped run's node still going (a tool or hook ignoring its signal) holds the thread (nodes/running.ts).
    builder.addNode(name, tracked(runtime, node) as never, { ends: [...agent.ends, END] });
    nodes.push(name);
  }
  // A message goes to the owner; input that brings none (see workToDo) ends the run at once, as it
  // does on a wait for a person the tree no longer has as one (the next message closes that wait).
  const routeToOwner = (state: SwitchboardState): string => {
    const work = workToDo(state);
    if (work === undefined || (work === 'wait' && runtime.agents.get(state.activeAgent)?.spec.kind !== 'human')) return END;
    return ownerOf(runtime, state.activeAgent);
  };
  (builder as unknown as { addConditionalEdges(from: string, route: typeof routeToOwner, targets: string[]): void }).addConditionalEdges(START, routeToOwner, [...nodes, END]);

  const graph = builder.compile({ ...(checkpointer ? { checkpointer } : {}), name: spec.name });
  // Input from outside may write only the user's messages and fields (graphs/outside-input.ts).
  Object.setPrototypeOf(graph, GuardedGraph.prototype);
  // Its shape goes with every write, so the saver can forget a node a later YAML removed (store/graph-shape.ts).
  const configurable = { [SHAPE_KEY]: graphShape(graph) };
  const compiled = graph.withConfig({ recursionLimit: recursionLimitOf(runtime), durability: 'sync', configurable } as never) as typeof graph;
  Object.defineProperty(compiled, COMPILED, { value: runtime, enumerable: false });
  return compiled;
}

/** The graph type {@link compileTree} returns. */
export type SwitchboardGraph = ReturnType<typeof compileTree>;

/** The runtime a graph was compiled with (its tree, agents and edges). */
export function runtimeOf(graph: SwitchboardGraph): TreeRuntime {
  const runtime = (graph as unknown as Record<symbol, TreeRuntime | undefined>)[COMPILED];
  if (!runtime) throw new Error('This graph was not compiled by compileTree().');
  return runtime;
}

/**
 * The most super-steps one invocation can take before Switchboard's own limits stop it: a model
 * step and a tool step per model call, for the turn and once more after a limit redirect. LangGraph's
 * default of 25 would cut a legitimate turn short.
 */
function recursionLimitOf(runtime: TreeRuntime): number {
  let modelCalls = runtime.limits.modelCallsPerTurn;
  let handoffs = runtime.limits.handoffsPerTurn;
  for (const agent of runtime.agents.values()) {
    modelCalls = Math.max(modelCalls, agent.limits.modelCallsPerTurn);
    handoffs = Math.max(handoffs, agent.limits.handoffsPerTurn);
  }
  return 2 * (2 * modelCalls + handoffs + runtime.agents.size + 4);
}

function toolMap(tools: ToolRegistry | undefined): Map<string, StructuredToolInterface> {
  const problems = toolRegistryProblems(tools);
  if (problems.length > 0) throw new SwitchboardError('INVALID_TOOLS', `The tools given to compileTree are wrong: ${problems.join('; ')}.`);
  if (!tools) return new Map();
  if (Array.isArray(tools)) return new Map((tools as readonly StructuredToolInterface[]).map((tool) => [tool.name, tool]));
  return new Map(Object.entries(tools as Record<string, StructuredToolInterface>));
}

/**
 * Validates the tree again, whatever it is: a plain object, or a loaded tree (its spec may have
 * been changed since it was loaded, and the code's tools and models are only known now). A graph
 * never comes out of a tree with an error.
 */
function checkTree(tree: LoadedTree | Tree, tools: Map<string, StructuredToolInterface>, models: Record<string, BaseChatModel> | undefined): Tree {
  const loaded = isLoadedTree(tree) ? tree : undefined;
  const issues: ConfigIssue[] = [];
  const file = loaded?.file ?? '<tree object>';
  const add = ({ at: _at, within: _within, severity = 'error', ...issue }: IssueInput) => issues.push({ ...issue, severity, file, ...(loaded?.locate(issue.path) ?? { line: 1, column: 1 }) });
  const input = loaded ? loaded.spec : tree;
  const parsed = TreeSchema.safeParse(input);
  if (!parsed.success) {
    for (const issue of toConfigIssues(parsed.error.issues, TreeSchema, input)) add(issue);
    throw new ConfigError(issues);
  }
  const spec = parsed.data;
  // Linted with what code allowed when it loaded the tree (key variables, backend-owned fields).
  lintTree(spec, { ...loaded?.policy, knownAgents: new Set(Object.keys(spec.agents)), tools: new Set(tools.keys()), models: new Set(Object.keys(models ?? {})) }, add);
  if (issues.some((issue) => issue.severity === 'error')) throw new ConfigError(issues);
  return spec;
}

function isLoadedTree(tree: LoadedTree | Tree): tree is LoadedTree {
  return typeof tree === 'object' && tree !== null && 'spec' in tree && 'locate' in tree;
}

