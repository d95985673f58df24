/**
 * The shared state every agent node reads and writes: one typed (zod) LangGraph state per tree.
 */
import { MessagesValue, ReducedValue, StateSchema } from '@langchain/langgraph';
import { z } from 'zod';
import type { Tree } from '../config/schema.js';
import { fieldSchema } from '../config/field-schema.js';
import { appendToTrail } from './trail.js';
import { applyTurnWrite } from './turn-write.js';
import type { NextTurnWrite, TurnWrite } from './turn-write.js';
import { roundUsd } from '../models/prices.js';

export const EDGE_KINDS = ['delegate', 'handback', 'sideways', 'escalate', 'fallback', 'limit', 'resume'] as const;

/** One move of control: kept in the trail for backend code, not shown to models beyond their history. */
export const HandoffRecordSchema = z.object({
  from: z.string(),
  to: z.string(),
  /** How control moved: a handoff tool (delegate, handback, sideways, escalate), or the runtime (fallback, limit, resume). */
  kind: z.enum(EDGE_KINDS),
  /** The handoff tool the model called, if any. */
  tool: z.string().optional(),
  /** The validated handoff payload. */
  payload: z.record(z.string(), z.unknown()),
  /** The user turn it happened in (1-based). */
  turn: z.int(),
  /** ISO time. */
  at: z.string(),
  /** For runtime moves: why (a limit or failure code). */
  reason: z.string().optional(),
});
export type HandoffRecord = z.output<typeof HandoffRecordSchema>;

/** Model calls, tokens and cost, attributed to agents and handoff paths. */
export const UsageTotalsSchema = z.object({
  modelCalls: z.int(),
  inputTokens: z.int(),
  outputTokens: z.int(),
  costUsd: z.number(),
  latencyMs: z.number(),
});
export type UsageTotals = z.output<typeof UsageTotalsSchema>;

export const UsageSchema = z.object({
  total: UsageTotalsSchema,
  byAgent: z.record(z.string(), UsageTotalsSchema),
  byPath: z.record(z.string(), UsageTotalsSchema),
});
export type Usage = z.output<typeof UsageSchema>;

export function emptyTotals(): UsageTotals {
  return { modelCalls: 0, inputTokens: 0, outputTokens: 0, costUsd: 0, latencyMs: 0 };
}
export function emptyUsage(): Usage {
  return { total: emptyTotals(), byAgent: {}, byPath: {} };
}

/** Adds usage `b` into `a` (a reducer: both are whole usage records). */
export function addUsage(a: Usage, b: Usage): Usage {
  const sum = (x: UsageTotals | undefined, y: UsageTotals): UsageTotals => ({
    modelCalls: (x?.modelCalls ?? 0) + y.modelCalls,
    inputTokens: (x?.inputTokens ?? 0) + y.inputTokens,
    outputTokens: (x?.outputTokens ?? 0) + y.outputTokens,
    costUsd: roundUsd((x?.costUsd ?? 0) + y.costUsd),
    latencyMs: (x?.latencyMs ?? 0) + y.latencyMs,
  });
  const merge = (x: Record<string, UsageTotals>, y: Record<string, UsageTotals>) => {
    const result = { ...x };
    for (const [key, value] of Object.entries(y)) result[key] = sum(x[key], value);
    return result;
  };
  return { total: sum(a.total, b.total), byAgent: merge(a.byAgent, b.byAgent), byPath: merge(a.byPath, b.byPath) };
}

export const TurnErrorSchema = z.object({ code: z.string(), message: z.string() });

/**
 * The usage of the model calls one agent made at one point of a running turn's path:
 * `[agent, pathLength, modelCalls, inputTokens, outputTokens, costUsd, latencyMs]`, the path being
 * the turn's first `pathLength` agents. Every step's checkpoint carries the running turn's calls, so
 * they are kept this small; the turn's `Usage` (by agent and by path) is made from them when the turn
 * settles (state/turn-usage.ts).
 */
export const CallUsageSchema = z.tuple([z.string(), z.int(), z.int(), z.int(), z.int(), z.number(), z.number()]);
export type CallUsage = z.output<typeof CallUsageSchema>;

/** The bookkeeping of the current (or last) user turn. */
export const TurnSchema = z.object({
  number: z.int().min(0),
  /** The id of the user message that started the turn. */
  messageId: z.string().optional(),
  startedAt: z.string().optional(),
  /** The agents that held control in this turn, in order. */
  path: z.array(z.string()),
  handoffs: z.int().min(0),
  modelCalls: z.int().min(0),
  toolCalls: z.int().min(0),
  /** running; done (an agent answered); waiting (for a person); error (see `error`). */
  status: z.enum(['running', 'done', 'waiting', 'error']),
  error: TurnErrorSchema.optional(),
  /** Model and tool calls of each agent in this turn (for per-agent limits). */
  byAgent: z.record(z.string(), z.object({ modelCalls: z.int(), toolCalls: z.int(), handoffs: z.int() })).optional(),
  /** Set once a limit sent the turn to the tree's escalation target: a second crossing ends the turn. */
  redirected: z.boolean().optional(),
  /**
   * The moves of this turn so far, while it runs. They join the `handoffs` trail when the turn
   * settles (answered, failed, or waiting for a person), and leave the turn then.
   */
  moves: z.array(HandoffRecordSchema).optional(),
  /** The usage of this turn's model calls so far, while it runs; added to `usage` when the turn settles. */
  calls: z.array(CallUsageSchema).optional(),
  /** A running turn's usage as earlier releases kept it (read only to settle such a turn late). */
  usage: UsageSchema.optional(),
});
export type Turn = z.output<typeof TurnSchema>;

