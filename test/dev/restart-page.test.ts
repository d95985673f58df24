/**
 * A dev page left open while `switchboard dev` restarts: the new server's first tree is version 1,
 * like the old one's, and the page must still draw it (the drawing is named by an id unique to the
 * server process, not by the version alone).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startDevServer } from '../../dev/server.js';
import type { DevServer } from '../../dev/server.js';
import { captureLogs } from '../../testing/capture-logs.js';
import { createExampleTools } from '../../tools/examples.js';
import { examplePath } from '../helpers.js';
import { expectText, openBrowser } from './browser.js';
import type { BrowserSession } from './browser.js';

const servers: DevServer[] = [];
let browser: BrowserSession | undefined;

afterAll(async () => {
  await browser?.close();
  await Promise.all(servers.map((server) => server.close()));
});

/** A dev server for a copy of `tree` (so each has its own folder to watch). */
async function serve(tree: string, port: number): Promise<DevServer> {
  const file = join(mkdtempSync(join(tmpdir(), 'switchboard-restart-')), 'tree.yaml');
  writeFileSync(file, readFileSync(tree, 'utf8'));
  const server = await startDevServer({ file, port, tools: createExampleTools(), model: 'offline', logger: captureLogs('warn').logger });
  servers.push(server);
  return server;
}

describe('the dev page across a restart of the server', () => {
  it('draws the new server’s tree, although it is version 1 again', { timeout: 120_000 }, async () => {
    const first = await serve(examplePath('support'), 0);
    browser = await openBrowser();
    const { page } = browser;
    await page.goto(first.url);
    await page.locator('#drawing svg [data-agent="technical"]').waitFor();
    await expectText(page.locator('#tree-info'), 'support · version 1');

    await first.close();
    servers.splice(servers.indexOf(first), 1);
    // The same port, so the open page reconnects to it; another tree, also at version 1.
    await serve(new URL('../../examples/desk.yaml', import.meta.url).pathname, first.port);
    await expectText(page.locator('#tree-info'), 'desk · version 1');
    await page.locator('#drawing svg [data-agent="person"]').waitFor();
    expect(
      await page
        .locator('#drawing svg [data-agent]')
        .evaluateAll((elements) => elements.map((element) => element.getAttribute('data-agent'))),
    ).toEqual(['triage', 'billing', 'person']);
  });
});
