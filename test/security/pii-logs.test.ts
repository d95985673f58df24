/**
 * OWASP LLM02: personal data planted in conversations, tool arguments and handoff payloads never
 * reaches the logs, at info or debug level.
 */
import { describe, expect, it } from 'vitest';
import { call, ScriptedChatModel } from '../../models/scripted.js';
import { hashThreadId, hashThreadIds } from '../../nodes/events.js';
import { resumeThread, runTurn } from '../../runtime/turn.js';
import { captureLogs } from '../../testing/capture-logs.js';
import { compileExample, fakeOpenAIForFile, newThread, viaFakeOpenAI } from '../helpers.js';

const PII = {
  email: 'jane.doe@example.com',
  phone: '+1 415 555 0142',
  card: '4111 1111 1111 1111',
  name: 'Jane Q. Doe',
  invoice: 'INV-JANE-7781',
  customer: 'cus_jane_7781',
};

/** Every form a planted value could take in a log line, lower case (the search ignores case). */
const PLANTED = ['jane', 'doe', 'example.com', '415 555', '4155550142', '555 0142', '4111 1111', '4111111111111111', 'inv-jane', 'cus_jane', 'pwned'];

function leaksIn(lines: string[]): string[] {
  const text = lines.join('\n').toLowerCase();
  return PLANTED.filter((value) => text.includes(value));
}

const server = await fakeOpenAIForFile();
const KEY = 'a test key of 32 bytes, not secret';

