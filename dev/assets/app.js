// The dev page: follows the tree over Server-Sent Events, draws it, shows the file's problems, and
// wires the conversation and the waiting threads to the drawing.
import { Chat } from './chat.js';
import { Drawing } from './drawing.js';
import { Escalations } from './escalations.js';

/** @param {string} id */
const byId = (id) => /** @type {HTMLElement} */ (document.getElementById(id));

const drawing = new Drawing(byId('drawing'));
const chat = new Chat({ transcript: byId('transcript'), path: byId('path'), state: byId('state'), threadId: byId('thread-id') }, (marks) =>
  drawing.mark(marks),
);
const escalations = new Escalations(byId('waiting'), async (escalation, reply) => {
  if (chat.threadId !== escalation.threadId) {
    const response = await fetch(`/api/threads/${encodeURIComponent(escalation.threadId)}`);
    if (response.ok) chat.show(await response.json());
  }
  await chat.reply(escalation.threadId, reply);
});

/** @param {any} snapshot */
function showSnapshot(snapshot) {
  document.body.dataset.revision = String(snapshot.revision);
  const tree = snapshot.tree;
  byId('tree-info').textContent = tree
    ? `${tree.name} · version ${tree.version} · ${snapshot.file} · ${snapshot.model}`
    : `${snapshot.file} · ${snapshot.model}`;
  drawing.render(tree);
  drawing.setStale(snapshot.broken && tree !== null);
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
}

const events = new EventSource('/api/events');
events.addEventListener('tree', (event) => showSnapshot(JSON.parse(/** @type {MessageEvent} */ (event).data)));
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
  void chat
    .send(message)
    .then(() => escalations.refresh())
    .finally(() => {
      send.disabled = false;
      input.focus();
    });
});
input.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && !event.shiftKey) {
    event.preventDefault();
    form.requestSubmit();
  }
});
byId('new-thread').addEventListener('click', () => chat.reset());
byId('refresh-waiting').addEventListener('click', () => void escalations.refresh());
