/**
 * What happens in a turn, as typed events: written to LangGraph's "custom" stream (so backend code
 * gets them from `graph.stream(..., { streamMode: 'custom' })` or {@link streamTurn}), and logged.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { AIMessage, BaseMessage } from '@langchain/core/messages';
import type { LangGraphRunnableConfig } from '@langchain/langgraph';
import type { Logger } from 'pino';
import type { HandoffRecord, Turn, UsageTotals } from '../state/schema.js';

export type SwitchboardEvent =
  | { type: 'turn-start'; threadId: string; turn: number; agent: string }
  | { type: 'text-delta'; agent: string; delta: string }
  /** Observers only (not streamed): an agent node runs (one LangGraph step of the agent: a model call and what follows it, or its tools). */
  | {
      type: 'step-start';
      agent: string;
      turn: number;
      /** The agent's first model (the step may call none: a step that runs tools). */
      model?: string | undefined;
    }
  | { type: 'step-end'; agent: string; turn: number; durationMs: number }
  | {
      /**
       * Observers only (not streamed): one model's part of a model call (its retries included), with
       * exactly what the model was sent. A model that failed before a fallback model answered has
       * an event of its own (with `error`), sent before the `model-fallback`.
       */
      type: 'model-call';
      agent: string;
      /** The model these attempts went to. */
      model: string;
      turn: number;
      input: readonly BaseMessage[];
      /** The response as Switchboard keeps it; undefined when every attempt failed. */
      output: AIMessage | undefined;
      error?: { kind: string; message: string } | undefined;
      /** Tokens and cost of this model's answer (undefined when it failed). */
      usage: UsageTotals | undefined;
      /** No price is known for `model`: `usage.costUsd` is 0 for want of one, not a real cost. */
      unpriced?: true | undefined;
      /** The provider sent no usage: the tokens are estimated from the characters. */
      estimated?: true | undefined;
      /** This model's attempts (its retries included). */
      attempts: number;
      /** When this model's first attempt started (epoch milliseconds). */
      startedAt: number;
      /** To its last attempt's end. */
      durationMs: number;
    }
  | {
      type: 'message-end';
      agent: string;
      /** The message's whole, final text: what the thread stores (see README, "Streaming"). */
      text: string;
      /** The provider stopped the reply at the model's `maxTokens`: `text` is only the start of an answer. */
      truncated?: true | undefined;
    }
  | { type: 'handoff-request'; from: string; to: string; tool: string; payload: unknown }
  | {
      type: 'handoff-accept';
      from: string;
      to: string;
      kind: HandoffRecord['kind'];
      tool?: string | undefined;
      payload: Record<string, unknown>;
    }
  | {
      type: 'handoff-refuse';
      from: string;
      /** The name the model called: one of the tree's tools, or one it invented (see `code`). */
      tool: string;
      to?: string | undefined;
      /** Why, in words for the model (it may quote what the model wrote): streamed, never logged. */
      reason: string;
      /** Why, as a code; `UNKNOWN_TOOL` means `tool` is not a name of the tree. */
      code: HandoffRefuseCode;
    }
  /** `idempotencyKey`: the key the tool's side effects are recorded under (the thread and the call's id; a helper's tools have their own). */
  | { type: 'tool-call'; agent: string; tool: string; toolCallId: string; args: unknown; idempotencyKey?: string | undefined }
  | { type: 'tool-result'; agent: string; tool: string; toolCallId: string; ok: boolean; content: string; durationMs: number }
  | { type: 'escalation-start'; from: string; to: string; payload: Record<string, unknown> }
  | { type: 'escalation-end'; agent: string; handBackTo?: string | undefined }
  /** A handoff into an agent with `approval: required` waits for a person (the thread pauses). */
  | { type: 'approval-start'; from: string; to: string; tool: string; payload: Record<string, unknown> }
  /**
   * The person decided: the move happens (approved) or the model is told it was denied; or, with
   * `withdrawn`, nobody decided: the user wrote again first, and the request was withdrawn.
   */
  | {
      type: 'approval-end';
      from: string;
      to: string;
      tool: string;
      approved: boolean;
      withdrawn?: true;
      /** Who decided, and why, as given with the decision (`operator` is logged; `reason`, which may quote the user, is not). */
      operator?: string | undefined;
      reason?: string | undefined;
    }
  | { type: 'fallback-start'; from: string; to: string; reason: string }
  | { type: 'model-fallback'; agent: string; from: string; to: string; reason: string }
  | { type: 'model-retry'; agent: string; attempt: number; delayMs: number; reason: string }
  | { type: 'limit-reach'; agent: string; limit: string; action: 'escalate' | 'end'; to?: string | undefined }
  /**
   * `unpriced`: no price is known for `model`, so `usage.costUsd` is 0 for want of one, not a real cost.
   * `estimated`: the provider sent no usage, so the tokens (and the cost) are estimated from the characters.
   */
  | { type: 'usage'; agent: string; model: string; path: string; usage: UsageTotals; unpriced?: true | undefined; estimated?: true | undefined }
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
 * Why a tool call was refused. Every code but `UNKNOWN_TOOL` means the called name is one of the
 * tree's own tools or handoffs; `UNKNOWN_TOOL` means the model invented it.
 */
