/**
 * A judge reply that held no answer (a 200 with `choices: []`): read with the check agents' model
 * calls use (models/reply-check.ts), and retried out of the judge's `maxRetries` as they retry it.
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTree } from '../../config/load.js';
import { parseDataset } from '../../eval/dataset.js';
import { judgeHandoffs } from '../../eval/judge.js';
import { runEval } from '../../eval/runner.js';
import { compileTree } from '../../graphs/compile.js';
import { heldNoReply, ReplyWithoutChoicesError } from '../../models/reply-check.js';
import { createOpenAIModel } from '../../models/resolve.js';
import { captureLogs } from '../../testing/capture-logs.js';
import { startFakeOpenAI } from '../../testing/fake-openai-server.js';
import type { FakeOpenAIServer } from '../../testing/fake-openai-server.js';

const desk = parseTree(await readFile(new URL('../../examples/desk.yaml', import.meta.url), 'utf8'), 'desk.yaml');
const NO_CHOICES = { rawBody: '{"id":"x","object":"chat.completion","created":1,"model":"m","choices":[]}' };
const VERDICT = JSON.stringify({ score: 4, specific: true, topical: true, consistent: true, explanation: 'names the invoice' });

let server: FakeOpenAIServer;
beforeAll(async () => {
  server = await startFakeOpenAI();
});
afterAll(() => server.close());

/** An offline run with one handoff that gives a reason (triage → billing). */
async function oneHandoff() {
  const dataset = parseDataset('version: 1\ncases:\n  - message: invoice please\n    agent: billing\n', 'cases.yaml', { trees: [desk] });
  return runEval(compileTree(desk, { model: 'offline', logger: captureLogs().logger }), dataset);
}

const judge = () => createOpenAIModel(undefined, 'judge-model', 'test-key', { OPENAI_BASE_URL: server.url });

describe('heldNoReply()', () => {
  it('is the one check of a 200 that held no reply: a stream with no choice, or the TypeError of a body with none', () => {
    expect(heldNoReply(new ReplyWithoutChoicesError('no choice'))).toBe(true);
    expect(heldNoReply(new TypeError("Cannot read properties of undefined (reading 'message')"))).toBe(true);
    expect(heldNoReply(new TypeError('x is not a function'))).toBe(false);
    expect(heldNoReply(new Error("Cannot read properties of undefined (reading 'message')"))).toBe(false);
  });
});

describe('judgeHandoffs() when the judge answers with no choices', () => {
  it('retries the call, and grades the handoff with the answer of the retry', async () => {
    const report = await oneHandoff();
    server.requests.length = 0;
    server.enqueue(NO_CHOICES, { content: VERDICT });

    const graded = await judgeHandoffs(report, desk.spec, { model: judge(), modelId: 'judge-model', maxRetries: 1 });

    expect(graded).toMatchObject({ handoffs: 1, scored: 1, errors: 0, meanScore: 4 });
    expect(server.requests).toHaveLength(2);
    // Only the call that answered has usage.
    expect(graded.usage.modelCalls).toBe(1);
  });

  it('spends no more than maxRetries retries on it, then says the reply held no answer', async () => {
    const report = await oneHandoff();
    server.requests.length = 0;
    // A third call would meet the fake's "no scripted response" 500, and say so.
    server.enqueue(NO_CHOICES, NO_CHOICES);

    const graded = await judgeHandoffs(report, desk.spec, { model: judge(), modelId: 'judge-model', maxRetries: 1 });

    expect(graded).toMatchObject({ scored: 0, errors: 1 });
    expect(graded.results.map((result) => result.error)).toEqual(["the judge's reply held no answer (no choices in the response)"]);
    expect(server.requests).toHaveLength(2);
  });

  it('retries a 500 and a reply with no choices out of the same budget', async () => {
    const report = await oneHandoff();
    server.requests.length = 0;
    server.enqueue({ status: 500 }, NO_CHOICES);

    const graded = await judgeHandoffs(report, desk.spec, { model: judge(), modelId: 'judge-model', maxRetries: 1 });

    expect(graded.results.map((result) => result.error)).toEqual(["the judge's reply held no answer (no choices in the response)"]);
    expect(server.requests).toHaveLength(2);
    expect(server.pending()).toBe(0);
  });
});
