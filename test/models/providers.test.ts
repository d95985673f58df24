import { describe, expect, it } from 'vitest';
import { MODEL_PROVIDER_CONFIG } from 'langchain/chat_models/universal';
import { lintTreeText, loadTree, parseTree } from '../../config/load.js';
import { packageInstalled, PROVIDER_NAMES, PROVIDERS } from '../../config/providers.js';
import { ModelSchema } from '../../config/schema.js';
import { formatIssue } from '../../errors/config-error.js';
import { SwitchboardError } from '../../errors/switchboard-error.js';
import { compileTree } from '../../graphs/compile.js';
import { describeModel } from '../../cli/setup.js';
import { planModels, resolveModels } from '../../models/resolve.js';
import { ProviderChatModel } from '../../models/provider-model.js';
import { runTurn } from '../../runtime/turn.js';
import { createExampleTools } from '../../tools/examples.js';
import { newThread } from '../helpers.js';
import { TWO_PROVIDERS } from './anthropic-fixture.js';

const tree = (models: string) => `version: 1
name: desk
root: triage
models:
${models}
defaults: { model: fast }
agents:
  triage: { description: Front desk., prompt: Route., children: [billing], offline: { reply: Hello from offline. } }
  billing: { description: Billing., prompt: You are billing., escalate: [person] }
  person: { kind: human, description: A person. }
`;
const issuesOf = (text: string) => lintTreeText(text, 'desk.yaml').map(formatIssue).join('\n');

describe('the provider table', () => {
  it("matches LangChain's initChatModel table: the same package and class for every provider (LangSmith's gateway aside)", () => {
    const theirs = Object.fromEntries(Object.entries(MODEL_PROVIDER_CONFIG).map(([name, entry]) => [name, { package: entry.package, className: entry.className }]));
    const ours = Object.fromEntries(Object.entries(PROVIDERS).map(([name, spec]) => [name, { package: spec.package, className: spec.className }]));
    delete theirs.langsmith;
    expect(ours).toEqual(theirs);
  });

  it('is what provider: accepts, with offline, and the JSON Schema lists the same', () => {
    expect([...ModelSchema.shape.provider.unwrap().options].sort()).toEqual([...Object.keys(PROVIDERS), 'offline'].sort());
    expect(PROVIDER_NAMES[0]).toBe('openai');
  });
});

