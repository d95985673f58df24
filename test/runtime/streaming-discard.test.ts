/**
 * Text streamed by a model call that then failed is never stored: the events say where to discard
 * it (README, "Streaming": `model-retry`, `model-fallback`, `fallback-start`, `turn-end`), and the
 * CLI's printer follows them, so nobody is shown words the conversation does not hold.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { parseTree } from '../../config/load.js';
import { compileTree } from '../../graphs/compile.js';
import { TurnPrinter } from '../../cli/output.js';
import type { SwitchboardEvent } from '../../nodes/events.js';
import { streamTurn } from '../../runtime/turn.js';
import type { TurnResult } from '../../runtime/turn.js';
import { captureLogs } from '../../testing/capture-logs.js';
import { fakeOpenAIForFile, newThread } from '../helpers.js';

const server = await fakeOpenAIForFile();

/** A Chat Completions server that streams `DENIED` text, then goes silent (the connection stays open). */
const silent = await new Promise<{ url: string; close: () => Promise<void> }>((resolve) => {
  const http = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      const chunk = { id: 'chatcmpl-silent', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o-mini', choices: [{ index: 0, delta: { role: 'assistant', content: 'Your refund was DENIED' }, finish_reason: null }] };
      response.write(`data: ${JSON.stringify(chunk)}\n\n`);
    });
  });
  http.listen(0, '127.0.0.1', () => {
    const { port } = http.address() as AddressInfo;
    resolve({
      url: `http://127.0.0.1:${port}/v1`,
      close: () =>
        new Promise<void>((done) => {
          http.closeAllConnections();
          http.close(() => done());
        }),
    });
  });
});
afterAll(() => silent.close());

/** billing's model streams a few words and goes silent past its timeout; `backup` answers (when the tree has it). */
function compile(withFallback: boolean) {
  const tree = parseTree(
    `version: 1
name: refunds
root: billing
retry: { attempts: 0 }
models:
  m: { provider: openai, name: gpt-4o-mini, timeoutMs: 400, baseURL: ${silent.url} }
  good: { provider: openai, name: gpt-4o-mini }
agents:
  billing: { description: Billing., prompt: Answer refunds., model: m${withFallback ? ', fallback: [backup], children: [backup]' : ''} }
${withFallback ? '  backup: { description: Backup desk., prompt: Answer refunds., model: good }\n' : ''}`,
    'refunds.yaml',
  );
  return compileTree(tree, { model: 'online', env: { OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: server.url }, logger: captureLogs('warn').logger });
}

async function collect(stream: AsyncGenerator<SwitchboardEvent, TurnResult>): Promise<{ events: SwitchboardEvent[]; result: TurnResult }> {
  const events: SwitchboardEvent[] = [];
  let next = await stream.next();
  for (; !next.done; next = await stream.next()) events.push(next.value);
  return { events, result: next.value };
}

/** What a client that follows README's rules shows: each agent's text since its last message-end is dropped at a discard event. */
function shownByTheRules(events: SwitchboardEvent[]): string[] {
  const shown: string[] = [];
  const unfinished = new Map<string, string>();
  for (const event of events) {
    if (event.type === 'text-delta') unfinished.set(event.agent, (unfinished.get(event.agent) ?? '') + event.delta);
    else if (event.type === 'message-end') {
      unfinished.delete(event.agent);
      shown.push(event.text);
    } else if (event.type === 'model-retry' || event.type === 'model-fallback') unfinished.delete(event.agent);
    else if (event.type === 'fallback-start') unfinished.delete(event.from);
    else if (event.type === 'turn-end') unfinished.clear();
  }
  return [...shown, ...unfinished.values()];
}

/** What the CLI prints of the events and the result. */
function printed(events: SwitchboardEvent[], result: TurnResult, streaming: boolean): string {
  let output = '';
  const printer = new TurnPrinter((text) => void (output += text), { color: false, streaming, howToAnswer: () => [] });
  for (const event of events) printer.event(event);
  printer.result(result);
  return output;
}

describe('a model call that streamed some text, then failed', () => {
  it('with an agent fallback: the failed text is followed by fallback-start, and only the fallback reply is shown', { timeout: 20_000 }, async () => {
    server.enqueue({ content: 'Your refund is approved.' });
    const { events, result } = await collect(streamTurn(compile(true), { threadId: newThread().threadId, message: 'my refund?' }));

    const texts = events.flatMap((event) => (event.type === 'text-delta' ? [`${event.agent}:${event.delta}`] : []));
    expect(texts[0]).toBe('billing:Your refund was DENIED');
    const denied = events.findIndex((event) => event.type === 'text-delta' && event.agent === 'billing');
    const fallback = events.findIndex((event) => event.type === 'fallback-start');
    expect(events[fallback]).toMatchObject({ from: 'billing', to: 'backup', reason: 'MODEL_FAILED' });
    expect(fallback).toBeGreaterThan(denied);
    expect(result).toMatchObject({ status: 'done', agent: 'backup', reply: 'Your refund is approved.' });
    expect(result.state.messages.map((message) => message.text).join('\n')).not.toContain('DENIED');
    expect(shownByTheRules(events)).toEqual(['Your refund is approved.']);

    // Piped: never written. In a terminal (already on screen): marked as discarded, before the fallback's line.
    const piped = printed(events, result, false);
    expect(piped).not.toContain('DENIED');
    expect(piped).toContain('backup: Your refund is approved.');
    const terminal = printed(events, result, true);
    expect(terminal).toMatch(/billing: Your refund was DENIED\n✗ billing's unfinished text above was discarded: the conversation does not keep it\n⤳ billing failed \(MODEL_FAILED\); backup takes over\n/);
    expect(terminal).toContain('backup: Your refund is approved.');
  });

  it('without one: the turn ends with MODEL_FAILED, and its turn-end discards the text', { timeout: 20_000 }, async () => {
    const { events, result } = await collect(streamTurn(compile(false), { threadId: newThread().threadId, message: 'my refund?' }));

    expect(events.some((event) => event.type === 'text-delta' && event.delta.includes('DENIED'))).toBe(true);
    expect(events.some((event) => event.type === 'message-end')).toBe(false);
    expect(events.at(-1)).toMatchObject({ type: 'turn-end', status: 'error', error: { code: 'MODEL_FAILED' } });
    expect(result.reply).toBeUndefined();
    expect(shownByTheRules(events)).toEqual([]);

    const piped = printed(events, result, false);
    expect(piped).not.toContain('DENIED');
    expect(piped).toContain('error MODEL_FAILED: the model failed (timeout) after 1 attempt(s)');
    expect(printed(events, result, true)).toMatch(/billing: Your refund was DENIED\n✗ billing's unfinished text above was discarded/);
  });
});
