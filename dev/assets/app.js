// The dev page: follows the tree over Server-Sent Events, draws it, shows the file's problems, and
// wires the threads, the conversation, its turns (step trace, time travel) and the waiting threads
// to the drawing.
import { Chat } from './chat.js';
import { Drawing } from './drawing.js';
import { Escalations } from './escalations.js';
import { Latest } from './latest.js';
import { ThreadsPanel } from './threads.js';
import { PAGE_ID, threadUrl } from './thread-url.js';
import { TimeTravel } from './time-travel.js';
import { TracePanel } from './trace.js';
import { visible } from './visible.js';

/** @param {string} id */
const byId = (id) => /** @type {HTMLElement} */ (document.getElementById(id));

const drawing = new Drawing(byId('drawing'));
const trace = new TracePanel({ panel: byId('trace-panel'), title: byId('trace-title'), list: byId('trace') });
const threads = new ThreadsPanel(
  {
    list: byId('threads'),
    search: /** @type {HTMLInputElement} */ (byId('thread-search')),
    count: byId('threads-count'),
    more: /** @type {HTMLButtonElement} */ (byId('more-threads')),
  },
  (threadId) => void openThread(threadId),
);
const timeTravel = new TimeTravel(
  { panel: byId('turn-panel'), title: byId('turn-title'), body: byId('turn-body') },
  {
    onForked: (fork) => {
      chat.show(fork.thread);
      chat.note('note', `Forked from ${visible(fork.from.threadId)} at turn ${fork.from.turn}: write a different message to continue.`);
      timeTravel.hide();
      trace.hide();
      void threads.refresh();
      byId('message').focus();
    },
    onPast: (marks) => drawing.showPast(marks),
    onNotKept: (threadId, turn) => chat.notKept(threadId, turn),
  },
);
const chat = new Chat(
  { transcript: byId('transcript'), path: byId('path'), state: byId('state'), threadId: byId('thread-id') },
  (marks) => drawing.mark(marks),
  {
    onTurn: (threadId, turn, kept) => {
      void trace.show(threadId, turn);
      if (kept) void timeTravel.show(threadId, turn);
      else timeTravel.hide();
    },
    onThread: (threadId) => threads.select(threadId),
  },
);
const escalations = new Escalations(
  byId('waiting'),
  async (escalation, reply) => {
    if (chat.threadId !== escalation.threadId) await openThread(escalation.threadId);
    // The drawing follows the turn that now runs, not a past one.
    timeTravel.hide();
    await chat.reply(escalation.threadId, reply);
    // The thread is no longer waiting (or waits again): the panel shows it as it is now.
    void threads.refresh();
  },
  // The decision ran the turn on to its end on the server: show the thread as it is now, as after a reply.
  async (escalation, outcome) => {
    await openThread(escalation.threadId);
    const handoff = `${escalation.from} → ${escalation.to}`;
    if (outcome.error) chat.note('error', outcome.error);
    else chat.note('note', `A person ${outcome.approved ? 'approved' : 'denied'} the handoff ${handoff}.`);
    void threads.refresh();
  },
);

/** The thread opened is the one clicked last, however the answers arrive. */
const opening = new Latest();

/**
 * Opens a thread of the store in the conversation panel: its transcript, state and path on the
 * drawing. When it cannot be read, the conversation says so (the thread shown before stays open).
 * @param {string} threadId
 */
async function openThread(threadId) {
  const current = opening.start();
  let thread;
  try {
    const response = await fetch(threadUrl('thread', threadId));
    thread = await response.json().catch(() => ({}));
    if (!response.ok) thread = { error: thread.error ?? `HTTP ${response.status}` };
  } catch (error) {
    thread = { error: `The dev server cannot be reached: ${error}` };
  }
  if (!current()) return;
  if (thread.error) {
    chat.note('error', `Thread ${visible(threadId)} cannot be opened: ${thread.error}`);
    return;
  }
  trace.hide();
  timeTravel.hide();
  chat.show(thread);
}

/** Of the rereads of the thread shown, the newest one's answer is shown. */
const rereading = new Latest();

/**
 * Shows the thread shown again, as it is now: it changed elsewhere (another tab). Not when the panel
 * has moved on to another thread, or has started a turn of its own since (its stream shows it); the
 * panels of its turns stay open. A thread that cannot be read stays as it is shown.
 */
async function reread() {
  const current = rereading.start();
  const { threadId, view, started } = chat;
  try {
    const response = await fetch(threadUrl('thread', threadId));
    const thread = await response.json();
    const unchanged = chat.view === view && chat.started === started && chat.streaming === 0;
    if (current() && unchanged && response.ok && thread.exists) chat.show(thread);
  } catch {
    // Shown again at the next change, or when opened.
  }
}

