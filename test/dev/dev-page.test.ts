import { mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { startDevServer } from '../../dev/server.js';
import type { DevServer } from '../../dev/server.js';
import { captureLogs } from '../../testing/capture-logs.js';
import { createExampleTools } from '../../tools/examples.js';
import { examplePath } from '../helpers.js';
import { expectText, openBrowser, sendMessage } from './browser.js';
import type { BrowserSession } from './browser.js';

const ORIGINAL = readFileSync(examplePath('support'), 'utf8');
/** The support tree with a new child of triage, `retention`. */
const WITH_RETENTION = `${ORIGINAL.replace('children: [billing, technical, sales]', 'children: [billing, technical, sales, retention]')}
  retention:
    description: Keeps customers who want to cancel.
    prompt: Understand why the customer wants to cancel and offer what fits.
    offline:
      keywords: [cancel, cancellation, leave]
`;
/** The same tree with a typo: `biling` is not an agent. */
const BROKEN = WITH_RETENTION.replace(
  'children: [billing, technical, sales, retention]',
  'children: [biling, technical, sales, retention]',
);

let dir: string;
let file: string;
let server: DevServer;
let browser: BrowserSession;

/** Saves the way many editors do: write a temporary file, then rename it over the tree. */
function save(text: string): void {
  writeFileSync(`${file}.tmp`, text);
  renameSync(`${file}.tmp`, file);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'switchboard-dev-page-'));
  file = join(dir, 'support.yaml');
  writeFileSync(file, ORIGINAL);
  server = await startDevServer({ file, port: 0, tools: createExampleTools(), model: 'offline', logger: captureLogs('warn').logger });
  browser = await openBrowser();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('the dev page in Chromium', () => {
  it(
    'draws every agent, highlights the handoffs of a conversation, follows saves and shows errors in place',
    { timeout: 120_000 },
    async () => {
      const { page } = browser;
      await page.goto(server.url);

      // The drawing holds every agent of the file, by name.
      const agents = Object.keys((parse(ORIGINAL) as { agents: Record<string, unknown> }).agents);
      for (const agent of agents) await expectText(page.locator(`#drawing svg [data-agent="${agent}"] text`).first(), agent);
      expect(await page.locator('#drawing svg [data-agent]').count()).toBe(agents.length);

      // A message that triage hands to billing: the edge and both agents light up, the payload and state show.
      await send('I was charged twice on my invoice');
      await page.locator('#drawing [data-from="triage"][data-to="billing"].taken').waitFor();
      await page.locator('#drawing [data-agent="billing"].speaking.active').waitFor();
      await page.locator('#drawing [data-agent="triage"].visited').waitFor();
      expect(await page.locator('#drawing .sb-edge.taken').count()).toBe(1);
      await expectText(page.locator('#transcript li.handoff').first(), '↪ triage → billing (delegate, transfer_to_billing)');
      await expectText(page.locator('#transcript li.handoff pre').first(), '"reason":');
      await expectText(page.locator('#state'), '"activeAgent": "billing"');
      await expectText(page.locator('#transcript li.agent[data-agent="billing"] .text').first(), '[offline] billing here');
      await expectText(page.locator('#path'), 'Path: triage → billing');

      // Save the file with a new agent: it appears, with its edge, and the conversation's path stays lit.
      save(WITH_RETENTION);
      await page.locator('#drawing svg [data-agent="retention"]').waitFor();
      await page.locator('#drawing [data-from="triage"][data-to="retention"]').waitFor();
      await page.locator('#drawing [data-from="triage"][data-to="billing"].taken').waitFor();
      await expectText(page.locator('#tree-info'), 'support · version 2');

      // The new tree runs: a fresh conversation reaches the new agent.
      await page.click('#new-thread');
      await page.locator('#drawing .sb-edge.taken').first().waitFor({ state: 'detached' });
      await send('Cancellation please, I am going to leave');
      await page.locator('#drawing [data-from="triage"][data-to="retention"].taken').waitFor();

      // Save a broken file: the error shows with file:line:col, and the last good tree stays drawn.
      save(BROKEN);
      const line = BROKEN.split('\n').findIndex((text) => text.includes('[biling,')) + 1;
      const column = (BROKEN.split('\n')[line - 1] ?? '').indexOf('biling') + 1;
      await expectText(
        page.locator('#issue-list li.error').first(),
        `${file}:${line}:${column} error UNKNOWN_AGENT "biling" is not an agent. Did you mean "billing"?`,
      );
      await expectText(page.locator('#issues-title'), 'Showing the last good tree (version 2); it still runs.');
      await page.locator('#drawing.stale svg [data-agent="retention"]').waitFor();

      // The last good tree still runs while the file is broken.
      await send('Is anyone still there?');
      await expectText(page.locator('#transcript li.agent[data-agent="retention"] .text').last(), 'Is anyone still there?');
      // SWITCHBOARD_SCREENSHOTS=docs/images keeps the page as it is now, for docs/visualisation.md.
      if (process.env.SWITCHBOARD_SCREENSHOTS) await page.screenshot({ path: join(process.env.SWITCHBOARD_SCREENSHOTS, 'dev-page.png') });

      // Fixing the file clears the errors.
      save(WITH_RETENTION.replace('Keeps customers who want to cancel.', 'Keeps customers who want to leave.'));
      await page.locator('#issues').waitFor({ state: 'hidden' });
      await expectText(page.locator('#tree-info'), 'support · version 3');
      expect(await page.locator('#drawing.stale').count()).toBe(0);
    },
  );

  it('lists a thread waiting for a person and delivers the answer, handing back', { timeout: 120_000 }, async () => {
    const { page } = browser;
    await page.click('#new-thread');
    await send('I was charged twice on my invoice');
    await page.locator('#drawing [data-from="triage"][data-to="billing"].taken').waitFor();
    await send('This is unacceptable, I want a real person now');
    await page.locator('#drawing [data-from="escalation_manager"][data-to="human_agent"].taken').waitFor();
    await page.locator('#drawing [data-agent="human_agent"].active').waitFor();
    // Every move of the conversation stays lit, not only the latest turn's.
    await expectText(page.locator('#path'), 'Path: triage → billing · billing → escalation_manager · escalation_manager → human_agent');
    expect(await page.locator('#drawing [data-from="triage"][data-to="billing"].taken').count()).toBe(1);

    const threadId = (await page.locator('#thread-id').textContent()) ?? '';
    const waiting = page.locator(`#waiting li[data-thread="${threadId}"]`);
    await expectText(waiting, `${threadId} waits for human_agent (from escalation_manager)`);
    await waiting.locator('textarea').fill('I refunded the duplicate charge. The manager follows up.');
    await waiting.locator('select').selectOption('escalation_manager');
    await waiting.locator('button').click();

    await page.locator('#drawing [data-from="human_agent"][data-to="escalation_manager"].taken').waitFor();
    await expectText(page.locator('#transcript li.agent[data-agent="human_agent"] .text').last(), 'I refunded the duplicate charge.');
    await expectText(page.locator('#state'), '"activeAgent": "escalation_manager"');
    await expectText(page.locator('#path'), 'Path: triage → billing · billing → escalation_manager · escalation_manager → human_agent · human_agent → escalation_manager');
    await waiting.waitFor({ state: 'detached' });
  });

  it('shows model text as text: markup stays literal, control characters show as escapes', { timeout: 120_000 }, async () => {
    const { page } = browser;
    await page.click('#new-thread');
    // The offline model quotes the user's words in its reply.
    await send('hi <img src=x onerror="document.body.dataset.pwned=1"> \u001b]0;pwned\u0007\u202eevil');
    const reply = page.locator('#transcript li.agent .text').last();
    await expectText(reply, '\\x1b]0;pwned\\x07\\u202eevil');
    const text = (await reply.textContent()) ?? '';
    expect(text).toContain('<img src=x onerror="document.body.dataset.pwned=1">');
    // eslint-disable-next-line no-control-regex -- looking for control characters is the point
    expect(text).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
    expect(await page.locator('#transcript li.agent img').count()).toBe(0);
    expect(await page.evaluate(() => document.body.dataset.pwned)).toBeUndefined();
  });

  it('made no request outside the dev server, and no script error', () => {
    expect(browser.requests.length).toBeGreaterThan(5);
    expect(browser.requests.filter((url) => !url.startsWith(server.url))).toEqual([]);
    expect(browser.errors).toEqual([]);
  });
});

const send = (message: string) => sendMessage(browser.page, message);
