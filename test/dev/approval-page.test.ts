/**
 * A handoff waiting for approval (approval: required), seen and decided on the dev page in Chromium:
 * the conversation says it waits, the queue names the handoff, the threads panel marks the thread
 * as waiting, and a decision shows its outcome in the conversation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevServer } from '../../dev/server.js';
import type { DevServer } from '../../dev/server.js';
import { captureLogs } from '../../testing/capture-logs.js';
import { createExampleTools } from '../../tools/examples.js';
import { expectText, openBrowser, sendMessage } from './browser.js';
import type { BrowserSession } from './browser.js';

/** triage → billing → person, where every handoff into the person waits for approval. */
const TREE = 'test/fixtures/trees/gated-desk.yaml';

let server: DevServer;
let browser: BrowserSession;

beforeAll(async () => {
  server = await startDevServer({ file: TREE, port: 0, tools: createExampleTools(), model: 'offline', logger: captureLogs('warn').logger });
  browser = await openBrowser();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('a handoff waiting for approval on the dev page', () => {
  it('is shown as waiting, and approving it from the page shows what followed', { timeout: 120_000 }, async () => {
    const { page } = browser;
    await page.goto(server.url);
    await page.locator('#drawing svg [data-agent="person"]').waitFor();
    await send('My invoice is wrong');
    await send('I want a person');
    const threadId = (await page.locator('#thread-id').textContent()) ?? '';

    // The conversation says the turn stopped for a decision, and where to take it.
    await expectText(page.locator('#transcript li.handoff'), "billing → person waits for a person's approval");
    // The queue names the handoff to decide, not the agent that asked twice.
    const waiting = page.locator(`#waiting li[data-thread="${threadId}"]`);
    await expectText(waiting, `${threadId} waits for approval of the handoff billing → person`);
    // The threads panel marks it as waiting for a person, as it does an escalation.
    await page.click('#refresh-threads');
    await page.locator(`#threads li[data-thread="${threadId}"][data-status="waiting"]`).waitFor();

    // The decision names the request the page shows: a late one (decided elsewhere first) cannot decide the next.
    const listed = ((await (await fetch(new URL('/api/escalations', server.url))).json()) as { threadId: string; toolCallId: string }[]).find((request) => request.threadId === threadId);
    const posted = page.waitForRequest((request) => new URL(request.url()).pathname === '/api/escalation/decision' && request.method() === 'POST');
    await waiting.locator('button', { hasText: 'Approve' }).click();
    expect((await posted).postDataJSON()).toEqual({ approved: true, toolCallId: listed?.toolCallId });
    // The handoff happened: the conversation shows it, and the person's question now waits.
    await expectText(page.locator('#transcript li.note').last(), 'A person approved the handoff billing → person.');
    await page.locator('#drawing [data-from="billing"][data-to="person"].taken').waitFor();
    await expectText(page.locator('#path'), 'billing → person');
    await expectText(page.locator('#state'), '"activeAgent": "person"');
    await expectText(waiting, `${threadId} waits for person (from billing)`);
  });

  it('says so when the decision is refused (the thread was decided elsewhere)', { timeout: 120_000 }, async () => {
    const { page } = browser;
    await page.click('#new-thread');
    await send('My invoice is wrong');
    await send('I want a person');
    const threadId = (await page.locator('#thread-id').textContent()) ?? '';
    const waiting = page.locator(`#waiting li[data-thread="${threadId}"]`);
    await expectText(waiting, 'waits for approval');
    // Another tab (or `switchboard deny`) decides first.
    const elsewhere = await fetch(new URL(`/api/escalations/${threadId}/decision`, server.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ approved: false, reason: 'decided in another tab' }),
    });
    expect(elsewhere.status).toBe(200);

    await waiting.locator('button', { hasText: 'Approve' }).click();
    await expectText(page.locator('#transcript li.error').last(), 'NOTHING_PENDING');
  });

  it('made no request outside the dev server, and no script error', () => {
    expect(browser.requests.filter((url) => !url.startsWith(server.url))).toEqual([]);
    // Chromium logs every refused request; the one refused decision above is expected.
    expect(browser.errors).toEqual(['console: Failed to load resource: the server responded with a status of 409 (Conflict)']);
  });
});

const send = (message: string) => sendMessage(browser.page, message);
