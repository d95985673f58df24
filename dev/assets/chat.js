// The conversation panel: sends user messages (and people's replies), reads the streamed events,
// writes the transcript and keeps the path of handoffs for the drawing.
import { CHANGE_HEADERS, threadUrl } from './thread-url.js';
import { visible, visibleJson } from './visible.js';

/**
 * @typedef {import('./drawing.js').Hop} Hop
 * @typedef {{ type: string, [key: string]: any }} TurnEvent
 */

/** Reads an NDJSON response line by line. @param {Response} response @param {(value: any) => void} onValue */
export async function readNdjson(response, onValue) {
  if (!response.body) return;
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { done, value } = await reader.read();
    buffer += decoder.decode(value, { stream: !done });
    let index;
    while ((index = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, index).trim();
      buffer = buffer.slice(index + 1);
      if (line) onValue(JSON.parse(line));
    }
    if (done) return;
  }
}

export class Chat {
  /**
   * @param {{ transcript: HTMLElement, path: HTMLElement, state: HTMLElement, threadId: HTMLElement }} elements
   * @param {(marks: { path?: Hop[], speaking?: string | null, active?: string | null }) => void} onMarks
   * @param {{ onTurn?: (threadId: string, turn: number, kept: boolean) => void, onThread?: (threadId: string) => void }} [hooks]
   */
  constructor(elements, onMarks, hooks = {}) {
    this.elements = elements;
    this.onMarks = onMarks;
    this.hooks = hooks;
    /** @type {Hop[]} */
    this.path = [];
    /** @type {Hop[]} the moves of the turns before the one streaming */
    this.settledPath = [];
    /** @type {HTMLElement | null} the agent message being streamed */
    this.bubble = null;
    this.bubbleAgent = '';
    /** @type {string | null} who wrote the last message of the current turn */
    this.lastSpeaker = null;
    /** @type {Set<number>} the turns whose end the store keeps: only they can be revisited (time travel) */
    this.keptTurns = new Set();
    /** Counts the threads shown: a stream writes only into the view it started in. */
    this.view = 0;
    /** @type {Promise<void>} settles when the panel leaves the thread it shows */
    this.left = Promise.resolve();
    /** @type {() => void} */
    this.leave = () => {};
    /** How many of the streams under way write into the thread shown (a turn, a person's reply). */
    this.streaming = 0;
    /** How many streams this page has started: a thread read before the last one started is older than what it shows. */
    this.started = 0;
    this.reset();
  }

  /**
   * The panel shows another thread (or a new one): the replies still streaming are the threads
   * they were sent to, not this one, and are no longer shown (their turns go on on the server, and
   * opening their threads again shows them).
   */
  enter() {
    this.leave();
    this.view += 1;
    this.streaming = 0;
    this.left = new Promise((resolve) => (this.leave = resolve));
    this.bubble = null;
    this.lastSpeaker = null;
  }

  /** Starts a new conversation on a fresh thread. */
  reset() {
    this.enter();
    this.threadId = `dev-${Math.random().toString(36).slice(2, 10)}`;
    this.elements.threadId.textContent = this.threadId;
    this.elements.transcript.replaceChildren();
    this.elements.state.textContent = 'No conversation yet.';
    this.keptTurns = new Set();
    this.setPath([]);
    this.onMarks({ speaking: null, active: null });
    this.hooks.onThread?.(this.threadId);
  }

  /** Shows an existing thread (its transcript, state and path). @param {any} thread */
  show(thread) {
    this.enter();
    this.threadId = thread.threadId;
    this.elements.threadId.textContent = visible(thread.threadId);
    this.elements.transcript.replaceChildren();
    this.keptTurns = new Set(thread.keptTurns ?? []);
    const messages = thread.messages ?? [];
    messages.forEach((/** @type {any} */ message, /** @type {number} */ index) => {
      if (message.role === 'user') this.note('user', message.text);
      else this.agentMessage(message.agent ?? 'agent', message.text);
      this.bubble = null;
      if (message.truncated) this.cutNote(message.agent ?? 'agent');
      const next = messages[index + 1];
      if (!next || next.turn !== message.turn) this.marker(message.turn);
    });
    if (thread.state) this.showState(thread.state);
    // Every move since the thread's first turn (the state's trail holds the latest turn's only).
    this.setPath(thread.path ?? this.path);
    this.hooks.onThread?.(this.threadId);
  }

  /** A turn's end in the transcript: opens its step trace and, if the store keeps it, its state, to fork from. @param {number} turn */
  marker(turn) {
    const item = document.createElement('li');
    item.className = 'turn-marker';
    item.dataset.turn = String(turn);
    const button = Object.assign(document.createElement('button'), { type: 'button' });
    const threadId = this.threadId;
    button.addEventListener('click', () => this.hooks.onTurn?.(threadId, turn, this.keptTurns.has(turn)));
    item.append(button);
    this.labelMarker(item);
    this.elements.transcript.append(item);
  }