export type HandoffRefuseCode =
  | 'INVALID_JSON'
  | 'SECOND_HANDOFF'
  | 'INVALID_PAYLOAD'
  | 'NOT_ALLOWED'
  | 'OTHER_AGENTS_TOOL'
  | 'UNKNOWN_TOOL'
  /** An `onHandoff`/`onEscalation` hook refused the move. */
  | 'HOOK_REFUSED'
  /** The hook threw, timed out or returned fields the tree does not declare (the move is refused). */
  | 'HOOK_FAILED'
  /** A person denied the approval the target agent requires. */
  | 'APPROVAL_DENIED'
  /** The handoff's condition (`when:`) is false now: it was not offered, and control does not move. */
  | 'CONDITION_FALSE';

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
  'approval-start': 'info',
  'approval-end': 'info',
  'limit-reach': 'warn',
  'fallback-start': 'warn',
  'model-fallback': 'warn',
  'model-retry': 'warn',
  'handoff-request': 'debug',
  'step-start': 'debug',
  'step-end': 'debug',
  'model-call': 'debug',
  'tool-call': 'debug',
  usage: 'debug',
  'message-end': 'debug',
  'text-delta': 'debug',
};

/**
 * Code watching a tree's events as they happen (tracing, analytics, a step-trace recorder): given
 * to {@link compileTree} as `observers`. Called synchronously with each event; an observer that
 * throws is logged and does not stop the turn. Observers see everything, message text included.
 */
export type EventObserver = (event: SwitchboardEvent, context: EventContext) => void;

export interface EventContext {
  /** The thread's id as the backend gave it (observers hash it themselves where they must). */
  threadId: string;
  /** When the event happened (epoch milliseconds). */
  at: number;
  /** The name of the tree whose graph emitted the event (set by {@link compileTree}), so one observer can serve several graphs. */
  tree?: string | undefined;
}

/**
 * Emits an event to the stream (when someone listens), to the tree's observers and to the log. The stream gets the whole
 * event; the log gets only what the tree and the runtime chose — names of the tree's agents, tools
 * and models, codes, counts and timings — never what a user or a model wrote.
 */
export function emit(
  config: LangGraphRunnableConfig | undefined,
  logger: Logger,
  event: SwitchboardEvent,
  extra: Record<string, unknown>,
  observers: readonly EventObserver[],
): void {
  if (!OBSERVERS_ONLY.has(event.type)) config?.writer?.(event);
  if (observers.length > 0) notify(observers, config, logger, event);
  if (event.type === 'text-delta') return;
  const level = levelOf(event);
  // A record nobody logs is not built (the default logger is silent).
  if (!logger.isLevelEnabled(level)) return;
  logger[level]({ event: event.type, ...extra, ...logFieldsOf(event) }, event.type);
}

/** An event's log level: a turn that failed is an error, a reply cut at maxTokens a warning. */
function levelOf(event: SwitchboardEvent): 'debug' | 'info' | 'warn' | 'error' {
  if (event.type === 'turn-end' && event.status === 'error') return 'error';
  if (event.type === 'message-end' && event.truncated) return 'warn';
  return LOG_LEVELS[event.type];
}

/** Events for observers and the log, not the stream (a model call carries the whole prompt). */
const OBSERVERS_ONLY: ReadonlySet<SwitchboardEventType> = new Set(['step-start', 'step-end', 'model-call']);

function notify(observers: readonly EventObserver[], config: LangGraphRunnableConfig | undefined, logger: Logger, event: SwitchboardEvent): void {
  const context: EventContext = { threadId: String(config?.configurable?.thread_id ?? ''), at: Date.now() };
  for (const observer of observers) {
    try {
      observer(event, context);
    } catch (error) {
      logger.warn({ event: 'observer-error', observed: event.type, error: error instanceof Error ? error.name : typeof error }, 'an event observer threw');
    }
  }
}

/**
 * What the log keeps of an event, field by field: a new event type or field is logged only once it
 * is listed here. The agent is bound by the child logger; the thread id comes in `extra` as
 * `thread_id`. Left out on purpose: message text and deltas, tool arguments and results, payload
 * values, handoff-request payload keys (the model chose them; accepted payloads keep only the keys
 * of the tree's schema), refusal reasons and turn error messages (they quote the model or a tool),
 * and tool names the model invented.
 */
