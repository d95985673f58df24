/**
 * The step trace of each turn, kept in a thread journal as `event` entries: an event observer that
 * writes what it sees (model calls with every message the model was sent, tool calls, handoffs…).
 * The dev page uses it only while the store records no trace of its own (see the compile option
 * `trace`); its entries have the shape {@link readTraceEvents} reads.
 */
import { randomUUID } from 'node:crypto';
import type { BaseMessage } from '@langchain/core/messages';
import type { Logger } from 'pino';
import type { EventObserver, SwitchboardEvent } from '../nodes/events.js';
import type { ThreadJournal } from '../store/journal.js';

/** Events worth keeping: everything but the text deltas (the message they make is kept whole). */
const SKIPPED: ReadonlySet<string> = new Set(['text-delta', 'usage']);

/**
 * An observer that appends each turn's events to `journal`, in order, one write per event, while
 * `standDown()` is false (it is true once the graph journals its own trace).
 */
export function createTraceRecorder(journal: ThreadJournal, logger: Logger, standDown: () => boolean = () => false): EventObserver {
  const turns = new Map<string, number>();
  const writes = new Map<string, Promise<void>>();
  return (event, context) => {
    if (SKIPPED.has(event.type) || context.threadId === '' || standDown()) return;
    if ('turn' in event && typeof event.turn === 'number') turns.set(context.threadId, event.turn);
    const turn = turns.get(context.threadId) ?? 0;
    const entry = { kind: 'event' as const, turn, key: `event:${turn}:${randomUUID()}`, data: { at: context.at, event: serializeEvent(event) } };
    const previous = writes.get(context.threadId) ?? Promise.resolve();
    const next = previous
      .then(() => journal.append(context.threadId, [entry]))
      .catch((error: unknown) => logger.warn({ event: 'trace-write-failure', error: (error as Error).message }, 'a step-trace event could not be kept'));
    writes.set(context.threadId, next);
  };
}

/** An event as plain JSON: a model call's messages as `{ role, name, content, toolCalls, toolCallId }`. */
export function serializeEvent(event: SwitchboardEvent): Record<string, unknown> {
  if (event.type !== 'model-call') return { ...event };
  return {
    ...event,
    input: event.input.map(serializeMessage),
    output: event.output ? serializeMessage(event.output) : undefined,
  };
}

export function serializeMessage(message: BaseMessage): Record<string, unknown> {
  const toolCalls = (message as { tool_calls?: { id?: string; name: string; args: unknown }[] }).tool_calls;
  const toolCallId = (message as { tool_call_id?: string }).tool_call_id;
  return {
    role: message.type,
    ...(message.name ? { name: message.name } : {}),
    content: message.content,
    ...(toolCalls?.length ? { toolCalls: toolCalls.map((call) => ({ id: call.id, name: call.name, args: call.args })) } : {}),
    ...(toolCallId ? { toolCallId } : {}),
  };
}
