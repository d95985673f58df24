/**
 * What happens in a turn, as typed events: written to LangGraph's "custom" stream (so backend code
 * gets them from `graph.stream(..., { streamMode: 'custom' })` or {@link streamTurn}), and logged.
 */
import type { LangGraphRunnableConfig } from '@langchain/langgraph';
import type { Logger } from 'pino';
import type { HandoffRecord, Turn, UsageTotals } from '../state/schema.js';

export type SwitchboardEvent =
  | { type: 'turn-start'; threadId: string; turn: number; agent: string }
  | { type: 'text-delta'; agent: string; delta: string }
  | { type: 'message-end'; agent: string; text: string }
  | { type: 'handoff-request'; from: string; to: string; tool: string; payload: unknown }
  | {
      type: 'handoff-accept';
      from: string;
      to: string;
      kind: HandoffRecord['kind'];
      tool?: string | undefined;
      payload: Record<string, unknown>;
    }
  | { type: 'handoff-refuse'; from: string; tool: string; to?: string | undefined; reason: string }
  | { type: 'tool-call'; agent: string; tool: string; toolCallId: string; args: unknown }
  | { type: 'tool-result'; agent: string; tool: string; toolCallId: string; ok: boolean; content: string; durationMs: number }
  | { type: 'escalation-start'; from: string; to: string; payload: Record<string, unknown> }
  | { type: 'escalation-end'; agent: string; handBackTo?: string | undefined }
  | { type: 'fallback-start'; from: string; to: string; reason: string }
  | { type: 'model-fallback'; agent: string; from: string; to: string; reason: string }
  | { type: 'model-retry'; agent: string; attempt: number; delayMs: number; reason: string }
  | { type: 'limit-reach'; agent: string; limit: string; action: 'escalate' | 'end'; to?: string | undefined }
  | { type: 'usage'; agent: string; model: string; path: string; usage: UsageTotals }
  | {
      type: 'turn-end';
      threadId: string;
      turn: number;
      agent: string;
      status: Turn['status'];
      error?: { code: string; message: string } | undefined;
      durationMs: number;
    };

export type SwitchboardEventType = SwitchboardEvent['type'];

/**
 * pino redaction paths for loggers given to Switchboard (`pino({ redact: LOG_REDACT_PATHS })`): the
 * events never log these fields, and redaction catches any that a tool or backend code adds. Paths
 * come from code on purpose — never from a tree file someone can edit.
 */
export const LOG_REDACT_PATHS: string[] = [
  'text',
  'delta',
  'content',
  'payload',
  'args',
  'fields',
  '*.text',
  '*.content',
  '*.payload',
  '*.args',
  '*.fields',
  '*.email',
  '*.phone',
  '*.customer_id',
  '*.patient_id',
  '*.caller_number',
];

/** One info record per turn start and end, accepted handoff, tool result and escalation; the rest at debug; trouble at warn. */
const LOG_LEVELS: Record<SwitchboardEventType, 'debug' | 'info' | 'warn'> = {
  'turn-start': 'info',
  'turn-end': 'info',
  'handoff-accept': 'info',
  'handoff-refuse': 'info',
  'tool-result': 'info',
  'escalation-start': 'info',
  'escalation-end': 'info',
  'limit-reach': 'warn',
  'fallback-start': 'warn',
  'model-fallback': 'warn',
  'model-retry': 'warn',
  'handoff-request': 'debug',
  'tool-call': 'debug',
  usage: 'debug',
  'message-end': 'debug',
  'text-delta': 'debug',
};

/** Fields of an event that may hold what a user or a model wrote: never logged. */
const PRIVATE_FIELDS = new Set(['text', 'delta', 'payload', 'args', 'content']);

/** Emits an event to the stream (when someone listens) and to the log, without message text. */
export function emit(
  config: LangGraphRunnableConfig | undefined,
  logger: Logger,
  event: SwitchboardEvent,
  extra: Record<string, unknown> = {},
): void {
  config?.writer?.(event);
  if (event.type === 'text-delta') return;
  const level = event.type === 'turn-end' && event.status === 'error' ? 'error' : LOG_LEVELS[event.type];
  // A record nobody logs is not built (the default logger is silent).
  if (!logger.isLevelEnabled(level)) return;
  const record: Record<string, unknown> = { event: event.type, ...extra };
  for (const [key, value] of Object.entries(event)) {
    // The agent is bound by the child logger; the thread id comes in `extra` as thread_id.
    if (key === 'type' || key === 'agent' || key === 'threadId') continue;
    if (PRIVATE_FIELDS.has(key)) {
      if (key === 'payload' && value && typeof value === 'object') record.payloadKeys = Object.keys(value);
      continue;
    }
    record[key] = value;
  }
  logger[level](record, event.type);
}
