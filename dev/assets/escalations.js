// Threads waiting for a person: listed with what the person needs, answered from the page.

/**
 * @typedef {{ threadId: string, agent: string, from: string, reason: string | null, payload: object, message: string, transcript: string, handBackTargets: string[] }} Escalation
 */

export class Escalations {
  /**
   * @param {HTMLElement} list
   * @param {(escalation: Escalation, reply: { reply: string, handBackTo?: string }) => Promise<void>} onAnswer
   */
  constructor(list, onAnswer) {
    this.list = list;
    this.onAnswer = onAnswer;
  }

  async refresh() {
    const response = await fetch('/api/escalations');
    if (!response.ok) return; // no tree yet
    /** @type {Escalation[]} */
    const waiting = await response.json();
    this.list.replaceChildren(...waiting.map((escalation) => this.item(escalation)));
  }

  /** @param {Escalation} escalation */
  item(escalation) {
    const item = document.createElement('li');
    item.dataset.thread = escalation.threadId;
    const title = document.createElement('div');
    title.append(
      Object.assign(document.createElement('strong'), { textContent: escalation.threadId }),
      ` waits for ${escalation.agent} (from ${escalation.from})`,
    );
    const reason = Object.assign(document.createElement('div'), {
      textContent: `Reason: ${escalation.reason ?? '—'} · User said: “${escalation.message}”`,
    });
    const details = document.createElement('details');
    details.append(
      Object.assign(document.createElement('summary'), { textContent: 'Transcript and payload' }),
      Object.assign(document.createElement('pre'), {
        textContent: `${escalation.transcript}\n\n${JSON.stringify(escalation.payload, null, 2)}`,
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
   * @param {Escalation & { type?: string, to?: string }} escalation
   */
  decision(escalation) {
    const form = document.createElement('form');
    const why = Object.assign(document.createElement('input'), { name: 'reason', placeholder: 'Reason (told to the agent when denied)' });
    const decide = (approved) => {
      form.querySelectorAll('button').forEach((button) => (button.disabled = true));
      const body = JSON.stringify(why.value.trim() ? { approved, reason: why.value.trim() } : { approved });
      void fetch(`/api/escalations/${encodeURIComponent(escalation.threadId)}/decision`, { method: 'POST', headers: { 'content-type': 'application/json' }, body }).finally(() => this.refresh());
    };
    const approve = Object.assign(document.createElement('button'), { type: 'button', textContent: `Approve ${escalation.from} → ${escalation.to}` });
    const deny = Object.assign(document.createElement('button'), { type: 'button', textContent: 'Deny' });
    approve.addEventListener('click', () => decide(true));
    deny.addEventListener('click', () => decide(false));
    form.append(why, approve, deny);
    return form;
  }
}
