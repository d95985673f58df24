// The threads panel: every thread in the store (the page's, and those of `switchboard run` and
// `chat`), newest first, searchable by id, with its tree, owner, status, turns and last activity.
import { Latest } from './latest.js';

/**
 * @typedef {{ threadId: string, tree: string | null, owner: string, status: string, waiting: boolean, turns: number, lastActivity: string | null }} ThreadRow
 */

export class ThreadsPanel {
  /**
   * @param {{ list: HTMLElement, search: HTMLInputElement }} elements
   * @param {(threadId: string) => void} onOpen
   */
  constructor(elements, onOpen) {
    this.elements = elements;
    this.onOpen = onOpen;
    /** @type {string | null} */
    this.selected = null;
    /** @type {string | null} the tree the page runs */
    this.tree = null;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.timer = undefined;
    /** The list shown is the newest request's: a slow answer to an older search is dropped. */
    this.requests = new Latest();
    elements.search.addEventListener('input', () => {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => void this.refresh(), 200);
    });
  }

  async refresh() {
    const current = this.requests.start();
    const search = this.elements.search.value.trim();
    const response = await fetch(`/api/threads${search ? `?search=${encodeURIComponent(search)}` : ''}`);
    if (!response.ok) return;
    /** @type {{ threads: ThreadRow[] }} */
    const body = await response.json();
    if (!current()) return;
    this.elements.list.replaceChildren(...body.threads.map((row) => this.item(row)));
    this.elements.list.dataset.count = String(body.threads.length);
  }

  /** Marks the thread open in the conversation. @param {string | null} threadId */
  select(threadId) {
    this.selected = threadId;
    for (const item of this.elements.list.querySelectorAll('li')) item.classList.toggle('selected', /** @type {HTMLElement} */ (item).dataset.thread === threadId);
  }

  /** @param {ThreadRow} row */
  item(row) {
    const item = document.createElement('li');
    item.dataset.thread = row.threadId;
    item.dataset.status = row.waiting ? 'waiting' : row.status;
    item.classList.toggle('selected', row.threadId === this.selected);
    const button = Object.assign(document.createElement('button'), { type: 'button', className: 'open-thread', title: `Open ${row.threadId}` });
    const title = document.createElement('span');
    title.className = 'thread-title';
    title.append(Object.assign(document.createElement('code'), { textContent: row.threadId }));
    title.append(Object.assign(document.createElement('span'), { className: `status ${row.waiting ? 'waiting' : row.status}`, textContent: row.waiting ? 'waiting for a person' : row.status }));
    const other = row.tree !== null && this.tree !== null && row.tree !== this.tree;
    const facts = Object.assign(document.createElement('span'), {
      className: 'thread-facts',
      textContent: [
        `${row.tree ?? 'tree not recorded'}${other ? ' (another tree)' : ''}`,
        `owner ${row.owner || '—'}`,
        `${row.turns} turn${row.turns === 1 ? '' : 's'}`,
        row.lastActivity ? ago(row.lastActivity) : '',
      ]
        .filter(Boolean)
        .join(' · '),
    });
    if (row.lastActivity) facts.title = new Date(row.lastActivity).toLocaleString();
    button.append(title, facts);
    button.addEventListener('click', () => this.onOpen(row.threadId));
    item.append(button);
    return item;
  }
}

/** "12 s ago", "3 min ago", "5 h ago", or the date. @param {string} iso */
function ago(iso) {
  const seconds = Math.max(0, (Date.now() - Date.parse(iso)) / 1000);
  if (seconds < 60) return `${Math.round(seconds)} s ago`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.round(seconds / 3600)} h ago`;
  return new Date(iso).toLocaleDateString();
}
