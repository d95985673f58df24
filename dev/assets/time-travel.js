// Time travel: a thread as it was at the end of a turn (its messages and shared-state fields), and a
// fork from there into a new thread, with fields edited, to continue with a different message.
// While a turn is shown, the drawing lights the path as it was at that turn's end.
import { Latest } from './latest.js';
import { CHANGE_HEADERS, threadUrl } from './thread-url.js';
import { visible } from './visible.js';

/** @param {string} tag @param {string} [className] @param {string} [text] */
function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

export class TimeTravel {
  /**
   * @param {{ panel: HTMLElement, title: HTMLElement, body: HTMLElement }} elements
   * @param {{
   *   onForked: (fork: { from: { threadId: string, turn: number }, thread: any }) => void,
   *   onPast: (marks: { path: import('./drawing.js').Hop[], speaking: null, active: string } | null) => void,
   *   onNotKept: (threadId: string, turn: number) => void,
   * }} hooks onPast lights a past turn's path (null: the conversation's again); onNotKept: the store no longer has that turn
   */
  constructor(elements, hooks) {
    this.elements = elements;
    this.hooks = hooks;
    /** @type {{ name: string, type: string, values?: string[] }[]} the tree's fields */
    this.declared = [];
    /** The turn shown is the one clicked last, however the answers arrive. */
    this.requests = new Latest();
  }

  hide() {
    this.requests.cancel();
    this.elements.panel.hidden = true;
    this.hooks.onPast(null);
  }

  /** @param {string} threadId @param {number} turn */
  async show(threadId, turn) {
    const current = this.requests.start();
    this.elements.panel.hidden = false;
    this.elements.panel.dataset.thread = threadId;
    this.elements.panel.dataset.turn = String(turn);
    this.elements.title.textContent = `Turn ${turn} of ${visible(threadId)}`;
    const response = await fetch(threadUrl('thread', threadId, `turns/${turn}`));
    const body = await response.json();
    if (!current()) return;
    if (!response.ok) {
      this.hooks.onPast(null);
      this.elements.body.replaceChildren(element('p', 'error', body.error ?? `HTTP ${response.status}`));
      // Pruned since the thread was opened (a retention of N checkpoints): its marker says so from now on.
      if (String(body.error).startsWith('TURN_NOT_KEPT')) this.hooks.onNotKept(threadId, turn);
      return;
    }
    this.render(body);
  }

  /** @param {{ threadId: string, turn: number, messages: any[], path: any[], state: any }} at */
  render(at) {
    const state = at.state;
    const summary = element(
      'p',
      'at-summary',
      `As it was at the end of turn ${at.turn}: owner ${state.activeAgent}, ${at.messages.length} messages, ${at.path.length} moves of control, status ${state.turn.status}.`,
    );
    const messages = element('ol', 'at-messages');
    for (const message of at.messages) {
      const item = element('li', message.role);
      item.append(element('span', 'who', message.role === 'user' ? 'user' : (message.agent ?? 'agent')), ` ${message.text}`);
      if (message.truncated) item.append(element('span', 'cut', " ✂ cut at its model's maxTokens"));
      messages.append(item);
    }
    const form = element('form', 'fork-form');
    const fields = element('fieldset');
    fields.append(element('legend', '', 'Shared-state fields (edit before forking)'));
    const names = new Set([...this.declared.map((field) => field.name), ...Object.keys(state.fields)]);
    for (const name of names) fields.append(fieldInput(name, state.fields[name], this.declared.find((field) => field.name === name)));
    if (names.size === 0) fields.append(element('p', 'muted', 'This tree declares no fields.'));
    // Any id the server takes (an e-mail address, a phone number…): checked as it checks it, before sending.
    const id = Object.assign(document.createElement('input'), { name: 'newThreadId', placeholder: 'new thread id (optional)' });
    id.addEventListener('input', () => id.setCustomValidity(threadIdProblem(id.value.trim()) ?? ''));
    const button = Object.assign(element('button', 'fork', `Fork from turn ${at.turn}`), { type: 'submit' });
    const status = element('p', 'fork-status');
    form.append(fields, id, button, status);
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      button.disabled = true;
      void this.fork(at, form, status).finally(() => (button.disabled = false));
    });
    this.elements.body.replaceChildren(summary, messages, form);
    this.elements.panel.scrollIntoView({ block: 'nearest' });
    this.hooks.onPast({ path: at.path, speaking: null, active: state.activeAgent });
  }

  /** @param {{ threadId: string, turn: number, state: any }} at @param {HTMLFormElement} form @param {HTMLElement} status */
  async fork(at, form, status) {
    const fields = editedFields(form, at.state.fields);
    if (typeof fields === 'string') {
      status.className = 'fork-status error';
      status.textContent = fields;
      return;
    }
    const newThreadId = /** @type {HTMLInputElement} */ (form.elements.namedItem('newThreadId')).value.trim();
    const problem = threadIdProblem(newThreadId);
    if (problem) {
      status.className = 'fork-status error';
      status.textContent = problem;
      return;
    }
    const response = await fetch(threadUrl('thread', at.threadId, 'fork'), {
      method: 'POST',
      headers: CHANGE_HEADERS,
      body: JSON.stringify({ turn: at.turn, ...(newThreadId ? { newThreadId } : {}), ...(Object.keys(fields).length ? { fields } : {}) }),
    });
    const body = await response.json();
    if (!response.ok) {
      status.className = 'fork-status error';
      status.textContent = body.error ?? `HTTP ${response.status}`;
      return;
    }
    status.className = 'fork-status';
    status.textContent = `Forked into ${visible(body.thread.threadId)}.`;
    this.hooks.onForked(body);
  }
}