  /** The store no longer has the end of `turn` of `threadId` (found when it was asked for). @param {string} threadId @param {number} turn */
  notKept(threadId, turn) {
    if (threadId !== this.threadId) return;
    this.keptTurns.delete(turn);
    const item = this.elements.transcript.querySelector(`li.turn-marker[data-turn="${turn}"]`);
    if (item) this.labelMarker(/** @type {HTMLElement} */ (item));
  }

  /** Offers time travel on a turn marker only when the store keeps that turn's end. @param {HTMLElement} item */
  labelMarker(item) {
    const turn = Number(item.dataset.turn);
    const kept = this.keptTurns.has(turn);
    const button = /** @type {HTMLButtonElement} */ (item.querySelector('button'));
    item.dataset.kept = String(kept);
    button.textContent = kept ? `turn ${turn} · trace · time travel` : `turn ${turn} · trace`;
    button.title = kept ? '' : `The store no longer keeps the end of turn ${turn} (its retention keeps only the newest checkpoints): it cannot be revisited or forked.`;
  }

  /** Sends a user message and streams the turn. @param {string} message */
  async send(message) {
    this.note('user', message);
    await this.stream(
      fetch('/api/chat', {
        method: 'POST',
        headers: CHANGE_HEADERS,
        body: JSON.stringify({ threadId: this.threadId, message, messageId: crypto.randomUUID() }),
      }),
    );
  }

  /** Delivers a person's reply to a waiting thread and streams what follows. @param {string} threadId @param {{ reply: string, handBackTo?: string }} reply */
  async reply(threadId, reply) {
    this.note('note', `A person answers on ${visible(threadId)}${reply.handBackTo ? ` and hands back to ${reply.handBackTo}` : ''}.`);
    await this.stream(
      fetch(threadUrl('escalation', threadId, 'reply'), {
        method: 'POST',
        headers: CHANGE_HEADERS,
        body: JSON.stringify(reply),
      }),
    );
  }

  /**
   * Shows a turn as it streams, in the thread shown when it started. Once the panel shows another
   * thread (or a new one), the rest of the stream is read but not shown, and the promise settles:
   * the page can send on the thread now shown.
   * @param {Promise<Response>} request
   */
  async stream(request) {
    // The moves of earlier turns: this turn's are drawn as they happen, then taken from its result.
    this.settledPath = this.path;
    this.bubble = null;
    this.lastSpeaker = null;
    const view = this.view;
    const left = this.left;
    const here = () => this.view === view;
    let response;
    try {
      response = await request;
    } catch (error) {
      if (here()) this.note('error', `The dev server cannot be reached: ${error}`);
      return;
    }
    if (!response.ok) {
      const body = await response.json().catch(() => ({}));
      if (here()) this.note('error', body.error ?? `HTTP ${response.status}`);
      return;
    }
    this.streaming += 1;
    this.started += 1;
    const reading = readNdjson(response, (line) => {
      if (!here()) return;
      if (line.type === 'event') this.event(line.event);
      else if (line.type === 'result') this.result(line.result);
      else if (line.type === 'error') this.note('error', `${line.error.code}: ${line.error.message}`);
    }).finally(() => {
      if (here()) this.streaming -= 1;
    });
    // A stream that fails after the panel left its thread is not this thread's failure.
    await Promise.race([reading, left]);
  }

  /** @param {TurnEvent} event */
  event(event) {
    switch (event.type) {
      case 'turn-start':
        this.onMarks({ speaking: event.agent });
        break;
      case 'text-delta':
        this.delta(event.agent, event.delta);
        break;
      case 'message-end':
        // The whole, final text, in place of the deltas streamed for it.
        this.agentMessage(event.agent, event.text);
        this.bubble = null;
        this.lastSpeaker = event.agent;
        if (event.truncated) this.cutNote(event.agent);
        break;
      case 'model-retry':
        this.discard(event.agent);
        this.note('note', `↻ ${event.agent}: model retry ${event.attempt} (${event.reason})`);
        break;
      case 'model-fallback':
        this.discard(event.agent);
        this.note('note', `⤳ ${event.agent}: model ${event.from} failed (${event.reason}); trying ${event.to}`);
        break;
      case 'handoff-accept':
        this.bubble = null;
        this.hop({ from: event.from, to: event.to, kind: event.kind });
        this.note('handoff', `↪ ${event.from} → ${event.to} (${event.kind}${event.tool ? `, ${event.tool}` : ''})`, event.payload);
        this.onMarks({ speaking: event.to });
        break;
      case 'handoff-refuse':
        this.note('note', `✕ ${event.from} could not call ${event.tool}: ${event.reason}`);
        break;
      case 'tool-call':
        this.note('note', `⚙ ${event.agent} calls ${event.tool}`, event.args);
        break;
      case 'tool-result':
        this.note('note', `${event.ok ? '✓' : '✕'} ${event.tool}: ${String(event.content).slice(0, 240)}`);
        break;
      case 'fallback-start':
        this.discard(event.from);
        this.hop({ from: event.from, to: event.to, kind: 'fallback' });
        this.note('handoff', `⤳ ${event.from} failed (${event.reason}); ${event.to} takes over`);
        break;
      case 'limit-reach':
        if (event.to) this.hop({ from: event.agent, to: event.to, kind: 'limit' });
        this.note('error', `Limit ${event.limit} reached by ${event.agent}${event.to ? `; ${event.to} takes over` : ''}`);
        break;
      case 'approval-start':
        this.note(
          'handoff',
          `⏸ ${event.from} → ${event.to} waits for a person's approval. Decide under “Waiting for a person”.`,
          event.payload,
        );
        break;
      case 'approval-end':
        this.note(
          'note',
          event.withdrawn
            ? `⤺ The handoff ${event.from} → ${event.to} was withdrawn: the user wrote again before anyone decided.`
            : `${event.approved ? '✓' : '✕'} The handoff ${event.from} → ${event.to} was ${event.approved ? 'approved' : 'denied'}.`,
        );
        break;
      case 'escalation-start':
        this.note('handoff', `☎ ${event.to} (a person) is asked to take over. Answer under “Waiting for a person”.`);
        break;
      case 'turn-end':
        // Text that has not ended as a message by now was never stored.
        if (this.bubble) this.discard(this.bubbleAgent);
        if (event.status === 'error' && event.error) this.note('error', `${event.error.code}: ${event.error.message}`);
        break;
      default:
        break;
    }
  }

