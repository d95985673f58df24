/**
 * Two edges between the same agents on the dev page (billing escalates to the boss, and falls back
 * to the boss when it fails): a move lights the edge of its kind only.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevServer } from '../../dev/server.js';
import type { DevServer } from '../../dev/server.js';
import { captureLogs } from '../../testing/capture-logs.js';
import { createExampleTools } from '../../tools/examples.js';
import { openBrowser } from './browser.js';
import type { BrowserSession } from './browser.js';

const TREE = `version: 1
name: dup
root: triage
escalation: boss
agents:
  triage:
    description: Front desk.
    prompt: Route.
    children: [billing]
    offline: { reply: Hello }
  billing:
    description: Billing.
    prompt: Billing.
    escalate: [boss]
    fallback: boss
    offline: { keywords: [invoice] }
  boss:
    description: Boss.
    prompt: Boss.
    escalate: [person]
    offline: { keywords: [manager] }
  person:
    kind: human
    description: A person.
    offline: { keywords: [person] }
`;

let server: DevServer;
let browser: BrowserSession;

beforeAll(async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'switchboard-fallback-edges-')), 'dup.yaml');
  writeFileSync(file, TREE);
  server = await startDevServer({ file, port: 0, tools: createExampleTools(), model: 'offline', logger: captureLogs('warn').logger });
  browser = await openBrowser();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('the dev page with a fallback beside an escalation', () => {
  it('draws both edges, and lights the one of the move’s kind', { timeout: 120_000 }, async () => {
    const { page } = browser;
    await page.goto(server.url);
    await page.locator('#drawing [data-from="billing"][data-to="boss"][data-kind="fallback"]').waitFor();
    // The page's own drawing code, on a drawing of its own (the conversation's marks are not touched).
    // Written as text: the test runner would rewrite an import() in a function it compiles.
    const lit = (kind: string): Promise<string[]> =>
      page.evaluate(`(async () => {
        const { Drawing } = await import('/assets/drawing.js');
        const { tree } = await (await fetch('/api/tree')).json();
        const container = Object.assign(document.createElement('div'), { style: 'width: 600px; height: 400px' });
        document.body.append(container);
        const drawing = new Drawing(container);
        drawing.render(tree);
        drawing.mark({ path: [{ from: 'billing', to: 'boss', kind: ${JSON.stringify(kind)}, turn: 1 }] });
        const taken = [...container.querySelectorAll('.taken')].map((element) => element.getAttribute('data-kind'));
        container.remove();
        return taken;
      })()`);
    expect(await lit('fallback')).toEqual(['fallback']);
    expect(await lit('escalate')).toEqual(['escalate']);
    // A turn over a limit moves along the edge already there (no `on limit` edge is drawn beside it).
    expect(await lit('limit')).toEqual(['escalate', 'fallback']);
  });
});
