/**
 * Conversations that change under the page, in Chromium: a reply still streaming when another
 * thread is opened (or a new conversation started) stays in its own thread, and a second tab on a
 * thread shows the turns the first one adds.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startDevServer } from '../../dev/server.js';
import type { DevServer } from '../../dev/server.js';
import { captureLogs } from '../../testing/capture-logs.js';
import { startFakeOpenAI } from '../../testing/fake-openai-server.js';
import type { FakeOpenAIServer } from '../../testing/fake-openai-server.js';
import { expectText, openBrowser, sendMessage } from './browser.js';
import type { BrowserSession } from './browser.js';

const DESK = readFileSync(new URL('../../examples/desk.yaml', import.meta.url), 'utf8');

let openai: FakeOpenAIServer;
let server: DevServer;
let browser: BrowserSession;

beforeAll(async () => {
  openai = await startFakeOpenAI();
  const file = join(mkdtempSync(join(tmpdir(), 'switchboard-thread-switch-')), 'desk.yaml');
  writeFileSync(file, DESK);
  server = await startDevServer({
    file,
    port: 0,
    model: 'auto',
    env: { OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: openai.url },
    logger: captureLogs('warn').logger,
  });
  browser = await openBrowser();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await openai?.close();
});

/** The thread the conversation panel shows. */
const shown = async (page: Page) => (await page.locator('#thread-id').textContent()) ?? '';

/** Starts a new conversation and runs one turn on it; its thread id. */
async function newThread(page: Page, message: string, reply: string): Promise<string> {
  await page.click('#new-thread');
  openai.enqueue({ content: reply });
  await sendMessage(page, message);
  await expectText(page.locator('#transcript li.agent .text').last(), reply);
  return shown(page);
}

/** A reply the model gives only once `release()` is called; `asked` resolves when the model is asked for it. */
function heldReply(content: string): { asked: Promise<void>; release: () => void } {
  let asked!: () => void;
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const wasAsked = new Promise<void>((resolve) => (asked = resolve));
  openai.enqueue(async () => {
    asked();
    await gate;
    return { content };
  });
  return { asked: wasAsked, release };
}

/** How many answers to /api/chat the page has received to their end. */
const chatsEnded = (page: Page) =>
  page.evaluate(() => performance.getEntriesByType('resource').filter((entry) => new URL(entry.name).pathname === '/api/chat').length);

/** Sends `message` on the thread shown; the function returned resolves once the page has received the whole of its stream. */
async function sendHeld(page: Page, message: string): Promise<() => Promise<void>> {
  const before = await chatsEnded(page);
  await page.fill('#message', message);
  await page.click('#send');
  return async () => {
    await page.waitForFunction(
      (count) => performance.getEntriesByType('resource').filter((entry) => new URL(entry.name).pathname === '/api/chat').length > count,
      before,
    );
    // The page reads the last lines of the stream after the network has them.
    await page.waitForTimeout(300);
  };
}

/** The thread's transcript as the server has it. */
async function messagesOf(threadId: string): Promise<{ role: string; text: string }[]> {
  const response = await fetch(new URL(`/api/thread?${new URLSearchParams({ id: threadId })}`, server.url));
  return ((await response.json()) as { messages?: { role: string; text: string }[] }).messages ?? [];
}

