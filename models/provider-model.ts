/**
 * A chat model of any LangChain provider, built from the tree as LangChain's `initChatModel` builds
 * one (the provider's class, `new Class({ model, ...fields })`), with its package imported on the
 * first call: a tree that never calls the model never loads the package, and compiling stays
 * synchronous. Tools bound before the package is loaded are bound to the real model once it is.
 */
import { BaseChatModel } from '@langchain/core/language_models/chat_models';
import type { BaseChatModelCallOptions, BindToolsInput } from '@langchain/core/language_models/chat_models';
import type { BaseLanguageModelInput } from '@langchain/core/language_models/base';
import type { AIMessageChunk, BaseMessage } from '@langchain/core/messages';
import type { ChatResult } from '@langchain/core/outputs';
import type { Runnable } from '@langchain/core/runnables';
import type { ProviderName, ProviderSpec } from '../config/providers.js';
import { PROVIDERS } from '../config/providers.js';
import { SwitchboardError } from '../errors/switchboard-error.js';
import { textOf } from './messages.js';
import { checkedReply, replyError } from './reply-check.js';

/** What a provider model is built from. */
export interface ProviderModelInit {
  provider: ProviderName;
  /** The provider's model id, e.g. `claude-haiku-4-5`. */
  model: string;
  /** Constructor fields besides `model` (already named as the provider's class names them). */
  fields: Record<string, unknown>;
  /** The package to import instead of the provider's own (tests). */
  package?: string | undefined;
}

type ModelClass = new (fields: Record<string, unknown>) => BaseChatModel;
type Bound = Runnable<BaseLanguageModelInput, AIMessageChunk>;

interface Binding {
  tools: BindToolsInput[];
  kwargs: Partial<BaseChatModelCallOptions> | undefined;
}

export class ProviderChatModel extends BaseChatModel {
  readonly provider: ProviderName;
  readonly modelId: string;
  private readonly init: ProviderModelInit;
  private readonly binding: Binding | undefined;
  private readonly shared: { model?: Promise<BaseChatModel> };
  private bound: Promise<Bound> | undefined;

  constructor(init: ProviderModelInit, binding?: Binding, shared: { model?: Promise<BaseChatModel> } = {}) {
    super({});
    this.init = init;
    this.provider = init.provider;
    this.modelId = init.model;
    this.binding = binding;
    this.shared = shared;
  }

  _llmType(): string {
    return this.provider;
  }

  /** The provider's chat model, its package imported on the first call (once for every binding). */
  loadModel(): Promise<BaseChatModel> {
    this.shared.model ??= importModelClass(this.init).then((ModelClass) => new ModelClass({ model: this.init.model, ...this.init.fields }));
    return this.shared.model;
  }

  override bindTools(tools: BindToolsInput[], kwargs?: Partial<BaseChatModelCallOptions>): ProviderChatModel {
    return new ProviderChatModel(this.init, { tools, kwargs }, this.shared);
  }

  /** The provider's reply, checked (a stream cut short is an error, tool-call arguments are read strictly: models/reply-check.ts). */
  override async invoke(input: BaseLanguageModelInput, options?: BaseChatModelCallOptions): Promise<AIMessageChunk> {
    const runnable = await this.runnable();
    let reply: AIMessageChunk;
    try {
      reply = await runnable.invoke(input, options);
    } catch (error) {
      throw replyError(error, this.provider);
    }
    return checkedReply(reply, this.provider);
  }

  override async *_streamIterator(input: BaseLanguageModelInput, options?: BaseChatModelCallOptions): AsyncGenerator<AIMessageChunk> {
    yield* await (await this.runnable()).stream(input, options);
  }

  /** Only for `generate()`: Switchboard calls `invoke`, which hands the call (and its callbacks) to the provider's model. */
  async _generate(messages: BaseMessage[], options: this['ParsedCallOptions']): Promise<ChatResult> {
    const message = await (await this.runnable()).invoke(messages, options);
    return { generations: [{ text: textOf(message), message }] };
  }

  private runnable(): Promise<Bound> {
    this.bound ??= this.loadModel().then((model) => {
      if (!this.binding) return model;
      if (typeof model.bindTools !== 'function') throw new SwitchboardError('MODEL_CANNOT_CALL_TOOLS', `${PROVIDERS[this.provider].className} (provider ${this.provider}) cannot call tools.`);
      return model.bindTools(this.binding.tools, this.binding.kwargs) as Bound;
    });
    return this.bound;
  }
}

/** The provider's class from its package; a clear error naming what to install when it is missing. */
async function importModelClass(init: ProviderModelInit): Promise<ModelClass> {
  const spec: ProviderSpec = PROVIDERS[init.provider];
  const name = init.package ?? spec.package;
  let module: Record<string, unknown>;
  try {
    module = (await import(name)) as Record<string, unknown>;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException | undefined)?.code;
    if (code === 'ERR_MODULE_NOT_FOUND' && String((error as Error).message).includes(name)) {
      throw new SwitchboardError('PROVIDER_PACKAGE_MISSING', `Provider ${init.provider} needs the package ${name}, which is not installed. Install it: npm install ${name}`, { cause: error });
    }
    throw error;
  }
  const ModelClass = module[spec.className];
  if (typeof ModelClass !== 'function') {
    throw new SwitchboardError('PROVIDER_PACKAGE_MISSING', `The package ${name} has no ${spec.className} (provider ${init.provider}). Install a current version: npm install ${name}@latest`);
  }
  return ModelClass as ModelClass;
}

/**
 * The constructor fields of a provider's class for a model of the tree: the key, the endpoint and the
 * output ceiling under the names the class uses, and no retries of its own (Switchboard's retry
 * layer is the only one, so retries never multiply).
 */
export function providerFields(
  spec: ProviderSpec,
  options: { apiKey?: string | undefined; baseURL?: string | undefined; temperature?: number | undefined; maxTokens?: number | undefined },
): Record<string, unknown> {
  const fields: Record<string, unknown> = { maxRetries: 0 };
  if (options.apiKey !== undefined) fields.apiKey = options.apiKey;
  if (options.temperature !== undefined) fields.temperature = options.temperature;
  if (options.maxTokens !== undefined) fields[spec.maxTokensField] = options.maxTokens;
  if (options.baseURL !== undefined && spec.baseURLField !== undefined) setPath(fields, spec.baseURLField.split('.'), options.baseURL);
  return fields;
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  const [head, ...rest] = path as [string, ...string[]];
  if (rest.length === 0) {
    target[head] = value;
    return;
  }
  const inner = (target[head] ??= {}) as Record<string, unknown>;
  setPath(inner, rest, value);
}
