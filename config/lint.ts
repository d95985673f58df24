/**
 * The rules JSON Schema cannot say: references exist, names are safe for LangGraph, Mermaid and
 * JavaScript objects, kinds fit, models, tools and state fields exist, a model reads only an API-key
 * variable and a temperature its provider takes, every price is for a model of the tree, no
 * handoff payload writes a field backend code owns, offline patterns compile for RE2.
 * They run after the schema, on every part of the tree that passed it, so one run reports every
 * problem. The rules about the graph's shape are in lint-graph.ts.
 */
import { NAME_PATTERN } from './schema.js';
import type { Agent, Field, ModelConfig, PayloadField, Tree } from './schema.js';
import { closestName, didYouMean, listNames, suggestRename } from './suggest.js';
import { nameCollision, reservedNameProblem } from './reserved-names.js';
import type { IssueInput } from './source.js';
import { lintGraph } from './lint-graph.js';
import type { Locate } from './lint-graph.js';
import { GraphGaps } from './graph-gaps.js';
import { agentOf, fallbacksOf, helperToolName } from './edges.js';
import { fileEntries } from './list-indices.js';
import { fieldSchema, narrowedTo } from './field-schema.js';
import { unsupportedPattern } from './offline-pattern.js';
import { describePath, unsafeTextIssue } from './schema-issues.js';
import { lintConditions } from './condition-lint.js';
import { lintApproval } from './lint-approval.js';
import { packageInstalled, providerSpec } from './providers.js';
import { priceOf } from './price-match.js';

/** The built-in model names an agent may use without declaring them under `models:`. */
export const BUILTIN_MODELS: readonly string[] = ['offline'];
export { MAX_HANDOFF_TARGETS } from './lint-graph.js';

export interface LintContext {
  /** Every agent name in the file, including agents that failed the schema (to avoid echo errors). */
  knownAgents: ReadonlySet<string>;
  /** Function tools the code registers; without it, tool names are not checked. */
  tools?: ReadonlySet<string> | undefined;
  /** Models the code supplies by name, besides the tree's own `models:`. */
  models?: ReadonlySet<string> | undefined;
  /** The keys of `agents:` in the file, agents that failed the schema included: their names are checked too. */
  agentKeys?: ReadonlySet<string> | undefined;
  /** What the graph checks cannot see, when parts of the tree failed the schema; lint adds the references to no agent. */
  gaps?: GraphGaps | undefined;
  /** Where a path is in the file, to point at the later of two clashing names; without it, at the one found second. */
  locate?: Locate | undefined;
  /** Environment variables a model's `apiKeyEnv` may name besides those ending in `_API_KEY`. */
  allowedKeyEnv?: ReadonlySet<string> | undefined;
  /** State fields backend code owns, besides those marked `owner: backend`: no handoff payload may `sets:` them. */
  backendFields?: ReadonlySet<string> | undefined;
  /** State fields the file declares with a type that failed the schema: their names count as declared, their type as unknown. */
  untypedFields?: ReadonlySet<string> | undefined;
}

/** The suffix of the environment variables a model may read its API key from, unless code allows others. */
export const API_KEY_ENV_SUFFIX = '_API_KEY';

type Report = (issue: IssueInput) => void;
type Path = (string | number)[];

