/**
 * Which chat model each agent uses: the tree names models (`models:` and `agent.model`), code may
 * supply its own by name, and the provider is any of LangChain's initChatModel (OpenAI and any
 * OpenAI-compatible server, Anthropic, Google, Ollama, …: config/providers.ts) or offline.
 */
import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { ChatOpenAI, ChatOpenAICompletions } from '@langchain/openai';
import type { ChatOpenAICallOptions, ChatOpenAIFields } from '@langchain/openai';
import type { BaseLanguageModelInput } from '@langchain/core/language_models/base';
import { AIMessage } from '@langchain/core/messages';
import type { AIMessageChunk, BaseMessage, BaseMessageChunk, InvalidToolCall, ToolCall } from '@langchain/core/messages';
import { makeInvalidToolCall, parseToolCall } from '@langchain/core/output_parsers/openai_tools';
import type { CallbackManagerForLLMRun } from '@langchain/core/callbacks/manager';
import type { ChatGenerationChunk } from '@langchain/core/outputs';
import type { ModelConfig, Tree } from '../config/schema.js';
import { packageInstalled, PROVIDERS } from '../config/providers.js';
import type { ProviderName } from '../config/providers.js';
import { SwitchboardError } from '../errors/switchboard-error.js';
import { buildOfflineRules } from './offline-rules.js';
import { OfflineChatModel } from './offline.js';
import { ProviderChatModel, providerFields } from './provider-model.js';
import { checkedReply, endedStream, replyError } from './reply-check.js';

/**
 * How to pick models:
 * - `'auto'` (default): each model on its provider where the provider's API key variable is set in
 *   the environment (`OPENAI_API_KEY`, `ANTHROPIC_API_KEY`, … or the model's `apiKeyEnv`), the
 *   offline model otherwise;
 * - `'online'` (or its older name `'openai'`): each model on its provider, always (an error if a
 *   key is missing); `'offline'`: always the offline model;
 * - a chat model: that model for every agent (e.g. a {@link ScriptedChatModel} in tests);
 * - a function: your choice per agent (return undefined to fall back to `'auto'`).
 */
export type ModelOption = ModelMode | BaseChatModel | ((request: ModelRequest) => BaseChatModel | undefined);

/** The model options that are words: what the CLI's `--model` takes. */
export type ModelMode = 'auto' | 'online' | 'openai' | 'offline';

export interface ModelRequest {
  agent: string;
  /** The tree's name for the model (a key of `models:`), if the agent or the defaults name one. */
  modelName: string | undefined;
  config: ModelConfig | undefined;
}

/** One model of an agent, with the name used in logs, usage and prices. */
export interface ResolvedModel {
  /** The provider's model id (for prices), e.g. `gpt-4o-mini`, `claude-haiku-4-5` or `offline`. */
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
  const apiKey = plan.keyVariable === undefined ? undefined : env[plan.keyVariable];
  if (plan.keyVariable !== undefined && !apiKey) {
    throw new SwitchboardError('MODEL_KEY_MISSING', `Agent "${agent}" uses ${providerLabel(plan.provider)}, but ${plan.keyVariable} is not set. Set it, or run with the offline model.`);
  }
  if (plan.provider === 'openai') return { id: plan.modelId, model: createOpenAIModel(config, plan.modelId, apiKey ?? '', env), timeoutMs: config?.timeoutMs };
  const spec = PROVIDERS[plan.provider];
  if (!packageInstalled(spec.package)) {
    throw new SwitchboardError(
      'PROVIDER_PACKAGE_MISSING',
      `Agent "${agent}" uses ${providerLabel(plan.provider)} (models.${modelName ?? '?'}), whose package ${spec.package} is not installed. Install it (npm install ${spec.package}), or run with the offline model.`,
    );
  }
  const fields = providerFields(spec, { apiKey, baseURL: plan.baseURL, temperature: config?.temperature, maxTokens: config?.maxTokens });
  return { id: plan.modelId, model: new ProviderChatModel({ provider: plan.provider, model: plan.modelId, fields }), timeoutMs: config?.timeoutMs };
}

/** How a provider is named in messages: `OpenAI`, `Anthropic`, or the provider's name in the tree. */
export function providerLabel(provider: ProviderName): string {
  return provider === 'openai' ? 'OpenAI' : provider === 'anthropic' ? 'Anthropic' : provider;
}

