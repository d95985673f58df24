/**
 * Thread ids as the command line takes them, on the dev page in Chromium: an id with a bidi control
 * (which checkId accepts) travels as it is, so the page opens, traces, continues, answers, approves
 * and forks that thread, while every place it is shown makes the control visible; a fork may be
 * named by any id the server takes (an e-mail address), and one it refuses is refused on the page.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevServer } from '../../dev/server.js';
import type { DevServer } from '../../dev/server.js';
import { captureLogs } from '../../testing/capture-logs.js';
import { createExampleTools } from '../../tools/examples.js';
import { examplePath } from '../helpers.js';
import { expectText, openBrowser, sendMessage } from './browser.js';
import type { BrowserSession } from './browser.js';

/** Waits for a person after its second turn. */
const WAITING = 'bidi\u202eid';
/** Continued and forked from the page. */
const TALK = 'talk\u2066x\u2069';
/** Waits for an approval (gated desk). */
const GATED = 'gate\u202dd';
// eslint-disable-next-line no-control-regex -- looking for control characters is the point
const CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

let server: DevServer;
let gated: DevServer;
let browser: BrowserSession;

/** Runs a user turn through the API, as the command line (or another tab) would. */
async function chat(on: DevServer, threadId: string, message: string): Promise<void> {
  const response = await fetch(new URL('/api/chat', on.url), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ threadId, message }),
  });
  await response.text();
}

/** What the tests read of the server's answers. */
interface Thread {
  threadId: string;
  exists: boolean;
  messages?: { text: string }[];
  state?: { threadId: string; activeAgent: string };
}

async function getJson<TBody = Thread>(on: DevServer, path: string, query: Record<string, string> = {}): Promise<{ status: number; body: TBody }> {
  const response = await fetch(new URL(`${path}?${new URLSearchParams(query)}`, on.url));
  return { status: response.status, body: (await response.json()) as TBody };
}

const texts = (thread: Thread) => (thread.messages ?? []).map((message) => message.text);

beforeAll(async () => {
  const logger = captureLogs('warn').logger;
  server = await startDevServer({ file: examplePath('support'), port: 0, tools: createExampleTools(), model: 'offline', logger });
  gated = await startDevServer({ file: 'test/fixtures/trees/gated-desk.yaml', port: 0, tools: createExampleTools(), model: 'offline', logger });
  for (const message of ['My invoice is wrong', 'This is unacceptable, I want a real person now']) await chat(server, WAITING, message);
  await chat(server, TALK, 'I was charged twice on my invoice \u202eevil');
  for (const message of ['My invoice is wrong', 'I want a person']) await chat(gated, GATED, message);
  browser = await openBrowser();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await gated?.close();
});