/** Checks a schema-valid (possibly partial) tree and reports every problem through `report`. */
export function lintTree(tree: Tree, context: LintContext, report: Report): void {
  const known = [...context.knownAgents];
  const gaps = context.gaps ?? new GraphGaps();
  const checkReference = (name: string, path: Path) => {
    if (context.knownAgents.has(name)) {
      checkReservedReference(name, path, known, report);
      return;
    }
    // The graph checks count the edge the author meant: to the agent it resembles, or, resembling none, to any agent.
    const meant = closestName(name, known) ?? null;
    if (path[0] === 'root') gaps.rootUnknown = true;
    else gaps.addLead(path[0] === 'agents' ? String(path[1]) : null, meant);
    report({ code: 'UNKNOWN_AGENT', message: `"${name}" is not an agent.`, hint: `${didYouMean(name, known)}Agents: ${listNames(known)}.`, path });
  };

  checkReference(tree.root, ['root']);
  if (tree.escalation !== undefined) checkReference(tree.escalation, ['escalation']);
  const rootAgent = agentOf(tree, tree.root);
  if (rootAgent && rootAgent.kind !== 'agent') {
    report({ code: 'WRONG_AGENT_KIND', message: `The root "${tree.root}" is a ${rootAgent.kind}; the root must be an agent (kind: agent).`, hint: 'Point root at the triage agent.', path: ['root'] });
  }
  const models = [...Object.keys(tree.models ?? {}), ...BUILTIN_MODELS, ...(context.models ?? [])];
  checkModelNames(models, tree.defaults?.model, ['defaults', 'model'], report);
  checkModels(tree, context, report);
  checkPrices(tree, context, report);
  for (const name of new Set([...Object.keys(tree.agents), ...(context.agentKeys ?? [])])) checkAgentName(name, known, report);
  for (const [name, agent] of Object.entries(tree.agents)) {
    checkAgentReferences(name, agent, checkReference, report);
    for (const key of ['when', 'approval'] as const) {
      const targets = agent[key];
      if (typeof targets !== 'object') continue;
      for (const target of Object.keys(targets)) {
        if (context.knownAgents.has(target)) checkReservedReference(target, ['agents', name, key, target], known, report, 'key');
      }
    }
    checkKinds(tree, name, agent, report);
    checkModelNames(models, agent.model, ['agents', name, 'model'], report);
    checkTools(name, agent, context, report);
    checkPayload(tree, name, agent, context, report);
    checkOffline(tree, name, agent, context, report);
  }
  const stateFields = [...Object.keys(tree.state ?? {}), ...(context.untypedFields ?? [])];
  for (const field of stateFields) checkCollision(field, ['state', field], 'state field', stateFields, report);
  for (const [field, spec] of Object.entries(tree.state ?? {})) checkFieldDefault(spec, ['state', field], report);
  const retry = tree.retry;
  if (retry?.initialDelayMs !== undefined && retry.maxDelayMs !== undefined && retry.initialDelayMs > retry.maxDelayMs) {
    report({ code: 'INVALID_RANGE', message: `retry.initialDelayMs (${retry.initialDelayMs}) is greater than retry.maxDelayMs (${retry.maxDelayMs}): every retry would wait the most.`, hint: 'Make initialDelayMs the smaller of the two.', path: ['retry', 'initialDelayMs'] });
  }
  lintConditions(tree, context.knownAgents, report, gaps, context.untypedFields);
  lintApproval(tree, context.knownAgents, report, gaps);
  lintGraph(tree, { gaps, locate: context.locate }, report);
}

const REFERENCE_LISTS = ['children', 'sideways', 'escalate', 'helpers'] as const;

/**
 * A reserved name is refused wherever it is written, as the schema refuses `__start__` at the
 * agent's key and at each reference to it: every place the rename must reach gets the same offer.
 * A name the schema refuses (`__start__`) is reported by the schema already.
 */
function checkReservedReference(name: string, path: Path, agents: readonly string[], report: Report, at: 'key' | 'value' = 'value'): void {
  const reserved = NAME_PATTERN.test(name) ? reservedNameProblem(name) : undefined;
  if (reserved === undefined) return;
  report({ code: 'RESERVED_NAME', message: `"${name}" (${describePath(path)}) ${reserved}.`, hint: `Rename it, e.g. "${suggestRename(name, 'desk', agents)}".`, path, at });
}

/** An agent's own name (its key under agents:), whether or not the rest of the agent passed the schema. */
function checkAgentName(name: string, known: readonly string[], report: Report): void {
  // A name the schema refuses (`__start__`) is reported there; only its collisions are lint's to tell.
  const reserved = NAME_PATTERN.test(name) ? reservedNameProblem(name) : undefined;
  if (reserved !== undefined) {
    report({ code: 'RESERVED_NAME', message: `"${name}" ${reserved}.`, hint: `Rename it, e.g. "${suggestRename(name, 'desk', known)}".`, path: ['agents', name], at: 'key' });
  } else {
    checkCollision(name, ['agents', name], 'agent', known, report);
  }
}

/** A name LangGraph or careless JavaScript would mistake for something else: a state channel, an Object.prototype member. */
function checkCollision(name: string, path: Path, what: 'agent' | 'state field' | 'payload field', taken: readonly string[], report: Report): void {
  // A payload field is not a node or a channel, only a key of the payload: prototype members are what break it.
  const collision = nameCollision(name, { channels: what !== 'payload field' });
  if (collision === undefined) return;
  const suggestion = suggestRename(name, what === 'agent' ? 'desk' : 'value', taken);
  report({ code: 'NAME_COLLISION', message: `The ${what} "${name}" collides with ${collision}.`, hint: `Rename it, e.g. "${suggestion}".`, path, at: 'key' });
}

/**
 * What each model of `models:` needs: a key variable that is an API key (never `PGPASSWORD` or
 * `DATABASE_URL`), options its provider takes, and the provider's package (a warning: a tree can
 * still run offline, or on models code supplies).
 */
