/**
 * The usable parts of a tree that failed the schema, so that lint can still report reference and
 * structure problems in the same run as the schema errors.
 *
 * A field that fails the schema is left out, or stood in for where leaving it out would make lint
 * report a problem that is not there (a missing prompt, an unknown model); the fields beside it
 * (of an agent, a model, the retry policy, the limits, the prices) are still checked. A list of agent names keeps
 * its entries that name agents, and `tools:` its valid tool names, each still reported at its index in
 * the file (list-indices.ts). A state field keeps the fields of its type that pass; one whose type
 * failed still counts as declared, of a type unknown. An agent whose `kind` is wrong is left out, but
 * its name still counts as known. Whatever the graph loses this way (an edge in a broken list, a misspelled `childern:`, an
 * agent left out, a value a duplicate key hid) is recorded as a {@link GraphGaps}: the graph checks
 * count it as a possible edge, so it never makes an agent look unreachable or a dead end.
 */
import type { z } from 'zod';
import { closestName } from './suggest.js';
import { keepIndices } from './list-indices.js';
import { GraphGaps, isReferenceKey, KnownAgents, REFERENCE_KEYS } from './graph-gaps.js';
import { AgentSchema, ApprovalSchema, ConditionSchema, DefaultsSchema, FieldSchema, HandoffSchema, LimitsSchema, MAX_WAIT_MS, ModelSchema, NAME_PATTERN, OfflineSchema, PayloadFieldSchema, PriceSchema, RetrySchema, TOOL_NAME_PATTERN, TreeSchema } from './schema.js';
import type { Agent, Field, Handoff, ModelConfig, Offline, Tree } from './schema.js';
import type { LostValue } from './source.js';

export interface SalvagedTree {
  tree: Tree;
  /** Every agent name in the file, salvaged or not (left out of the data too: a forbidden name). */
  knownAgents: string[];
  /** The keys of `agents:` in the data, salvaged or not. */
  agentKeys: string[];
  /** What the graph checks cannot see. */
  gaps: GraphGaps;
  /** True when `root` was missing or invalid: the stand-in root must not be reported on. */
  rootMissing: boolean;
  /** The state fields that failed the schema with no usable type (`type: bool`): declared all the same, of a type unknown. */
  untypedFields: string[];
}

const STAND_IN = '(invalid)';
/** Stands in for a condition that failed the schema: lint checks its target, and finds nothing to say about `true`. */
const STAND_IN_CONDITION = 'true';
/** Stands in for retry pauses that failed the schema: lint finds nothing to say about a first pause of 0, or a longest of 10 minutes. */
const STAND_IN_RETRY = { initialDelayMs: 0, maxDelayMs: MAX_WAIT_MS };
/** Stands in for a price that failed the schema: lint still checks that its key is a model id of the tree. */
const STAND_IN_PRICE = { input: 0, output: 0 };

/**
 * The tree lint can check: `parsed` (when the data passed the schema) or what can be salvaged of
 * `data`, with what the graph checks cannot see in it and in the values the data lost (`lost`:
 * the earlier values of duplicate keys, dropped keys).
 */
export function salvageTree(data: unknown, lost: readonly LostValue[] = [], parsed?: Tree): SalvagedTree | undefined {
  if (!isRecord(data) || !isRecord(data.agents)) return undefined;
  const rawAgents = data.agents;
  const gaps = new GraphGaps();
  const lostAgents = lostDefinitions(lost).filter(({ name }) => !Object.hasOwn(rawAgents, name));
  const knownAgents = [...new Set([...Object.keys(rawAgents), ...lostAgents.map(({ name }) => name)])];
  const known = new KnownAgents(knownAgents);
  const { tree, rootMissing, untypedFields } = parsed ? { tree: parsed, rootMissing: false, untypedFields: [] } : salvageParts(data, rawAgents, known, gaps);
  for (const value of lost) addLostValue(gaps, value, rawAgents, known);
  return { tree, knownAgents, agentKeys: Object.keys(rawAgents), gaps, rootMissing, untypedFields };
}

