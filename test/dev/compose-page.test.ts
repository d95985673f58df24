/**
 * The message box of the dev page: Enter sends, but not the Enter that confirms an input method's
 * candidate (Japanese, Chinese, Korean…), which the browser marks as composing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevServer } from '../../dev/server.js';
import type { DevServer } from '../../dev/server.js';
import { captureLogs } from '../../testing/capture-logs.js';
import { createExampleTools } from '../../tools/examples.js';
import { examplePath } from '../helpers.js';
import { openBrowser } from './browser.js';
import type { BrowserSession } from './browser.js';

let server: DevServer;
let browser: BrowserSession;

beforeAll(async () => {
  server = await startDevServer({
    file: examplePath('support'),
    port: 0,
    tools: createExampleTools(),
    model: 'offline',
    logger: captureLogs('warn').logger,
  });
  browser = await openBrowser();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** Presses Enter in the message box as the browser reports it, composing or not. */
function pressEnter(composing: { isComposing: boolean; keyCode: number }) {
  return browser.page.evaluate((init) => {
    const event = new KeyboardEvent('keydown', { key: 'Enter', bubbles: true, cancelable: true, ...init });
    document.getElementById('message')?.dispatchEvent(event);
  }, composing);
}

describe('the message box', () => {
  it('does not send on the Enter that confirms an input method candidate, and sends on a plain Enter', { timeout: 120_000 }, async () => {
    const { page } = browser;
    await page.goto(server.url);
    await page.locator('#drawing svg').waitFor();
    await page.fill('#message', 'にほんご');
    await pressEnter({ isComposing: true, keyCode: 229 });
    // Some browsers mark only the key code (229) on the Enter that ends a composition.
    await pressEnter({ isComposing: false, keyCode: 229 });
    await page.waitForTimeout(300);
    expect(await page.inputValue('#message')).toBe('にほんご');
    expect(await page.locator('#transcript li.user').count()).toBe(0);
    await pressEnter({ isComposing: false, keyCode: 13 });
    await page.locator('#transcript li.user').filter({ hasText: 'にほんご' }).waitFor();
    expect(await page.inputValue('#message')).toBe('');
  });
});
