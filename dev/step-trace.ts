/**
 * The step trace of one turn, as a timeline: each model call (the agent, the model, every message
 * exactly as that model received it — the system prompt with its handoff details and shared state
 * included —, the tool calls it returned, tokens, latency, cost), each tool call (arguments,
 * result, idempotency key, duration), handoffs (payloads; refused ones with their reason),
 * fallbacks and limits. Read from the thread's journal (`event` entries), so it is there after a
 * restart and for threads of `switchboard run`. Shown by the dev page and `switchboard trace`.
 */
import type { JournalEntry, ThreadJournal } from '../store/journal.js';

export interface TraceMessage {
  /** `system`, `human`, `ai` or `tool`. */
  role: string;
  name?: string | undefined;
  text: string;
  toolCalls?: { id?: string | undefined; name: string; args: unknown }[] | undefined;
  toolCallId?: string | undefined;
}

export type TraceItem =
  | { kind: 'turn-start'; at: number; agent: string; turn: number }
  | {
      kind: 'model-call';
      at: number;
      agent: string;
      model: string;
      messages: TraceMessage[];
      reply: TraceMessage | null;
      error: { kind: string; message: string } | null;
      attempts: number;
      durationMs: number;
      usage: { inputTokens: number; outputTokens: number; costUsd: number } | null;
      /** No price is known for `model`: `usage.costUsd` is 0 for want of one, not a real cost (left out when priced). */
      unpriced?: true | undefined;
      /** The reply was cut at the model's `maxTokens` (its `message-end` said so): only the start of an answer (left out otherwise). */
      truncated?: true | undefined;
    }
  | {
      kind: 'tool-call';
      at: number;
      agent: string;
      tool: string;
      toolCallId: string;
      idempotencyKey: string;
      args: unknown;
      ok: boolean | null;
      result: string | null;
      durationMs: number | null;
    }
  | { kind: 'handoff'; at: number; from: string; to: string; handoff: string; tool: string | null; payload: unknown }
  | { kind: 'handoff-refused'; at: number; from: string; to: string | null; tool: string; code: string; reason: string }
  | { kind: 'escalation'; at: number; from: string; to: string; payload: unknown }
  | { kind: 'fallback'; at: number; from: string; to: string; reason: string }
  | { kind: 'model-fallback'; at: number; agent: string; from: string; to: string; reason: string }
  | { kind: 'model-retry'; at: number; agent: string; attempt: number; delayMs: number; reason: string }
  | { kind: 'limit'; at: number; agent: string; limit: string; action: string; to: string | null }
  | { kind: 'turn-end'; at: number; agent: string; status: string; error: { code: string; message: string } | null; durationMs: number }
  /** An event this timeline has no row of its own for (a newer kind), shown with its fields. */
  | { kind: 'other'; at: number; type: string; fields: Record<string, unknown> };

/**
 * Events shown inside other rows (a tool result in its call, a request in its handoff, a reply's
 * end in its model call) or not at all (step bounds, usage, the text).
 */
const FOLDED: ReadonlySet<string> = new Set(['tool-result', 'handoff-request', 'step-start', 'step-end', 'usage', 'message-end', 'text-delta', 'escalation-end']);

export interface StepTrace {
  threadId: string;
  turn: number;
  items: TraceItem[];
}

/** The `event` entries of one turn, oldest first (every page). */
export async function readTraceEvents(journal: ThreadJournal, threadId: string, turn: number): Promise<JournalEntry[]> {
  const entries: JournalEntry[] = [];
  let after: number | undefined;
  do {
    const page = await journal.read(threadId, { kinds: ['event'], turn, after, limit: 500 });
    entries.push(...page.entries);
    after = page.next;
  } while (after !== undefined);
  return entries;
}

/** The turns of a thread that have a trace, oldest first. */
export async function tracedTurns(journal: ThreadJournal, threadId: string): Promise<number[]> {
  const turns = new Set<number>();
  let after: number | undefined;
  do {
    const page = await journal.read(threadId, { kinds: ['event'], after, limit: 1000 });
    for (const entry of page.entries) if (entry.turn > 0) turns.add(entry.turn);
    after = page.next;
  } while (after !== undefined);
  return [...turns].sort((a, b) => a - b);
}

/**
 * A turn's trace from its journal entries, in the order things happened. A model call is journaled
 * when it ends (after its retries) but shown at its start, so the rows are put in time order: the
 * call, then the retries within it.
 */
