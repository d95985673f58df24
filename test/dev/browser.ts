/**
 * Chromium (Debian's, or see ./chromium.ts) driven by playwright-core: headless, no sandbox, no background networking, a
 * fresh profile for every launch. Every request the page makes is recorded, to prove none leaves
 * the server under test.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import type { BrowserContext, Page } from 'playwright-core';
import { chromiumPath } from './chromium.js';

export interface BrowserSession {
  context: BrowserContext;
  page: Page;
  /** Every URL the page requested. */
  requests: string[];
  /** Uncaught page errors and console errors. */
  errors: string[];
  close(): Promise<void>;
}

export async function openBrowser(): Promise<BrowserSession> {
  const executablePath = chromiumPath();
  const profile = mkdtempSync(join(tmpdir(), 'switchboard-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    viewport: { width: 1400, height: 900 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const requests: string[] = [];
  const errors: string[] = [];
  context.on('request', (request) => requests.push(request.url()));
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  return {
    context,
    page,
    requests,
    errors,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Sends a user message from the dev page's form and waits until its turn has ended (the form is disabled while it streams). */
export async function sendMessage(page: Page, message: string): Promise<void> {
  await page.locator('#send:not([disabled])').waitFor();
  await page.fill('#message', message);
  await page.click('#send');
  await page.locator('#send:not([disabled])').waitFor();
}

/** Waits until the element's text contains `text`. */
export async function expectText(locator: ReturnType<Page['locator']>, text: string): Promise<void> {
  await locator.filter({ hasText: text }).first().waitFor();
}

/** A slow answer: requests held until `release()`, so that the page gets later requests' answers first. */
export interface HeldRequests {
  /** Resolves once a request is held. */
  held: Promise<void>;
  /** Lets the held requests through, and resolves once the page has read their JSON answers (and dropped or shown them). */
  release(): Promise<void>;
}

/** Holds the page's requests whose URL matches `url` until `release()`: their answers arrive out of order. */
export async function holdRequests(page: Page, url: RegExp): Promise<HeldRequests> {
  await trackJsonReads(page);
  const urls: string[] = [];
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  let first!: () => void;
  const held = new Promise<void>((resolve) => (first = resolve));
  await page.route(url, async (route) => {
    urls.push(route.request().url());
    first();
    await gate;
    await route.continue();
  });
  return {
    held,
    release: async () => {
      open();
      await page.waitForFunction((waiting) => waiting.every((one) => (window as unknown as { jsonRead: string[] }).jsonRead.includes(one)), urls);
      await page.unroute(url);
    },
  };
}

/**
 * Records in `window.jsonRead` the URL of every answer the page has read as JSON. The page's own code
 * after `await response.json()` runs before the next check from the test, so once a URL is there the
 * page has done what it does with that answer.
 */
async function trackJsonReads(page: Page): Promise<void> {
  await page.evaluate(() => {
    const tracked = window as unknown as { jsonRead?: string[] };
    if (tracked.jsonRead) return;
    const reads: string[] = (tracked.jsonRead = []);
    const json = Response.prototype.json;
    Response.prototype.json = async function (this: Response): Promise<unknown> {
      const value: unknown = await json.call(this);
      reads.push(this.url);
      return value;
    };
  });
}
