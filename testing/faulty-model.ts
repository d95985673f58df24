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

export interface FaultOptions {
  /** Fail this many calls, then behave (default: every call). */
  times?: number;
  /** Instead: fail each call with this probability (0..1), from a seeded generator (deterministic). */
  rate?: number;
  seed?: number;
}

export class FaultyChatModel extends BaseChatModel {
  /** Calls that failed on purpose (shared by the models `bindTools` returns). */
  readonly stats: { failures: number; calls: number };
  private readonly random: () => number;
  private remaining: number;

  constructor(
    private readonly inner: BaseChatModel,
    private readonly fault: Fault,
    private readonly options: FaultOptions = {},
    shared?: { stats: { failures: number; calls: number }; random: () => number },
  ) {
    super({});
    this.stats = shared?.stats ?? { failures: 0, calls: 0 };
    this.random = shared?.random ?? mulberry32(options.seed ?? 1);
    this.remaining = options.times ?? Number.POSITIVE_INFINITY;
  }

  _llmType(): string {
    return 'switchboard-faulty';
  }

  override bindTools(tools: BindToolsInput[]): FaultyChatModel {
    const bound = (this.inner.bindTools as (tools: BindToolsInput[]) => BaseChatModel)(tools);
    return new FaultyChatModel(bound, this.fault, { ...this.options, times: this.remaining }, { stats: this.stats, random: this.random });
  }

  private shouldFail(): boolean {
    if (this.options.rate !== undefined) return this.random() < this.options.rate;
    if (this.remaining <= 0) return false;
    this.remaining -= 1;
    return true;
  }

  async _generate(messages: BaseMessage[], options: this['ParsedCallOptions']): Promise<ChatResult> {
    this.stats.calls += 1;
    if (this.shouldFail()) {
      this.stats.failures += 1;
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

/** A small seeded generator (mulberry32): the same seed gives the same faults. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
}