function salvageParts(data: Record<string, unknown>, rawAgents: Record<string, unknown>, known: KnownAgents, gaps: GraphGaps): { tree: Tree; rootMissing: boolean; untypedFields: string[] } {
  const agents: Record<string, Agent> = {};
  for (const [name, value] of Object.entries(rawAgents)) {
    const agent = salvageAgent(name, value, rawAgents, known, gaps);
    if (agent) agents[name] = agent;
  }
  for (const key of Object.keys(data)) {
    // A misspelled escalation: may lead every agent to the agents it names.
    if (!Object.hasOwn(TreeSchema.shape, key)) gaps.addMentions(null, data[key], known, isReferenceKey(key));
  }
  const root = valid(TreeSchema.shape.root, data.root) ?? agentName(data.root, rawAgents);
  if (root === undefined) gaps.rootUnknown = true;
  const tree: Tree = { version: 1, name: 'tree', root: root ?? '', agents };
  const escalation = valid(TreeSchema.shape.escalation, data.escalation) ?? agentName(data.escalation, rawAgents);
  if (escalation !== undefined) tree.escalation = escalation;
  else if (data.escalation !== undefined) gaps.addMentions(null, data.escalation, known, true);
  // A defaults.handback that failed the schema is left out: agents keep handback: true, the default.
  const defaults = valid(DefaultsSchema, data.defaults) ?? valid(DefaultsSchema, validFields(DefaultsSchema, data.defaults));
  if (defaults !== undefined) tree.defaults = defaults;
  const limits = valid(LimitsSchema, data.limits) ?? valid(LimitsSchema, validFields(LimitsSchema, data.limits));
  if (limits !== undefined) tree.limits = limits;
  const retry = valid(RetrySchema, data.retry) ?? salvageRetry(data.retry);
  if (retry !== undefined) tree.retry = retry;
  // Any model entry counts as declared, so agents naming it get no echo "unknown model".
  const models = entries(data.models, (value) => valid(ModelSchema, value) ?? salvageModel(value));
  if (models) tree.models = models;
  const prices = modelIdsKnown(data.models) ? salvagePrices(data.prices) : undefined;
  if (prices) tree.prices = prices;
  const state = entries(data.state, (value) => valid(FieldSchema, value) ?? salvageField(value));
  if (state) tree.state = state;
  const untypedFields = isRecord(data.state) ? Object.keys(data.state).filter((key) => !Object.hasOwn(state ?? {}, key)) : [];
  dropUncheckableSets(agents, data.state);
  return { tree, rootMissing: root === undefined, untypedFields };
}

