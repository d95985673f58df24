/**
 * The dev page as a debugger, in Chromium: a thread created by the built `switchboard run` in the
 * same SQLite file appears in the threads panel; its step trace shows the exact system prompt the
 * specialist received, with the handoff payload; a fork from turn 1 continues differently; the
 * drawing zooms and pans. Needs `npm run build` first (the CLI is spawned from dist/).
 */
import { spawn } from 'node:child_process';
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
import { REPO_ROOT } from '../cli/run-cli.js';
import { examplePath } from '../helpers.js';
import { expectText, openBrowser } from './browser.js';
import type { BrowserSession } from './browser.js';

const SCREENSHOTS = process.env.SWITCHBOARD_SCREENSHOTS;

let dir: string;
let db: string;
let store: Checkpointer;
let server: DevServer;
let browser: BrowserSession;

/** Runs the built CLI (dist/cli/main.js) without a terminal, offline. */
function runBuiltCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env = { ...process.env };
  for (const name of ['OPENAI_API_KEY', 'OPENAI_BASE_URL', 'SWITCHBOARD_DB', 'SWITCHBOARD_LOG_HASH_KEY']) delete env[name];
  const child = spawn(process.execPath, [join(REPO_ROOT, 'dist/cli/main.js'), ...args], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'switchboard-history-page-'));
  db = join(dir, 'threads.sqlite');
  // A turn by the command line, in the file the dev page then opens.
  const tree = examplePath('support');
  const first = await runBuiltCli(['run', tree, '-m', 'I was charged twice on my invoice', '--thread', 'cli-thread-1', '--db', db]);
  expect(first.stderr).not.toContain('error');
  expect(first.code).toBe(0);
  // And one that waits for a person.
  for (const message of ['My invoice is wrong', 'This is unacceptable, I want a real person now'])
    expect((await runBuiltCli(['run', tree, '-m', message, '--thread', 'cli-waiting', '--db', db])).code).toBe(0);
  store = await openCheckpointer(db);
  server = await startDevServer({
    file: tree,
    port: 0,
    tools: createExampleTools({ ledger: store.ledger }),
    model: 'offline',
    checkpointer: store.saver,
    threadLock: store.threadLock,
    logger: captureLogs('warn').logger,
  });
  browser = await openBrowser();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await store?.close();
});

