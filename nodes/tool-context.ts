/**
 * What a function tool knows about the call it serves. Switchboard passes it in the tool's
 * RunnableConfig; read it with {@link getToolContext}.
 */
import type { RunnableConfig } from '@langchain/core/runnables';
import type { Fence } from '../store/fences.js';

export interface ToolContext {
  threadId: string;
  /** The agent whose model called the tool. */
  agent: string;
  toolCallId: string;
  /**
   * The same for every replay of this call (after a crash, a retry or a resume), and different for
   * every call: record side effects under it so they happen once. `thread_id:tool_call_id`, where
   * the tool-call id is minted by Switchboard (never the provider's, which some providers reuse).
   */
  idempotencyKey: string;
  /**
   * The turn's hold on the thread: pass it to `ledger.record(effect, fence)` (or check it in your
   * own store) so a worker that lost the thread records nothing. Undefined outside `runTurn`.
   */
  fence?: Fence | undefined;
  /**
   * Aborts when the turn stops (its hold on the thread was lost, or the caller aborted) or the call
   * runs past `toolTimeoutMs`: pass it to your HTTP calls.
   */
  signal?: AbortSignal | undefined;
  /** The tree's shared-state fields as they were when the call started (e.g. `customer_id`, set by backend code). */
  fields: Readonly<Record<string, string | number | boolean>>;
  /** The user turn (1-based). */
  turn: number;
}

const KEY = 'switchboard';

/**
 * Builds the config a tool is invoked with. Its `signal` is `configSignal` when given (LangChain's
 * `tool()` rejects at once when that one aborts, leaving the tool's work running unseen), else the
 * context's.
 */
export function toolConfig(base: RunnableConfig, context: ToolContext, configSignal?: AbortSignal): RunnableConfig {
  const signal = configSignal ?? context.signal ?? base.signal;
  return {
    ...(base.callbacks ? { callbacks: base.callbacks } : {}),
    ...(signal ? { signal } : {}),
    ...(base.metadata ? { metadata: base.metadata } : {}),
    configurable: { thread_id: context.threadId, [KEY]: context },
  };
}

/**
 * The context of the current tool call. Identity (who the customer is) must come from here — from
 * state set by backend code — never from the model's arguments.
 */
export function getToolContext(config: RunnableConfig | undefined): ToolContext {
  const context = (config?.configurable as Record<string, unknown> | undefined)?.[KEY] as ToolContext | undefined;
  if (!context) throw new Error('getToolContext: this tool was not called by a Switchboard agent.');
  return context;
}