describe('a reply streaming when the conversation panel moves on', () => {
  it('stays in its own thread when another thread is opened, which shows it when opened again', { timeout: 120_000 }, async () => {
    const { page } = browser;
    await page.goto(server.url);
    const one = await newThread(page, 'hello one', 'Reply for thread ONE.');
    const two = await newThread(page, 'hello two', 'Reply for thread TWO.');

    const late = heldReply('LATE reply meant for thread TWO.');
    const received = await sendHeld(page, 'second message on two');
    await late.asked;
    await page.locator(`#threads li[data-thread="${one}"] button`).click();
    await page.waitForFunction((id) => document.getElementById('thread-id')?.textContent === id, one);
    // The page can write on the thread now shown while the other turn goes on.
    await page.locator('#send:not([disabled])').waitFor();

    late.release();
    await received();
    expect(await shown(page)).toBe(one);
    const transcript = (await page.locator('#transcript').textContent()) ?? '';
    expect(transcript).toContain('Reply for thread ONE.');
    expect(transcript).not.toContain('LATE reply');
    expect(await page.locator('#transcript li.turn-marker').count()).toBe(1);
    expect(await page.locator('#state').textContent()).toContain('"number": 1');
    // The turn ran to its end on the server, in its own thread.
    expect((await messagesOf(two)).map((message) => message.text)).toContain('LATE reply meant for thread TWO.');
    expect((await messagesOf(one)).map((message) => message.text)).not.toContain('LATE reply meant for thread TWO.');

    // Its marker opens its own thread's trace.
    await page.locator('#transcript li.turn-marker[data-turn="1"] button').click();
    await expectText(page.locator('#trace-title'), `Step trace · ${one} · turn 1`);

    await page.locator(`#threads li[data-thread="${two}"] button`).click();
    await expectText(page.locator('#transcript li.agent .text').last(), 'LATE reply meant for thread TWO.');
    expect(await page.locator('#transcript li.turn-marker').count()).toBe(2);
  });

  it('stays in its own thread when a new conversation is started', { timeout: 120_000 }, async () => {
    const { page } = browser;
    const three = await newThread(page, 'hello three', 'Reply for thread THREE.');
    const late = heldReply('LATE reply meant for thread THREE.');
    const received = await sendHeld(page, 'second message on three');
    await late.asked;
    await page.click('#new-thread');
    const fresh = await shown(page);
    expect(fresh).not.toBe(three);

    late.release();
    await received();
    expect(await shown(page)).toBe(fresh);
    expect(await page.locator('#transcript li').count()).toBe(0);
    expect(await page.locator('#state').textContent()).toBe('No conversation yet.');
    expect((await messagesOf(three)).map((message) => message.text)).toContain('LATE reply meant for thread THREE.');

    // The new conversation goes on as any other.
    openai.enqueue({ content: 'Reply for the fresh thread.' });
    await sendMessage(page, 'hello fresh');
    await expectText(page.locator('#transcript li.agent .text').last(), 'Reply for the fresh thread.');
    expect(await shown(page)).toBe(fresh);
    expect((await messagesOf(fresh)).map((message) => message.text)).toEqual(['hello fresh', 'Reply for the fresh thread.']);
  });
});

describe('two tabs on one thread', () => {
  it('the second shows the turn the first adds, and the first keeps what it shows', { timeout: 120_000 }, async () => {
    const { page, context } = browser;
    const threadId = await newThread(page, 'hello tabs', 'First answer.');
    const second = await context.newPage();
    try {
      second.on('pageerror', (error) => browser.errors.push(`pageerror (second tab): ${error.message}`));
      await second.goto(server.url);
      await second.locator(`#threads li[data-thread="${threadId}"] button`).click();
      await expectText(second.locator('#transcript li.agent .text').last(), 'First answer.');
      await expectText(second.locator(`#threads li[data-thread="${threadId}"] .thread-facts`), '1 turn');

      // The first tab's transcript is its own stream's: a note it wrote stays (it is not read again).
      await page.evaluate(() => document.querySelector('#transcript li')?.setAttribute('data-probe', 'kept'));
      openai.enqueue({ content: 'Second answer.' });
      await sendMessage(page, 'one more question');

      await expectText(second.locator('#transcript li.agent .text').last(), 'Second answer.');
      await second.locator('#transcript li.turn-marker[data-turn="2"]').waitFor();
      await expectText(second.locator('#state'), '"number": 2');
      await expectText(second.locator(`#threads li[data-thread="${threadId}"] .thread-facts`), '2 turns');
      await page.waitForTimeout(300);
      expect(await page.locator('#transcript li[data-probe="kept"]').count()).toBe(1);
      expect(await page.locator('#transcript li.turn-marker').count()).toBe(2);
    } finally {
      await second.close();
    }
  });

  it('made no request outside the dev server, and no script error', () => {
    expect(browser.requests.filter((url) => !url.startsWith(server.url))).toEqual([]);
    expect(browser.errors).toEqual([]);
  });
});