function checkModels(tree: Tree, context: LintContext, report: Report): void {
  for (const [name, model] of Object.entries(tree.models ?? {})) {
    if (BUILTIN_MODELS.includes(name) && model.provider !== 'offline') {
      report({ code: 'RESERVED_NAME', message: `"${name}" names the built-in offline model; a model of models: under that name would never be used.`, hint: `Rename it, e.g. "${model.provider}-${name === 'offline' ? 'main' : name}", and use that name in defaults: and agents.`, path: ['models', name], at: 'key' });
    }
    const spec = model.provider === 'offline' ? undefined : providerSpec(model.provider);
    const variable = model.apiKeyEnv;
    if (spec && variable !== undefined && spec.keyVariable === undefined && !context.allowedKeyEnv?.has(variable)) {
      report({
        code: 'API_KEY_ENV_NOT_ALLOWED',
        message: `models.${name}.apiKeyEnv names ${variable}, but provider ${model.provider} takes no API key from the tree (${spec.className} finds its own credentials).`,
        hint: `Remove apiKeyEnv, or allow it in code: loadTree(path, { allowedKeyEnv: ['${variable}'] }).`,
        path: ['models', name, 'apiKeyEnv'],
      });
    } else if (variable !== undefined && !variable.endsWith(API_KEY_ENV_SUFFIX) && !context.allowedKeyEnv?.has(variable)) {
      const allowed = [...(context.allowedKeyEnv ?? [])];
      report({
        code: 'API_KEY_ENV_NOT_ALLOWED',
        message: `models.${name}.apiKeyEnv names ${variable}, which is not an API key variable: the model would send its value to ${model.baseURL ?? 'the provider'}.`,
        hint: `Name a variable ending in ${API_KEY_ENV_SUFFIX} (such as ${spec?.keyVariable ?? 'OPENAI_API_KEY'})${allowed.length === 1 ? ` or ${allowed[0]}` : allowed.length > 1 ? ` or one of ${listNames(allowed)}` : ''}, or allow it in code: loadTree(path, { allowedKeyEnv: ['${variable}'] }).`,
        path: ['models', name, 'apiKeyEnv'],
      });
    }
    if (spec && model.baseURL !== undefined && spec.baseURLField === undefined) {
      report({
        code: 'UNKNOWN_KEY',
        message: `models.${name}.baseURL: provider ${model.provider} (${spec.className}) takes no endpoint from the tree.`,
        hint: 'Remove baseURL; for an OpenAI-compatible endpoint, write provider: openai with this baseURL.',
        path: ['models', name, 'baseURL'],
        at: 'key',
      });
    }
    if (spec && model.provider !== 'openai' && model.name === undefined) {
      report({
        code: 'MISSING_FIELD',
        message: `models.${name} uses provider ${model.provider} but names no model.`,
        hint: `Add name: with the provider's model id${model.provider === 'anthropic' ? ', e.g. claude-haiku-4-5' : ''}.`,
        path: ['models', name],
        at: 'key',
      });
    }
    checkTemperature(name, model, report);
    if (spec && !packageInstalled(spec.package)) {
      report({
        code: 'PROVIDER_PACKAGE_MISSING',
        severity: 'warning',
        message: `models.${name} uses provider ${model.provider}, whose package ${spec.package} is not installed: agents on this model can run only offline or on a model code supplies.`,
        hint: `Install it: npm install ${spec.package}`,
        path: ['models', name, 'provider'],
      });
    }
  }
}

/** Anthropic's Messages API takes a temperature from 0 to 1; the schema allows OpenAI's 0 to 2 for every provider. */
const ANTHROPIC_MAX_TEMPERATURE = 1;

/**
 * OpenAI's reasoning models (o1, o3, o4-mini, gpt-5 but gpt-5-chat), told as LangChain's ChatOpenAI
 * tells them (isReasoningModel): they refuse a temperature other than the default, 1.
 */
function isOpenAIReasoningModel(id: string): boolean {
  return /^o\d/.test(id) || (id.startsWith('gpt-5') && !id.startsWith('gpt-5-chat'));
}

/**
 * A temperature the model's provider refuses, which the schema's 0 to 2 lets through. Anthropic
 * refuses above 1 for sure (an error). OpenAI's reasoning models refuse any but 1, but newer ones
 * take one at some reasoning efforts (gpt-5.1 with none) and LangChain sends it as written: a warning.
 */
