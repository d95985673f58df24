/**
 * A chat model that fails on purpose, wrapping another: for testing a tree's failure ladder
 * (fallback agents, model fallbacks) without a network.
 */
import { BaseChatModel } from '@langchain/core/language_models/chat_models';
import type { BindToolsInput } from '@langchain/core/language_models/chat_models';
import type { BaseMessage } from '@langchain/core/messages';
import type { ChatResult } from '@langchain/core/outputs';

/** What goes wrong: a timeout, a provider status (429, 500…), or an empty reply. */
export type Fault = 'timeout' | { status: number; message?: string; headers?: Record<string, string> } | 'empty';

export class FaultyChatModel extends BaseChatModel {
  /** Calls that failed on purpose. */
  failures = 0;

  constructor(
    private readonly inner: BaseChatModel,
    private readonly fault: Fault,
    /** Fail this many calls, then behave (default: every call). */
    private remaining = Number.POSITIVE_INFINITY,
  ) {
    super({});
  }

  _llmType(): string {
    return 'switchboard-faulty';
  }

  override bindTools(tools: BindToolsInput[]): FaultyChatModel {
    const bound = (this.inner.bindTools as (tools: BindToolsInput[]) => BaseChatModel)(tools);
    const faulty = new FaultyChatModel(bound, this.fault, this.remaining);
    return faulty;
  }

  async _generate(messages: BaseMessage[], options: this['ParsedCallOptions']): Promise<ChatResult> {
    if (this.remaining > 0) {
      this.remaining -= 1;
      this.failures += 1;
      if (this.fault === 'timeout') throw Object.assign(new Error('Request timed out.'), { name: 'TimeoutError' });
      if (this.fault === 'empty') {
        const { AIMessage } = await import('@langchain/core/messages');
        return { generations: [{ text: '', message: new AIMessage('') }] };
      }
      throw Object.assign(new Error(this.fault.message ?? `${this.fault.status} injected fault`), { status: this.fault.status, headers: this.fault.headers ?? {} });
    }
    const message = await this.inner.invoke(messages, options);
    return { generations: [{ text: message.text, message }] };
  }
}
