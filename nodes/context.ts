/**
 * Everything an agent node needs, prepared once when the tree is compiled: its models bound to its
 * tools, its handoff targets with their payload schemas, its limits and history policy.
 */
import type { CheckpointAdapter } from '../store/retention.js';
import type { SideEffectLedger } from '../store/ledger.js';
import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import type { StructuredToolInterface } from '@langchain/core/tools';
import { convertToOpenAITool } from '@langchain/core/utils/function_calling';
import type { Runnable } from '@langchain/core/runnables';
import type { BaseLanguageModelInput } from '@langchain/core/language_models/base';
import type { AIMessageChunk } from '@langchain/core/messages';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { Agent, Field, History, PayloadField, ResolvedLimits, Retry, Tree } from '../config/schema.js';
import { DEFAULT_HISTORY, DEFAULT_LIMITS, DEFAULT_RETRY } from '../config/schema.js';
import { fallbacksOf, listEdges } from '../config/edges.js';
import type { Edge, HandoffKind } from '../config/edges.js';
import { resolveModels } from '../models/resolve.js';
import type { ResolveOptions } from '../models/resolve.js';
import { fieldSchema, narrowedTo } from '../config/field-schema.js';
import type { PriceTable } from '../models/prices.js';
import type { ThreadLock } from '../store/thread-lock.js';
import type { EventObserver } from './events.js';
import { hotTurns } from '../state/window.js';
import { fieldDefaults } from '../state/schema.js';
import type { ThreadJournal } from '../store/journal.js';
import type { TurnRecorder } from './turn-recorder.js';
import { compileCondition, conditionsOfEdge, createConditionEnvironment, hasConditions } from '../config/conditions.js';
import type { CompiledCondition, ConditionEnvironment } from '../config/conditions.js';
import type { AgentConditions } from './conditions.js';

/** A handoff tool of one agent: where it goes and what payload it takes. */
export interface HandoffTarget {
  tool: string;
  to: string;
  kind: HandoffKind;
  payload: z.ZodObject;
  /** Payload field → shared-state field it is written to. */
  sets: [string, string][];
}

/** A model of an agent, bound to the agent's tools. */
export interface BoundModel {
  id: string;
  runnable: Runnable<BaseLanguageModelInput, AIMessageChunk>;
  timeoutMs: number | undefined;
}

export interface AgentRuntime {
  name: string;
  spec: Agent;
  models: BoundModel[];
  handoffs: Map<string, HandoffTarget>;
  functionTools: Map<string, StructuredToolInterface>;
  /** Helper tool name → helper agent name. */
  helpers: Map<string, string>;
  history: History;
  limits: ResolvedLimits;
  /** Agents that take over when this one fails, in order. */
  fallbacks: string[];
  /** The node names this agent's node may go to (for LangGraph's `ends`). */
  ends: string[];
  /** The shared-state fields the tree declares now, with their types (a thread may hold older ones). */
  fields: ReadonlyMap<string, z.ZodType>;
  /** The defaults of the fields the tree declares now (see {@link currentFields}). */
  fieldDefaults: Readonly<Record<string, FieldValue>>;
  /** Its handoffs' conditions (`when:`), when it has any: the tools are then chosen at each model call. */
  conditions?: AgentConditions | undefined;
}

type FieldValue = string | number | boolean;

/**
 * The shared-state fields as the tree declares them now, as prompts, conditions, tools and hooks
 * see them. A thread may hold what an older version of the YAML declared: a field since removed,
 * or holding a value of a type it no longer has, is left out; a declared field with a default that
 * the thread lacks (added to the YAML after the thread began) or holds with an old type takes its
 * default.
 */
export function currentFields(agent: Pick<AgentRuntime, 'fields' | 'fieldDefaults'>, fields: Readonly<Record<string, unknown>>): Record<string, FieldValue> {
  const current: Record<string, FieldValue> = { ...agent.fieldDefaults };
  for (const [key, value] of Object.entries(fields)) if (agent.fields.get(key)?.safeParse(value).success === true) current[key] = value as FieldValue;
  return current;
}

/** The default time a function tool may run (`toolTimeoutMs`). */
export const DEFAULT_TOOL_TIMEOUT_MS = 60_000;