/** The most bytes a thread id takes in UTF-8 (runtime/turn.ts, checkId). */
const MAX_ID_BYTES = 1024;

/**
 * Why the server would refuse `id` as a thread id (checkId in runtime/turn.ts), or undefined when it
 * takes it (an empty id: the server picks one).
 * @param {string} id @returns {string | undefined}
 */
export function threadIdProblem(id) {
  if (id === '') return undefined;
  const bytes = new TextEncoder().encode(id).length;
  if (bytes > MAX_ID_BYTES) return `The new thread id takes ${bytes} bytes in UTF-8; at most ${MAX_ID_BYTES} are allowed (1024 ASCII characters, fewer in other scripts).`;
  // eslint-disable-next-line no-control-regex -- finding control characters is the point
  if (/[\u0000-\u001f\u007f-\u009f]/.test(id)) return 'The new thread id contains a control character; ids must be printable text.';
  if (/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(id)) return 'The new thread id is not well-formed text.';
  return undefined;
}

/**
 * The fields changed in the fork form, or why it cannot fork: a number field left empty (cleared, or
 * not a number) would be sent as 0, and a fork can change a field but not unset it.
 * @param {HTMLFormElement} form @param {Record<string, unknown>} before the fields at that turn
 * @returns {Record<string, string | number | boolean> | string}
 */
function editedFields(form, before) {
  /** @type {Record<string, string | number | boolean>} */
  const fields = {};
  for (const input of form.querySelectorAll('[data-field]')) {
    const field = /** @type {HTMLInputElement} */ (input);
    if (field.tagName === 'SELECT' && field.value === '') continue;
    const name = field.dataset.field ?? '';
    if (before[name] === undefined && (field.type === 'checkbox' ? !field.checked : field.value === '')) continue;
    if (field.type === 'number' && (field.value === '' || !Number.isFinite(Number(field.value))))
      return `${name} is empty or not a number: enter a number to fork with (a fork cannot unset a field).`;
    const value = field.type === 'checkbox' ? field.checked : field.type === 'number' ? Number(field.value) : field.value;
    // A text field shows its value made visible (see fieldInput): left as shown, it is unchanged.
    const was = typeof before[name] === 'string' ? visible(before[name]) : before[name];
    if (value !== was) fields[name] = value;
  }
  return fields;
}

/** @param {string} name @param {unknown} value @param {{ type: string, values?: string[] } | undefined} declared */
function fieldInput(name, value, declared) {
  const label = element('label', 'field');
  label.append(element('span', 'name', name));
  const type = declared?.type ?? typeof value;
  label.title = declared ? `${declared.type}${declared.values ? `: ${declared.values.join(', ')}` : ''}` : '';
  if (declared?.values) {
    const select = document.createElement('select');
    select.dataset.field = name;
    select.name = `field-${name}`;
    select.append(new Option('(not set)', ''), ...declared.values.map((option) => new Option(option, option)));
    select.value = typeof value === 'string' ? value : '';
    label.append(select);
    return label;
  }
  const input = document.createElement('input');
  input.dataset.field = name;
  input.name = `field-${name}`;
  if (type === 'boolean') {
    input.type = 'checkbox';
    input.checked = value === true;
  } else if (type === 'number') {
    input.type = 'number';
    input.step = 'any';
    input.value = value === undefined ? '' : String(value);
  } else {
    input.value = visible(String(value ?? ''));
  }
  label.append(input);
  return label;
}