export const EMPTY_TURN: Turn = { number: 0, path: [], handoffs: 0, modelCalls: 0, toolCalls: 0, status: 'done' };

/** The values of tree fields that have defaults. */
export function fieldDefaults(tree: Pick<Tree, 'state'>): Record<string, string | number | boolean> {
  const defaults: Record<string, string | number | boolean> = {};
  for (const [name, field] of Object.entries(tree.state ?? {})) if (field.default !== undefined) defaults[name] = field.default;
  return defaults;
}

/** The zod object of the tree's own state fields (every field optional: set by handoffs or backend code). */
export function fieldsSchema(tree: Pick<Tree, 'state'>) {
  const shape: Record<string, z.ZodType> = {};
  for (const [name, field] of Object.entries(tree.state ?? {})) shape[name] = fieldSchema(field).optional();
  return z.strictObject(shape);
}

/**
 * The input schema of a channel only Switchboard's own nodes write (`turn`, `usage`, `handoffs`):
 * it describes writes as `schema` does (JSON Schema for LangGraph Studio and the API) but takes
 * them as they come. Their writers are typed, and LangGraph would otherwise parse every write with
 * zod at every step, which costs more than the rest of a step's own bookkeeping.
 */
function writtenByNodes<T>(schema: z.ZodType<T>): { '~standard': z.ZodType<T>['~standard'] } {
  return { '~standard': { ...schema['~standard'], validate: (value: unknown) => ({ value: value as T }) } };
}

/**
 * The LangGraph state of a tree:
 * - `messages`: the conversation (LangGraph's messages reducer);
 * - `activeAgent`: the agent that owns the conversation, where the next user message goes;
 * - `handoffs`: the moves (from, to, payload, turn, time) of the latest turn that moved control
 *   (the whole trail is in the thread's journal: one `turn` entry a turn);
 * - `turn`: counters and status of the current (or last) turn, and while it runs its moves and
 *   model calls (the one channel a step's bookkeeping is written to; `handoffs` and `usage` take the
 *   turn's moves and usage when it settles);
 * - `fields`: the tree's own typed fields (`state:` in YAML), merged key by key;
 * - `usage`: model calls, tokens and cost of the thread's settled turns (a running turn's so far:
 *   `usageOfTurn(state.turn)`);
 * - `tree`: the name of the tree the thread belongs to (another tree refuses to open it).
 */
export function createStateSchema(tree: Pick<Tree, 'root' | 'state'>) {
  const fields = fieldsSchema(tree);
  const defaults = fieldDefaults(tree);
  return new StateSchema({
    messages: MessagesValue,
    activeAgent: z.string().default(tree.root),
    handoffs: new ReducedValue(z.array(HandoffRecordSchema).default(() => []), {
      inputSchema: writtenByNodes(z.array(HandoffRecordSchema)),
      reducer: appendToTrail,
    }),
    turn: new ReducedValue(TurnSchema.default(() => ({ ...EMPTY_TURN })), {
      // A whole turn (as described), or a step's write (see state/turn-write.ts).
      inputSchema: writtenByNodes(TurnSchema as z.ZodType<Turn | TurnWrite | NextTurnWrite>),
      reducer: applyTurnWrite,
    }),
    fields: new ReducedValue(z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default(() => ({ ...defaults })), {
      inputSchema: fields,
      reducer: (current: Record<string, string | number | boolean>, update: Record<string, unknown>) => ({ ...current, ...(update as Record<string, string | number | boolean>) }),
    }),
    usage: new ReducedValue(UsageSchema.default(emptyUsage), {
      inputSchema: writtenByNodes(UsageSchema),
      reducer: addUsage,
    }),
    tree: z.string().optional(),
  });
}

export type SwitchboardStateSchema = ReturnType<typeof createStateSchema>;
/** The state of a thread, as `graph.invoke()` and `graph.getState()` return it. */
export interface SwitchboardState {
  messages: import('@langchain/core/messages').BaseMessage[];
  activeAgent: string;
  /** The moves of the latest turn that moved control (the whole trail: the thread's journal). */
  handoffs: HandoffRecord[];
  /** The current (or last) turn: counters, status, and while it runs its own moves and model calls so far. */
  turn: Turn;
  fields: Record<string, string | number | boolean>;
  /** The thread's settled turns (a running turn's usage so far: `usageOfTurn(state.turn)`). */
  usage: Usage;
  /** The tree the thread belongs to (unset in threads from before trees were recorded). */
  tree?: string | undefined;
}
