/**
 * The chat-model providers a tree may name (`models.<name>.provider`): LangChain's universal
 * initializer's table (`initChatModel` in `langchain/chat_models/universal`, MODEL_PROVIDER_CONFIG:
 * provider → package and class), plus what Switchboard needs to build each model from YAML: the
 * environment variable its API key is read from, and the constructor fields for the endpoint and
 * the output-token ceiling. The package is the user's own install, loaded only when a tree uses it.
 * test/models/providers.test.ts checks the table against the installed `langchain`.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

export interface ProviderSpec {
  /** The npm package with the chat model class (an optional peer dependency). */
  package: string;
  /** The chat model class the package exports. */
  className: string;
  /**
   * The environment variable the API key is read from by default, or undefined for a provider
   * that takes no key from the tree (a local server, or cloud credentials the package finds itself).
   */
  keyVariable: string | undefined;
  /** The constructor field for `baseURL`, as a dotted path; undefined where the class takes none. */
  baseURLField: string | undefined;
  /** The constructor field for `maxTokens`. */
  maxTokensField: string;
  /** The environment variable with the endpoint when the tree names none (e.g. OPENAI_BASE_URL). */
  baseURLVariable: string | undefined;
}

/** Fields most LangChain chat classes share: `apiKey`, `maxTokens`. */
function provider(pkg: string, className: string, keyVariable: string | undefined, baseURLField?: string, maxTokensField = 'maxTokens', baseURLVariable?: string): ProviderSpec {
  return { package: pkg, className, keyVariable, baseURLField, maxTokensField, baseURLVariable };
}

/** Every provider but Switchboard's own `offline`, as LangChain's initChatModel names them (LangSmith's gateway aside). */
export const PROVIDERS = {
  openai: provider('@langchain/openai', 'ChatOpenAI', 'OPENAI_API_KEY', 'configuration.baseURL', 'maxTokens', 'OPENAI_BASE_URL'),
  anthropic: provider('@langchain/anthropic', 'ChatAnthropic', 'ANTHROPIC_API_KEY', 'anthropicApiUrl', 'maxTokens', 'ANTHROPIC_BASE_URL'),
  azure_openai: provider('@langchain/openai', 'AzureChatOpenAI', 'AZURE_OPENAI_API_KEY'),
  cohere: provider('@langchain/cohere', 'ChatCohere', 'COHERE_API_KEY'),
  google: provider('@langchain/google', 'ChatGoogle', 'GOOGLE_API_KEY', undefined, 'maxOutputTokens'),
  'google-vertexai': provider('@langchain/google-vertexai', 'ChatVertexAI', undefined, undefined, 'maxOutputTokens'),
  'google-vertexai-web': provider('@langchain/google-vertexai-web', 'ChatVertexAI', undefined, undefined, 'maxOutputTokens'),
  'google-genai': provider('@langchain/google-genai', 'ChatGoogleGenerativeAI', 'GOOGLE_API_KEY', 'baseUrl', 'maxOutputTokens'),
  ollama: provider('@langchain/ollama', 'ChatOllama', undefined, 'baseUrl', 'numPredict', 'OLLAMA_BASE_URL'),
  mistralai: provider('@langchain/mistralai', 'ChatMistralAI', 'MISTRAL_API_KEY', 'serverURL'),
  mistral: provider('@langchain/mistralai', 'ChatMistralAI', 'MISTRAL_API_KEY', 'serverURL'),
  groq: provider('@langchain/groq', 'ChatGroq', 'GROQ_API_KEY', 'baseUrl'),
  bedrock: provider('@langchain/aws', 'ChatBedrockConverse', undefined),
  aws: provider('@langchain/aws', 'ChatBedrockConverse', undefined),
  deepseek: provider('@langchain/deepseek', 'ChatDeepSeek', 'DEEPSEEK_API_KEY', 'configuration.baseURL'),
  xai: provider('@langchain/xai', 'ChatXAI', 'XAI_API_KEY'),
  cerebras: provider('@langchain/cerebras', 'ChatCerebras', 'CEREBRAS_API_KEY'),
  fireworks: provider('@langchain/fireworks', 'ChatFireworks', 'FIREWORKS_API_KEY'),
  together: provider('@langchain/together-ai', 'ChatTogetherAI', 'TOGETHER_AI_API_KEY'),
  perplexity: provider('@langchain/perplexity', 'ChatPerplexity', 'PERPLEXITY_API_KEY'),
} as const satisfies Record<string, ProviderSpec>;

/** A provider LangChain builds a chat model for. */
export type ProviderName = keyof typeof PROVIDERS;

/** Every value `provider:` accepts: the LangChain providers and `offline` (Switchboard's rule-based model, no package, no key). */
export const PROVIDER_NAMES = ['openai', 'offline', ...Object.keys(PROVIDERS).filter((name) => name !== 'openai')] as [ProviderName | 'offline', ...(ProviderName | 'offline')[]];

export function providerSpec(name: ProviderName): ProviderSpec {
  return PROVIDERS[name];
}

/** Every provider's default key variable: each one a tree may name for its own provider. */
export const PROVIDER_KEY_VARIABLES: ReadonlySet<string> = new Set(Object.values(PROVIDERS).flatMap((spec: ProviderSpec) => (spec.keyVariable ? [spec.keyVariable] : [])));

const installed = new Map<string, boolean>();

/**
 * Whether `name` is installed where Switchboard would import it from (each `node_modules` folder
 * from here up), without loading it: a tree naming a provider is checked before anything runs.
 */
export function packageInstalled(name: string): boolean {
  let found = installed.get(name);
  if (found === undefined) {
    const folders = createRequire(import.meta.url).resolve.paths(name) ?? [];
    found = folders.some((folder) => existsSync(join(folder, name, 'package.json')));
    installed.set(name, found);
  }
  return found;
}