function salvageAgent(name: string, value: unknown, rawAgents: Record<string, unknown>, known: KnownAgents, gaps: GraphGaps): Agent | undefined {
  const whole = AgentSchema.safeParse(value);
  if (whole.success) return whole.data;
  if (!isRecord(value) || !AgentSchema.shape.kind.safeParse(value.kind).success) {
    loseAgent(gaps, name, value, known);
    return undefined;
  }
  // An unknown key may be a misspelled edge (`childern:`), or a misspelled prompt (`promt:`), so no "missing prompt" either.
  const unknownKeys = Object.keys(value).filter((key) => !Object.hasOwn(AgentSchema.shape, key));
  for (const key of unknownKeys) addLooseKey(gaps, name, key, value[key], known);
  const kept: Record<string, unknown> = { description: STAND_IN, ...(unknownKeys.length > 0 && value.kind !== 'human' ? { prompt: STAND_IN } : {}) };
  const references: Partial<Record<string, string | string[]>> = {};
  let offline: Offline | undefined;
  for (const [key, schema] of Object.entries(AgentSchema.shape)) {
    if (!Object.hasOwn(value, key)) continue;
    if ((schema as z.ZodType).safeParse(value[key]).success) kept[key] = value[key];
    else if (key === 'description' || key === 'prompt') kept[key] = STAND_IN;
    else if (key === 'handoff') {
      kept.handoff = salvageHandoff(value.handoff);
      if (!toolNameKnown(value.handoff)) gaps.unknownToolName.add(name);
    } else if (key === 'tools') {
      // Each valid tool name is still checked where the file has it; the others may be any tool.
      gaps.unknownTools.add(name);
      const tools = salvageToolNames(value.tools);
      if (tools !== undefined) references.tools = tools;
    } else if (REFERENCE_KEYS.includes(key)) {
      const salvaged = salvageReferences(name, key, value[key], rawAgents, known, gaps);
      if (salvaged !== undefined) references[key] = salvaged;
    } else if (key === 'when' || key === 'approval') {
      // The targets are checked even when a value failed: `approval: { biling: maybe }` is two mistakes.
      const entries = key === 'when' ? salvageEntries(value.when, ConditionSchema, STAND_IN_CONDITION) : salvageEntries(value.approval, ApprovalSchema, 'none');
      if (entries !== undefined) kept[key] = entries;
    } else if (key === 'handback') {
      gaps.mayHandBack.add(name);
    } else if (key === 'offline') {
      // One bad keyword does not hide the block: its other patterns, tool hints and payload are still checked.
      offline = salvageOffline(value.offline);
    }
  }
  // Without its payload fields, the offline payload would look wrong: leave it out too.
  if (value.handoff !== undefined && kept.handoff === undefined) {
    if (isRecord(kept.offline)) kept.offline = { ...kept.offline, payload: undefined };
    delete offline?.payload;
  }
  const parsed = AgentSchema.safeParse(kept);
  if (!parsed.success) {
    loseAgent(gaps, name, value, known);
    return undefined;
  }
  // Set after the schema: an entry may name an agent whose own name the schema refuses (`__start__`), and the edge is still there;
  // and the lists keep the index in the file of each entry (list-indices.ts), which a copy would lose.
  return Object.assign(parsed.data, references, offline && { offline });
}

/**
 * The entries of a list of agent names (or a fallback name) that name agents of the file; every
 * other entry is a gap that may lead to the agent it resembles, or anywhere.
 */
function salvageReferences(name: string, key: string, value: unknown, rawAgents: Record<string, unknown>, known: KnownAgents, gaps: GraphGaps): string | string[] | undefined {
  if (key === 'fallback' && typeof value === 'string') {
    const target = agentName(value, rawAgents);
    if (target === undefined) gaps.addMentions(name, value, known, true);
    return target;
  }
  if (!Array.isArray(value)) {
    gaps.addMentions(name, value, known, true);
    return undefined;
  }
  const kept: string[] = [];
  const indices: number[] = [];
  for (const [index, entry] of value.entries()) {
    const target = agentName(entry, rawAgents);
    if (target === undefined) {
      gaps.addMentions(name, entry, known, true);
      continue;
    }
    kept.push(target);
    indices.push(index);
  }
  // Lint points at each kept entry where the file has it, not where it stands in the shorter list.
  keepIndices(kept, indices);
  return kept.length > 0 || key !== 'fallback' ? kept : undefined;
}

/** The valid names of a `tools:` list that failed the schema, each with its index in the file; undefined for a value that is no list. */
function salvageToolNames(value: unknown): string[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const kept: string[] = [];
  const indices: number[] = [];
  for (const [index, entry] of value.entries()) {
    if (typeof entry !== 'string' || !TOOL_NAME_PATTERN.test(entry)) continue;
    kept.push(entry);
    indices.push(index);
  }
  keepIndices(kept, indices);
  return kept;
}

/**
 * `value` when it is a name: a valid one (lint reports it if it names no agent), or the name of an
 * agent of the file that the schema refuses (`__start__`: its key is reported already).
 */
function agentName(value: unknown, rawAgents: Record<string, unknown>): string | undefined {
  return typeof value === 'string' && (NAME_PATTERN.test(value) || Object.hasOwn(rawAgents, value)) ? value : undefined;
}