export interface TreeRuntime {
  tree: Tree;
  edges: Edge[];
  agents: Map<string, AgentRuntime>;
  /** Every tool name of every agent, to tell "another agent's tool" from "no such tool". */
  toolOwners: Map<string, string[]>;
  /** The function tools the code registered, held by an agent of the tree or not (a YAML edit may have taken one away). */
  codeTools: ReadonlySet<string>;
  logger: Logger;
  /** Code watching the tree's events (see `observers` in compile options). */
  observers: readonly EventObserver[];
  prices: PriceTable;
  retry: Retry;
  /** The limits of the tree as a whole (an agent's own limits may be lower). */
  limits: ResolvedLimits;
  /** Sleeps between retries; replaceable so tests do not wait. */
  sleep: (ms: number) => Promise<void>;
  /** How long a function tool may run before its call is answered as timed out (see `toolTimeoutMs`). */
  toolTimeoutMs: number;
  /** The time conditions (`when:`) read; replaceable so tests set it. */
  clock: () => Date;
  threadLock: ThreadLock;
  /** Prunes a thread's checkpoints after a turn and reads their newest id (see `retention`). */
  checkpoints: CheckpointAdapter | undefined;
  /**
   * The thread heads this process last settled: the newest checkpoint id, who owns the conversation,
   * and the fencing token the turn held (the next turn trusts the entry only under the very next token).
   */
  heads: Map<string, { checkpointId: string; fence: number; owner: string; lastMessageId: string | undefined; messageIds: ReadonlySet<string>; trimmed: boolean }>;
  /** The user turns a thread's checkpoint keeps (the tree's largest history window; see state/window.ts). */
  hotTurns: History['turns'];
  /** Where turns run by the runtime append their messages, summaries and traces (see `journal` in compile options); undefined: nowhere. */
  journal: ThreadJournal | undefined;
  /** Whether turns also journal their step trace (`event` entries). */
  trace: boolean;
  /** Records the events of running turns for the journal (present when `journal` is). */
  recorder: TurnRecorder | undefined;
  /** The store's side-effect ledger: a tool call that timed out in a stopped run is recorded there (see nodes/function-tool.ts). */
  ledger: SideEffectLedger | undefined;
  /** The node runs in flight, by thread (see nodes/running.ts). */
  running: Map<string, Set<Promise<unknown>>>;
}

export interface RuntimeOptions extends ResolveOptions {
  tools: Map<string, StructuredToolInterface>;
  logger: Logger;
  observers?: readonly EventObserver[] | undefined;
  prices: PriceTable;
  sleep?: ((ms: number) => Promise<void>) | undefined;
  toolTimeoutMs?: number | undefined;
  ledger?: SideEffectLedger | undefined;
  /** The time conditions (`when:`) read. Default: the system clock. */
  clock?: (() => Date) | undefined;
  threadLock: ThreadLock;
  checkpoints?: CheckpointAdapter | undefined;
  journal?: ThreadJournal | undefined;
  trace?: boolean | undefined;
  recorder?: TurnRecorder | undefined;
}