/** Why an agent runs on the offline model: `--model offline` (or `model: 'offline'`), the tree says so, or its API key variable is not set (in `'auto'`). */
export type OfflineReason = 'chosen' | 'tree' | 'key-missing';

/** Which provider a model of the tree resolves to, decided without creating it (what {@link resolveModels} does, in words). */
export type ModelPlan =
  | { provider: 'offline'; reason: OfflineReason; /** For `key-missing`: the variable that is not set. */ keyVariable: string | undefined }
  | {
      provider: ProviderName;
      modelId: string;
      /** The endpoint; undefined for the provider's own. */
      baseURL: string | undefined;
      /** Where the API key is read from; undefined for a provider that takes none from the tree (e.g. ollama). */
      keyVariable: string | undefined;
    };

function planProvider(modelName: string | undefined, config: ModelConfig | undefined, mode: ModelMode, env: Record<string, string | undefined>): ModelPlan {
  if (mode === 'offline') return { provider: 'offline', reason: 'chosen', keyVariable: undefined };
  if (modelName === 'offline' || config?.provider === 'offline') return { provider: 'offline', reason: 'tree', keyVariable: undefined };
  const provider: ProviderName = config?.provider ?? 'openai';
  const spec = PROVIDERS[provider];
  const keyVariable = config?.apiKeyEnv ?? spec.keyVariable;
  // 'auto' without the provider's key: this model runs offline (planModels lets a banner say so).
  if (keyVariable !== undefined && !env[keyVariable] && mode === 'auto') return { provider: 'offline', reason: 'key-missing', keyVariable };
  const modelId = config?.name ?? (provider === 'openai' ? (env.OPENAI_MODEL ?? 'gpt-4o-mini') : provider);
  const baseURL = config?.baseURL ?? (spec.baseURLVariable === undefined ? undefined : env[spec.baseURLVariable] || undefined);
  return { provider, modelId, baseURL, keyVariable };
}

/** The first model of each agent that has one (people have none), as {@link planModels} decides it. */
export interface AgentModelPlan {
  agent: string;
  /** The tree's name for the model (a key of `models:`), if any. */
  modelName: string | undefined;
  plan: ModelPlan;
  /** The agent's model fallbacks (its later models), planned the same way: one may run offline where the first does not. */
  fallbacks: { modelName: string; plan: ModelPlan }[];
}

/**
 * Which provider each agent's first model resolves to under a string model option, without
 * creating any model: what a banner or a check says about a run before it starts (for example, in
 * `'auto'`, which agents run offline because their key variable is not set).
 */
export function planModels(tree: Tree, options: { model?: ModelMode | undefined; env?: Record<string, string | undefined> | undefined } = {}): AgentModelPlan[] {
  const env = options.env ?? process.env;
  return Object.entries(tree.agents)
    .filter(([, spec]) => spec.kind !== 'human')
    .map(([agent, spec]) => {
      const named = spec.model ?? tree.defaults?.model;
      const modelName = Array.isArray(named) ? named[0] : named;
      const config = modelName === undefined ? undefined : tree.models?.[modelName];
      const mode = options.model ?? 'auto';
      const fallbacks = (Array.isArray(named) ? named.slice(1) : []).map((name) => ({ modelName: name, plan: planProvider(name, tree.models?.[name], mode, env) }));
      return { agent, modelName, plan: planProvider(modelName, config, mode, env), fallbacks };
    });
}

/**
 * OpenAI's chat model whose replies are checked as every provider model's are (a stream cut short
 * is an error, streamed tool-call arguments are read strictly: models/reply-check.ts).
 */
class CheckedChatOpenAI extends ChatOpenAI<ChatOpenAICallOptions> {
  constructor(fields: ChatOpenAIFields) {
    // Its Chat Completions half reads a streamed delta's text parts (see TextPartsCompletions);
    // passed in the fields, so the models `withConfig` builds from them share it.
    super({ ...fields, completions: fields.completions ?? new TextPartsCompletions(fields) });
  }

  /** ChatOpenAI's `withConfig` (and so `bindTools`) builds a plain ChatOpenAI: the bound model must be checked too. */
  override withConfig(config: Partial<ChatOpenAICallOptions>): CheckedChatOpenAI {
    const model = new CheckedChatOpenAI(this.fields ?? {});
    model.defaultOptions = { ...this.defaultOptions, ...config };
    return model;
  }