function checkTemperature(name: string, model: ModelConfig, report: Report): void {
  const { temperature } = model;
  if (temperature === undefined) return;
  const path = ['models', name, 'temperature'];
  if (model.provider === 'anthropic' && temperature > ANTHROPIC_MAX_TEMPERATURE) {
    report({
      code: 'NUMBER_TOO_LARGE',
      message: `models.${name}.temperature is ${temperature}; Anthropic takes at most ${ANTHROPIC_MAX_TEMPERATURE}, and refuses every call with more.`,
      hint: `Change it to at most ${ANTHROPIC_MAX_TEMPERATURE} (Anthropic's scale runs from 0 to 1; OpenAI's to 2).`,
      path,
    });
  } else if (model.provider === 'openai' && model.name !== undefined && isOpenAIReasoningModel(model.name) && temperature !== 1) {
    report({
      code: 'INVALID_VALUE',
      severity: 'warning',
      message: `models.${name}.temperature is ${temperature}, but ${model.name} is a reasoning model: OpenAI refuses a temperature other than the default, 1, for most of them (o1, o3, o4-mini, gpt-5).`,
      hint: 'Remove temperature (or set it to 1); steer a reasoning model with its prompt instead.',
      path,
    });
  }
}

/** The model id of an openai model that names none, when $OPENAI_MODEL is not set (models/resolve.ts). */
const OPENAI_DEFAULT_MODEL = 'gpt-4o-mini';

/**
 * The provider model ids the tree's calls are counted under, as models/resolve.ts gives them, each
 * with where it comes from (`models.local`); and the places whose id is $OPENAI_MODEL, or without it
 * gpt-4o-mini (counted among the ids).
 */
function modelIds(tree: Tree, context: LintContext): { ids: Map<string, string>; fromEnvironment: string[] } {
  const ids = new Map<string, string>([['offline', '']]);
  const fromEnvironment: string[] = [];
  const add = (id: string, where: string) => ids.set(id, ids.has(id) ? `${ids.get(id)}, ${where}` : where);
  for (const [name, model] of Object.entries(tree.models ?? {})) {
    if (model.name !== undefined) add(model.name, `models.${name}`);
    else if (model.provider === 'openai') fromEnvironment.push(`models.${name}`);
    else add(model.provider, `models.${name}`);
  }
  // A model code supplies by name is counted under that name.
  for (const name of context.models ?? []) add(name, 'supplied by code');
  const unnamed = tree.defaults?.model === undefined && Object.values(tree.agents).some((agent) => agent.kind !== 'human' && agent.model === undefined);
  if (unnamed) fromEnvironment.push('the agents that name no model');
  if (fromEnvironment.length > 0 && !ids.has(OPENAI_DEFAULT_MODEL)) ids.set(OPENAI_DEFAULT_MODEL, '');
  return { ids, fromEnvironment };
}

/**
 * A `prices:` entry no model of the tree is counted under (a key by the tree's name for a model,
 * `local`, instead of its id, `llama3.1:8b`) is never used: the calls it was meant for count at $0.
 * Matched as the run matches them (priceOf: an id, or a dated snapshot of it). A warning: the entry
 * may price the model $OPENAI_MODEL names, which lint cannot know.
 */
function checkPrices(tree: Tree, context: LintContext, report: Report): void {
  if (tree.prices === undefined) return;
  const { ids, fromEnvironment } = modelIds(tree, context);
  const described = [...ids].filter(([, where]) => where !== '').map(([id, where]) => `${id} (${where})`);
  if (fromEnvironment.length > 0) described.push(`$OPENAI_MODEL or else ${OPENAI_DEFAULT_MODEL} (${fromEnvironment.join(', ')})`);
  for (const [key, price] of Object.entries(tree.prices)) {
    if ([...ids.keys()].some((id) => priceOf(id, { [key]: price }) !== undefined)) continue;
    const model = Object.hasOwn(tree.models ?? {}, key) ? tree.models?.[key] : undefined;
    const meant = model?.name !== undefined ? model.name : closestName(key, [...ids.keys()]);
    const suggestion = meant === undefined ? '' : model?.name !== undefined ? `Key it by the model's id: ${meant} (models.${key}). ` : `Did you mean ${meant}? `;
    const environment = fromEnvironment.length > 0 ? ' If it prices the model $OPENAI_MODEL names, leave it.' : '';
    report({
      code: 'UNKNOWN_MODEL',
      severity: 'warning',
      message: `prices names "${key}", which is no model id of this tree: the price is never used, and the calls it was meant for count at $0 (or at a built-in price).`,
      hint: `${suggestion}Prices go by the provider's model id: ${listNames(described)}.${environment}`,
      path: ['prices', key],
      at: 'key',
    });
  }
}

