/**
 * Which model each agent runs, in words, decided from the tree and the model option without
 * creating a model (see planModels): the first line of `run`, `chat` and `eval`, the banner of
 * `switchboard dev`, and the dev page's header and agents. A tree that mixes providers or
 * endpoints, `online`, and agents left on the offline model in `auto` (their key variable is not
 * set) are each named as they run.
 */
import type { Tree } from '../config/schema.js';
import { planModels, providerLabel } from '../models/resolve.js';
import type { ModelOption, ModelPlan } from '../models/resolve.js';

/** What is said of a model option that is code (a chat model, or a function choosing one per agent). */
export const MODELS_SUPPLIED_BY_CODE = 'models supplied by code';

type Environment = Record<string, string | undefined>;
type OnlinePlan = Exclude<ModelPlan, { provider: 'offline' }>;
type OfflinePlan = Extract<ModelPlan, { provider: 'offline' }>;

/**
 * The models of a run, in one line: per agent when they differ (in `auto`, an agent whose key
 * variable is not set runs the offline model, and the line says which agents and why), e.g.
 * `OpenAI: triage; offline model (GROQ_API_KEY is not set): billing`.
 */
export function describeModel(tree: Tree, option: ModelOption, env: Environment = process.env): string {
  if (typeof option !== 'string') return MODELS_SUPPLIED_BY_CODE;
  const plans = planModels(tree, { model: option, env });
  return [firstModels(plans), ...offlineFallbacks(plans)].join('; ');
}

/**
 * The model fallbacks that would run offline where the agent's first model does not (`auto`, their
 * key variable not set): a failing provider would hand the customer to the keyword router, so the
 * line says so, e.g. `model fallback claude on the offline model (ANTHROPIC_API_KEY is not set): triage`.
 */
function offlineFallbacks(plans: ReturnType<typeof planModels>): string[] {
  const entries = plans.flatMap((entry) =>
    entry.plan.provider === 'offline' ? [] : entry.fallbacks.flatMap((fallback) => (fallback.plan.provider === 'offline' && fallback.plan.reason === 'key-missing' ? [{ agent: entry.agent, fallback: fallback.modelName, plan: fallback.plan }] : [])),
  );
  return [...groupBy(entries, (entry) => `model fallback ${entry.fallback} on the offline model (${whyOffline(entry.plan)})`)].map(([what, agents]) => `${what}: ${agents.map((entry) => entry.agent).join(', ')}`);
}

function firstModels(plans: ReturnType<typeof planModels>): string {
  const offline = plans.flatMap((entry) => (entry.plan.provider === 'offline' ? [{ agent: entry.agent, plan: entry.plan }] : []));
  const online = plans.flatMap((entry) => (entry.plan.provider !== 'offline' ? [{ agent: entry.agent, plan: entry.plan }] : []));
  const endpoints = groupBy(online, (entry) => endpointOf(entry.plan));
  if (offline.length === 0) {
    if (endpoints.size <= 1) return [...endpoints.keys()][0] ?? 'OpenAI';
    return [...endpoints].map(([endpoint, agents]) => `${endpoint}: ${agents.map((entry) => entry.agent).join(', ')}`).join('; ');
  }
  const reasons = groupBy(offline, (entry) => whyOffline(entry.plan));
  if (online.length === 0) return `offline model (${[...reasons.keys()].join('; ')})`;
  return [
    ...[...endpoints].map(([endpoint, agents]) => `${endpoint}: ${agents.map((entry) => entry.agent).join(', ')}`),
    ...[...reasons].map(([reason, agents]) => `offline model (${reason}): ${agents.map((entry) => entry.agent).join(', ')}`),
  ].join('; ');
}

/**
 * Each agent's model (its first one; model fallbacks follow it), by agent name: `OpenAI gpt-4o-mini`,
 * `OpenAI llama-3.3-70b at https://api.groq.com/openai/v1`, `offline model (GROQ_API_KEY is not set)`.
 * People have none and are left out.
 */
export function describeAgentModels(tree: Tree, option: ModelOption, env: Environment = process.env): Record<string, string> {
  if (typeof option !== 'string')
    return Object.fromEntries(Object.entries(tree.agents).flatMap(([agent, spec]) => (spec.kind === 'human' ? [] : [[agent, MODELS_SUPPLIED_BY_CODE]])));
  return Object.fromEntries(
    planModels(tree, { model: option, env }).map(({ agent, plan }) => [
      agent,
      plan.provider === 'offline' ? `offline model (${whyOffline(plan)})` : `${providerLabel(plan.provider)} ${plan.modelId}${plan.baseURL ? ` at ${plan.baseURL}` : ''}`,
    ]),
  );
}

/** The model option alone, for when no tree has loaded yet: `--model auto`, or models supplied by code. */
export function describeModelOption(option: ModelOption): string {
  return typeof option === 'string' ? `--model ${option}` : MODELS_SUPPLIED_BY_CODE;
}

function endpointOf(plan: OnlinePlan): string {
  return plan.baseURL ? `${providerLabel(plan.provider)} at ${plan.baseURL}` : providerLabel(plan.provider);
}

function whyOffline(plan: OfflinePlan): string {
  return plan.reason === 'chosen' ? '--model offline' : plan.reason === 'tree' ? 'offline in the tree' : `${plan.keyVariable ?? 'OPENAI_API_KEY'} is not set`;
}

function groupBy<T>(items: T[], keyOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(keyOf(item), [...(groups.get(keyOf(item)) ?? []), item]);
  return groups;
}