describe('provider: in the tree', () => {
  it('refuses an unknown provider at its position, suggesting the closest', () => {
    expect(issuesOf(tree('  fast: { provider: antropic, name: claude-haiku-4-5 }'))).toMatch(
      /^desk\.yaml:5:21 error INVALID_VALUE models\.fast\.provider is the text "antropic"; it must be one of "openai", "offline", "anthropic", .*"perplexity"\. Did you mean "anthropic"\?$/,
    );
  });

  it('warns at the provider, with the command to run, when its package is not installed; the tree still runs offline', async () => {
    expect(packageInstalled('@langchain/mistralai')).toBe(false);
    expect(lintTreeText(tree('  fast: { provider: mistralai, name: mistral-small-latest }'), 'desk.yaml').map(formatIssue)).toEqual([
      'desk.yaml:5:21 warning PROVIDER_PACKAGE_MISSING models.fast uses provider mistralai, whose package @langchain/mistralai is not installed: agents on this model can run only offline or on a model code supplies. Install it: npm install @langchain/mistralai',
    ]);
    const loaded = await loadTree(new URL('../fixtures/invalid/provider-package-missing.yaml', import.meta.url).pathname);
    expect(loaded.warnings.map((issue) => `${issue.line}:${issue.column} ${issue.code}`)).toEqual(['6:15 PROVIDER_PACKAGE_MISSING']);
    // 'auto' without MISTRAL_API_KEY: offline, so nothing needs the package.
    const graph = compileTree(loaded, { env: {} });
    expect((await runTurn(graph, { threadId: newThread().threadId, message: 'hi' })).status).toBe('done');
  });

  it('refuses to build a model whose package is missing, naming the package to install', () => {
    const loaded = parseTree(tree('  fast: { provider: mistralai, name: mistral-small-latest }'), 'desk.yaml');
    const error = (() => {
      try {
        compileTree(loaded, { env: { MISTRAL_API_KEY: 'key' } });
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(SwitchboardError);
    expect(error).toMatchObject({
      code: 'PROVIDER_PACKAGE_MISSING',
      message: 'Agent "triage" uses mistralai (models.fast), whose package @langchain/mistralai is not installed. Install it (npm install @langchain/mistralai), or run with the offline model.',
    });
  });

  it('imports the package on the first call only, with a clear error when the import fails', async () => {
    const model = new ProviderChatModel({ provider: 'anthropic', model: 'claude-haiku-4-5', fields: {}, package: '@langchain/no-such-provider' });
    const bound = model.bindTools([{ type: 'function', function: { name: 'noop', description: 'Nothing.', parameters: { type: 'object', properties: {} } } }]);
    await expect(bound.invoke('hi')).rejects.toMatchObject({
      code: 'PROVIDER_PACKAGE_MISSING',
      message: 'Provider anthropic needs the package @langchain/no-such-provider, which is not installed. Install it: npm install @langchain/no-such-provider',
    });
  });

  it("builds the provider's class with the tree's options under the names it uses, and no retries of its own", async () => {
    const loaded = parseTree(tree('  fast: { provider: anthropic, name: claude-haiku-4-5, temperature: 0.3, maxTokens: 300, baseURL: "http://127.0.0.1:9/", timeoutMs: 5000 }'), 'desk.yaml');
    const [resolved] = resolveModels(loaded.spec, 'triage', { model: 'auto', env: { ANTHROPIC_API_KEY: 'sk-ant' } });
    expect(resolved).toMatchObject({ id: 'claude-haiku-4-5', timeoutMs: 5000 });
    const model = await (resolved?.model as ProviderChatModel).loadModel();
    expect(model.constructor.name).toBe('ChatAnthropic');
    expect(model).toMatchObject({ model: 'claude-haiku-4-5', temperature: 0.3, maxTokens: 300, apiKey: 'sk-ant', apiUrl: 'http://127.0.0.1:9/' });
    expect((model.caller as unknown as { maxRetries: number }).maxRetries).toBe(0);
  });

  it('refuses a model without a name for a provider other than openai, a key variable where the provider takes none, a baseURL it cannot use', () => {
    expect(issuesOf(tree('  fast: { provider: anthropic }'))).toMatchInlineSnapshot(`"desk.yaml:5:3 error MISSING_FIELD models.fast uses provider anthropic but names no model. Add name: with the provider's model id, e.g. claude-haiku-4-5."`);
    expect(issuesOf(tree('  fast: { provider: ollama, name: llama3.2, apiKeyEnv: OLLAMA_API_KEY }'))).toContain(
      'desk.yaml:5:56 error API_KEY_ENV_NOT_ALLOWED models.fast.apiKeyEnv names OLLAMA_API_KEY, but provider ollama takes no API key from the tree (ChatOllama finds its own credentials).',
    );
    expect(issuesOf(tree('  fast: { provider: xai, name: grok-4, baseURL: "https://proxy.example/v1" }'))).toContain(
      'desk.yaml:5:40 error UNKNOWN_KEY models.fast.baseURL: provider xai (ChatXAI) takes no endpoint from the tree. Remove baseURL; for an OpenAI-compatible endpoint, write provider: openai with this baseURL.',
    );
  });

  it("names the provider's own key variable in the key-variable rule's hint", () => {
    expect(issuesOf(tree('  fast: { provider: anthropic, name: claude-haiku-4-5, apiKeyEnv: PGPASSWORD }'))).toContain(
      'error API_KEY_ENV_NOT_ALLOWED models.fast.apiKeyEnv names PGPASSWORD, which is not an API key variable: the model would send its value to the provider. Name a variable ending in _API_KEY (such as ANTHROPIC_API_KEY)',
    );
  });
});

describe('auto: each provider online where its key is set', () => {
  it("runs an agent offline when its own provider's key variable is not set, whatever the other providers' keys", async () => {
    const loaded = await loadTree(TWO_PROVIDERS);
    const plans = (env: Record<string, string>) => Object.fromEntries(planModels(loaded.spec, { env }).map((entry) => [entry.agent, entry.plan.provider === 'offline' ? `offline (${entry.plan.reason} ${entry.plan.keyVariable})` : entry.plan.provider]));
    expect(plans({ OPENAI_API_KEY: 'sk' })).toEqual({ triage: 'offline (key-missing ANTHROPIC_API_KEY)', billing: 'openai', technical: 'openai' });
    expect(plans({ ANTHROPIC_API_KEY: 'sk-ant' })).toEqual({ triage: 'anthropic', billing: 'offline (key-missing OPENAI_API_KEY)', technical: 'offline (key-missing OPENAI_API_KEY)' });
    expect(planModels(loaded.spec, { env: { ANTHROPIC_API_KEY: 'sk-ant', ANTHROPIC_BASE_URL: 'http://127.0.0.1:1' } })[0]?.plan).toEqual({ provider: 'anthropic', modelId: 'claude-haiku-4-5', baseURL: 'http://127.0.0.1:1', keyVariable: 'ANTHROPIC_API_KEY' });
    expect(describeModel(loaded.spec, 'auto', { OPENAI_API_KEY: 'sk', ANTHROPIC_API_KEY: 'sk-ant' })).toBe('Anthropic: triage; OpenAI: billing, technical');
    expect(describeModel(loaded.spec, 'auto', { OPENAI_API_KEY: 'sk' })).toBe(
      'OpenAI: billing, technical; offline model (ANTHROPIC_API_KEY is not set): triage; model fallback specialist_backup on the offline model (ANTHROPIC_API_KEY is not set): billing, technical',
    );
  });

  it('refuses an online run without the provider key, naming the provider and its variable', async () => {
    const tools = createExampleTools();
    const loaded = await loadTree(TWO_PROVIDERS, { tools });
    expect(() => compileTree(loaded, { tools, model: 'online', env: { OPENAI_API_KEY: 'sk' } })).toThrow('Agent "triage" uses Anthropic, but ANTHROPIC_API_KEY is not set. Set it, or run with the offline model.');
  });
});