function checkAgentReferences(name: string, agent: Agent, checkReference: (target: string, path: Path) => void, report: Report): void {
  for (const list of REFERENCE_LISTS) {
    const seen = new Set<string>();
    for (const [index, target] of fileEntries(agent[list] ?? [])) {
      const path = ['agents', name, list, index];
      if (target === name) {
        report({ code: 'SELF_REFERENCE', message: `"${name}" lists itself in ${list}.`, hint: 'Remove it from the list.', path });
      } else if (seen.has(target)) {
        report({ code: 'DUPLICATE_AGENT', message: `"${target}" is listed twice in agents.${name}.${list}.`, hint: 'Remove one of them.', path });
      } else {
        checkReference(target, path);
      }
      seen.add(target);
    }
  }
  for (const [index, target] of fileEntries(fallbacksOf(agent))) {
    const path = fallbackPath(name, agent, index);
    if (target === name) report({ code: 'SELF_REFERENCE', message: `"${name}" is its own fallback.`, hint: 'Name another agent.', path });
    else checkReference(target, path);
  }
}

function fallbackPath(name: string, agent: Agent, index: number): Path {
  return Array.isArray(agent.fallback) ? ['agents', name, 'fallback', index] : ['agents', name, 'fallback'];
}

function checkKinds(tree: Tree, name: string, agent: Agent, report: Report): void {
  const kindOf = (target: string) => agentOf(tree, target)?.kind;
  if (agent.kind !== 'human' && agent.prompt === undefined) {
    report({ code: 'MISSING_PROMPT', message: `The ${agent.kind} "${name}" has no prompt.`, hint: 'Add prompt: with its instructions (a person needs none: kind: human).', path: ['agents', name], at: 'key' });
  }
  if (agent.kind === 'human') {
    for (const key of ['model', 'tools', 'helpers', 'prompt'] as const) {
      if (agent[key] !== undefined) report({ code: 'WRONG_AGENT_KIND', message: `"${name}" is a human; ${key} has no meaning for a person.`, hint: `Remove ${key}, or make it kind: agent.`, path: ['agents', name, key], at: 'key' });
    }
    // A person hands the conversation back to an agent, never to another person (nodes/human.ts):
    // listEdges leaves such an edge out, and the person named is reached only if an agent leads there.
    const personTargets = [
      ...(['children', 'sideways', 'escalate'] as const).flatMap((list) => fileEntries(agent[list] ?? []).map(([index, target]) => ({ target, where: list, path: ['agents', name, list, index] }))),
      ...fileEntries(fallbacksOf(agent)).map(([index, target]) => ({ target, where: 'fallback', path: fallbackPath(name, agent, index) })),
    ];
    for (const { target, where, path } of personTargets) {
      if (target === name || kindOf(target) !== 'human') continue;
      report({
        code: 'WRONG_AGENT_KIND',
        message: `The person "${name}" lists the person "${target}" in ${where}, but a person can hand the conversation back only to an agent.`,
        hint: `Remove "${target}" here, and let an agent escalate to "${target}" instead.`,
        path,
      });
    }
  }
  if (agent.kind === 'helper') checkHelperKeys(name, agent, report);
  for (const [index, helper] of fileEntries(agent.helpers ?? [])) {
    const kind = kindOf(helper);
    if (kind !== undefined && kind !== 'helper') {
      report({ code: 'WRONG_AGENT_KIND', message: `"${helper}" is listed in agents.${name}.helpers but is ${kind === 'agent' ? 'an agent' : 'a person (kind: human)'}.`, hint: `Give "${helper}" kind: helper, or hand off to it instead.`, path: ['agents', name, 'helpers', index] });
    }
  }
  for (const list of ['children', 'sideways', 'escalate'] as const) {
    for (const [index, target] of fileEntries(agent[list] ?? [])) {
      if (kindOf(target) === 'helper') {
        report({ code: 'WRONG_AGENT_KIND', message: `"${target}" is a helper; it cannot take over a conversation (agents.${name}.${list}).`, hint: 'List it under helpers: instead, or give it kind: agent.', path: ['agents', name, list, index] });
      }
    }
  }
  for (const [index, target] of fileEntries(fallbacksOf(agent))) {
    if (kindOf(target) === 'helper') {
      report({ code: 'WRONG_AGENT_KIND', message: `"${target}" is a helper; it cannot take over as a fallback.`, hint: 'Name an agent or a human.', path: fallbackPath(name, agent, index) });
    }
  }
  if (name === tree.escalation && agent.kind === 'helper') {
    report({ code: 'WRONG_AGENT_KIND', message: `"${name}" is a helper; it cannot take escalations.`, hint: 'Name an agent or a human.', path: ['escalation'] });
  }
}

/**
 * What a helper (called as a tool, nodes/helper.ts) cannot use: it never takes over the conversation,
 * so it has no handoff or fallback to make (errors), no parent to hand back to, and sees only its
 * prompt and the request, never the conversation's history (warnings: the tree still runs the same).
 */
