// The step trace of a turn: model calls (the messages each model received, the tool calls it
// returned, tokens, latency, cost), tool calls (arguments, result, idempotency key, duration),
// handoffs (payloads; refused ones with their reason), fallbacks and limits.
import { Latest } from './latest.js';
import { threadUrl } from './thread-url.js';
import { visible, visibleJson } from './visible.js';

/** @param {string} tag @param {string} [className] @param {string} [text] */
function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** @param {unknown} value */
const json = (value) => visibleJson(value);

/** `1 tool call`, `2 tool calls`: the totals read as `switchboard trace` prints them. @param {number} count @param {string} noun */
const plural = (count, noun) => `${count} ${noun}${count === 1 ? '' : 's'}`;

export class TracePanel {
  /** @param {{ panel: HTMLElement, title: HTMLElement, list: HTMLElement }} elements */
  constructor(elements) {
    this.elements = elements;
    /** The trace shown is of the turn clicked last, however the answers arrive. */
    this.requests = new Latest();
  }

  /** Loads and shows the trace of one turn. @param {string} threadId @param {number} turn */
  async show(threadId, turn) {
    const current = this.requests.start();
    this.elements.panel.hidden = false;
    this.elements.title.textContent = `Step trace · ${visible(threadId)} · turn ${turn}`;
    const response = await fetch(threadUrl('thread', threadId, 'trace', { turn: String(turn) }));
    const body = await response.json();
    if (!current()) return;
    if (!response.ok) {
      this.elements.list.replaceChildren(element('li', 'error', body.error ?? `HTTP ${response.status}`));
      return;
    }
    this.render(body);
  }

  hide() {
    this.requests.cancel();
    this.elements.panel.hidden = true;
  }

  /** @param {{ threadId: string, turn: number, items: any[] }} trace */
  render(trace) {
    this.elements.panel.dataset.thread = trace.threadId;
    this.elements.panel.dataset.turn = String(trace.turn);
    if (trace.items.length === 0) {
      this.elements.list.replaceChildren(element('li', 'empty', 'No step trace was kept for this turn.'));
      return;
    }
    const start = trace.items[0].at;
    const calls = trace.items.filter((item) => item.kind === 'model-call');
    const sum = (/** @type {string} */ key) => calls.reduce((total, call) => total + (call.usage?.[key] ?? 0), 0);
    // Attempts as the turn summary and stats count them; models with no price named, not shown as $0.
    const attempts = calls.reduce((total, call) => total + Math.max(1, call.attempts ?? 1), 0);
    const unpriced = [...new Set(calls.filter((call) => call.unpriced).map((call) => call.model))];
    const totals = element(
      'li',
      'trace-totals',
      `${plural(calls.length, 'model call')}${attempts > calls.length ? ` (${attempts} attempts)` : ''} · ${plural(trace.items.filter((item) => item.kind === 'tool-call').length, 'tool call')} · ${plural(trace.items.filter((item) => item.kind === 'handoff').length, 'handoff')} · ${sum('inputTokens')} in / ${sum('outputTokens')} out tokens · $${sum('costUsd').toFixed(6)}${unpriced.length ? ` (no price for ${unpriced.join(', ')})` : ''}`,
    );
    this.elements.list.replaceChildren(totals, ...trace.items.map((item) => this.item(item, start)));
  }

