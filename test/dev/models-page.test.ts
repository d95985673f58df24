/**
 * The dev page in Chromium says which model each agent runs: the header names the providers and
 * their agents (here under `online`, on a tree that mixes providers), each agent's node carries its
 * model in its tooltip, and a save that moves an agent to another provider changes both.
 */
import { mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevServer } from '../../dev/server.js';
import type { DevServer } from '../../dev/server.js';
import { captureLogs } from '../../testing/capture-logs.js';
import { createExampleTools } from '../../tools/examples.js';
import { openBrowser } from './browser.js';
import type { BrowserSession } from './browser.js';
import { BOTH_KEYS, MIXED } from './mixed-tree.js';

let file: string;
let server: DevServer;
let browser: BrowserSession;

beforeAll(async () => {
  file = join(mkdtempSync(join(tmpdir(), 'switchboard-models-page-')), 'mixed.yaml');
  writeFileSync(file, MIXED);
  server = await startDevServer({ file, port: 0, tools: createExampleTools(), model: 'online', env: BOTH_KEYS, logger: captureLogs('warn').logger });
  browser = await openBrowser();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('the dev page model label in Chromium', () => {
  it('names each agent model in the header and on its node, and follows a save', { timeout: 120_000 }, async () => {
    const { page } = browser;
    await page.goto(server.url);
    const header = page.locator('#tree-info');
    await header.filter({ hasText: 'mixed · version 1' }).waitFor();
    expect(await header.textContent()).toBe(`mixed · version 1 · ${file} · Anthropic: triage; OpenAI at https://api.groq.com/openai/v1: billing`);

    const billing = page.locator('#drawing svg [data-agent="billing"]');
    await billing.waitFor();
    expect(await billing.getAttribute('data-model')).toBe('OpenAI llama-3.3-70b at https://api.groq.com/openai/v1');
    expect(await billing.locator('a').first().getAttribute('xlink:title')).toBe(
      'billing: Charges, refunds and invoices.\nModel: OpenAI llama-3.3-70b at https://api.groq.com/openai/v1',
    );
    expect(await page.locator('#drawing svg [data-agent="triage"]').getAttribute('data-model')).toBe('Anthropic claude-haiku-4-5');
    // A person runs no model.
    expect(await page.locator('#drawing svg [data-agent="person"]').getAttribute('data-model')).toBeNull();

    // Billing moves to Anthropic: one provider for every agent now.
    writeFileSync(`${file}.tmp`, MIXED.replace('model: groq', 'model: claude'));
    renameSync(`${file}.tmp`, file);
    await header.filter({ hasText: 'mixed · version 2' }).waitFor();
    expect(await header.textContent()).toBe(`mixed · version 2 · ${file} · Anthropic`);
    expect(await page.locator('#drawing svg[data-version="2"] [data-agent="billing"]').getAttribute('data-model')).toBe('Anthropic claude-haiku-4-5');
  });

  it('made no request outside the dev server, and no script error', () => {
    expect(browser.requests.filter((url) => !url.startsWith(server.url))).toEqual([]);
    expect(browser.errors).toEqual([]);
  });
});