/** Prepares every agent of the tree. */
export function createTreeRuntime(tree: Tree, options: RuntimeOptions): TreeRuntime {
  const edges = listEdges(tree);
  const agents = new Map<string, AgentRuntime>();
  const toolOwners = new Map<string, string[]>();
  const treeLimits: ResolvedLimits = { ...DEFAULT_LIMITS, ...definedOnly(tree.limits) };
  const outgoing = new Map<string, Edge[]>();
  for (const edge of edges) outgoing.set(edge.from, [...(outgoing.get(edge.from) ?? []), edge]);
  // Only a tree with conditions builds their environment.
  const conditions = hasConditions(tree) ? createConditionEnvironment(tree.state) : undefined;
  for (const [name, spec] of Object.entries(tree.agents)) {
    const runtime = createAgentRuntime(tree, name, spec, outgoing.get(name) ?? [], treeLimits, options, conditions);
    agents.set(name, runtime);
    const tools = [...runtime.handoffs.keys(), ...runtime.functionTools.keys(), ...runtime.helpers.keys()];
    for (const tool of tools) toolOwners.set(tool, [...(toolOwners.get(tool) ?? []), name]);
  }
  const offline = [...agents.values()].filter((agent) => agent.models.some((model) => model.id === 'offline')).map((agent) => agent.name);
  // Backend code that chose no model gets told; the CLI says it in its own first line.
  if (offline.length > 0 && options.model === undefined) {
    options.logger.warn({ event: 'offline-model', agents: offline }, 'no API key for these agents: they run on the offline model (a keyword router)');
  }
  return {
    tree,
    edges,
    agents,
    toolOwners,
    codeTools: new Set(options.tools.keys()),
    logger: options.logger,
    observers: options.observers ?? [],
    prices: options.prices,
    retry: { ...DEFAULT_RETRY, ...definedOnly(tree.retry) },
    limits: treeLimits,
    sleep: options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
    toolTimeoutMs: options.toolTimeoutMs ?? DEFAULT_TOOL_TIMEOUT_MS,
    clock: options.clock ?? (() => new Date()),
    threadLock: options.threadLock,
    checkpoints: options.checkpoints,
    heads: new Map(),
    running: new Map(),
    ledger: options.ledger,
    hotTurns: hotTurns(tree),
    journal: options.journal,
    trace: options.trace ?? false,
    recorder: options.recorder,
  };
}

/**
 * The agent a new user message goes to: the one that owns the conversation, or the root when the
 * owner is not a node of the tree any more (a helper, or an agent removed from the YAML).
 */
export function ownerOf(runtime: TreeRuntime, owner: string): string {
  const agent = runtime.agents.get(owner);
  if (agent && agent.spec.kind !== 'helper') return owner;
  runtime.logger.warn({ event: 'owner-missing', agent: owner }, 'the agent that owned the conversation is not in the tree any more; the root takes it');
  return runtime.tree.root;
}

function createAgentRuntime(
  tree: Tree,
  name: string,
  spec: Agent,
  outgoing: Edge[],
  treeLimits: ResolvedLimits,
  options: RuntimeOptions,
  environment: ConditionEnvironment | undefined,
): AgentRuntime {
  const handoffs = new Map<string, HandoffTarget>();
  const conditional = new Map<string, CompiledCondition[]>();
  const helpers = new Map<string, string>();
  const toolDefinitions: ReturnType<typeof convertToOpenAITool>[] = [];
  for (const edge of outgoing) {
    if (edge.tool === undefined) continue;
    const target = tree.agents[edge.to] as Agent;
    if (edge.kind === 'helper') {
      helpers.set(edge.tool, edge.to);
      toolDefinitions.push(functionDefinition(edge.tool, target.handoff?.description ?? target.description, HelperRequestSchema));
      continue;
    }
    const payload = payloadSchema(target.handoff?.payload ?? {}, tree.state);
    handoffs.set(edge.tool, {
      tool: edge.tool,
      to: edge.to,
      kind: edge.kind as HandoffKind,
      payload,
      sets: Object.entries(target.handoff?.payload ?? {}).flatMap(([field, value]) => (value.sets ? [[field, value.sets] as [string, string]] : [])),
    });
    toolDefinitions.push(functionDefinition(edge.tool, handoffDescription(edge, target), payload));
    const written = environment ? conditionsOfEdge(tree, edge) : [];
    if (environment && written.length > 0) conditional.set(edge.tool, written.map((text) => compileCondition(environment, text)));
  }
  const functionTools = new Map<string, StructuredToolInterface>();
  for (const toolName of spec.tools ?? []) {
    const tool = options.tools.get(toolName);
    if (!tool) continue; // compileTree reports unknown tools before this runs
    functionTools.set(toolName, tool);
    toolDefinitions.push(convertToOpenAITool(tool));
  }
  const resolved = spec.kind === 'human' ? [] : resolveModels(tree, name, options);
  const bindAll = (definitions: typeof toolDefinitions): BoundModel[] =>
    resolved.map((entry) => ({ id: entry.id, runnable: bind(entry.model, definitions), timeoutMs: entry.timeoutMs }));
  const models = bindAll(toolDefinitions);
  return {
    name,
    spec,
    models,
    handoffs,
    functionTools,
    helpers,
    history: { ...DEFAULT_HISTORY, ...definedOnly(tree.defaults?.history), ...definedOnly(spec.history) },
    limits: { ...treeLimits, ...definedOnly(spec.limits) },
    fallbacks: fallbacksOf(spec),
    ends: [...new Set(outgoing.filter((edge) => edge.kind !== 'helper').map((edge) => edge.to))],
    fields: new Map(Object.entries(tree.state ?? {}).map(([field, declared]) => [field, fieldSchema(declared)])),
    fieldDefaults: fieldDefaults(tree),
    conditions: conditional.size > 0 && resolved.length > 0 ? agentConditions(conditional, toolDefinitions, bindAll) : undefined,
  };
}