  /**
   * A Chat Completions stream that ends without a finish_reason was cut short (the Responses API's
   * streams say it elsewhere). The finish_reason is copied onto the message, where the client puts
   * it on a reply that was not streamed: a reply cut at maxTokens (`length`) reads the same either way.
   */
  override async *_streamResponseChunks(messages: BaseMessage[], options: this['ParsedCallOptions'], runManager?: CallbackManagerForLLMRun): AsyncGenerator<ChatGenerationChunk> {
    const chunks = super._streamResponseChunks(messages, options, runManager);
    yield* this._useResponsesApi(options) ? chunks : endedStream(withFinishReason(chunks), 'openai');
  }

  override async invoke(input: BaseLanguageModelInput, options?: ChatOpenAICallOptions): Promise<AIMessageChunk> {
    let reply: AIMessageChunk;
    try {
      reply = await super.invoke(input, options);
    } catch (error) {
      throw replyError(error, 'openai');
    }
    return checkedReply(reply, 'openai');
  }
}

/**
 * Chat Completions with streamed text sent as content parts (`delta.content: [{ type: 'text', text }]`,
 * as some OpenAI-compatible servers send it) read as the text they hold. LangChain's client takes
 * only string content from a stream: it drops such a chunk with a console warning, so the reply
 * was empty (EMPTY_REPLY) where the same reply unstreamed was read whole.
 */
class TextPartsCompletions extends ChatOpenAICompletions {
  protected override _convertCompletionsDeltaToBaseMessageChunk(...[delta, ...rest]: Parameters<ChatOpenAICompletions['_convertCompletionsDeltaToBaseMessageChunk']>): BaseMessageChunk {
    return super._convertCompletionsDeltaToBaseMessageChunk(withJoinedText(delta), ...rest);
  }

  /**
   * An unstreamed reply's tool calls parsed here, not left in `additional_kwargs`: LangChain's
   * `AIMessage` prints a console warning ("New LangChain packages are available…") for a reply whose
   * every call is malformed (raw calls there, none parsed). Parsed as LangChain's converter does.
   */
  override _convertCompletionsMessageToBaseMessage(...[message, ...rest]: Parameters<ChatOpenAICompletions['_convertCompletionsMessageToBaseMessage']>): BaseMessage {
    const raw = message.role === 'assistant' ? message.tool_calls : undefined;
    if (!raw?.length) return super._convertCompletionsMessageToBaseMessage(message, ...rest);
    const { tool_calls: _raw, ...withoutCalls } = message;
    const converted = super._convertCompletionsMessageToBaseMessage(withoutCalls, ...rest);
    if (!(converted instanceof AIMessage)) return converted;
    const calls: ToolCall[] = [];
    const invalid: InvalidToolCall[] = [];
    for (const call of raw) {
      try {
        calls.push(parseToolCall(call as never, { returnId: true }));
      } catch (error) {
        invalid.push(makeInvalidToolCall(call as never, (error as Error).message));
      }
    }
    converted.tool_calls = calls;
    converted.invalid_tool_calls = invalid;
    return converted;
  }
}

/** A delta whose content is a list of parts, with the text of its text parts as its content (other parts have no text to show). */
function withJoinedText(delta: Record<string, unknown>): Record<string, unknown> {
  if (!Array.isArray(delta.content)) return delta;
  let text = '';
  for (const part of delta.content as unknown[]) {
    if (typeof part === 'string') text += part;
    else if (part !== null && typeof part === 'object' && (part as { type?: unknown }).type === 'text' && typeof (part as { text?: unknown }).text === 'string') text += (part as { text: string }).text;
  }
  return { ...delta, content: text };
}

/** The chunks, the one with the finish_reason (in its generation info) carrying it in its message's response_metadata too. */
async function* withFinishReason(chunks: AsyncIterable<ChatGenerationChunk>): AsyncGenerator<ChatGenerationChunk> {
  for await (const chunk of chunks) {
    const reason = chunk.generationInfo?.finish_reason as unknown;
    if (typeof reason === 'string' && reason !== '') chunk.message.response_metadata = { ...chunk.message.response_metadata, finish_reason: reason };
    yield chunk;
  }
}

/**
 * An OpenAI (or OpenAI-compatible) chat model. Its own retries are off: Switchboard's retry layer
 * is the only one, so retries never multiply.
 */
export function createOpenAIModel(config: ModelConfig | undefined, modelId: string, apiKey: string, env: Record<string, string | undefined> = process.env): ChatOpenAI {
  const baseURL = config?.baseURL ?? env.OPENAI_BASE_URL;
  return new CheckedChatOpenAI({
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
