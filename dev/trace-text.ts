/**
 * A turn's step trace as terminal text (`switchboard trace`): one block per step, times relative to
 * the turn's start, every message a model was sent printed whole under its call. The caller escapes
 * control characters before printing (see control-characters.ts).
 */
import type { StepTrace, TraceItem, TraceMessage } from './step-trace.js';

/** The trace as lines of text (without a final newline). */
export function formatTrace(trace: StepTrace): string {
  const start = trace.items[0]?.at ?? 0;
  const counts = countOf(trace.items);
  const lines = [`Thread ${trace.threadId} · turn ${trace.turn} · ${counts}`];
  for (const item of trace.items) {
    lines.push(`${`+${Math.max(0, Math.round(item.at - start))} ms`.padStart(9)}  ${headline(item)}`);
    for (const detail of details(item)) lines.push(indent(detail, 11));
  }
  return lines.join('\n');
}

function countOf(items: readonly TraceItem[]): string {
  const calls = items.filter((item) => item.kind === 'model-call');
  const tools = items.filter((item) => item.kind === 'tool-call').length;
  const handoffs = items.filter((item) => item.kind === 'handoff').length;
  const tokensIn = calls.reduce((sum, call) => sum + (call.usage?.inputTokens ?? 0), 0);
  const tokensOut = calls.reduce((sum, call) => sum + (call.usage?.outputTokens ?? 0), 0);
  const cost = calls.reduce((sum, call) => sum + (call.usage?.costUsd ?? 0), 0);
  return `${callsOf(calls)} · ${plural(tools, 'tool call')} · ${plural(handoffs, 'handoff')} · ${tokensIn} in / ${tokensOut} out tokens · $${cost.toFixed(6)}${unpricedOf(calls)}`;
}

/**
 * The model calls, and their attempts when retries made more: the turn summary and `switchboard
 * stats` count attempts, so a call retried once is "1 model call (2 attempts)" here, not a
 * figure that disagrees with theirs. A call from a trace without attempts counts as one.
 */
function callsOf(calls: readonly Extract<TraceItem, { kind: 'model-call' }>[]): string {
  const attempts = calls.reduce((sum, call) => sum + Math.max(1, call.attempts), 0);
  return `${plural(calls.length, 'model call')}${attempts > calls.length ? ` (${attempts} attempts)` : ''}`;
}

/** The models whose cost is 0 for want of a price, named beside the total: it leaves them out, never silently. */
function unpricedOf(calls: readonly Extract<TraceItem, { kind: 'model-call' }>[]): string {
  const models = [...new Set(calls.filter((call) => call.unpriced).map((call) => call.model))];
  return models.length ? ` (no price for ${models.join(', ')})` : '';
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

function headline(item: TraceItem): string {
  switch (item.kind) {
    case 'turn-start':
      return `turn ${item.turn} starts with ${item.agent}`;
    case 'model-call': {
      // A model with no price has a cost of 0 for want of one: said as such, not printed as $0.
      const usage = item.usage ? ` · ${item.usage.inputTokens} in / ${item.usage.outputTokens} out tokens · ${item.unpriced ? 'no price' : `$${item.usage.costUsd.toFixed(6)}`}` : '';
      const attempts = item.attempts > 1 ? ` · ${item.attempts} attempts` : '';
      // A reply cut at maxTokens is said to be one, as the live turn says it.
      const cut = item.truncated ? ' · reply cut at maxTokens' : '';
      return `model call  ${item.agent} · ${item.model} · ${Math.round(item.durationMs)} ms${usage}${attempts}${cut}${item.error ? ` · failed (${item.error.kind})` : ''}`;
    }
    case 'tool-call':
      return `tool call   ${item.agent} → ${item.tool} · ${item.ok === null ? 'no result' : item.ok ? 'ok' : 'failed'}${item.durationMs === null ? '' : ` · ${Math.round(item.durationMs)} ms`} · key ${item.idempotencyKey}`;
    case 'handoff':
      return `handoff     ${item.from} → ${item.to} (${item.handoff}${item.tool ? `, ${item.tool}` : ''})`;
    case 'handoff-refused':
      return `refused     ${item.from} → ${item.to ?? '?'} (${item.tool}) ${item.code}`;
    case 'escalation':
      return `escalation  ${item.from} → ${item.to} (a person)`;
    case 'fallback':
      return `fallback    ${item.from} failed (${item.reason}); ${item.to} takes over`;
    case 'model-fallback':
      return `model       ${item.agent}: ${item.from} failed (${item.reason}); ${item.to} answers`;
    case 'model-retry':
      return `retry       ${item.agent}: attempt ${item.attempt} in ${item.delayMs} ms (${item.reason})`;
    case 'limit':
      return `limit       ${item.agent} reached ${item.limit}; ${item.to ? `${item.to} takes over` : item.action}`;
    case 'turn-end':
      return `turn ends   ${item.status} with ${item.agent} · ${Math.round(item.durationMs)} ms${item.error ? ` · ${item.error.code}: ${item.error.message}` : ''}`;
    case 'other':
      return `${item.type.padEnd(11)} ${json(item.fields)}`;
  }
}

function details(item: TraceItem): string[] {
  switch (item.kind) {
    case 'model-call': {
      const sent = item.messages.map((message, index) => `[${index + 1}] ${messageText(message)}`);
      const reply = item.reply ? [`returned: ${messageText(item.reply)}`] : [];
      const error = item.error ? [`error: ${item.error.message}`] : [];
      return [...sent, ...reply, ...error];
    }
    case 'tool-call':
      return [`args: ${json(item.args)}`, ...(item.result === null ? [] : [`result: ${item.result}`])];
    case 'handoff':
    case 'escalation':
      return [`payload: ${json(item.payload)}`];
    case 'handoff-refused':
      return [`reason: ${item.reason}`];
    default:
      return [];
  }
}

function messageText(message: TraceMessage): string {
  const who = message.name ? `${message.role} (${message.name})` : message.role;
  const calls = (message.toolCalls ?? []).map((call) => `\n→ ${call.name} ${json(call.args)}${call.id ? ` [${call.id}]` : ''}`).join('');
  const answers = message.toolCallId ? ` [answers ${message.toolCallId}]` : '';
  return `${who}${answers}: ${message.text}${calls}`;
}

function json(value: unknown): string {
  return JSON.stringify(value ?? null);
}

function indent(text: string, spaces: number): string {
  const pad = ' '.repeat(spaces);
  return text
    .split('\n')
    .map((line) => `${pad}${line}`)
    .join('\n');
}