function checkHelperKeys(name: string, agent: Agent, report: Report): void {
  const path = (key: string) => ['agents', name, key];
  for (const key of ['children', 'sideways', 'escalate', 'fallback'] as const) {
    if (agent[key] !== undefined) report({ code: 'WRONG_AGENT_KIND', message: `"${name}" is a helper (called as a tool); it cannot hand off, so ${key} has no meaning.`, hint: `Remove ${key}, or make it kind: agent.`, path: path(key), at: 'key' });
  }
  if (agent.helpers !== undefined) {
    report({ code: 'WRONG_AGENT_KIND', message: `"${name}" is a helper (called as a tool); a helper calls only its own function tools (tools:), never other helpers, so helpers has no meaning.`, hint: 'Remove helpers, and list those helpers under helpers: of the agent that calls this one; or make it kind: agent.', path: path('helpers'), at: 'key' });
  }
  if (agent.handback !== undefined) {
    report({ code: 'WRONG_AGENT_KIND', severity: 'warning', message: `"${name}" is a helper (called as a tool); it never takes over the conversation, so it has nothing to hand back and handback has no effect.`, hint: 'Remove handback.', path: path('handback'), at: 'key' });
  }
  if (agent.history !== undefined) {
    report({ code: 'WRONG_AGENT_KIND', severity: 'warning', message: `"${name}" is a helper (called as a tool); it sees only its prompt and the request, never the conversation, so history has no effect.`, hint: 'Remove history; put what the helper needs into the request the calling agent writes.', path: path('history'), at: 'key' });
  }
}

function checkModelNames(declared: readonly string[], model: Agent['model'], path: Path, report: Report): void {
  const names = model === undefined ? [] : Array.isArray(model) ? model : [model];
  for (const [index, name] of names.entries()) {
    if (declared.includes(name)) continue;
    report({
      code: 'UNKNOWN_MODEL',
      message: `"${name}" is not a model of this tree.`,
      hint: `${didYouMean(name, declared)}Declare it under models:, or use one of: ${listNames(declared)}.`,
      path: Array.isArray(model) ? [...path, index] : path,
    });
  }
}

function checkTools(name: string, agent: Agent, context: LintContext, report: Report): void {
  if (!context.tools) return;
  const known = [...context.tools];
  for (const [index, tool] of fileEntries(agent.tools ?? [])) {
    if (!context.tools.has(tool)) {
      report({ code: 'UNKNOWN_TOOL', message: `"${tool}" is not a registered tool.`, hint: `${didYouMean(tool, known)}Registered tools: ${listNames(known)}.`, path: ['agents', name, 'tools', index] });
    }
  }
}

function checkPayload(tree: Tree, name: string, agent: Agent, context: LintContext, report: Report): void {
  const stateFields = [...Object.keys(tree.state ?? {}), ...(context.untypedFields ?? [])];
  for (const [field, spec] of Object.entries(agent.handoff?.payload ?? {})) {
    const path = ['agents', name, 'handoff', 'payload', field];
    checkCollision(field, path, 'payload field', Object.keys(agent.handoff?.payload ?? {}), report);
    checkFieldDefault(spec, path, report);
    // A field whose type failed the schema is reported there; what it may hold is unknown.
    if (spec.sets === undefined || context.untypedFields?.has(spec.sets)) continue;
    const target = Object.hasOwn(tree.state ?? {}, spec.sets) ? tree.state?.[spec.sets] : undefined;
    if (!target) {
      report({ code: 'UNKNOWN_STATE_FIELD', message: `"${spec.sets}" is not a state field.`, hint: `${didYouMean(spec.sets, stateFields)}Declare it under state:${stateFields.length ? ` (fields: ${listNames(stateFields)})` : ''}.`, path: [...path, 'sets'] });
    } else if (target.owner === 'backend' || context.backendFields?.has(spec.sets)) {
      const why = target.owner === 'backend' ? 'it is marked owner: backend' : 'backend code declares it (backendFields)';
      report({
        code: 'SETS_BACKEND_FIELD',
        message: `Payload field "${field}" sets state field "${spec.sets}", which only backend code may write: ${why}.`,
        hint: `Remove sets: ${spec.sets}. Backend code sets "${spec.sets}" (runTurn fields:), from the authenticated session; a model must not be able to change it.`,
        path: [...path, 'sets'],
      });
    } else if (!fits(spec, target)) {
      report({ code: 'SETS_TYPE_MISMATCH', message: `Payload field "${field}" (${describeType(spec)}) cannot be stored in state field "${spec.sets}" (${describeType(target)}).`, hint: 'Give both the same type (and, for enums, values the state field allows).', path: [...path, 'sets'] });
    } else {
      // The values the payload field names itself (its enum values, its default) must fit the state field's limits too.
      const state = fieldSchema(target);
      const named = [...(spec.type === 'enum' ? spec.values : []), ...(spec.default !== undefined ? [spec.default] : [])];
      const unfit = named.find((value) => !state.safeParse(value).success);
      const narrowed = narrowedTo(spec, target);
      if (narrowed.type === 'number' && target.type === 'number' && emptyRange(narrowed) && !emptyRange(spec) && !emptyRange(target)) {
        report({
          code: 'INVALID_RANGE',
          message: `Payload field "${field}" (${describeLimits(spec)}) sets state field "${spec.sets}" (${describeLimits(target)}): together they allow min ${narrowed.min ?? '-∞'} above max ${narrowed.max ?? '∞'}, so no value fits and the handoff can never succeed.`,
          hint: `Keep the payload field's min and max within the state field's limits, or widen the state field's.`,
          path,
        });
      } else if (unfit !== undefined) {
        report({ code: 'SETS_TYPE_MISMATCH', message: `Payload field "${field}" can hold ${JSON.stringify(unfit)}, which state field "${spec.sets}" (${describeLimits(target)}) cannot.`, hint: `Keep the payload field's values within the state field's limits.`, path: [...path, 'sets'] });
      }
    }
  }
}