/** @param {any} snapshot */
function showSnapshot(snapshot) {
  document.body.dataset.revision = String(snapshot.revision);
  const tree = snapshot.tree;
  byId('tree-info').textContent = tree
    ? `${tree.name} · version ${tree.version} · ${snapshot.file} · ${snapshot.model}`
    : `${snapshot.file} · ${snapshot.model}`;
  drawing.render(tree);
  drawing.setStale(snapshot.broken && tree !== null);
  threads.tree = tree?.name ?? null;
  timeTravel.declared = tree?.fields ?? [];
  const issues = byId('issues');
  const errors = snapshot.issues.filter((/** @type {any} */ issue) => issue.severity === 'error').length;
  issues.hidden = snapshot.issues.length === 0;
  issues.classList.toggle('warnings-only', errors === 0);
  byId('issues-title').textContent = errors
    ? `${snapshot.file} has ${errors} error${errors === 1 ? '' : 's'}. ${tree ? `Showing the last good tree (version ${tree.version}); it still runs.` : 'No good version to show yet.'}`
    : `${snapshot.issues.length} warning${snapshot.issues.length === 1 ? '' : 's'}`;
  byId('issue-list').replaceChildren(
    ...snapshot.issues.map((/** @type {any} */ issue) =>
      Object.assign(document.createElement('li'), { className: issue.severity, textContent: issue.text }),
    ),
  );
  void escalations.refresh();
  void threads.refresh();
}

const events = new EventSource('/api/events');
events.addEventListener('tree', (event) => showSnapshot(JSON.parse(/** @type {MessageEvent} */ (event).data)));
// A thread changed elsewhere (another tab ran a turn, answered, decided or forked): the threads panel
// shows it, and so does the conversation when it is the thread shown. This page's own changes it has
// shown already. (The waiting list is refreshed by its button, and after this page's own changes: a
// decision taken elsewhere is refused with its reason.)
events.addEventListener('thread', (event) => {
  const change = JSON.parse(/** @type {MessageEvent} */ (event).data);
  if (change.page === PAGE_ID) return;
  void threads.refresh();
  if (change.threadId === chat.threadId && chat.streaming === 0) void reread();
});
events.addEventListener('open', () => {
  byId('connection').dataset.state = 'live';
  byId('connection').textContent = 'live';
});
events.addEventListener('error', () => {
  byId('connection').dataset.state = 'reconnecting';
  byId('connection').textContent = 'reconnecting…';
});

const form = /** @type {HTMLFormElement} */ (byId('chat-form'));
const input = /** @type {HTMLTextAreaElement} */ (byId('message'));
const send = /** @type {HTMLButtonElement} */ (byId('send'));
form.addEventListener('submit', (event) => {
  event.preventDefault();
  const message = input.value.trim();
  if (!message || send.disabled) return;
  input.value = '';
  send.disabled = true;
  // The drawing follows the turn that now runs, not a past one.
  timeTravel.hide();
  void chat
    .send(message)
    .then(() => Promise.all([escalations.refresh(), threads.refresh()]))
    .finally(() => {
      send.disabled = false;
      input.focus();
    });
});
input.addEventListener('keydown', (event) => {
  // Enter while an input method composes (Japanese, Chinese, Korean…) confirms a candidate, it does not send;
  // some browsers say so only with keyCode 229.
  if (event.isComposing || event.keyCode === 229) return;
  if (event.key === 'Enter' && !event.shiftKey) {
    event.preventDefault();
    form.requestSubmit();
  }
});
byId('new-thread').addEventListener('click', () => {
  chat.reset();
  trace.hide();
  timeTravel.hide();
});
byId('refresh-waiting').addEventListener('click', () => void escalations.refresh());
byId('refresh-threads').addEventListener('click', () => void threads.refresh());
byId('close-trace').addEventListener('click', () => trace.hide());
byId('close-turn').addEventListener('click', () => timeTravel.hide());
byId('zoom-in').addEventListener('click', () => drawing.zoom(1.25));
byId('zoom-out').addEventListener('click', () => drawing.zoom(0.8));
byId('fit').addEventListener('click', () => drawing.fit());
byId('fit-width').addEventListener('click', () => drawing.fitWidth());
byId('direction').addEventListener('change', (event) =>
  drawing.setDirection(/** @type {'auto' | 'TB' | 'LR'} */ (/** @type {HTMLSelectElement} */ (event.target).value)),
);
