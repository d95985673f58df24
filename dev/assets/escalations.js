// Threads waiting for a person: listed with what the person needs, answered from the page.
import { Latest } from './latest.js';
import { CHANGE_HEADERS, threadUrl } from './thread-url.js';
import { visible, visibleJson } from './visible.js';

/**
 * @typedef {{ type: 'escalation' | 'approval', threadId: string, agent: string, to: string, from: string, reason: string | null, payload: object, message: string, transcript: string, handBackTargets: string[], toolCallId?: string }} Escalation
 */

export class Escalations {
  /**
   * @param {HTMLElement} list
   * @param {(escalation: Escalation, reply: { reply: string, handBackTo?: string }) => Promise<void>} onAnswer
   * @param {(escalation: Escalation, outcome: { approved: boolean, error?: string }) => Promise<void>} [onDecided] after a decision on an approval was sent
   */
  constructor(list, onAnswer, onDecided = async () => {}) {
    this.list = list;
    this.onAnswer = onAnswer;
    this.onDecided = onDecided;
    /** The queue shown is the newest request's: refreshes overlap (after a turn, a reply, a save). */
    this.requests = new Latest();
  }

  async refresh() {
    const current = this.requests.start();
    const response = await fetch('/api/escalations');
    if (!response.ok) return; // no tree yet
    /** @type {Escalation[]} */
    const waiting = await response.json();
    if (!current()) return;
    this.list.replaceChildren(...waiting.map((escalation) => this.item(escalation)));
  }

  /** @param {Escalation} escalation */
  item(escalation) {
    const item = document.createElement('li');
    item.dataset.thread = escalation.threadId;
    const title = document.createElement('div');
    title.append(
      Object.assign(document.createElement('strong'), { textContent: visible(escalation.threadId) }),
      // An approval waits on the agent that asked to hand off (agent and from are both it): name the handoff.
      escalation.type === 'approval'
        ? ` waits for approval of the handoff ${escalation.from} → ${escalation.to}`
        : ` waits for ${escalation.agent} (from ${escalation.from})`,
    );
    const reason = Object.assign(document.createElement('div'), {
      textContent: `Reason: ${escalation.reason ?? '—'} · User said: “${escalation.message}”`,
    });
    const details = document.createElement('details');
    details.append(
      Object.assign(document.createElement('summary'), { textContent: 'Transcript and payload' }),
      Object.assign(document.createElement('pre'), {
        textContent: `${escalation.transcript}\n\n${visibleJson(escalation.payload)}`,
      }),
    );
    if (escalation.type === 'approval') {
      item.append(title, reason, details, this.decision(escalation));
      return item;
    }
    const form = document.createElement('form');
    const text = Object.assign(document.createElement('textarea'), {
      name: 'reply',
      rows: 2,
      required: true,
      placeholder: `Answer as ${escalation.agent}`,
    });
    const select = Object.assign(document.createElement('select'), { name: 'handBackTo' });
    select.append(
      new Option(`${escalation.agent} keeps the conversation`, ''),
      ...escalation.handBackTargets.map((target) => new Option(`hand back to ${target}`, target)),
    );
    const button = Object.assign(document.createElement('button'), { type: 'submit', textContent: 'Answer' });
    form.append(text, select, button);
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const reply = text.value.trim();
      if (!reply) return;
      button.disabled = true;
      void this.onAnswer(escalation, select.value ? { reply, handBackTo: select.value } : { reply }).finally(() => this.refresh());
    });
    item.append(title, reason, details, form);
    return item;
  }

  /**
   * Approve and deny buttons for a handoff waiting for approval (approval: required in the tree).
   * @param {Escalation} escalation
   */
  decision(escalation) {
    const form = document.createElement('form');
    const why = Object.assign(document.createElement('input'), { name: 'reason', placeholder: 'Reason (told to the agent when denied)' });
    /** @param {boolean} approved */
    const decide = async (approved) => {
      form.querySelectorAll('button').forEach((button) => (button.disabled = true));
      // The request shown is the one decided: if another person decided it first and the thread now
      // waits on another one, the server refuses this decision instead of applying it to that one.
      const named = escalation.toolCallId ? { toolCallId: escalation.toolCallId } : {};
      const body = JSON.stringify(why.value.trim() ? { approved, reason: why.value.trim(), ...named } : { approved, ...named });
      const error = await sendDecision(escalation.threadId, body);
      await this.onDecided(escalation, error === undefined ? { approved } : { approved, error });
      await this.refresh();
    };
    const approve = Object.assign(document.createElement('button'), { type: 'button', textContent: `Approve ${escalation.from} → ${escalation.to}` });
    const deny = Object.assign(document.createElement('button'), { type: 'button', textContent: 'Deny' });
    approve.addEventListener('click', () => void decide(true));
    deny.addEventListener('click', () => void decide(false));
    form.append(why, approve, deny);
    return form;
  }
}

/**
 * Posts a decision; the server's reason when it is refused (decided already elsewhere, another turn
 * running) or cannot be reached, so the page can say so instead of silently dropping it.
 * @param {string} threadId @param {string} body @returns {Promise<string | undefined>}
 */
async function sendDecision(threadId, body) {
  try {
    const response = await fetch(threadUrl('escalation', threadId, 'decision'), { method: 'POST', headers: CHANGE_HEADERS, body });
    if (response.ok) return undefined;
    const answer = await response.json().catch(() => ({}));
    return answer.error ?? `HTTP ${response.status}`;
  } catch (error) {
    return `The dev server cannot be reached: ${error}`;
  }
}