export function buildTrace(threadId: string, turn: number, entries: readonly JournalEntry[]): StepTrace {
  const items: TraceItem[] = [];
  const tools = new Map<string, Extract<TraceItem, { kind: 'tool-call' }>>();
  /** Each agent's latest model call: the one whose reply a `message-end` ends. */
  const calls = new Map<string, Extract<TraceItem, { kind: 'model-call' }>>();
  for (const entry of entries) {
    const data = entry.data as { at?: unknown; event?: unknown } | null;
    const event = (data && typeof data === 'object' && 'event' in data ? data.event : data) as Record<string, unknown> | null;
    if (!event || typeof event !== 'object') continue;
    const at = typeof data?.at === 'number' ? data.at : typeof event.at === 'number' ? event.at : Date.parse(entry.at);
    const text = (key: string) => (typeof event[key] === 'string' ? event[key] : '');
    const number = (key: string) => (typeof event[key] === 'number' ? event[key] : 0);
    switch (event.type) {
      case 'turn-start':
        items.push({ kind: 'turn-start', at, agent: text('agent'), turn: number('turn') });
        break;
      case 'model-call': {
        const usage = event.usage as { inputTokens?: number; outputTokens?: number; costUsd?: number } | undefined;
        const startedAt = typeof event.startedAt === 'number' ? event.startedAt : at;
        const call: Extract<TraceItem, { kind: 'model-call' }> = {
          kind: 'model-call',
          at: startedAt,
          agent: text('agent'),
          model: text('model'),
          messages: Array.isArray(event.input) ? event.input.map(toTraceMessage) : [],
          reply: event.output ? toTraceMessage(event.output) : null,
          error: (event.error as { kind: string; message: string } | undefined) ?? null,
          attempts: number('attempts'),
          durationMs: number('durationMs'),
          usage: usage ? { inputTokens: usage.inputTokens ?? 0, outputTokens: usage.outputTokens ?? 0, costUsd: usage.costUsd ?? 0 } : null,
          ...(event.unpriced === true ? { unpriced: true as const } : {}),
        };
        calls.set(call.agent, call);
        items.push(call);
        break;
      }
      case 'message-end': {
        const call = calls.get(text('agent'));
        if (event.truncated === true && call?.reply) call.truncated = true;
        break;
      }
      case 'tool-call': {
        const item = {
          kind: 'tool-call' as const,
          at,
          agent: text('agent'),
          tool: text('tool'),
          toolCallId: text('toolCallId'),
          idempotencyKey: text('idempotencyKey') || `${threadId}:${text('toolCallId')}`,
          args: event.args,
          ok: null,
          result: null,
          durationMs: null,
        };
        tools.set(item.toolCallId, item);
        items.push(item);
        break;
      }
      case 'tool-result': {
        const call = tools.get(text('toolCallId'));
        if (call) Object.assign(call, { ok: event.ok === true, result: text('content'), durationMs: number('durationMs') });
        break;
      }
      case 'handoff-accept':
        items.push({ kind: 'handoff', at, from: text('from'), to: text('to'), handoff: text('kind'), tool: text('tool') || null, payload: event.payload ?? {} });
        break;
      case 'handoff-refuse':
        items.push({ kind: 'handoff-refused', at, from: text('from'), to: text('to') || null, tool: text('tool'), code: text('code'), reason: text('reason') });
        break;
      case 'escalation-start':
        items.push({ kind: 'escalation', at, from: text('from'), to: text('to'), payload: event.payload ?? {} });
        break;
      case 'fallback-start':
        items.push({ kind: 'fallback', at, from: text('from'), to: text('to'), reason: text('reason') });
        break;
      case 'model-fallback':
        items.push({ kind: 'model-fallback', at, agent: text('agent'), from: text('from'), to: text('to'), reason: text('reason') });
        break;
      case 'model-retry':
        items.push({ kind: 'model-retry', at, agent: text('agent'), attempt: number('attempt'), delayMs: number('delayMs'), reason: text('reason') });
        break;
      case 'limit-reach':
        items.push({ kind: 'limit', at, agent: text('agent'), limit: text('limit'), action: text('action'), to: text('to') || null });
        break;
      case 'turn-end':
        items.push({
          kind: 'turn-end',
          at,
          agent: text('agent'),
          status: text('status'),
          error: (event.error as { code: string; message: string } | undefined) ?? null,
          durationMs: number('durationMs'),
        });
        break;
      default:
        if (typeof event.type === 'string' && !FOLDED.has(event.type)) {
          const { type, at: _at, ...fields } = event;
          items.push({ kind: 'other', at, type, fields });
        }
        break;
    }
  }
  return { threadId, turn, items: inTimeOrder(items) };
}

/** The items by time; items of the same time keep their journal order (a sort is stable). */
function inTimeOrder(items: TraceItem[]): TraceItem[] {
  return items.sort((a, b) => a.at - b.at);
}

/** The LangChain class names a serialized message may carry, as roles. */
const ROLES: Readonly<Record<string, string>> = {
  SystemMessage: 'system',
  HumanMessage: 'human',
  AIMessage: 'ai',
  AIMessageChunk: 'ai',
  ToolMessage: 'tool',
  user: 'human',
  assistant: 'ai',
  developer: 'system',
};

/**
 * A message as the journal keeps it, whichever way it was written: `{ role, name, content… }`,
 * LangChain's serialized form (`{ lc, type: 'constructor', id: [… 'SystemMessage'], kwargs }`) or a
 * message's own fields (`{ type: 'system', content… }`).
 */
export function toTraceMessage(value: unknown): TraceMessage {
  let fields = (value ?? {}) as Record<string, unknown>;
  let role = typeof fields.role === 'string' ? fields.role : typeof fields.type === 'string' ? fields.type : '';
  if (fields.lc !== undefined && fields.type === 'constructor' && Array.isArray(fields.id)) {
    role = String(fields.id.at(-1) ?? '');
    fields = (fields.kwargs ?? {}) as Record<string, unknown>;
  } else if (typeof fields._getType === 'function') {
    role = (fields as unknown as { _getType(): string })._getType();
  }
  role = ROLES[role] ?? role;
  const rawCalls = (fields.toolCalls ?? fields.tool_calls) as { id?: string; name: string; args: unknown }[] | undefined;
  const toolCallId = (fields.toolCallId ?? fields.tool_call_id) as string | undefined;
  return {
    role,
    ...(typeof fields.name === 'string' && fields.name !== '' ? { name: fields.name } : {}),
    text: textOfContent(fields.content),
    ...(Array.isArray(rawCalls) && rawCalls.length ? { toolCalls: rawCalls.map((call) => ({ id: call.id, name: call.name, args: call.args })) } : {}),
    ...(typeof toolCallId === 'string' ? { toolCallId } : {}),
  };
}

function textOfContent(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content))
    return content
      .map((block) => (typeof block === 'string' ? block : typeof (block as { text?: unknown }).text === 'string' ? (block as { text: string }).text : ''))
      .join('');
  return '';
}
