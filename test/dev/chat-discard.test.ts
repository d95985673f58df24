/**
 * The dev page's conversation panel drops the text of a model call that failed part-way, at the
 * events README names (`model-retry`, `model-fallback`, `fallback-start`, `turn-end`): the
 * transcript it shows holds only what the thread stores.
 */
import { JSDOM } from 'jsdom';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** The panel's Chat class, loaded into a DOM of its own. */
let Chat: new (elements: Record<string, HTMLElement>, onMarks: () => void) => { event(event: Record<string, unknown>): void };
let dom: JSDOM;

beforeAll(async () => {
  dom = new JSDOM('<ol id="transcript"></ol><div id="path"></div><pre id="state"></pre><span id="thread"></span>');
  Object.assign(globalThis, { document: dom.window.document });
  // By URL: the page's script has no type declarations.
  const script = new URL('../../dev/assets/chat.js', import.meta.url).href;
  ({ Chat } = (await import(script)) as { Chat: typeof Chat });
});

afterAll(() => {
  dom.window.close();
  delete (globalThis as { document?: unknown }).document;
});

function panel() {
  const element = (id: string) => dom.window.document.getElementById(id) as HTMLElement;
  element('transcript').replaceChildren();
  const chat = new Chat({ transcript: element('transcript'), path: element('path'), state: element('state'), threadId: element('thread') }, () => {});
  const messages = () => Array.from(element('transcript').querySelectorAll('li.agent')).map((item) => `${item.querySelector('.who')?.textContent}: ${item.querySelector('.text')?.textContent}`);
  return { chat, messages, transcript: () => element('transcript').textContent ?? '' };
}

describe('the dev page, when a streamed model call fails part-way', () => {
  it('removes the failed agent text at fallback-start, and keeps the fallback reply', () => {
    const { chat, messages, transcript } = panel();
    chat.event({ type: 'text-delta', agent: 'billing', delta: 'Your refund was DENIED' });
    chat.event({ type: 'fallback-start', from: 'billing', to: 'backup', reason: 'MODEL_FAILED' });
    chat.event({ type: 'handoff-accept', from: 'billing', to: 'backup', kind: 'fallback', payload: {} });
    chat.event({ type: 'text-delta', agent: 'backup', delta: 'Your refund is approved.' });
    chat.event({ type: 'message-end', agent: 'backup', text: 'Your refund is approved.' });
    expect(messages()).toEqual(['backup: Your refund is approved.']);
    expect(transcript()).not.toContain('DENIED');
    expect(transcript()).toContain("billing's unfinished text was discarded");
  });

  it('removes it at a model retry (the retried text is shown once), and at an error turn-end', () => {
    const { chat, messages, transcript } = panel();
    chat.event({ type: 'text-delta', agent: 'billing', delta: 'Half a ' });
    chat.event({ type: 'model-retry', agent: 'billing', attempt: 1, delayMs: 10, reason: 'connection' });
    chat.event({ type: 'text-delta', agent: 'billing', delta: 'Whole reply.' });
    chat.event({ type: 'message-end', agent: 'billing', text: 'Whole reply.' });
    expect(messages()).toEqual(['billing: Whole reply.']);

    chat.event({ type: 'text-delta', agent: 'billing', delta: 'Your refund was DENIED' });
    chat.event({ type: 'turn-end', agent: 'billing', status: 'error', error: { code: 'MODEL_FAILED', message: 'the model failed (timeout)' } });
    expect(messages()).toEqual(['billing: Whole reply.']);
    expect(transcript()).not.toContain('DENIED');
  });

  it('says when a reply was cut at maxTokens', () => {
    const { chat, transcript } = panel();
    chat.event({ type: 'message-end', agent: 'billing', text: 'The three steps are: first', truncated: true });
    expect(transcript()).toContain("billing's reply was cut at its model's maxTokens");
  });
});