describe('a thread id with a bidi control', () => {
  it('is sent as it is (thread text is still made visible)', async () => {
    const list = await getJson<{ threads: { threadId: string }[] }>(server, '/api/threads');
    expect(list.body.threads.map((row) => row.threadId)).toEqual(expect.arrayContaining([WAITING, TALK]));
    const waiting = await getJson<{ threadId: string }[]>(server, '/api/escalations');
    expect(waiting.body.map((escalation) => escalation.threadId)).toEqual([WAITING]);
    const thread = await getJson(server, '/api/thread', { id: TALK });
    expect(thread.body).toMatchObject({ threadId: TALK, exists: true, state: { threadId: TALK } });
    expect(texts(thread.body)[0]).toBe('I was charged twice on my invoice \\u202eevil');
  });

  it('is listed, opened and traced from the page, shown with the control made visible', { timeout: 120_000 }, async () => {
    const { page } = browser;
    await page.goto(server.url);
    const row = page.locator(`#threads li[data-thread="${TALK}"]`);
    expect(await row.locator('code').textContent()).toBe('talk\\u2066x\\u2069');
    await row.locator('button').click();
    await expectText(page.locator('#transcript li.user').first(), 'I was charged twice on my invoice \\u202eevil');
    expect(await page.locator('#thread-id').textContent()).toBe('talk\\u2066x\\u2069');
    expect(await page.locator('#threads li.selected').getAttribute('data-thread')).toBe(TALK);

    await page.locator('#transcript li.turn-marker[data-turn="1"] button').click();
    await expectText(page.locator('#trace-title'), 'Step trace · talk\\u2066x\\u2069 · turn 1');
    await page.locator('#trace li.trace-model-call').first().waitFor();
    expect(await page.locator('#trace li.error').count()).toBe(0);
    await expectText(page.locator('#turn-title'), 'Turn 1 of talk\\u2066x\\u2069');
    await page.locator('#turn-panel .fork-form').waitFor();
    expect(await page.locator('#turn-body .error').count()).toBe(0);
  });

  it('goes on with the next message, in the same thread', { timeout: 120_000 }, async () => {
    const { page } = browser;
    await sendMessage(page, 'Also the app crashes when I open settings');
    await page.locator('#transcript li.turn-marker[data-turn="2"]').waitFor();
    expect(await page.locator('#transcript li.error').count()).toBe(0);
    expect(texts((await getJson(server, '/api/thread', { id: TALK })).body)).toContain('Also the app crashes when I open settings');
    // No thread was made under the id as it is shown.
    expect((await getJson(server, '/api/thread', { id: 'talk\\u2066x\\u2069' })).body.exists).toBe(false);
  });

  it('is forked from the page, into a new id that holds a bidi control too', { timeout: 120_000 }, async () => {
    const { page } = browser;
    await page.locator('#transcript li.turn-marker[data-turn="1"] button').click();
    await page.locator('#turn-panel .fork-form').waitFor();
    await page.fill('#turn-panel input[name="newThreadId"]', 'fork\u202ax');
    await page.locator('#turn-panel button.fork').click();
    await expectText(page.locator('#thread-id'), 'fork\\u202ax');
    await expectText(page.locator('#transcript li.note').last(), 'Forked from talk\\u2066x\\u2069 at turn 1');
    const fork = await getJson(server, '/api/thread', { id: 'fork\u202ax' });
    expect(fork.body.exists).toBe(true);
    expect(texts(fork.body)).toContain('I was charged twice on my invoice \\u202eevil');
  });

  it('is answered from the waiting list', { timeout: 120_000 }, async () => {
    const { page } = browser;
    const waiting = page.locator(`#waiting li[data-thread="${WAITING}"]`);
    await expectText(waiting.locator('strong'), 'bidi\\u202eid');
    await waiting.locator('textarea').fill('A person here: I have refunded it.');
    await waiting.locator('button').click();
    await expectText(page.locator('#transcript li.agent[data-agent="human_agent"] .text').last(), 'A person here: I have refunded it.');
    expect(await page.locator('#thread-id').textContent()).toBe('bidi\\u202eid');
    await waiting.waitFor({ state: 'detached' });
    expect(texts((await getJson(server, '/api/thread', { id: WAITING })).body)).toContain('A person here: I have refunded it.');
    expect((await getJson(server, '/api/escalations')).body).toEqual([]);
  });

  it('shows no control character anywhere on the page', async () => {
    const text = await browser.page.evaluate(() => document.body.innerText + Array.from(document.querySelectorAll('[title]')).map((node) => node.getAttribute('title')).join(' '));
    expect(text).not.toMatch(CONTROLS);
  });

  it('is approved from the waiting list', { timeout: 120_000 }, async () => {
    const { page } = browser;
    await page.goto(gated.url);
    const waiting = page.locator(`#waiting li[data-thread="${GATED}"]`);
    await expectText(waiting, 'gate\\u202dd waits for approval of the handoff billing → person');
    await waiting.locator('button', { hasText: 'Approve' }).click();
    await expectText(page.locator('#transcript li.note').last(), 'A person approved the handoff billing → person.');
    expect(await page.locator('#thread-id').textContent()).toBe('gate\\u202dd');
    expect((await getJson(gated, '/api/thread', { id: GATED })).body.state?.activeAgent).toBe('person');
    expect(await page.locator('#transcript li.error').count()).toBe(0);
  });
});

describe('the id of a fork', () => {
  it('may be any id the server takes, and one it refuses is refused on the page with the reason', { timeout: 120_000 }, async () => {
    const { page } = browser;
    await page.goto(server.url);
    await page.locator(`#threads li[data-thread="${TALK}"] button`).click();
    await page.locator('#transcript li.turn-marker[data-turn="1"] button').click();
    const id = page.locator('#turn-panel input[name="newThreadId"]');
    await id.waitFor();

    await id.fill('é'.repeat(513));
    expect(await id.evaluate((input: HTMLInputElement) => input.validationMessage)).toContain('1026 bytes in UTF-8; at most 1024');

    await id.fill('customer+1@example.com');
    expect(await id.evaluate((input: HTMLInputElement) => input.validity.valid)).toBe(true);
    await page.locator('#turn-panel button.fork').click();
    await expectText(page.locator('#thread-id'), 'customer+1@example.com');
    expect((await getJson(server, '/api/thread', { id: 'customer+1@example.com' })).body.exists).toBe(true);
  });

  it('made no request outside the dev server, and no script error', () => {
    expect(browser.requests.filter((url) => !url.startsWith(server.url) && !url.startsWith(gated.url))).toEqual([]);
    expect(browser.errors).toEqual([]);
  });
});
