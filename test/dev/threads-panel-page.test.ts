/**
 * The threads panel in Chromium, on a SQLite store with more threads than one page: every thread is
 * reachable ("Show more", with a count), threads named `.` and `..` open, trace and are answered
 * like any other, a thread that cannot be read says so, and a search the server refuses says why.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevServer } from '../../dev/server.js';
import type { DevServer } from '../../dev/server.js';
import { openCheckpointer } from '../../store/checkpointer.js';
import type { Checkpointer } from '../../store/checkpointer.js';
import { captureLogs } from '../../testing/capture-logs.js';
import { createExampleTools } from '../../tools/examples.js';
import { examplePath } from '../helpers.js';
import { expectText, openBrowser } from './browser.js';
import type { BrowserSession } from './browser.js';
import { writeThreads } from './thread-pages.js';

let store: Checkpointer;
let server: DevServer;
let browser: BrowserSession;

/** Runs a user turn on `threadId` through the API, as another tab would. */
async function chat(threadId: string, message: string): Promise<void> {
  const response = await fetch(new URL('/api/chat', server.url), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ threadId, message }),
  });
  await response.text();
}

beforeAll(async () => {
  store = await openCheckpointer(join(mkdtempSync(join(tmpdir(), 'switchboard-threads-panel-')), 'threads.sqlite'));
  await writeThreads(store.saver, 150);
  server = await startDevServer({
    file: examplePath('support'),
    port: 0,
    tools: createExampleTools({ ledger: store.ledger }),
    model: 'offline',
    checkpointer: store.saver,
    threadLock: store.threadLock,
    logger: captureLogs('warn').logger,
  });
  // Ids a URL path cannot hold: the browser removes `.` and `..` segments. `..` waits for a person.
  await chat('.', 'I was charged twice on my invoice');
  for (const message of ['My invoice is wrong', 'This is unacceptable, I want a real person now']) await chat('..', message);
  browser = await openBrowser();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await store?.close();
});

describe('the threads panel', () => {
  it('lists a page of threads with a count, and shows the rest on asking', { timeout: 120_000 }, async () => {
    const { page } = browser;
    await page.goto(server.url);
    await expectText(page.locator('#threads-count'), '100 of 152 threads');
    expect(await page.locator('#threads li').count()).toBe(100);
    await expectText(page.locator('#more-threads'), 'Show 52 more');
    await page.click('#more-threads');
    await page.locator('#threads li[data-thread="bulk-1"]').waitFor();
    expect(await page.locator('#threads li').count()).toBe(152);
    await expectText(page.locator('#threads-count'), '152 threads');
    expect(await page.locator('#more-threads').isHidden()).toBe(true);
  });

  it('opens threads named . and .., shows their trace, and answers the one waiting for a person', { timeout: 120_000 }, async () => {
    const { page } = browser;
    await page.locator('#threads li[data-thread="."] button').click();
    await expectText(page.locator('#thread-id'), '.');
    await expectText(page.locator('#transcript li.user').first(), 'I was charged twice on my invoice');

    await page.locator('#threads li[data-thread=".."] button').click();
    await expectText(page.locator('#transcript li.user').last(), 'This is unacceptable, I want a real person now');
    expect(await page.locator('#thread-id').textContent()).toBe('..');
    await page.locator('#transcript li.turn-marker[data-turn="2"] button').click();
    await expectText(page.locator('#trace-title'), 'Step trace · .. · turn 2');
    await page.locator('#trace li').first().waitFor();
    expect(await page.locator('#trace li.error').count()).toBe(0);
    await expectText(page.locator('#turn-title'), 'Turn 2 of ..');
    expect(await page.locator('#turn-body .error').count()).toBe(0);

    const waiting = page.locator('#waiting li[data-thread=".."]');
    await waiting.locator('textarea').fill('A person here: I have refunded it.');
    await waiting.locator('button').click();
    await expectText(page.locator('#transcript li.agent[data-agent="human_agent"] .text').last(), 'A person here: I have refunded it.');
    await waiting.waitFor({ state: 'detached' });
  });

  it('says when a thread cannot be opened, instead of keeping the last one as if it were open', { timeout: 120_000 }, async () => {
    const { page } = browser;
    await page.route(
      (url) => url.pathname === '/api/thread' && url.searchParams.get('id') === 'bulk-7',
      (route) =>
        route.fulfill({ status: 500, contentType: 'application/json', body: JSON.stringify({ error: 'the store is unreachable' }) }),
    );
    await page.locator('#threads li[data-thread="bulk-7"] button').click();
    await expectText(page.locator('#transcript li.error').last(), 'Thread bulk-7 cannot be opened: the store is unreachable');
    expect(await page.locator('#thread-id').textContent()).toBe('..');
  });

  it('says why a search is refused (over 100 characters) instead of keeping the old list', { timeout: 120_000 }, async () => {
    const { page } = browser;
    await page.fill('#thread-search', 'x'.repeat(101));
    await expectText(page.locator('#threads-count.error'), 'search must be at most 100 characters.');
    expect(await page.locator('#threads li').count()).toBe(0);
    await page.fill('#thread-search', 'bulk-15');
    await page.locator('#threads li[data-thread="bulk-150"]').waitFor();
    await expectText(page.locator('#threads-count'), '2 threads');
  });

  it('serves a thread by the id in the query, which a browser never rewrites (the page asks this way)', async () => {
    const read = await fetch(new URL(`/api/thread?${new URLSearchParams({ id: '..' })}`, server.url));
    expect(read.status).toBe(200);
    expect(await read.json()).toMatchObject({ threadId: '..', exists: true });
    const trace = await fetch(new URL(`/api/thread/trace?${new URLSearchParams({ id: '.', turn: '1' })}`, server.url));
    expect(await trace.json()).toMatchObject({ threadId: '.', turn: 1 });
    const missing = await fetch(new URL('/api/thread/trace', server.url));
    expect({ status: missing.status, body: await missing.json() }).toEqual({
      status: 400,
      body: { error: '/api/thread/trace needs the thread id in the query: ?id=<thread id>.' },
    });
  });
});