function fits(value: PayloadField, field: Field): boolean {
  if (value.type === 'enum' && field.type === 'enum') return value.values.every((entry) => field.values.includes(entry));
  if (value.type === 'enum' && field.type === 'string') return true;
  return value.type === field.type && field.type !== 'enum';
}

function describeType(field: Field | PayloadField): string {
  return field.type === 'enum' ? `enum ${field.values.join('|')}` : field.type;
}

/** A field's type with its limits: `string of at most 5 characters`, `number from 0 to 10`. */
function describeLimits(field: Field): string {
  if (field.type === 'string' && field.maxLength !== undefined) return `string of at most ${field.maxLength} characters`;
  if (field.type === 'number' && (field.min !== undefined || field.max !== undefined)) return `number from ${field.min ?? '-∞'} to ${field.max ?? '∞'}`;
  return describeType(field);
}

function checkFieldDefault(field: Field | PayloadField, path: Path, report: Report): void {
  if (field.type === 'number' && field.min !== undefined && field.max !== undefined && field.min > field.max) {
    report({ code: 'INVALID_RANGE', message: `"${String(path.at(-1))}" has min ${field.min} above max ${field.max}: no value fits.`, hint: 'Swap them, or correct the one that is wrong.', path: [...path, 'min'] });
    return;
  }
  if (field.type === 'enum') {
    for (const [index, value] of field.values.entries()) {
      if (field.values.indexOf(value) !== index) report({ code: 'DUPLICATE_VALUE', message: `"${value}" is listed twice in the values of "${String(path.at(-1))}".`, hint: 'Remove the repeat.', path: [...path, 'values', index] });
    }
  }
  if (field.type === 'enum' && field.default !== undefined && !field.values.includes(field.default)) {
    report({ code: 'INVALID_DEFAULT', message: `The default "${field.default}" is not one of ${field.values.join(', ')}.`, hint: `${didYouMean(field.default, field.values)}Change the default to one of the values, or add "${field.default}" to values:.`, path: [...path, 'default'] });
  }
  if (field.type === 'number' && field.default !== undefined) {
    if ((field.min !== undefined && field.default < field.min) || (field.max !== undefined && field.default > field.max)) {
      report({ code: 'INVALID_DEFAULT', message: `The default ${field.default} is outside ${field.min ?? '-∞'}..${field.max ?? '∞'}.`, hint: 'Pick a default between min and max.', path: [...path, 'default'] });
    }
  }
  if (field.type === 'string' && field.default !== undefined && field.maxLength !== undefined && field.default.length > field.maxLength) {
    report({ code: 'INVALID_DEFAULT', message: `The default is ${field.default.length} characters long; maxLength is ${field.maxLength}.`, hint: 'Shorten the default, or raise maxLength.', path: [...path, 'default'] });
  }
}

/** Fixed tool arguments are free-form: their text (keys and values, at any depth) is checked here rather than by the schema. */
function checkArgumentText(value: unknown, path: Path, report: Report): void {
  if (typeof value === 'string') {
    const issue = unsafeTextIssue(value, path);
    if (issue) report(issue);
  } else if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) checkArgumentText(item, [...path, index], report);
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      const issue = unsafeTextIssue(key, [...path, key], 'key');
      if (issue) report(issue);
      checkArgumentText(item, [...path, key], report);
    }
  }
}