describe('the dev page as a debugger, in Chromium', () => {
  it('lists the thread `switchboard run` created, with its tree, owner, status and turns, and opens it', { timeout: 120_000 }, async () => {
    const { page } = browser;
    await page.goto(server.url);
    const row = page.locator('#threads li[data-thread="cli-thread-1"]');
    await expectText(row, 'support');
    await expectText(row, 'owner billing');
    await expectText(row, '1 turn');
    expect(await row.getAttribute('data-status')).toBe('done');
    // Newest first; the thread waiting for a person stands out.
    const waiting = page.locator('#threads li[data-thread="cli-waiting"]');
    await expectText(waiting.locator('.status.waiting'), 'waiting for a person');
    expect(await waiting.getAttribute('data-status')).toBe('waiting');
    expect(await page.locator('#threads li').evaluateAll((items) => items.map((item) => (item as HTMLElement).dataset.thread))).toEqual(['cli-waiting', 'cli-thread-1']);
    await row.locator('button').click();
    await expectText(page.locator('#thread-id'), 'cli-thread-1');
    await expectText(page.locator('#transcript li.user').first(), 'I was charged twice on my invoice');
    await expectText(page.locator('#transcript li.agent[data-agent="billing"] .text').first(), '[offline] billing here');
    // Its path is lit on the drawing.
    await page.locator('#drawing [data-from="triage"][data-to="billing"].taken').waitFor();
    expect(await page.locator('#transcript li.turn-marker').count()).toBe(1);

    // The page continues it: a second turn, in the same file.
    await page.fill('#message', 'And can I get a refund for it?');
    await page.click('#send');
    await page.locator('#send:not([disabled])').waitFor();
    await expectText(row, '2 turns');
    expect(await page.locator('#transcript li.turn-marker').count()).toBe(2);
    if (SCREENSHOTS) await page.screenshot({ path: join(SCREENSHOTS, 'dev-threads.png') });

    // Search by id: another thread's id hides it.
    await page.fill('#thread-search', 'no-such-thread');
    await row.waitFor({ state: 'detached' });
    await page.fill('#thread-search', 'cli-thread');
    await row.waitFor();
    expect(await page.locator('#threads li[data-thread="cli-waiting"]').count()).toBe(0);
    await page.fill('#thread-search', '');
    await page.locator('#threads li[data-thread="cli-waiting"]').waitFor();
  });

  it("shows turn 1's step trace: the exact system prompt billing received, with the handoff payload", { timeout: 120_000 }, async () => {
    const { page } = browser;
    await page.locator('#transcript li.turn-marker[data-turn="1"] button').click();
    await expectText(page.locator('#trace-title'), 'Step trace · cli-thread-1 · turn 1');
    const handoff = page.locator('#trace li[data-kind="handoff"]');
    await expectText(handoff, 'Handoff · triage → billing');
    await expectText(handoff.locator('pre.payload'), '"priority": "high"');
    const billingCall = page.locator('#trace li[data-kind="model-call"][data-agent="billing"]').first();
    await billingCall.locator('summary').click();
    const system = billingCall.locator('li.message[data-role="system"] pre.text');
    const prompt = (await system.textContent()) ?? '';
    // The prompt as billing's model received it: the tree's prompt, the handoff and its payload, the shared state.
    expect(prompt).toContain('You are a billing specialist.');
    expect(prompt).toContain('## Handoff\ntriage handed this conversation to you (delegate via transfer_to_billing).');
    expect(prompt).toMatch(/Handoff details: \{"reason":"\[offline\] matched [^\n]*I was charged twice on my invoice","priority":"high"\}/);
    expect(prompt).toContain('## Shared state\npriority: "high"');
    await expectText(page.locator('#trace li[data-kind="tool-call"]'), 'idempotency key cli-thread-1:call_');
    await expectText(page.locator('#trace li[data-kind="tool-call"] pre.args'), '"invoice_id": "INV-1001"');
    if (SCREENSHOTS) {
      await page.locator('#trace li[data-kind="handoff"]').scrollIntoViewIfNeeded();
      await page.locator('#trace').evaluate((list: HTMLElement) => (list.scrollTop = (list.querySelector('[data-kind="handoff"]') as HTMLElement).offsetTop - list.offsetTop));
      await page.screenshot({ path: join(SCREENSHOTS, 'dev-trace.png') });
    }
  });

  it('forks from turn 1 with a field edited and continues with a different message', { timeout: 120_000 }, async () => {
    const { page } = browser;
    const turn = page.locator('#turn-panel');
    await expectText(page.locator('#turn-title'), 'Turn 1 of cli-thread-1');
    await expectText(turn.locator('.at-summary'), 'owner billing');
    await turn.locator('select[data-field="priority"]').selectOption('low');
    await turn.locator('input[name="newThreadId"]').fill('cli-thread-1-fork');
    await turn.locator('button.fork').click();
    await expectText(page.locator('#thread-id'), 'cli-thread-1-fork');
    // The fork holds turn 1 only: the second message of the old thread is not in it.
    await expectText(page.locator('#transcript li.note').last(), 'Forked from cli-thread-1 at turn 1');
    expect(await page.locator('#transcript li.user').count()).toBe(1);
    await expectText(page.locator('#state'), '"priority": "low"');

    // A different second message: billing hands back, triage sends it to technical.
    await page.fill('#message', 'Also the app crashes when I open settings');
    await page.click('#send');
    await page.locator('#send:not([disabled])').waitFor();
    await page.locator('#drawing [data-from="triage"][data-to="technical"].taken').waitFor();
    await expectText(page.locator('#state'), '"activeAgent": "technical"');
    await expectText(page.locator('#threads li[data-thread="cli-thread-1-fork"]'), 'owner technical');
    if (SCREENSHOTS) await page.screenshot({ path: join(SCREENSHOTS, 'dev-fork.png') });

    // The old thread is as it was.
    await page.locator('#threads li[data-thread="cli-thread-1"] button').click();
    await expectText(page.locator('#thread-id'), 'cli-thread-1');
    expect(await page.locator('#transcript li.user').count()).toBe(2);
    await expectText(page.locator('#transcript li.user').last(), 'And can I get a refund for it?');
    await expectText(page.locator('#state'), '"activeAgent": "billing"');
  });

  it("zooms and pans the drawing (the SVG's transform changes), fits it, and lays it out left to right", { timeout: 60_000 }, async () => {
    const { page } = browser;
    const svg = page.locator('#drawing svg');
    const transform = () => svg.evaluate((element) => (element as SVGSVGElement).style.transform);
    await page.click('#fit');
    const before = await transform();
    expect(before).toMatch(/^translate\(.+\) scale\(.+\)$/);
    await page.click('#zoom-in');
    const zoomed = await transform();
    expect(scaleOf(zoomed)).toBeCloseTo(scaleOf(before) * 1.25, 3);
    // Drag to pan: the translation moves by the drag, the scale stays.
    const box = (await page.locator('#drawing').boundingBox())!;
    await page.mouse.move(box.x + 200, box.y + 200);
    await page.mouse.down();
    await page.mouse.move(box.x + 260, box.y + 230, { steps: 4 });
    await page.mouse.up();
    const panned = await transform();
    expect(translateOf(panned).x - translateOf(zoomed).x).toBeCloseTo(60, 0);
    expect(translateOf(panned).y - translateOf(zoomed).y).toBeCloseTo(30, 0);
    expect(scaleOf(panned)).toBe(scaleOf(zoomed));
    // The wheel zooms around the pointer.
    await page.mouse.move(box.x + 100, box.y + 100);
    await page.mouse.wheel(0, -200);
    await expect.poll(async () => scaleOf(await transform())).toBeGreaterThan(scaleOf(panned));
    await page.click('#fit');
    expect(await transform()).toBe(before);
    await page.selectOption('#direction', 'LR');
    await page.locator('#drawing svg[data-direction="LR"] [data-agent="billing"]').waitFor();
    // The conversation's path stays lit in the new layout.
    await page.locator('#drawing [data-from="triage"][data-to="billing"].taken').waitFor();
    await page.selectOption('#direction', 'auto');
    await page.locator('#drawing svg[data-direction="TB"]').waitFor();
  });

  it('keeps the conversation header in view when the side panels grow', { timeout: 60_000 }, async () => {
    const { page } = browser;
    await page.locator('#side-scroll').evaluate((element) => (element.scrollTop = element.scrollHeight));
    const header = (await page.locator('#chat-header').boundingBox())!;
    const aside = (await page.locator('aside').boundingBox())!;
    expect(header.y).toBeLessThanOrEqual(aside.y + 2);
    expect(await page.locator('#thread-id').isVisible()).toBe(true);
  });

  it('made no request outside the dev server, and no script error', () => {
    expect(browser.requests.filter((url) => !url.startsWith(server.url))).toEqual([]);
    expect(browser.errors).toEqual([]);
  });
});

function scaleOf(transform: string): number {
  return Number(/scale\(([\d.]+)\)/.exec(transform)?.[1]);
}

function translateOf(transform: string): { x: number; y: number } {
  const match = /translate\((-?[\d.]+)px, (-?[\d.]+)px\)/.exec(transform);
  return { x: Number(match?.[1]), y: Number(match?.[2]) };
}
