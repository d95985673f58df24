/**
 * A chat model that plays a script: the fake model of Switchboard's own tests, exported for yours
 * (`switchboard/testing`). Each call takes the next step; every request is recorded.
 */
import { randomUUID } from 'node:crypto';
import { BaseChatModel } from '@langchain/core/language_models/chat_models';
import type { BindToolsInput } from '@langchain/core/language_models/chat_models';
import type { BaseMessage } from '@langchain/core/messages';
import type { ChatResult } from '@langchain/core/outputs';
import { convertToOpenAITool } from '@langchain/core/utils/function_calling';
import { aiMessage, textOf } from './messages.js';

/** What the model was asked: the messages it saw and the names of the tools it was offered. */
export interface ScriptedRequest {
  messages: BaseMessage[];
  tools: string[];
  /** The system prompt, to tell which agent asked. */
  system: string;
}

/** One scripted response: text, tool calls, an error to throw, or a function of the request. */
export type ScriptStep =
  | string
  | { content?: string; toolCalls?: { name: string; args?: Record<string, unknown>; id?: string }[] }
  | Error
  | ((request: ScriptedRequest) => ScriptStep);

/** A tool call step: `call('transfer_to_billing', { reason: 'refund' })`. */
export function call(name: string, args: Record<string, unknown> = {}): ScriptStep {
  return { toolCalls: [{ name, args }] };
}

export class ScriptedChatModel extends BaseChatModel {
  /** Every request, in order, across every agent that uses this model. */
  readonly requests: ScriptedRequest[];
  private readonly steps: ScriptStep[];
  private readonly toolNames: string[];

  constructor(steps: ScriptStep[], shared?: { requests: ScriptedRequest[]; tools: string[] }) {
    super({});
    this.steps = steps;
    this.requests = shared?.requests ?? [];
    this.toolNames = shared?.tools ?? [];
  }

  _llmType(): string {
    return 'switchboard-scripted';
  }

  /** Steps not yet played. */
  get remaining(): number {
    return this.steps.length;
  }

  override bindTools(tools: BindToolsInput[]): ScriptedChatModel {
    const names = tools.map((tool) => convertToOpenAITool(tool as Parameters<typeof convertToOpenAITool>[0]).function.name);
    return new ScriptedChatModel(this.steps, { requests: this.requests, tools: names });
  }

  async _generate(messages: BaseMessage[]): Promise<ChatResult> {
    const system = messages.find((message) => message.type === 'system');
    const request: ScriptedRequest = {
      messages,
      tools: this.toolNames,
      system: system ? textOf(system) : '',
    };
    this.requests.push(request);
    let step = this.steps.shift();
    if (step === undefined) throw new Error(`ScriptedChatModel: the script has no step left for call #${this.requests.length}.`);
    while (typeof step === 'function') step = step(request);
    if (step instanceof Error) throw step;
    const usage = { input_tokens: 10, output_tokens: 5, total_tokens: 15 };
    const message =
      typeof step === 'string'
        ? aiMessage({ id: randomUUID(), content: step, usage })
        : aiMessage({
            id: randomUUID(),
            content: step.content ?? '',
            toolCalls: (step.toolCalls ?? []).map((toolCall) => ({ id: toolCall.id ?? `call_${randomUUID()}`, name: toolCall.name, args: toolCall.args ?? {}, type: 'tool_call' as const })),
            usage,
          });
    return { generations: [{ text: textOf(message), message }] };
  }
}