/** Whether a handoff that failed the schema still says its tool name for sure (only its payload failed). */
function toolNameKnown(handoff: unknown): boolean {
  return (
    isRecord(handoff) &&
    HandoffSchema.shape.tool.safeParse(handoff.tool).success &&
    Object.keys(handoff).every((key) => Object.hasOwn(HandoffSchema.shape, key))
  );
}

/** An agent the checked tree leaves out: what it is and where it leads are unknown, except for the agents it names. */
function loseAgent(gaps: GraphGaps, name: string, value: unknown, known: KnownAgents): void {
  gaps.lostAgents.add(name);
  markUncertain(gaps, name, value, known);
}

function markUncertain(gaps: GraphGaps, name: string, value: unknown, known: KnownAgents): void {
  gaps.unknownKind.add(name);
  gaps.mayHandBack.add(name);
  gaps.unknownToolName.add(name);
  if (value === undefined) gaps.addLead(name, null);
  else gaps.addMentions(name, value, known, false);
}

/** A key of agent `name` the checked tree does not have (unknown, or lost): it may be a misspelled edge, handback, kind or handoff. */
function addLooseKey(gaps: GraphGaps, name: string, key: string | undefined, value: unknown, known: KnownAgents): void {
  if (value === undefined) gaps.addLead(name, null);
  else gaps.addMentions(name, value, known, key !== undefined && isReferenceKey(key));
  if (key === undefined) return;
  if (resembles(key, 'handback')) gaps.mayHandBack.add(name);
  if (resembles(key, 'kind')) gaps.unknownKind.add(name);
  if (resembles(key, 'handoff')) gaps.unknownToolName.add(name);
}

/** The agent definitions among the lost values (an agent defined twice, an agent with a forbidden name), the whole lost `agents:` included. */
function lostDefinitions(lost: readonly LostValue[]): { name: string; value: unknown }[] {
  const definitions: { name: string; value: unknown }[] = [];
  for (const { path, key, value } of lost) {
    if (key === undefined) continue;
    if (path.length === 1 && path[0] === 'agents') definitions.push({ name: key, value });
    if (path.length === 0 && key === 'agents' && isRecord(value)) {
      for (const [name, definition] of Object.entries(value)) definitions.push({ name, value: definition });
    }
  }
  return definitions;
}

/** What a value the data lost (a duplicate key's earlier value, a dropped key) may hide from the graph. */
function addLostValue(gaps: GraphGaps, lost: LostValue, rawAgents: Record<string, unknown>, known: KnownAgents): void {
  const { path, key, value } = lost;
  const [top, agent, field] = path;
  if (path.length === 0) {
    if (key === 'agents') {
      for (const definition of lostDefinitions([lost])) lostDefinition(gaps, definition.name, definition.value, rawAgents, known);
    } else if (key === 'root') {
      gaps.rootUnknown = true;
    } else if (key === 'defaults') {
      for (const name of Object.keys(rawAgents)) gaps.mayHandBack.add(name);
    } else if (value === undefined) {
      gaps.addLead(null, null);
    } else {
      gaps.addMentions(null, value, known, key !== undefined && isReferenceKey(key));
    }
  } else if (top === 'agents' && path.length === 1) {
    if (key !== undefined) lostDefinition(gaps, key, value, rawAgents, known);
  } else if (top === 'agents' && typeof agent === 'string' && path.length === 2) {
    addLooseKey(gaps, agent, key, value, known);
  } else if (top === 'agents' && typeof agent === 'string' && field === 'handoff') {
    gaps.unknownToolName.add(agent);
  } else if (top === 'defaults' && path.length === 1 && key !== undefined && resembles(key, 'handback')) {
    for (const name of Object.keys(rawAgents)) gaps.mayHandBack.add(name);
  }
}

/** An agent definition the data lost: the agent is left out when the data has no other definition of it. */
function lostDefinition(gaps: GraphGaps, name: string, value: unknown, rawAgents: Record<string, unknown>, known: KnownAgents): void {
  if (Object.hasOwn(rawAgents, name)) markUncertain(gaps, name, value, known);
  else loseAgent(gaps, name, value, known);
}

