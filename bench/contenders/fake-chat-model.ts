/**
 * The fake chat model of the LangChain-based contenders (Switchboard, raw LangGraph, swarm): it
 * hands off when it holds the handoff tool and answers otherwise (see `fakeDecision`). The
 * handoff-depth workload passes its own `choose` (which tool to call, by the tools held).
 */
import { randomUUID } from 'node:crypto';
import { BaseChatModel } from '@langchain/core/language_models/chat_models';
import type { BindToolsInput } from '@langchain/core/language_models/chat_models';
import type { BaseMessage } from '@langchain/core/messages';
import type { ChatResult } from '@langchain/core/outputs';
import { convertToOpenAITool } from '@langchain/core/utils/function_calling';
import { aiMessage } from '../../models/messages.js';
import { BILLING_REPLY, delay, fakeDecision, HANDOFF_ARGS, HANDOFF_TOOL, TOKENS } from '../workload.js';

/** The handoff tool to call, by the tools the model holds and what it is shown; undefined: answer. */
export type ChooseTool = (tools: readonly string[], messages: readonly BaseMessage[]) => string | undefined;

const chooseDesk: ChooseTool = (tools) => (fakeDecision(tools) === 'handoff' ? HANDOFF_TOOL : undefined);

export class FakeChatModel extends BaseChatModel {
  /** Model calls made through this model and every model bound from it. */
  readonly calls: { count: number };

  constructor(
    private readonly delayMs: number,
    private readonly tools: readonly string[] = [],
    calls?: { count: number },
    private readonly choose: ChooseTool = chooseDesk,
  ) {
    super({});
    this.calls = calls ?? { count: 0 };
  }

  _llmType(): string {
    return 'bench-fake';
  }

  override bindTools(tools: BindToolsInput[]): FakeChatModel {
    const names = tools.map((tool) => convertToOpenAITool(tool as Parameters<typeof convertToOpenAITool>[0]).function.name);
    return new FakeChatModel(this.delayMs, names, this.calls, this.choose);
  }

  async _generate(messages: BaseMessage[]): Promise<ChatResult> {
    this.calls.count += 1;
    await delay(this.delayMs);
    const usage = { input_tokens: TOKENS.input, output_tokens: TOKENS.output, total_tokens: TOKENS.input + TOKENS.output };
    const tool = this.choose(this.tools, messages);
    const message =
      tool !== undefined
        ? aiMessage({ id: randomUUID(), content: '', toolCalls: [{ id: `call_${randomUUID()}`, name: tool, args: HANDOFF_ARGS, type: 'tool_call' }], usage })
        : aiMessage({ id: randomUUID(), content: BILLING_REPLY, usage });
    return { generations: [{ message, text: typeof message.content === 'string' ? message.content : '' }] };
  }
}
