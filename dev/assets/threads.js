// The threads panel: every thread in the store (the page's, and those of `switchboard run` and
// `chat`), newest first, searchable by id, with its tree, owner, status, turns and last activity.
import { Latest } from './latest.js';
import { visible } from './visible.js';

/**
 * @typedef {{ threadId: string, tree: string | null, owner: string, status: string, waiting: boolean, turns: number, lastActivity: string | null }} ThreadRow
 */

/** Threads asked for at a time: "Show more" asks for the next ones. */
const PAGE = 100;
/** The most the server gives in one answer. */
const MOST = 1000;

export class ThreadsPanel {
  /**
   * @param {{ list: HTMLElement, search: HTMLInputElement, count: HTMLElement, more: HTMLButtonElement }} elements
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
    /** @type {ThreadRow[]} the rows listed */
    this.rows = [];
    /** How many threads the store holds (that match the search). */
    this.total = 0;
    /** The list shown is the newest request's: a slow answer to an older search is dropped. */
    this.requests = new Latest();
    elements.search.addEventListener('input', () => {
      clearTimeout(this.timer);
      // A new search starts again from its first page.
      this.timer = setTimeout(() => void this.refresh(PAGE), 200);
    });
    elements.more.addEventListener('click', () => void this.more());
  }

  /** Lists the newest threads again, as many as are listed now (at least a page). @param {number} [count] */
  async refresh(count = Math.max(PAGE, this.rows.length)) {
    const current = this.requests.start();
    /** @type {ThreadRow[]} */
    const rows = [];
    let total = 0;
    while (rows.length < count) {
      const page = await this.fetchPage(rows.length, Math.min(MOST, count - rows.length));
      if (!current()) return;
      if ('error' in page) return this.showError(page.error);
      rows.push(...page.threads);
      total = page.total;
      if (page.threads.length === 0 || rows.length >= total) break;
    }
    this.show(rows, total);
  }

  /** Lists the next page of threads below those listed. */
  async more() {
    const current = this.requests.start();
    const page = await this.fetchPage(this.rows.length, PAGE);
    if (!current()) return;
    if ('error' in page) return this.showError(page.error);
    // A thread that moved up since the last page came is listed once.
    const listed = new Set(this.rows.map((row) => row.threadId));
    this.show([...this.rows, ...page.threads.filter((row) => !listed.has(row.threadId))], page.total);
  }

  /**
   * One page of the threads that match the search, or the server's reason it cannot give one (a
   * search over 100 characters).
   * @param {number} offset @param {number} limit
   * @returns {Promise<{ threads: ThreadRow[], total: number } | { error: string }>}
   */
  async fetchPage(offset, limit) {
    const query = new URLSearchParams({ offset: String(offset), limit: String(limit) });
    const search = this.elements.search.value.trim();
    if (search) query.set('search', search);
    try {
      const response = await fetch(`/api/threads?${query}`);
      const body = await response.json().catch(() => ({}));
      return response.ok ? body : { error: body.error ?? `HTTP ${response.status}` };
    } catch (error) {
      return { error: `The dev server cannot be reached: ${error}` };
    }
  }

  /** @param {ThreadRow[]} rows @param {number} total */
  show(rows, total) {
    this.rows = rows;
    this.total = total;
    const { list, count, more } = this.elements;
    list.replaceChildren(...rows.map((row) => this.item(row)));
    list.dataset.count = String(rows.length);
    delete list.dataset.error;
    count.className = '';
    const left = total - rows.length;
    count.textContent = left > 0 ? `${rows.length} of ${total} threads` : total > 0 ? `${total} thread${total === 1 ? '' : 's'}` : '';
    more.hidden = left <= 0;
    more.textContent = `Show ${Math.min(PAGE, left)} more`;
  }

  /** Says why the threads cannot be listed; the list no longer matches the search, so it is emptied. @param {string} error */
  showError(error) {
    this.rows = [];
    const { list, count, more } = this.elements;
    list.replaceChildren();
    list.dataset.error = 'true';
    count.className = 'error';
    count.textContent = error;
    more.hidden = true;
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
    const button = Object.assign(document.createElement('button'), { type: 'button', className: 'open-thread', title: `Open ${visible(row.threadId)}` });
    const title = document.createElement('span');
    title.className = 'thread-title';
    title.append(Object.assign(document.createElement('code'), { textContent: visible(row.threadId) }));
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