function logFieldsOf(event: SwitchboardEvent): Record<string, unknown> {
  switch (event.type) {
    case 'turn-start':
      return { turn: event.turn };
    case 'turn-end':
      return { turn: event.turn, status: event.status, durationMs: event.durationMs, ...(event.error ? { error: { code: event.error.code } } : {}) };
    case 'message-end':
      return event.truncated ? { truncated: true } : {};
    case 'text-delta':
      return {};
    case 'step-start':
      return { turn: event.turn };
    case 'step-end':
      return { turn: event.turn, durationMs: event.durationMs };
    case 'model-call':
      return { model: event.model, attempts: event.attempts, durationMs: event.durationMs, ok: event.output !== undefined, ...(event.error ? { errorKind: event.error.kind } : {}), ...(event.usage ? { usage: event.usage } : {}) };
    case 'handoff-request':
      return { from: event.from, to: event.to, tool: event.tool, payloadKeyCount: keyCount(event.payload) };
    case 'handoff-accept':
      return { from: event.from, to: event.to, kind: event.kind, tool: event.tool, payloadKeys: Object.keys(event.payload) };
    case 'handoff-refuse': {
      // A name the tree does not have is the model's text: its length and a short keyed hash only.
      if (event.code === 'UNKNOWN_TOOL') return { from: event.from, code: event.code, ...nameFingerprint('tool', event.tool) };
      // A move no model chose (a fallback, a limit's redirect, a hand-back) has no tool: no empty field.
      return { from: event.from, code: event.code, ...(event.tool !== '' ? { tool: event.tool } : {}), to: event.to };
    }
    case 'tool-call':
      return { tool: event.tool, toolCallId: event.toolCallId };
    case 'tool-result':
      return { tool: event.tool, toolCallId: event.toolCallId, ok: event.ok, durationMs: event.durationMs };
    case 'escalation-start':
      return { from: event.from, to: event.to, payloadKeys: Object.keys(event.payload) };
    case 'escalation-end':
      return { handBackTo: event.handBackTo };
    case 'approval-start':
      return { from: event.from, to: event.to, tool: event.tool, payloadKeys: Object.keys(event.payload) };
    case 'approval-end':
      return { from: event.from, to: event.to, tool: event.tool, approved: event.approved, ...(event.operator !== undefined ? { operator: event.operator } : {}) };
    case 'fallback-start':
      return { from: event.from, to: event.to, reason: event.reason };
    case 'model-fallback':
      return { from: event.from, to: event.to, reason: event.reason };
    case 'model-retry':
      return { attempt: event.attempt, delayMs: event.delayMs, reason: event.reason };
    case 'limit-reach':
      return { limit: event.limit, action: event.action, to: event.to };
    case 'usage':
      return { model: event.model, path: event.path, usage: event.usage, unpriced: event.unpriced, ...(event.estimated ? { estimated: true } : {}) };
    default:
      return unreachable(event);
  }
}

function unreachable(event: never): Record<string, unknown> {
  return { type: (event as { type: string }).type };
}

function keyCount(value: unknown): number {
  return value && typeof value === 'object' ? Object.keys(value).length : 0;
}

/**
 * A per-process key for fingerprints of names a model invented: the same name gives the same
 * `toolHash` within one process (so a model that keeps inventing it shows), and nobody can find the
 * name by hashing guesses, since the key is never written anywhere.
 */
const FINGERPRINT_KEY = randomBytes(32);

function nameFingerprint(field: string, name: string): Record<string, unknown> {
  return { [`${field}Hash`]: createHmac('sha256', FINGERPRINT_KEY).update(name).digest('hex').slice(0, 8), [`${field}Length`]: name.length };
}

/** What {@link hashThreadIds} needs: the secret the hashes are keyed with. */
export interface HashThreadIdsOptions {
  /** At least 16 bytes; keep it secret and the same across processes to join their records. */
  key: string | Uint8Array;
}

/** Log fields that hold a thread id. */
const THREAD_ID_FIELDS = ['thread_id', 'threadId'] as const;

/** The shortest key {@link hashThreadIds} accepts, in bytes. */
export const MIN_THREAD_ID_KEY_BYTES = 16;

/**
 * The hash {@link hashThreadIds} logs instead of `threadId`: `h:` and the first 16 hex digits
 * (64 bits) of HMAC-SHA256(key, threadId). Compute it to find a thread's records in the logs.
 */
export function hashThreadId(threadId: string, key: string | Uint8Array): string {
  return `h:${createHmac('sha256', key).update(threadId).digest('hex').slice(0, 16)}`;
}

/**
 * A child of `logger` that writes every `thread_id` (and `threadId`) as {@link hashThreadId}: in
 * records and in the bindings of its own child loggers, so for everything Switchboard logs. Thread
 * ids are often phone numbers or e-mail addresses; keyed hashes keep them out of the logs while the
 * records of one thread still share one value. Give the result to `compileTree(tree, { logger })`.
 */
export function hashThreadIds(logger: Logger, options: HashThreadIdsOptions): Logger {
  const key = options.key;
  const length = typeof key === 'string' ? Buffer.byteLength(key) : key.byteLength;
  if (length < MIN_THREAD_ID_KEY_BYTES) {
    throw new RangeError(
      `hashThreadIds needs a key of at least ${MIN_THREAD_ID_KEY_BYTES} bytes (got ${length}); make one with \`openssl rand -hex 32\`.`,
    );
  }
  // pino runs serializers on record fields and on child-logger bindings, and children inherit them.
  const hash = (value: unknown) => (typeof value === 'string' || typeof value === 'number' ? (value === '-' ? value : hashThreadId(String(value), key)) : value);
  return logger.child({}, { serializers: Object.fromEntries(THREAD_ID_FIELDS.map((field) => [field, hash])) });
}
