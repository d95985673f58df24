/**
 * Which chat model each agent uses: the tree names models (`models:` and `agent.model`), code may
 * supply its own by name, and the provider is OpenAI (any OpenAI-compatible server) or offline.
 */
import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { ChatOpenAI } from '@langchain/openai';
import type { ChatOpenAICallOptions } from '@langchain/openai';
import type { ModelConfig, Tree } from '../config/schema.js';
import { SwitchboardError } from '../errors/switchboard-error.js';
import { buildOfflineRules } from './offline-rules.js';
import { OfflineChatModel } from './offline.js';

/**
 * How to pick models:
 * - `'auto'` (default): OpenAI where its API key is set in the environment, the offline model otherwise;
 * - `'openai'`: always OpenAI (an error if the key is missing); `'offline'`: always the offline model;
 * - a chat model: that model for every agent (e.g. a {@link ScriptedChatModel} in tests);
 * - a function: your choice per agent (return undefined to fall back to `'auto'`).
 */
export type ModelOption = 'auto' | 'openai' | 'offline' | BaseChatModel | ((request: ModelRequest) => BaseChatModel | undefined);

export interface ModelRequest {
  agent: string;
  /** The tree's name for the model (a key of `models:`), if the agent or the defaults name one. */
  modelName: string | undefined;
  config: ModelConfig | undefined;
}

/** One model of an agent, with the name used in logs, usage and prices. */
export interface ResolvedModel {
  /** The provider's model id (for prices), e.g. `gpt-4o-mini` or `offline`. */
  id: string;
  model: BaseChatModel;
  timeoutMs: number | undefined;
}

export interface ResolveOptions {
  model?: ModelOption | undefined;
  /** Chat models supplied by code, by the tree's model names. */
  models?: Record<string, BaseChatModel> | undefined;
  env?: Record<string, string | undefined> | undefined;
}

/** The models of `agent`: the first is used, the others are model fallbacks in order. */
export function resolveModels(tree: Tree, agent: string, options: ResolveOptions = {}): ResolvedModel[] {
  const spec = tree.agents[agent];
  const named = spec?.model ?? tree.defaults?.model;
  const names = named === undefined ? [undefined] : Array.isArray(named) ? named : [named];
  return names.map((name) => resolveOne(tree, agent, name, options));
}

function resolveOne(tree: Tree, agent: string, modelName: string | undefined, options: ResolveOptions): ResolvedModel {
  const config = modelName === undefined ? undefined : tree.models?.[modelName];
  const supplied = modelName === undefined ? undefined : options.models?.[modelName];
  if (supplied) return { id: modelName ?? 'custom', model: supplied, timeoutMs: config?.timeoutMs };
  const choice = options.model ?? 'auto';
  if (typeof choice === 'function') {
    const chosen = choice({ agent, modelName, config });
    if (chosen) return { id: config?.name ?? modelName ?? 'custom', model: chosen, timeoutMs: config?.timeoutMs };
  } else if (typeof choice === 'object') {
    return { id: config?.name ?? modelName ?? 'custom', model: choice, timeoutMs: config?.timeoutMs };
  }
  const env = options.env ?? process.env;
  const plan = planProvider(modelName, config, typeof choice === 'string' ? choice : 'auto', env);
  if (plan.provider === 'offline') return { id: 'offline', model: new OfflineChatModel(buildOfflineRules(tree, agent)), timeoutMs: undefined };
  const apiKey = env[plan.keyVariable];
  if (!apiKey) throw new SwitchboardError('MODEL_KEY_MISSING', `Agent "${agent}" uses OpenAI, but ${plan.keyVariable} is not set. Set it, or run with the offline model.`);
  return { id: plan.modelId, model: createOpenAIModel(config, plan.modelId, apiKey, env), timeoutMs: config?.timeoutMs };
}

/** Why an agent runs on the offline model: `--model offline` (or `model: 'offline'`), the tree says so, or its API key variable is not set (in `'auto'`). */
export type OfflineReason = 'chosen' | 'tree' | 'key-missing';

/** Which provider a model of the tree resolves to, decided without creating it (what {@link resolveModels} does, in words). */
export type ModelPlan =
  | { provider: 'offline'; reason: OfflineReason; /** For `key-missing`: the variable that is not set. */ keyVariable: string | undefined }
  | { provider: 'openai'; modelId: string; /** The endpoint; undefined for OpenAI's own. */ baseURL: string | undefined; keyVariable: string };

function planProvider(modelName: string | undefined, config: ModelConfig | undefined, mode: 'auto' | 'openai' | 'offline', env: Record<string, string | undefined>): ModelPlan {
  if (mode === 'offline') return { provider: 'offline', reason: 'chosen', keyVariable: undefined };
  if (modelName === 'offline' || config?.provider === 'offline') return { provider: 'offline', reason: 'tree', keyVariable: undefined };
  const keyVariable = config?.apiKeyEnv ?? 'OPENAI_API_KEY';
  // 'auto' without the key: this model runs offline (planModels lets a banner say so).
  if (!env[keyVariable] && mode === 'auto') return { provider: 'offline', reason: 'key-missing', keyVariable };
  return { provider: 'openai', modelId: config?.name ?? env.OPENAI_MODEL ?? 'gpt-4o-mini', baseURL: config?.baseURL ?? env.OPENAI_BASE_URL, keyVariable };
}

/** The first model of each agent that has one (people have none), as {@link planModels} decides it. */
export interface AgentModelPlan {
  agent: string;
  /** The tree's name for the model (a key of `models:`), if any. */
  modelName: string | undefined;
  plan: ModelPlan;
}

/**
 * Which provider each agent's first model resolves to under a string model option, without
 * creating any model: what a banner or a check says about a run before it starts (for example, in
 * `'auto'`, which agents run offline because their key variable is not set).
 */
export function planModels(tree: Tree, options: { model?: 'auto' | 'openai' | 'offline' | undefined; env?: Record<string, string | undefined> | undefined } = {}): AgentModelPlan[] {
  const env = options.env ?? process.env;
  return Object.entries(tree.agents)
    .filter(([, spec]) => spec.kind !== 'human')
    .map(([agent, spec]) => {
      const named = spec.model ?? tree.defaults?.model;
      const modelName = Array.isArray(named) ? named[0] : named;
      const config = modelName === undefined ? undefined : tree.models?.[modelName];
      return { agent, modelName, plan: planProvider(modelName, config, options.model ?? 'auto', env) };
    });
}

/**
 * An OpenAI (or OpenAI-compatible) chat model. Its own retries are off: Switchboard's retry layer
 * is the only one, so retries never multiply.
 */
export function createOpenAIModel(config: ModelConfig | undefined, modelId: string, apiKey: string, env: Record<string, string | undefined> = process.env): ChatOpenAI {
  const baseURL = config?.baseURL ?? env.OPENAI_BASE_URL;
  return new ChatOpenAI<ChatOpenAICallOptions>({
    model: modelId,
    apiKey,
    maxRetries: 0,
    streamUsage: true,
    // Chat Completions' `refusal` is dropped by the converter; the raw response keeps it (read and removed in nodes/model-call.ts).
    __includeRawResponse: true,
    ...(config?.temperature !== undefined ? { temperature: config.temperature } : {}),
    ...(config?.maxTokens !== undefined ? { maxTokens: config.maxTokens } : {}),
    ...(baseURL ? { configuration: { baseURL } } : {}),
  });
}