function checkOffline(tree: Tree, name: string, agent: Agent, context: LintContext, report: Report): void {
  const offline = agent.offline;
  if (!offline) return;
  const checkPatterns = (patterns: string[] | undefined, path: Path) => {
    // A salvaged list keeps only its valid entries: each is still reported at its index in the file.
    for (const [index, pattern] of fileEntries(patterns ?? [])) {
      try {
        // Never run: only whether the pattern is a regular expression at all.
        new RegExp(pattern, 'i');
      } catch (error) {
        report({ code: 'INVALID_PATTERN', message: `"${pattern}" is not a valid regular expression (${(error as Error).message}).`, hint: 'Escape special characters such as ( [ + ? with a backslash.', path: [...path, index] });
        continue;
      }
      const unsupported = unsupportedPattern(pattern);
      if (unsupported) {
        report({ code: 'UNSUPPORTED_PATTERN', message: `"${pattern}" is a regular expression RE2 cannot run (${unsupported.reason}).`, hint: unsupported.hint, path: [...path, index] });
      }
    }
  };
  checkPatterns(offline.patterns, ['agents', name, 'offline', 'patterns']);
  const callable = [...(agent.tools ?? []), ...(agent.helpers ?? []).map((helper) => helperToolName(tree, helper))];
  for (const [tool, hint] of Object.entries(offline.tools ?? {})) {
    checkPatterns(hint.patterns, ['agents', name, 'offline', 'tools', tool, 'patterns']);
    checkArgumentText(hint.args, ['agents', name, 'offline', 'tools', tool, 'args'], report);
    // An agent whose tools: failed the schema may list the tool among the names it lost.
    if (!callable.includes(tool) && !context.gaps?.unknownTools.has(name)) {
      report({ code: 'UNUSED_OFFLINE_TOOL', message: `offline.tools names "${tool}", which "${name}" cannot call.`, hint: unusedOfflineToolHint(tree, name, tool, callable, context), path: ['agents', name, 'offline', 'tools', tool], at: 'key' });
    }
  }
  const payload = agent.handoff?.payload ?? {};
  const payloadFields = Object.keys(payload);
  for (const [key, value] of Object.entries(offline.payload ?? {})) {
    const path = ['agents', name, 'offline', 'payload', key];
    const field = Object.hasOwn(payload, key) ? payload[key] : undefined;
    if (!field) {
      report({ code: 'UNKNOWN_KEY', message: `offline.payload sets "${key}", which is not a payload field of "${name}".`, hint: `${didYouMean(key, payloadFields)}Payload fields: ${listNames(payloadFields)}.`, path, at: 'key' });
    } else if (!fieldSchema(field).safeParse(value).success) {
      const accepted = field.type === 'enum' ? `Use one of ${field.values.join(', ')}` : typeof value === field.type ? `Use a ${describeLimits(field)}` : `Use a ${field.type}`;
      report({ code: 'INVALID_VALUE', message: `offline.payload.${key} is ${JSON.stringify(value)}, which the payload field "${key}" (${describeLimits(field)}) does not accept.`, hint: `${accepted}: the offline model hands off with this value, and a refused payload never moves the conversation.`, path });
    }
  }
}


/**
 * What to do about an offline hint for a tool the agent cannot call. When the agent's tools: holds a
 * name close to it, one of the two is misspelt: the hint names the one that is no real tool (not
 * registered; without a registry, not listed by any other agent), or both when that cannot be told.
 */
function unusedOfflineToolHint(tree: Tree, name: string, tool: string, callable: readonly string[], context: LintContext): string {
  const near = closestName(tool, callable);
  if (near === undefined) return 'Add it to tools:, or remove the hint.';
  const elsewhere = new Set(
    Object.entries(tree.agents).flatMap(([other, agent]) => (other === name ? [] : [...(agent.tools ?? []), ...(agent.helpers ?? []).map((helper) => helperToolName(tree, helper))])),
  );
  const real = (candidate: string) => (context.tools ? context.tools.has(candidate) : elsewhere.has(candidate));
  if (real(near) && !real(tool)) return `Did you mean "${near}"? Rename the hint to the tool's name, or remove it.`;
  if (real(tool) && !real(near)) return `tools: lists "${near}": if that is a typo of "${tool}", correct it there; else add "${tool}" to tools:, or remove the hint.`;
  return `tools: lists "${near}", which differs from "${tool}": one of the two names is misspelt. Write the tool's exact name in both places.`;
}

/** Whether a number field's min is above its max: no value fits. */
function emptyRange(field: Field | PayloadField): boolean {
  return field.type === 'number' && field.min !== undefined && field.max !== undefined && field.min > field.max;
}
