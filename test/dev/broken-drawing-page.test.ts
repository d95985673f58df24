/**
 * A drawing the browser cannot read (an SVG that is not well-formed XML, as one holding U+FFFE was):
 * the page says so where the drawing goes, and the rest of it still follows the tree (the threads
 * and the threads waiting for a person are listed).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevServer } from '../../dev/server.js';
import type { DevServer } from '../../dev/server.js';
import type { PageSnapshot } from '../../dev/page-data.js';
import { captureLogs } from '../../testing/capture-logs.js';
import { createExampleTools } from '../../tools/examples.js';
import { examplePath } from '../helpers.js';
import { expectText, openBrowser } from './browser.js';
import type { BrowserSession } from './browser.js';

let server: DevServer;
let browser: BrowserSession;

beforeAll(async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'switchboard-broken-drawing-')), 'support.yaml');
  writeFileSync(file, readFileSync(examplePath('support'), 'utf8'));
  server = await startDevServer({ file, port: 0, tools: createExampleTools(), model: 'offline', logger: captureLogs('warn').logger });
  // A thread that waits for a person: the threads panel and the waiting panel each have a row to show.
  for (const message of ['My invoice is wrong', 'This is unacceptable, I want a real person now']) {
    const response = await fetch(new URL('/api/chat', server.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ threadId: 'waits-1', message }),
    });
    await response.text();
  }
  browser = await openBrowser();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('the dev page with a drawing it cannot read', () => {
  it('says so in place of the drawing and still lists the threads and those waiting', { timeout: 120_000 }, async () => {
    const { page } = browser;
    const snapshot = (await (await fetch(new URL('/api/tree', server.url))).json()) as PageSnapshot;
    const tree = snapshot.tree;
    if (!tree) throw new Error('The tree did not load.');
    // U+FFFE in the text of the first node, as Graphviz wrote it before the drawings spelled it out.
    const unreadable = (svg: string) => svg.replace(/(<text\b[^>]*>)/, '$1\uFFFE');
    const broken: PageSnapshot = {
      ...snapshot,
      tree: { ...tree, svg: unreadable(tree.svg), svgs: { TB: unreadable(tree.svgs.TB), LR: unreadable(tree.svgs.LR) } },
    };
    await page.route('**/api/events', (route) =>
      route.fulfill({
        status: 200,
        headers: { 'content-type': 'text/event-stream' },
        body: `event: tree\ndata: ${JSON.stringify(broken)}\n\n`,
      }),
    );
    await page.goto(server.url);
    await expectText(page.locator('#drawing .drawing-error'), 'The drawing of version 1 cannot be shown: its SVG is not well formed');
    await page.locator('#threads li[data-thread="waits-1"]').waitFor();
    await expectText(page.locator('#waiting'), 'waits-1');
    await expectText(page.locator('#tree-info'), 'support · version 1');
    expect(await page.locator('#drawing svg').count()).toBe(0);
    // No script failed (Chromium's own parse-error element breaks the page's style policy: console noise only).
    expect(browser.errors.filter((error) => error.startsWith('pageerror'))).toEqual([]);
  });
});
