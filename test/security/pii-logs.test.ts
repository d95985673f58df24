/**
 * OWASP LLM02: personal data planted in conversations, tool arguments and handoff payloads never
 * reaches the logs, at info or debug level.
 */
import { describe, expect, it } from 'vitest';
import { call, ScriptedChatModel } from '../../models/scripted.js';
import { runTurn } from '../../runtime/turn.js';
import { captureLogs } from '../../testing/capture-logs.js';
import { compileExample, newThread } from '../helpers.js';

const PII = {
  email: 'jane.doe@example.com',
  phone: '+1 415 555 0142',
  card: '4111 1111 1111 1111',
  name: 'Jane Q. Doe',
  invoice: 'INV-JANE-7781',
  customer: 'cus_jane_7781',
};

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
      const text = logs.lines.join('\n');
      const leaks = Object.entries(PII).filter(([, value]) => text.includes(value) || text.includes(value.split(' ')[0] ?? value));
      expect(leaks).toEqual([]);
    });
  }
});