function resembles(key: string, field: string): boolean {
  return closestName(key, [field]) !== undefined;
}

/**
 * The entries, by target, of `when:` or `approval:` written as a mapping: each valid target name,
 * with its value when it passes `schema`, else with `standIn` (the schema reports the value, lint
 * the target). Undefined for a value that is not a mapping.
 */
function salvageEntries(value: unknown, schema: z.ZodType<string>, standIn: string): Record<string, string> | undefined {
  if (!isRecord(value)) return undefined;
  const kept: Record<string, string> = {};
  for (const [target, entry] of Object.entries(value)) {
    if (NAME_PATTERN.test(target)) kept[target] = valid(schema, entry) ?? standIn;
  }
  return kept;
}

const OFFLINE_TEXT = OfflineSchema.shape.keywords.unwrap().element;
const OFFLINE_PAYLOAD = OfflineSchema.shape.payload.unwrap();
const OFFLINE_TOOLS = OfflineSchema.shape.tools.unwrap();
type OfflineToolHint = NonNullable<Offline['tools']>[string];

/**
 * An offline block that failed the schema, with its valid parts: the valid entries of its keywords
 * and patterns (each still checked at its index in the file), its valid payload values and reply,
 * and each tool hint under a valid tool name with its own valid parts. Undefined for a value that is
 * not a mapping.
 */
function salvageOffline(value: unknown): Offline | undefined {
  if (!isRecord(value)) return undefined;
  const offline: Offline = salvageMatching(value);
  const reply = valid(OfflineSchema.shape.reply, value.reply);
  if (reply !== undefined) offline.reply = reply;
  const payload = entries(value.payload, (entry) => valid(OFFLINE_PAYLOAD.valueType, entry));
  if (payload !== undefined) offline.payload = Object.fromEntries(Object.entries(payload).filter(([key]) => OFFLINE_PAYLOAD.keyType.safeParse(key).success));
  const tools = value.tools;
  if (isRecord(tools)) {
    const names = Object.keys(tools).filter((tool) => OFFLINE_TOOLS.keyType.safeParse(tool).success);
    offline.tools = Object.fromEntries(names.map((tool) => [tool, salvageToolHint(tools[tool])]));
  }
  return offline;
}

/** The valid keywords and patterns of an offline hint (the agent's own, or a tool's). */
function salvageMatching(value: Record<string, unknown>): Pick<Offline, 'keywords' | 'patterns'> {
  const matching: Pick<Offline, 'keywords' | 'patterns'> = {};
  const keywords = validEntries(value.keywords, OFFLINE_TEXT);
  if (keywords !== undefined) matching.keywords = keywords;
  const patterns = validEntries(value.patterns, OFFLINE_TEXT);
  if (patterns !== undefined) matching.patterns = patterns;
  return matching;
}

/** A tool hint of an offline block with its valid parts. */
function salvageToolHint(value: unknown): OfflineToolHint {
  if (!isRecord(value)) return {};
  const hint: OfflineToolHint = salvageMatching(value);
  const args = valid(OFFLINE_TOOLS.valueType.shape.args, value.args);
  if (args !== undefined) hint.args = args;
  return hint;
}

