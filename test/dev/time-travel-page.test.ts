/**
 * Time travel on the dev page, in Chromium: the drawing lights the path as it was at the turn shown;
 * a turn whose checkpoint the store no longer keeps is not offered; answers that arrive out of order
 * (a slow search, turns clicked quickly) never replace a newer one; a cleared number field does not
 * fork with 0.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevServer } from '../../dev/server.js';
import type { DevServer } from '../../dev/server.js';
import { captureLogs } from '../../testing/capture-logs.js';
import { createExampleTools } from '../../tools/examples.js';
import { examplePath } from '../helpers.js';
import { expectText, holdRequests, openBrowser, sendMessage } from './browser.js';
import type { BrowserSession } from './browser.js';

/** The support tree with a number field, `credit`, that has a value from the first turn. */
const TREE = readFileSync(examplePath('support'), 'utf8').replace('\nstate:\n', '\nstate:\n  credit: { type: number, default: 5, description: Store credit offered. }\n');

let server: DevServer;
/** The same tree on a store that keeps only the newest checkpoint of a thread (`--retention 1`). */
let pruning: DevServer;
let browser: BrowserSession;

beforeAll(async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'switchboard-time-travel-')), 'support.yaml');
  writeFileSync(file, TREE);
  const options = { file, port: 0, tools: createExampleTools(), model: 'offline' as const, logger: captureLogs('warn').logger };
  server = await startDevServer(options);
  pruning = await startDevServer({ ...options, retention: 1 });
  browser = await openBrowser();
});

afterAll(async () => {
  await browser?.close();
  await pruning?.close();
  await server?.close();
});

/** The drawing's edge from → to, lit as taken. */
const taken = (from: string, to: string) => browser.page.locator(`#drawing [data-from="${from}"][data-to="${to}"].taken`);
const marker = (turn: number) => browser.page.locator(`#transcript li.turn-marker[data-turn="${turn}"]`);

describe('time travel on the dev page', () => {
  it("lights the path as it was at the turn shown, and the conversation's again when closed", { timeout: 120_000 }, async () => {
    const { page } = browser;
    await page.goto(server.url);
    await sendMessage(page, 'I was charged twice on my invoice');
    await sendMessage(page, 'Also the app crashes when I open settings');
    await taken('triage', 'technical').waitFor();

    await marker(1).locator('button').click();
    await expectText(page.locator('#turn-panel .at-summary'), 'end of turn 1');
    // Drawn with the turn's summary: turn 1 went to billing only.
    expect(await taken('triage', 'billing').count()).toBe(1);
    expect(await taken('triage', 'technical').count()).toBe(0);
    expect(await page.locator('#drawing.past').count()).toBe(1);

    await page.click('#close-turn');
    await taken('triage', 'technical').waitFor();
    expect(await page.locator('#drawing.past').count()).toBe(0);
  });

  it('shows the turn clicked last when the answer for the one clicked before arrives after it', { timeout: 120_000 }, async () => {
    const { page } = browser;
    const slow = await holdRequests(page, /\/api\/thread\/(turns\/1\?id=[^&]*|trace\?id=[^&]*&turn=1)$/);
    await marker(1).locator('button').click();
    await slow.held;
    await marker(2).locator('button').click();
    await expectText(page.locator('#turn-panel .at-summary'), 'end of turn 2');
    await page.locator('#trace-panel[data-turn="2"]').waitFor();

    // Once released, the page has read turn 1's answers: they changed nothing.
    await slow.release();
    expect(await page.locator('#turn-title').textContent()).toMatch(/^Turn 2 of /);
    expect(await page.locator('#turn-panel .at-summary').textContent()).toContain('end of turn 2');
    expect(await page.locator('#trace-panel').getAttribute('data-turn')).toBe('2');
    expect(await taken('triage', 'technical').count()).toBe(1);
  });

  it('refuses to fork with a number field left empty, instead of sending 0; forks with a number', { timeout: 120_000 }, async () => {
    const { page } = browser;
    const threadId = (await page.locator('#thread-id').textContent()) ?? '';
    await marker(1).locator('button').click();
    await expectText(page.locator('#turn-panel .at-summary'), 'end of turn 1');
    const credit = page.locator('#turn-panel input[data-field="credit"]');
    expect(await credit.inputValue()).toBe('5');
    await credit.fill('');
    await page.locator('#turn-panel button.fork').click();
    await expectText(page.locator('#turn-panel .fork-status.error'), 'credit is empty or not a number');
    expect(browser.requests.filter((url) => new URL(url).pathname.endsWith('/fork'))).toEqual([]);
    expect(await page.locator('#thread-id').textContent()).toBe(threadId);

    // A number forks, and the drawing follows the fork again.
    await credit.fill('7');
    await page.locator('#turn-panel button.fork').click();
    await expectText(page.locator('#thread-id'), `${threadId}-fork-`);
    await expectText(page.locator('#state'), '"credit": 7');
    expect(await page.locator('#drawing.past').count()).toBe(0);
  });

  it('lists the thread searched for last when the answer to an earlier search arrives after it', { timeout: 120_000 }, async () => {
    const { page } = browser;
    for (const threadId of ['apple-1', 'banana-1'])
      await fetch(new URL('/api/chat', server.url), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ threadId, message: 'Hello' }) }).then((response) => response.text());
    const slow = await holdRequests(page, /\/api\/threads\?.*search=apple$/);
    await page.fill('#thread-search', 'apple');
    await slow.held;
    await page.fill('#thread-search', 'banana');
    await page.locator('#threads[data-count="1"] li[data-thread="banana-1"]').waitFor();

    await slow.release();
    expect(await page.locator('#threads li').evaluateAll((items) => items.map((item) => (item as HTMLElement).dataset.thread))).toEqual(['banana-1']);
  });

  it("does not offer time travel on a turn whose checkpoint the store no longer keeps, and says so when one is pruned after it was shown", { timeout: 120_000 }, async () => {
    const { page } = browser;
    await page.goto(pruning.url);
    await sendMessage(page, 'I was charged twice on my invoice');
    await sendMessage(page, 'And can I get a refund for it?');
    const threadId = (await page.locator('#thread-id').textContent()) ?? '';

    // Opened from the threads panel: the store keeps turn 2 only.
    await page.click('#new-thread');
    await page.locator(`#threads li[data-thread="${threadId}"] button`).click();
    await marker(2).waitFor();
    expect(await marker(1).locator('button').textContent()).toBe('turn 1 · trace');
    expect(await marker(2).locator('button').textContent()).toBe('turn 2 · trace · time travel');
    await marker(1).locator('button').click();
    await expectText(page.locator('#trace-title'), 'turn 1');
    expect(await page.locator('#turn-panel').isHidden()).toBe(true);

    // Turn 3 prunes turn 2, which the page still offers: asked for, the server refuses and the marker says so.
    await sendMessage(page, 'Thanks, that is all');
    await marker(2).locator('button').click();
    await expectText(page.locator('#turn-panel .error'), 'TURN_NOT_KEPT');
    await page.locator('#transcript li.turn-marker[data-turn="2"][data-kept="false"]').waitFor();
    expect(await marker(2).locator('button').textContent()).toBe('turn 2 · trace');
  });

  it('made no request outside the dev servers, and no script error', () => {
    expect(browser.requests.filter((url) => !url.startsWith(server.url) && !url.startsWith(pruning.url))).toEqual([]);
    // Chromium logs every refused request; the turn pruned above is expected.
    expect(browser.errors).toEqual(['console: Failed to load resource: the server responded with a status of 404 (Not Found)']);
  });
});