  /** @param {any} item @param {number} start */
  item(item, start) {
    const row = element('li', `trace-${item.kind}`);
    row.dataset.kind = item.kind;
    row.append(element('span', 'when', `+${Math.max(0, Math.round(item.at - start))} ms`));
    const body = element('div', 'what');
    row.append(body);
    switch (item.kind) {
      case 'turn-start':
        body.append(`Turn ${item.turn} starts with ${item.agent}`);
        break;
      case 'model-call': {
        row.dataset.agent = item.agent;
        const usage = item.usage ? ` · ${item.usage.inputTokens} in / ${item.usage.outputTokens} out tokens · ${item.unpriced ? 'no price' : `$${item.usage.costUsd.toFixed(6)}`}` : '';
        body.append(element('strong', '', `Model call · ${item.agent}`), ` · ${item.model} · ${Math.round(item.durationMs)} ms${usage}${item.attempts > 1 ? ` · ${item.attempts} attempts` : ''}${item.truncated ? ' · reply cut at maxTokens' : ''}`);
        const sent = element('details', 'sent');
        sent.append(element('summary', '', `${item.messages.length} messages sent`));
        const messages = element('ol', 'messages');
        for (const message of item.messages) messages.append(this.message(message));
        sent.append(messages);
        body.append(sent);
        if (item.reply) {
          const reply = element('div', 'reply');
          reply.append(element('span', 'label', 'returned'), this.message(item.reply));
          body.append(reply);
          if (item.truncated) body.append(element('div', 'truncated', "✂ The reply was cut at its model's maxTokens: it is only the start of an answer."));
        }
        if (item.error) body.append(element('div', 'error', `${item.error.kind}: ${item.error.message}`));
        break;
      }
      case 'tool-call':
        body.append(
          element('strong', '', `Tool call · ${item.agent} → ${item.tool}`),
          ` · ${item.ok === null ? 'no result' : item.ok ? 'ok' : 'failed'}${item.durationMs === null ? '' : ` · ${Math.round(item.durationMs)} ms`}`,
          element('div', 'key', `idempotency key ${item.idempotencyKey}`),
          element('pre', 'args', `args ${json(item.args)}`),
        );
        if (item.result !== null) body.append(element('pre', 'result', `result ${item.result}`));
        break;
      case 'handoff':
        body.append(element('strong', '', `Handoff · ${item.from} → ${item.to}`), ` (${item.handoff}${item.tool ? `, ${item.tool}` : ''})`, element('pre', 'payload', json(item.payload)));
        break;
      case 'handoff-refused':
        body.append(element('strong', '', `Refused · ${item.from} → ${item.to ?? '?'}`), ` (${item.tool}, ${item.code})`, element('div', 'reason', item.reason));
        break;
      case 'escalation':
        body.append(element('strong', '', `Escalation · ${item.from} → ${item.to} (a person)`), element('pre', 'payload', json(item.payload)));
        break;
      case 'fallback':
        body.append(element('strong', '', `Fallback · ${item.from} → ${item.to}`), ` (${item.reason})`);
        break;
      case 'model-fallback':
        body.append(element('strong', '', `Model fallback · ${item.agent}`), ` ${item.from} → ${item.to} (${item.reason})`);
        break;
      case 'model-retry':
        body.append(element('strong', '', `Retry · ${item.agent}`), ` attempt ${item.attempt} in ${item.delayMs} ms (${item.reason})`);
        break;
      case 'limit':
        body.append(element('strong', '', `Limit · ${item.agent}`), ` ${item.limit}${item.to ? `; ${item.to} takes over` : `; ${item.action}`}`);
        break;
      case 'turn-end':
        body.append(`Turn ends ${item.status} with ${item.agent} · ${Math.round(item.durationMs)} ms${item.error ? ` · ${item.error.code}: ${item.error.message}` : ''}`);
        break;
      default:
        body.append(element('strong', '', item.type ?? item.kind), element('pre', 'fields', json(item.fields ?? {})));
    }
    return row;
  }

  /** @param {{ role: string, name?: string, text: string, toolCalls?: { id?: string, name: string, args: unknown }[], toolCallId?: string }} message */
  message(message) {
    const item = element('li', `message role-${message.role}`);
    item.dataset.role = message.role;
    item.append(element('span', 'role', message.name ? `${message.role} · ${message.name}` : message.role + (message.toolCallId ? ` · answers ${message.toolCallId}` : '')));
    if (message.text) item.append(element('pre', 'text', message.text));
    for (const call of message.toolCalls ?? []) item.append(element('pre', 'tool-call', `→ ${call.name} ${visible(JSON.stringify(call.args))}`));
    return item;
  }
}
