/**
 * The function tools the example trees use. They are examples: canned data, no real systems. The
 * ones with side effects (refunds, bookings, messages) record them in a ledger by idempotency key,
 * and every tool that acts for a customer takes the customer from the session (`fields.customer_id`,
 * set by backend code), never from the model's arguments.
 */
import { tool } from '@langchain/core/tools';
import type { StructuredToolInterface } from '@langchain/core/tools';
import { z } from 'zod';
import { getToolContext } from '../nodes/tool-context.js';
import type { ToolContext } from '../nodes/tool-context.js';
import { MemoryLedger } from '../store/ledger.js';
import type { SideEffectLedger } from '../store/ledger.js';

export interface ExampleToolsOptions {
  /** Where side effects are recorded. Default: in memory. */
  ledger?: SideEffectLedger;
}

/** The customer (or patient, or caller) the session belongs to, as backend code set it. */
function customerOf(context: ToolContext): string {
  const customer = context.fields.customer_id ?? context.fields.patient_id ?? context.fields.caller_number;
  return typeof customer === 'string' && customer !== '' ? customer : 'anonymous';
}

/** Every example tool, by name. */
export function createExampleTools(options: ExampleToolsOptions = {}): Record<string, StructuredToolInterface> {
  const ledger = options.ledger ?? new MemoryLedger();
  const sideEffect = (kind: string, describe: (details: Record<string, unknown>, id: string) => string) =>
    async (details: Record<string, unknown>, context: ToolContext): Promise<string> => {
      const { effect, created } = await ledger.record({ key: context.idempotencyKey, kind, details: { ...details, customer: customerOf(context) } }, context.fence);
      const id = `${kind.slice(0, 3).toUpperCase()}-${hash(effect.key)}`;
      return `${describe(effect.details, id)}${created ? '' : ' (already recorded; not repeated)'}`;
    };
  const refund = sideEffect('refund', (details, id) => `Refund ${id} of $${String(details.amount)} on ${String(details.invoice_id)} recorded for ${String(details.customer)}.`);
  const demo = sideEffect('demo', (details, id) => `Demo ${id} booked for ${String(details.when)}.`);
  const appointment = sideEffect('appointment', (details, id) => `Appointment ${id} booked for ${String(details.when)}.`);
  const invoice = sideEffect('invoice', (details, id) => `Invoice ${id} created: $${String(details.amount)} for ${String(details.description)}.`);
  const callback = sideEffect('callback', (details, id) => `Callback ${id} scheduled for ${String(details.when)}.`);
  const sms = sideEffect('sms', (details, id) => `SMS ${id} sent: ${String(details.text)}`);
  const voicemail = sideEffect('voicemail', (_details, id) => `Voicemail ${id} captured.`);
  const emergency = sideEffect('emergency', (_details, id) => `Emergency ${id} routed to the on-call technician.`);
  const missedCall = sideEffect('missed-call', (_details, id) => `Missed call ${id} logged.`);

  const tools: StructuredToolInterface[] = [
    tool(async ({ invoice_id }, config) => {
      const customer = customerOf(getToolContext(config));
      return JSON.stringify({ invoice_id, customer, amount: 49.99, status: 'paid', charges: [{ date: '2026-05-02', amount: 49.99 }, { date: '2026-05-02', amount: 49.99 }] });
    }, { name: 'lookup_invoice', description: "Look up one of the customer's invoices and its charges.", schema: z.object({ invoice_id: z.string().min(1).describe('The invoice id, e.g. INV-1001.') }) }),
    tool(async (args, config) => refund(args, getToolContext(config)), {
      name: 'issue_refund',
      description: 'Refund an amount of an invoice to the customer. Acts once per call.',
      schema: z.object({ invoice_id: z.string().min(1), amount: z.number().positive().max(500).describe('US dollars; refunds above $500 need a person.') }),
    }),
    tool(async ({ call_id }) => JSON.stringify({ call_id, events: ['ringing', 'answered', 'webhook 502 at 10:02', 'retry 502 at 10:12'] }), {
      name: 'fetch_call_log',
      description: 'Fetch the event log of a call by its id.',
      schema: z.object({ call_id: z.string().min(1) }),
    }),
    tool(async (args, config) => demo(args, getToolContext(config)), { name: 'book_demo', description: 'Book a product demo.', schema: z.object({ when: z.string().min(1) }) }),
    tool(async (args, config) => appointment(args, getToolContext(config)), {
      name: 'schedule_appointment',
      description: 'Book an appointment at the clinic.',
      schema: z.object({ when: z.string().min(1), reason: z.string().optional() }),
    }),
    tool(async (_args, config) => JSON.stringify({ patient: customerOf(getToolContext(config)), plan: 'Acme Health PPO', covered: true, copay: 25 }), {
      name: 'check_insurance',
      description: "Check the patient's insurance coverage.",
      schema: z.object({ procedure: z.string().optional() }),
    }),
    tool(async (_args, config) => JSON.stringify({ patient: customerOf(getToolContext(config)), balance: 120, due: '2026-12-01' }), {
      name: 'lookup_balance',
      description: "Look up the patient's balance.",
      schema: z.object({}),
    }),
    tool(async (args, config) => invoice(args, getToolContext(config)), {
      name: 'create_invoice',
      description: 'Create an invoice for the customer.',
      schema: z.object({ amount: z.number().positive(), description: z.string().min(1) }),
    }),
    tool(async (args, config) => voicemail(args, getToolContext(config)), { name: 'capture_voicemail', description: "Record the caller's message.", schema: z.object({ message: z.string().min(1) }) }),
    tool(async (args, config) => sms(args, getToolContext(config)), { name: 'send_sms', description: 'Send the caller a text message with a link or answer.', schema: z.object({ text: z.string().min(1).max(320) }) }),
    tool(async (args, config) => callback(args, getToolContext(config)), { name: 'book_callback', description: 'Schedule a call back during opening hours.', schema: z.object({ when: z.string().min(1) }) }),
    tool(async (args, config) => emergency(args, getToolContext(config)), { name: 'route_emergency', description: 'Page the on-call technician for an emergency.', schema: z.object({ summary: z.string().min(1) }) }),
    tool(async (args, config) => missedCall(args, getToolContext(config)), { name: 'log_missed_call', description: 'Log a missed or abandoned call.', schema: z.object({ note: z.string().optional() }) }),
  ];
  return Object.fromEntries(tools.map((entry) => [entry.name, entry]));
}

/** A short stable id from a key (for readable record ids). */
function hash(key: string): string {
  let value = 0;
  for (const char of key) value = (value * 31 + char.charCodeAt(0)) >>> 0;
  return value.toString(36).toUpperCase().padStart(6, '0').slice(-6);
}