/** Past this many tool subsets an agent's cache of bound models starts over (2^n subsets are possible, a few are met). */
const MAX_BOUND_SUBSETS = 64;

/** The conditions of an agent's handoffs, and its models bound to a subset of its tools, bound once per subset. */
function agentConditions(
  byTool: Map<string, CompiledCondition[]>,
  definitions: ReturnType<typeof convertToOpenAITool>[],
  bindAll: (definitions: ReturnType<typeof convertToOpenAITool>[]) => BoundModel[],
): AgentConditions {
  const cache = new Map<string, BoundModel[]>();
  return {
    byTool,
    modelsWithout(hidden) {
      const key = [...hidden].sort().join('\u0000');
      let models = cache.get(key);
      if (!models) {
        models = bindAll(definitions.filter((definition) => !hidden.has(definition.function.name)));
        if (cache.size >= MAX_BOUND_SUBSETS) cache.clear();
        cache.set(key, models);
      }
      return models;
    },
  };
}

/** The arguments of a helper tool: what the calling agent asks of the helper. */
export const HelperRequestSchema = z.object({
  request: z.string().min(1).describe('What you need from this helper, with every detail it needs.'),
});

function bind(model: BaseChatModel, tools: ReturnType<typeof convertToOpenAITool>[]): BoundModel['runnable'] {
  if (tools.length === 0) return model;
  if (typeof model.bindTools !== 'function') throw new Error(`The model ${model._llmType()} cannot call tools (no bindTools).`);
  return model.bindTools(tools) as BoundModel['runnable'];
}

/**
 * The handoff tool's description: `handoff.description` exactly as the tree writes it; otherwise a
 * sentence naming the move, followed by the agent's description.
 */
function handoffDescription(edge: Edge, target: Agent): string {
  const written = target.handoff?.description?.trim();
  if (written) return written;
  const base = target.description.trim();
  const move =
    edge.kind === 'handback'
      ? `Hand the conversation back to ${edge.to}.`
      : edge.kind === 'escalate'
        ? `Escalate the conversation to ${edge.to}${target.kind === 'human' ? ' (a person)' : ''}.`
        : `Transfer the conversation to ${edge.to}.`;
  return base ? `${move} ${base}` : move;
}

function functionDefinition(name: string, description: string, schema: z.ZodType): ReturnType<typeof convertToOpenAITool> {
  const parameters = z.toJSONSchema(schema, { target: 'draft-07', io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  delete parameters.$schema;
  return { type: 'function', function: { name, description, parameters } };
}

/**
 * The zod schema of a handoff payload: required fields unless `required: false` or a default; no
 * other key (the model is told, rather than the key silently dropped; the tool schema says
 * `additionalProperties: false`). A field that `sets:` a state field takes that field's limits too.
 */
export function payloadSchema(fields: Record<string, PayloadField>, state: Record<string, Field> = {}): z.ZodObject {
  const shape: Record<string, z.ZodType> = {};
  for (const [name, field] of Object.entries(fields)) {
    let schema = fieldSchema(narrowedTo(field, field.sets !== undefined && Object.hasOwn(state, field.sets) ? state[field.sets] : undefined));
    if (field.description) schema = schema.describe(field.description);
    if (field.default !== undefined) shape[name] = schema.default(field.default as never);
    else shape[name] = field.required === false ? schema.optional() : schema;
  }
  return z.strictObject(shape);
}

/** The keys of `value` whose value is defined (so spreading it never writes undefined over a default). */
function definedOnly<T extends object>(value: T | undefined): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value ?? {}).filter(([, entry]) => entry !== undefined)) as { [K in keyof T]?: Exclude<T[K], undefined> };
}
