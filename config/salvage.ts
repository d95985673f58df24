/**
 * The usable parts of a tree that failed the schema, so that lint can still report reference and
 * structure problems in the same run as the schema errors.
 *
 * A field that fails the schema is left out, or stood in for where leaving it out would make lint
 * report a problem that is not there (a missing prompt, an unknown model). An agent whose `kind` is
 * wrong is left out, but its name still counts as known. When something the tree's shape depends
 * on is left out, the salvage is not `complete` and the rules that need the whole graph
 * (reachability, dead ends) are skipped rather than guessed.
 */
import type { z } from 'zod';
import { AgentSchema, DefaultsSchema, FieldSchema, HandoffSchema, ModelSchema, PayloadFieldSchema, TreeSchema } from './schema.js';
import type { Agent, Handoff, Tree } from './schema.js';

export interface SalvagedTree {
  tree: Tree;
  /** Every agent name in the file, salvaged or not. */
  knownAgents: string[];
  /** False when a part the graph's shape depends on is missing. */
  complete: boolean;
  /** True when `root` was missing or invalid: the stand-in root must not be reported on. */
  rootMissing: boolean;
}

/** Fields whose loss changes the graph's edges. */
const STRUCTURAL = new Set(['kind', 'children', 'handback', 'sideways', 'escalate', 'fallback', 'helpers']);
const STAND_IN = '(invalid)';

export function salvageTree(data: unknown): SalvagedTree | undefined {
  if (!isRecord(data) || !isRecord(data.agents)) return undefined;
  let complete = true;
  const agents: Record<string, Agent> = {};
  for (const [name, value] of Object.entries(data.agents)) {
    const salvaged = salvageAgent(value);
    if (salvaged) agents[name] = salvaged.agent;
    complete &&= salvaged?.complete ?? false;
  }
  if (hasUnknownKeys(data, TreeSchema.shape) || (isRecord(data.defaults) && hasUnknownKeys(data.defaults, DefaultsSchema.shape)))
    complete = false;
  const root = valid(TreeSchema.shape.root, data.root);
  const tree: Tree = { version: 1, name: 'tree', root: root ?? '', agents };
  const escalation = valid(TreeSchema.shape.escalation, data.escalation);
  if (escalation !== undefined) tree.escalation = escalation;
  else if (data.escalation !== undefined) complete = false;
  const defaults = valid(DefaultsSchema, data.defaults) ?? salvageDefaults(data.defaults);
  if (defaults !== undefined) tree.defaults = defaults;
  if (isRecord(data.defaults) && data.defaults.handback !== undefined && defaults?.handback === undefined) complete = false;
  // Any model entry counts as declared, so agents naming it get no echo "unknown model".
  const models = entries(data.models, (value) => valid(ModelSchema, value) ?? { provider: 'offline' as const });
  if (models) tree.models = models;
  const state = entries(data.state, (value) => valid(FieldSchema, value));
  if (state) tree.state = state;
  dropUncheckableSets(agents, data.state, state);
  return { tree, knownAgents: Object.keys(data.agents), complete: complete && root !== undefined, rootMissing: root === undefined };
}

function salvageAgent(value: unknown): { agent: Agent; complete: boolean } | undefined {
  const whole = AgentSchema.safeParse(value);
  if (whole.success) return { agent: whole.data, complete: true };
  if (!isRecord(value) || !AgentSchema.shape.kind.safeParse(value.kind).success) return undefined;
  // An unknown key may be a misspelled edge (`childern:`), so the graph is not known; or a
  // misspelled prompt (`promt:`), so no "missing prompt" either.
  const unknownKeys = hasUnknownKeys(value, AgentSchema.shape);
  let complete = !unknownKeys;
  const kept: Record<string, unknown> = { description: STAND_IN, ...(unknownKeys && value.kind !== 'human' ? { prompt: STAND_IN } : {}) };
  for (const [key, schema] of Object.entries(AgentSchema.shape)) {
    if (!Object.hasOwn(value, key)) continue;
    if ((schema as z.ZodType).safeParse(value[key]).success) kept[key] = value[key];
    else if (key === 'description' || key === 'prompt') kept[key] = STAND_IN;
    else if (key === 'handoff') kept.handoff = salvageHandoff(value.handoff);
    else if (STRUCTURAL.has(key)) complete = false;
  }
  // Without its payload fields, the offline payload would look wrong: leave it out too.
  if (value.handoff !== undefined && kept.handoff === undefined && isRecord(kept.offline))
    kept.offline = { ...kept.offline, payload: undefined };
  const parsed = AgentSchema.safeParse(kept);
  return parsed.success ? { agent: parsed.data, complete } : undefined;
}

/** The handoff with its valid parts; an invalid payload field becomes a plain string field. */
function salvageHandoff(value: unknown): Handoff | undefined {
  if (!isRecord(value)) return undefined;
  const handoff: Handoff = {};
  const tool = valid(HandoffSchema.shape.tool, value.tool);
  if (tool !== undefined) handoff.tool = tool;
  if (value.payload !== undefined) {
    if (!isRecord(value.payload)) return undefined;
    handoff.payload = entries(value.payload, (field) => valid(PayloadFieldSchema, field) ?? { type: 'string' });
  }
  return handoff;
}

function salvageDefaults(value: unknown): Tree['defaults'] {
  if (!isRecord(value)) return undefined;
  const kept = Object.fromEntries(
    Object.entries(DefaultsSchema.shape)
      .filter(([key, schema]) => Object.hasOwn(value, key) && schema.safeParse(value[key]).success)
      .map(([key]) => [key, value[key]]),
  );
  return valid(DefaultsSchema, kept);
}

/** A payload field's `sets` cannot be checked against a state field that failed the schema. */
function dropUncheckableSets(agents: Record<string, Agent>, rawState: unknown, state: Record<string, unknown> | undefined): void {
  if (rawState === undefined) return;
  for (const agent of Object.values(agents)) {
    for (const field of Object.values(agent.handoff?.payload ?? {})) {
      if (field.sets === undefined) continue;
      const failed = !isRecord(rawState) || (Object.hasOwn(rawState, field.sets) && !Object.hasOwn(state ?? {}, field.sets));
      if (failed) delete field.sets;
    }
  }
}

/** The entries of a record, each kept through `keep` (left out when it returns undefined). */
function entries<T>(value: unknown, keep: (entry: unknown) => T | undefined): Record<string, T> | undefined {
  if (!isRecord(value)) return undefined;
  const kept: Record<string, T> = {};
  for (const [key, entry] of Object.entries(value)) {
    const result = keep(entry);
    if (result !== undefined) kept[key] = result;
  }
  return kept;
}

function valid<T extends z.ZodType>(schema: T, value: unknown): z.output<T> | undefined {
  if (value === undefined) return undefined;
  const parsed = schema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

function hasUnknownKeys(value: Record<string, unknown>, shape: object): boolean {
  return Object.keys(value).some((key) => !Object.hasOwn(shape, key));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
