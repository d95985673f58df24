/**
 * Running one function tool for an agent: arguments validated by the tool's own zod schema, the
 * tool context (thread, idempotency key, shared-state fields) passed in its config, errors caught
 * and turned into what the model is told.
 */
import type { ToolCall } from '@langchain/core/messages';
import type { StructuredToolInterface } from '@langchain/core/tools';
import type { LangGraphRunnableConfig } from '@langchain/langgraph';
import type { CallUsage, Turn } from '../state/schema.js';
import { LockLostError, StoreError } from '../errors/store-error.js';
import { fenceOf } from '../store/fences.js';
import { linkedAbort } from './abort.js';
import { toolConfig } from './tool-context.js';
import type { SideEffectLedger } from '../store/ledger.js';
import type { TreeRuntime } from './context.js';
import { threadIdOf } from './turn.js';

export interface ToolRun {
  ok: boolean;
  content: string;
  /** The tool itself failed (as opposed to the model passing bad arguments). */
  failed?: boolean;
  /** The tool did not answer in time: whether it took effect is not known. */
  timedOut?: boolean;
  turn?: Turn;
  /** The model calls a helper made. */
  calls?: CallUsage[];
}

export async function runFunctionTool(
  tool: StructuredToolInterface,
  agentName: string,
  call: ToolCall,
  /** The shared-state fields as the tree declares them now ({@link currentFields}). */
  fields: Readonly<Record<string, string | number | boolean>>,
  turn: Turn,
  config: LangGraphRunnableConfig,
  runtime: Pick<TreeRuntime, 'toolTimeoutMs' | 'ledger'>,
  idempotencyKey?: string,
): Promise<ToolRun> {
  const threadId = threadIdOf(config);
  const toolCallId = call.id ?? '';
  const key = idempotencyKey ?? `${threadId}:${toolCallId}`;
  const timeoutMs = runtime.toolTimeoutMs;
  // The tool's signal (its context's) aborts when the run is aborted or when the tool takes too long.
  // LangChain's own `config.signal` aborts only when it takes too long: `tool()` rejects at once on
  // that one, while the tool's work goes on unseen. A stopped turn waits for its tool (an answer, or
  // the timeout) instead, and holds the thread until then (nodes/running.ts): a replay of the call
  // under the same key never runs beside it.
  // A hold on the thread lost is another matter: another worker takes the thread, fencing refuses this
  // one's records, and the tool is let go at once, as LangChain does on that signal.
  const outer = config.signal;
  const { controller, dispose: unlink } = linkedAbort(outer);
  const tooLong = new AbortController();
  const onLost = () => {
    if (outer?.reason instanceof LockLostError) tooLong.abort(outer.reason);
  };
  if (outer?.aborted) onLost();
  else outer?.addEventListener('abort', onLost, { once: true });
  const dispose = () => {
    unlink();
    outer?.removeEventListener('abort', onLost);
  };
  let timer: NodeJS.Timeout | undefined;
  const timedOut: ToolRun = { ok: false, failed: true, timedOut: true, content: `Error: ${call.name} did not answer within ${timeoutMs} ms, so whether it took effect is not known. Do not call it again: tell the user it is being checked.` };
  // A call that timed out in a run stopped meanwhile is not run again by the replay: it may still be
  // running (it ignored its signal), and whether it took effect is not known, as for a turn not stopped.
  if (await timedOutBefore(runtime.ledger, key)) {
    dispose();
    return timedOut;
  }
  const timeout = new Promise<ToolRun>((resolve) => {
    timer = setTimeout(() => {
      const reason = new Error(`${call.name} timed out`);
      controller.abort(reason);
      tooLong.abort(reason);
      resolve(timedOut);
    }, timeoutMs);
  });
  try {
    const run = tool.invoke(call.args, toolConfig(config, {
      threadId,
      agent: agentName,
      toolCallId,
      idempotencyKey: key,
      fields: { ...fields },
      turn: turn.number,
      fence: fenceOf(config),
      signal: controller.signal,
    }, tooLong.signal)).then((output: unknown): ToolRun => ({ ok: true, content: outputText(output) }));
    const result = await Promise.race([run, timeout]);
    if (outer?.aborted) {
      // Stopped, then timed out: recorded, so that the replay answers the call as timed out (not when
      // the hold was lost: the worker taking the thread over replays the call under fencing).
      if (result.timedOut && !(outer.reason instanceof LockLostError)) await runtime.ledger?.record({ key: timedOutKey(key), kind: 'tool-timeout', details: { tool: call.name, agent: agentName } }, fenceOf(config));
      // The turn stopped while the tool ran: its answer is not this run's (the call replays under its key).
      throw outer.reason;
    }
    return result;
  } catch (error) {
    // The turn lost the thread (or was aborted): it stops here, whatever the tool made of it.
    if (outer?.aborted) throw outer.reason;
    // A tool that gave up when its signal was aborted for taking too long.
    if (controller.signal.aborted) return timedOut;
    // So does a store failure (a LockLostError, or a side effect whose record may or may not have
    // landed): the message is sent again and the call replays under its idempotency key, where a
    // model told "failed" could call the tool again under a new one.
    if (error instanceof StoreError) throw error;
    const message = errorText(error);
    if ((error as Error | undefined)?.name === 'ToolInputParsingException' || /did not match expected schema/i.test(message)) {
      return { ok: false, content: `Refused: invalid arguments for ${call.name}: ${schemaIssues(message)}. Call it again with arguments that match its schema.` };
    }
    return { ok: false, failed: true, content: `Error: ${call.name} failed: ${firstLine(message)}` };
  } finally {
    clearTimeout(timer);
    dispose();
  }
}

