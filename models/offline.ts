/**
 * The offline model: deterministic, no network, no key. It reads the same tool definitions a real
 * model gets and answers with the same kind of message (text, or tool calls with arguments), so the
 * agent node runs exactly the code it runs with OpenAI. It decides by the tree's `offline:` hints —
 * it is a keyword router, not a language model, and its replies say so.
 */
import { randomUUID } from 'node:crypto';
import { BaseChatModel } from '@langchain/core/language_models/chat_models';
import type { BaseChatModelCallOptions, BindToolsInput } from '@langchain/core/language_models/chat_models';
import type { AIMessage, BaseMessage, ToolCall, UsageMetadata } from '@langchain/core/messages';
import { ChatGenerationChunk } from '@langchain/core/outputs';
import type { ChatResult } from '@langchain/core/outputs';
import type { CallbackManagerForLLMRun } from '@langchain/core/callbacks/manager';
import { convertToOpenAITool } from '@langchain/core/utils/function_calling';
import { aiMessage, aiMessageChunk, textOf, usageOf } from './messages.js';
import { score } from './offline-rules.js';
import type { OfflineRule, OfflineRules } from './offline-rules.js';

interface JsonSchemaProperty {
  type?: string;
  enum?: unknown[];
  default?: unknown;
}

interface OfflineToolDefinition {
  name: string;
  parameters: { properties?: Record<string, JsonSchemaProperty>; required?: string[] };
}

/** Marks every offline reply, so nobody mistakes it for a model's answer. */
export const OFFLINE_MARK = '[offline]';

export class OfflineChatModel extends BaseChatModel {
  private readonly rules: OfflineRules;
  private readonly tools: OfflineToolDefinition[];

  constructor(rules: OfflineRules, tools: OfflineToolDefinition[] = []) {
    super({});
    this.rules = rules;
    this.tools = tools;
  }

  _llmType(): string {
    return 'switchboard-offline';
  }

  override bindTools(tools: BindToolsInput[]): OfflineChatModel {
    const definitions = tools.map((tool) => {
      const openai = convertToOpenAITool(tool as Parameters<typeof convertToOpenAITool>[0]);
      return { name: openai.function.name, parameters: (openai.function.parameters ?? {}) as OfflineToolDefinition['parameters'] };
    });
    return new OfflineChatModel(this.rules, definitions);
  }

  async _generate(messages: BaseMessage[]): Promise<ChatResult> {
    const message = this.decide(messages);
    return { generations: [{ text: textOf(message), message }] };
  }

  override async *_streamResponseChunks(
    messages: BaseMessage[],
    _options: this['ParsedCallOptions'],
    runManager?: CallbackManagerForLLMRun,
  ): AsyncGenerator<ChatGenerationChunk> {
    const message = this.decide(messages);
    if (message.tool_calls?.length) {
      const chunk = aiMessageChunk({
        content: '',
        id: message.id,
        toolCallChunks: message.tool_calls.map((call, index) => ({ id: call.id ?? `call-${index}`, name: call.name, args: JSON.stringify(call.args), index, type: 'tool_call_chunk' as const })),
        usage: usageOf(message),
      });
      const generation = new ChatGenerationChunk({ text: '', message: chunk });
      yield generation;
      // As providers do: the chunk goes to the callbacks too (LangGraph's messages stream mode reads it there).
      await runManager?.handleLLMNewToken('', undefined, undefined, undefined, undefined, { chunk: generation });
      return;
    }
    const words = textOf(message).split(/(?<= )/);
    for (const [index, word] of words.entries()) {
      const last = index === words.length - 1;
      const chunk = aiMessageChunk({ content: word, id: message.id, usage: last ? usageOf(message) : undefined });
      const generation = new ChatGenerationChunk({ text: word, message: chunk });
      yield generation;
      await runManager?.handleLLMNewToken(word, undefined, undefined, undefined, undefined, { chunk: generation });
    }
  }

  /** The whole decision: one response for the conversation as the agent sees it. */
  decide(messages: BaseMessage[]): AIMessage {
    const lastHuman = findLastIndex(messages, (message) => message.type === 'human');
    const text = lastHuman >= 0 ? textOf(messages[lastHuman] as BaseMessage) : '';
    const sinceUser = messages.slice(lastHuman + 1);
    const usage = estimateUsage(messages);
    const id = `offline-${randomUUID()}`;

    const available = new Set(this.tools.map((tool) => tool.name));
    const candidates = this.rules.rules
      .filter((rule) => available.has(rule.tool))
      .map((rule) => ({ rule, ...score(rule.matchers, text) }))
      .filter((candidate) => candidate.score > 0);
    const handoff = this.chooseHandoff(candidates, text);

    // Tool results came back (or a call was refused): hand off now if the message asks for a handoff
    // onward that has not been tried for it, as without the tools; else answer with them, never
    // loop. No hand-back: after working on the message, it would send the message round again.
    const ownCalls = sinceUser.filter(
      (message): message is AIMessage => message.type === 'ai' && ((message as AIMessage).tool_calls?.length ?? 0) > 0 && (message.name === undefined || message.name === this.rules.agent),
    );
    if (ownCalls.length > 0) {
      const handoffTools = new Set(this.rules.rules.filter((rule) => !isToolRule(rule)).map((rule) => rule.tool));
      const triedHandoff = ownCalls.some((message) => message.tool_calls?.some((call) => handoffTools.has(call.name)));
      if (handoff && handoff.rule.kind !== 'handback' && !triedHandoff) {
        return aiMessage({ id, content: '', toolCalls: [this.toolCall(handoff.rule, text, `${id}-call-0`, handoff.matched)], usage });
      }
      const results = sinceUser.filter((message) => message.type === 'tool');
      const summary = results.map((message) => `${(message as { name?: string }).name ?? 'tool'}: ${textOf(message)}`).join('; ');
      return this.reply(id, usage, text, summary);
    }

    const calls = candidates.filter(({ rule }) => isToolRule(rule));
    if (calls.length > 0) {
      return aiMessage({ id, content: '', toolCalls: calls.map(({ rule }, index) => this.toolCall(rule, text, `${id}-call-${index}`)), usage });
    }
    if (handoff) return aiMessage({ id, content: '', toolCalls: [this.toolCall(handoff.rule, text, `${id}-call-0`, handoff.matched)], usage });
    return this.reply(id, usage, text);
  }