  /** @param {any} result */
  result(result) {
    this.showState(result.state);
    const moves = result.state.handoffs.filter((/** @type {any} */ record) => record.turn === result.turn);
    this.setPath([
      ...this.settledPath.filter((hop) => hop.turn !== result.turn),
      ...moves.map((/** @type {any} */ record) => ({ from: record.from, to: record.to, kind: record.kind, turn: record.turn })),
    ]);
    // The turn just ended is the store's newest checkpoint: kept whatever the retention.
    this.keptTurns.add(result.turn);
    this.marker(result.turn);
    this.onMarks({ speaking: this.lastSpeaker ?? result.agent, active: result.state.activeAgent });
  }

  /** @param {any} state */
  showState(state) {
    this.elements.state.textContent = visibleJson({
      activeAgent: state.activeAgent,
      fields: state.fields,
      turn: state.turn,
      handoffs: state.handoffs,
      usage: state.usage,
    });
    this.onMarks({ active: state.activeAgent });
  }

  /** @param {Hop} hop */
  hop(hop) {
    this.setPath([...this.path, hop]);
  }

  /** @param {Hop[]} path */
  setPath(path) {
    this.path = path;
    this.onMarks({ path });
    const hops = path.map((hop) => `${hop.from} → ${hop.to}`);
    this.elements.path.textContent = hops.length ? `Path: ${hops.join(' · ')}` : 'No handoff yet.';
  }

  /** @param {string} agent @param {string} delta */
  delta(agent, delta) {
    if (!this.bubble || this.bubbleAgent !== agent) {
      this.bubble = this.agentMessage(agent, '');
      this.bubbleAgent = agent;
      this.onMarks({ speaking: agent });
    }
    const text = this.bubble.querySelector('.text');
    if (text) text.textContent += delta;
    this.scroll();
  }

  /**
   * Removes the agent's message still streaming: its model call failed part-way (or the agent fell
   * back, or the turn ended) before the message ended, and the thread does not keep its text.
   * @param {string} agent
   */
  discard(agent) {
    if (!this.bubble || this.bubbleAgent !== agent) return;
    this.bubble.remove();
    this.bubble = null;
    this.note('note', `✕ ${agent}'s unfinished text was discarded: the conversation does not keep it.`);
  }

  /** Writes (or completes) an agent's message. @param {string} agent @param {string} text */
  agentMessage(agent, text) {
    if (this.bubble && this.bubbleAgent === agent) {
      const target = this.bubble.querySelector('.text');
      if (target) target.textContent = text;
      return this.bubble;
    }
    const item = document.createElement('li');
    item.className = 'agent';
    item.dataset.agent = agent;
    const who = Object.assign(document.createElement('span'), { className: 'who', textContent: agent });
    item.append(who, Object.assign(document.createElement('span'), { className: 'text', textContent: text }));
    this.elements.transcript.append(item);
    this.scroll();
    return item;
  }

  /** Says that `agent`'s reply, just written, was cut at its model's maxTokens: live, and when the thread is shown again. @param {string} agent */
  cutNote(agent) {
    this.note('note', `✂ ${agent}'s reply was cut at its model's maxTokens: it is only the start of an answer.`);
  }

  /** @param {'user' | 'note' | 'handoff' | 'error'} kind @param {string} text @param {unknown} [details] */
  note(kind, text, details) {
    const item = document.createElement('li');
    item.className = kind;
    item.textContent = text;
    if (details !== undefined && !(typeof details === 'object' && details !== null && Object.keys(details).length === 0)) {
      item.append(Object.assign(document.createElement('pre'), { textContent: visibleJson(details) }));
    }
    this.elements.transcript.append(item);
    this.scroll();
  }

  scroll() {
    this.elements.transcript.scrollTop = this.elements.transcript.scrollHeight;
  }
}