/** The entries of a list that pass `schema`, each with its index in the file (list-indices.ts); undefined for a value that is no list. */
function validEntries<T>(value: unknown, schema: z.ZodType<T>): T[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const kept: T[] = [];
  const indices: number[] = [];
  for (const [index, entry] of value.entries()) {
    const parsed = schema.safeParse(entry);
    if (!parsed.success) continue;
    kept.push(parsed.data);
    indices.push(index);
  }
  keepIndices(kept, indices);
  return kept;
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

/** The retry policy's valid fields; a pause that failed the schema gets a stand-in, never the default lint would compare with the other. */
function salvageRetry(value: unknown): Tree['retry'] {
  const kept = validFields(RetrySchema, value);
  if (kept === undefined || !isRecord(value)) return undefined;
  const standIns = Object.entries(STAND_IN_RETRY).filter(([key]) => Object.hasOwn(value, key));
  return valid(RetrySchema, { ...Object.fromEntries(standIns), ...kept });
}

/**
 * A model with its valid fields, each checked on its own (an invalid temperature does not hide a
 * disallowed apiKeyEnv). A provider that failed the schema is not openai, the default: it becomes
 * offline, whose provider checks there are none of; a name that failed stands in as present, so
 * that no "names no model" is reported. A value that is no mapping is an offline model too.
 */
function salvageModel(value: unknown): ModelConfig {
  const kept = validFields(ModelSchema, value) ?? {};
  if (isRecord(value) && value.provider !== undefined && kept.provider === undefined) kept.provider = 'offline';
  if (isRecord(value) && value.name !== undefined && kept.name === undefined) kept.name = STAND_IN;
  return valid(ModelSchema, kept) ?? { provider: 'offline' };
}

/**
 * Whether every model's provider model id is known (models/resolve.ts: its name, else its provider's
 * default): a price can only be told unused when none failed the schema.
 */
function modelIdsKnown(models: unknown): boolean {
  if (models === undefined) return true;
  if (!isRecord(models)) return false;
  return Object.values(models).every((model) => {
    if (!isRecord(model)) return false;
    if (model.name !== undefined) return ModelSchema.shape.name.safeParse(model.name).success;
    return model.provider === undefined || ModelSchema.shape.provider.safeParse(model.provider).success;
  });
}

/** The prices under valid keys, a price that failed the schema with a stand-in (its key is still checked). */
function salvagePrices(value: unknown): Tree['prices'] {
  if (!isRecord(value)) return undefined;
  const keys = Object.keys(value).filter((key) => TreeSchema.shape.prices.unwrap().keyType.safeParse(key).success);
  return Object.fromEntries(keys.map((key) => [key, valid(PriceSchema, value[key]) ?? STAND_IN_PRICE]));
}

/**
 * A state field that failed the schema, with the fields of its type that pass on their own (`min`,
 * `max`, `description` …), so that lint still checks them and conditions still know its type.
 * Undefined when its type is unknown (`type: bool`), or an enum without valid values: its name
 * still counts as declared (see untypedFields).
 */
function salvageField(value: unknown): Field | undefined {
  if (!isRecord(value)) return undefined;
  const variants: readonly z.ZodObject[] = FieldSchema.options;
  const variant = variants.find((option) => option.shape.type?.safeParse(value.type).success);
  return variant === undefined ? undefined : valid(FieldSchema, validFields(variant, value));
}

/**
 * A payload field's `sets` cannot be checked against a state field that failed the schema: whose
 * limits, owner and (for a salvaged field) keys are not all known.
 */
function dropUncheckableSets(agents: Record<string, Agent>, rawState: unknown): void {
  if (rawState === undefined) return;
  for (const agent of Object.values(agents)) {
    for (const field of Object.values(agent.handoff?.payload ?? {})) {
      if (field.sets === undefined) continue;
      const failed = !isRecord(rawState) || (Object.hasOwn(rawState, field.sets) && !FieldSchema.safeParse(rawState[field.sets]).success);
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

/** The fields of `value` that pass their own schema, by key; undefined for a value that is not a mapping. */
function validFields<T extends z.ZodRawShape>(schema: z.ZodObject<T>, value: unknown): Partial<Record<keyof T, unknown>> | undefined {
  if (!isRecord(value)) return undefined;
  const fields = Object.entries(schema.shape).filter(([key, field]) => Object.hasOwn(value, key) && (field as z.ZodType).safeParse(value[key]).success);
  return Object.fromEntries(fields.map(([key]) => [key, value[key]])) as Partial<Record<keyof T, unknown>>;
}

function valid<T extends z.ZodType>(schema: T, value: unknown): z.output<T> | undefined {
  if (value === undefined) return undefined;
  const parsed = schema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