describe('logs carry no personal data', () => {
  for (const level of ['info', 'debug'] as const) {
    it(`at ${level} level: no message text, tool arguments, payload values or session fields`, async () => {
      const logs = captureLogs(level);
      const message = `Hi, I'm ${PII.name}, email ${PII.email}, phone ${PII.phone}; card ${PII.card} was charged twice on ${PII.invoice}, I need a refund`;
      // The offline model copies the user's words into handoff payloads; the scripted one into tool arguments.
      const offline = await compileExample('support', { model: 'offline', logger: logs.logger });
      await runTurn(offline.graph, { threadId: newThread().threadId, message, fields: { customer_id: PII.customer } });
      const scripted = await compileExample('support', {
        model: new ScriptedChatModel([
          call('transfer_to_billing', { reason: `${PII.name} ${PII.email}`, priority: 'high' }),
          call('issue_refund', { invoice_id: PII.invoice, amount: 20 }),
          `Done, ${PII.name}: refund on ${PII.invoice} to ${PII.card}.`,
        ]),
        logger: logs.logger,
      });
      await runTurn(scripted.graph, { threadId: newThread().threadId, message, fields: { customer_id: PII.customer } });

      expect(logs.records.length).toBeGreaterThan(level === 'debug' ? 20 : 8);
      expect(logs.records.some((record) => record.event === 'handoff-accept')).toBe(true);
      expect(logs.records.some((record) => record.event === 'tool-result')).toBe(true);
      if (level === 'debug') expect(logs.records.some((record) => record.event === 'tool-call')).toBe(true);
      expect(leaksIn(logs.lines)).toEqual([]);
    });
  }

  it(
    'through the OpenAI client and the offline model, at debug with hashed thread ids: no planted value in any record',
    { timeout: 30_000 },
    async () => {
      const logs = captureLogs('debug');
      const logger = hashThreadIds(logs.logger, { key: KEY });
      const threads = { refund: `tel:${PII.phone}`, failing: PII.email, refusing: `${PII.name} <${PII.email}>`, offline: `sms:${PII.phone.replaceAll(' ', '')}` };
      const message = `Hi, I'm ${PII.name}, email ${PII.email}, phone ${PII.phone}; card ${PII.card} was charged twice on ${PII.invoice}`;
      const invented = [`find_${PII.name.replaceAll(/\W/g, '_')}_${PII.card.replaceAll(' ', '')}`, `transfer_to_${PII.email}`] as const;
      const { graph } = await compileExample('support', { ...viaFakeOpenAI(server), logger });

      // Turn 1. Triage calls names it invented (one shaped like a handoff), another agent's tool, a
      // handoff it may not make, a handoff with broken JSON, one with an invalid payload, one with a
      // payload key the model made up, the right one, then a second handoff.
      server.enqueue(
        {
          toolCalls: [
            { name: invented[0], arguments: { email: PII.email } },
            { name: invented[1], arguments: { reason: PII.phone } },
            { name: 'issue_refund', arguments: { invoice_id: PII.invoice, amount: 20 } },
            { name: 'escalate_to_human', arguments: { reason: PII.name, summary: PII.card } },
            { name: 'transfer_to_technical', arguments: `{"reason": "${PII.phone} ${PII.email}` },
            { name: 'transfer_to_billing', arguments: { reason: PII.name, priority: `${PII.name} urgent` } },
            { name: 'transfer_to_billing', arguments: { reason: `${PII.name} ${PII.email}`, priority: 'high', [PII.email]: PII.phone } },
            { name: 'transfer_to_billing', arguments: { reason: `${PII.name} ${PII.email}`, priority: 'high' } },
            { name: 'transfer_to_sales', arguments: { interest: PII.card } },
          ],
        },
        // Billing looks the invoice up and refunds it (arguments with personal data), then replies.
        { toolCalls: [{ name: 'lookup_invoice', arguments: { invoice_id: PII.invoice } }, { name: 'issue_refund', arguments: { invoice_id: PII.invoice, amount: 20 } }] },
        { content: `Done, ${PII.name}: ${PII.invoice} refunded to ${PII.card}; a receipt goes to ${PII.email}.` },
        // Turn 2: billing escalates, the manager hands over to a person.
        { toolCalls: [{ name: 'escalate_to_manager', arguments: { reason: `${PII.name} is angry`, attempts: PII.phone } }] },
        { toolCalls: [{ name: 'escalate_to_human', arguments: { reason: `call ${PII.phone}`, summary: `${PII.name}, ${PII.email}, card ${PII.card}` } }] },
        // Turn 3 on another thread: the provider refuses the request and quotes it.
        { status: 400, error: { message: `Invalid request: ${PII.email} ${PII.card}`, type: 'invalid_request_error' } },
        // Turn 4 on another thread: the model refuses, naming the user.
        { refusal: `I cannot discuss ${PII.name}'s card ${PII.card}.` },
      );
      const first = await runTurn(graph, { threadId: threads.refund, message, fields: { customer_id: PII.customer } });
      expect(first.agent).toBe('billing');
      const second = await runTurn(graph, { threadId: threads.refund, message: `${PII.name} again: nothing arrived at ${PII.email}. Manager please!` });
      expect(second.waitingFor?.agent).toBe('human_agent');
      await resumeThread(graph, threads.refund, { reply: `Hello ${PII.name}, I refunded ${PII.card} and wrote to ${PII.email}.`, operator: PII.name });
      expect((await runTurn(graph, { threadId: threads.failing, message })).status).toBe('error');
      await runTurn(graph, { threadId: threads.refusing, message });
      expect(server.pending()).toBe(0);

      // The offline model copies the user's words into handoff payloads.
      const offline = await compileExample('support', { model: 'offline', logger });
      await runTurn(offline.graph, { threadId: threads.offline, message: `${message}, I need a refund`, fields: { customer_id: PII.customer } });

      const events = new Set(logs.records.map((record) => record.event));
      for (const event of ['turn-start', 'handoff-request', 'handoff-refuse', 'handoff-accept', 'tool-call', 'tool-result', 'escalation-start', 'escalation-end', 'message-end', 'usage', 'turn-end'])
        expect(events).toContain(event);
      expect(leaksIn(logs.lines)).toEqual([]);

      // Each thread's records share one hash, so they can still be joined.
      for (const threadId of Object.values(threads)) expect(logs.records.some((record) => record.thread_id === hashThreadId(threadId, KEY))).toBe(true);
      expect(logs.records.filter((record) => 'thread_id' in record).every((record) => String(record.thread_id).startsWith('h:'))).toBe(true);

      // A refused name is logged only when it is one of the tree's; an invented one as a length and a hash.
      const refusals = logs.records.filter((record) => record.event === 'handoff-refuse').map(({ code, tool, to, toolLength }) => ({ code, tool, to, toolLength }));
      expect(refusals).toEqual([
        { code: 'UNKNOWN_TOOL', tool: undefined, to: undefined, toolLength: invented[0].length },
        { code: 'UNKNOWN_TOOL', tool: undefined, to: undefined, toolLength: invented[1].length },
        { code: 'OTHER_AGENTS_TOOL', tool: 'issue_refund', to: undefined, toolLength: undefined },
        { code: 'NOT_ALLOWED', tool: 'escalate_to_human', to: 'human_agent', toolLength: undefined },
        { code: 'INVALID_PAYLOAD', tool: 'transfer_to_billing', to: 'billing', toolLength: undefined },
        { code: 'INVALID_PAYLOAD', tool: 'transfer_to_billing', to: 'billing', toolLength: undefined },
        { code: 'INVALID_JSON', tool: 'transfer_to_technical', to: 'technical', toolLength: undefined },
        { code: 'SECOND_HANDOFF', tool: 'transfer_to_sales', to: 'sales', toolLength: undefined },
      ]);
      expect(logs.records.find((record) => record.event === 'turn-end' && record.status === 'error')).toMatchObject({ error: { code: 'MODEL_FAILED' } });
    },
  );
});
