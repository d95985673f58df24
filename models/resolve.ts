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
  const mode = typeof choice === 'string' ? choice : 'auto';
  const offline = () => ({ id: 'offline', model: new OfflineChatModel(buildOfflineRules(tree, agent)), timeoutMs: undefined });
  if (modelName === 'offline' || config?.provider === 'offline' || mode === 'offline') return offline();
  const keyVariable = config?.apiKeyEnv ?? 'OPENAI_API_KEY';
  const apiKey = env[keyVariable];
  if (!apiKey) {
    if (mode === 'auto') return offline();
    throw new SwitchboardError('MODEL_KEY_MISSING', `Agent "${agent}" uses OpenAI, but ${keyVariable} is not set. Set it, or run with the offline model.`);
  }
  const modelId = config?.name ?? env.OPENAI_MODEL ?? 'gpt-4o-mini';
  return { id: modelId, model: createOpenAIModel(config, modelId, apiKey, env), timeoutMs: config?.timeoutMs };
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