/** The ledger's key for a call that timed out in a stopped run (see {@link runFunctionTool}). */
function timedOutKey(idempotencyKey: string): string {
  return `${idempotencyKey}:timed-out`;
}

async function timedOutBefore(ledger: SideEffectLedger | undefined, idempotencyKey: string): Promise<boolean> {
  if (!ledger) return false;
  const key = timedOutKey(idempotencyKey);
  // `get` is optional for a ledger of the app's own: the records of the kind, then.
  if (!ledger.get) return (await ledger.list('tool-timeout')).some((effect) => effect.key === key);
  return (await ledger.get(key)) !== undefined;
}

/**
 * What a tool that ran returned, as the model is told it. A value JSON cannot write (a circular
 * object, a BigInt) is still the answer of a tool that ran (its side effect happened): it is
 * printed another way, never reported as a failure the model might call the tool again for.
 */
function outputText(output: unknown): string {
  if (typeof output === 'string') return output;
  if (output && typeof output === 'object' && 'content' in output && typeof (output).content === 'string') return (output as { content: string }).content;
  // A tool that returns nothing (`undefined`, a function): the model is told it answered nothing, not handed an empty result.
  return printed(output, '(the tool returned nothing)', '(the tool answered with a value that cannot be printed)');
}

/** `value` as JSON, else as `String` gives it, else `unprintable`; `nothing` where JSON writes nothing. */
function printed(value: unknown, nothing: string, unprintable: string): string {
  try {
    return JSON.stringify(value, (_key, item: unknown) => (typeof item === 'bigint' ? item.toString() : item)) ?? nothing;
  } catch {
    // Circular: the next way of printing it.
  }
  try {
    return String(value);
  } catch {
    return unprintable;
  }
}

/**
 * What a thrown value says: an error's message, a string as it is, anything else as JSON (never
 * "[object Object]"). It never throws itself: a tool may throw anything (an error whose message is
 * not text, a circular object without a prototype, one whose `toJSON` and `toString` throw), and a
 * description that threw would end the turn instead of telling the model the tool failed.
 */
function errorText(error: unknown): string {
  if (typeof error === 'string') return error;
  try {
    // A getter may throw too.
    const message: unknown = error instanceof Error ? error.message : error;
    if (typeof message === 'string') return message;
    return printed(message, String(message), 'a value that cannot be printed');
  } catch {
    return 'a value that cannot be printed';
  }
}

/**
 * LangChain's schema mismatch, as the model can act on it: "Received tool input did not match
 * expected schema" followed by zod's lines ("✖ Invalid input: expected number, received string",
 * "  → at n") becomes "n: Invalid input: expected number, received string".
 */
function schemaIssues(message: string): string {
  const issues: string[] = [];
  for (const line of message.split('\n').slice(1).map((text) => text.trim())) {
    const at = /^→ at (.+)$/.exec(line);
    if (at && issues.length > 0) issues[issues.length - 1] = `${at[1]}: ${issues.at(-1)}`;
    else if (line.startsWith('✖')) issues.push(line.slice(1).trim());
  }
  return issues.length > 0 ? issues.join('; ').slice(0, 1000) : firstLine(message);
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}