  /** The handoff the message asks for: the best-scoring target, when it beats the agent's own words. */
  private chooseHandoff<TCandidate extends { rule: OfflineRule; score: number }>(candidates: TCandidate[], text: string): TCandidate | undefined {
    const own = score(this.rules.own, text).score;
    const best = candidates.filter(({ rule }) => !isToolRule(rule)).sort((a, b) => b.score - a.score)[0];
    return best && best.score > own ? best : undefined;
  }

  private reply(id: string, usage: UsageMetadata, text: string, toolSummary?: string): AIMessage {
    const base = this.rules.reply ?? `${this.rules.agent} here — I handle: ${this.rules.description}`;
    const quote = text ? ` You said: “${truncate(text, 120)}”.` : '';
    const tools = toolSummary ? ` Tool results: ${truncate(toolSummary, 400).replace(/\.+$/, '')}.` : '';
    return aiMessage({ id, content: `${OFFLINE_MARK} ${base}${quote}${tools}`, usage });
  }

  private toolCall(rule: OfflineRule, text: string, id: string, matched: string[] = []): ToolCall {
    const definition = this.tools.find((tool) => tool.name === rule.tool);
    const args = rule.kind === 'function' ? { ...rule.args } : fillArguments(definition, rule.args, text, matched);
    return { id, name: rule.tool, args, type: 'tool_call' };
  }
}

/** A helper or a function tool: called for its result, not to hand the conversation over. */
function isToolRule(rule: OfflineRule): boolean {
  return rule.kind === 'function' || rule.kind === 'helper';
}

/** Fills a tool's JSON-schema arguments from fixed values, the user's words and the schema's defaults. */
function fillArguments(definition: OfflineToolDefinition | undefined, fixed: Record<string, unknown>, text: string, matched: string[]): Record<string, unknown> {
  const properties = definition?.parameters.properties ?? {};
  const required = new Set(definition?.parameters.required ?? []);
  const args: Record<string, unknown> = {};
  for (const [name, property] of Object.entries(properties)) {
    if (Object.hasOwn(fixed, name)) {
      args[name] = fixed[name];
      continue;
    }
    const value = guess(name, property, text, matched);
    if (value !== undefined && (required.has(name) || property.type !== 'number' || /\d/.test(text))) args[name] = value;
  }
  return args;
}

function guess(name: string, property: JsonSchemaProperty, text: string, matched: string[]): unknown {
  if (property.enum) {
    const lower = text.toLowerCase();
    return property.enum.find((value) => lower.includes(String(value).toLowerCase())) ?? property.default ?? property.enum[0];
  }
  switch (property.type) {
    case 'number':
    case 'integer': {
      // A number of its own ("$20", "-5"), not the digits of an id ("INV-1001" is no amount of -1001).
      const found = /(?<![\w-])-?\d+(?:\.\d+)?/.exec(text.replace(/,/g, ''));
      return found ? Number(found[0]) : property.default;
    }
    case 'boolean':
      return property.default ?? false;
    case 'string':
      if (name === 'request' || name === 'input') return text;
      return matched.length > 0 ? `${OFFLINE_MARK} matched "${matched.join('", "')}" in: ${truncate(text, 160)}` : `${OFFLINE_MARK} ${truncate(text, 200)}`;
    default:
      return property.default;
  }
}

/** About four characters a token: the offline model has no tokenizer, and its cost is zero anyway. */
function estimateUsage(messages: BaseMessage[]): UsageMetadata {
  const input = Math.ceil(messages.reduce((sum, message) => sum + textOf(message).length, 0) / 4);
  return { input_tokens: input, output_tokens: 24, total_tokens: input + 24 };
}

function truncate(text: string, length: number): string {
  return text.length > length ? `${text.slice(0, length - 1)}…` : text;
}

function findLastIndex<T>(items: T[], predicate: (item: T) => boolean): number {
  for (let index = items.length - 1; index >= 0; index -= 1) if (predicate(items[index] as T)) return index;
  return -1;
}

export type { BaseChatModelCallOptions };
