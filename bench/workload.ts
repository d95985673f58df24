/**
 * The benchmark's workload, the same for every contender: a desk of triage and billing. Turn 1:
 * triage hands off to billing (one handoff tool call), billing answers. Every later turn: billing,
 * which owns the conversation, answers directly. The fake model decides by what it is shown,
 * never by a counter, and takes `modelDelayMs` per call (0: answers at once).
 */
export const FIRST_MESSAGE = 'I was charged twice for my subscription this month.';
export const LATER_MESSAGE = 'Thanks. And when will the refund arrive?';
export const BILLING_REPLY = 'Billing here: I have refunded the duplicate charge; it arrives in 3-5 business days.';
export const HANDOFF_TOOL = 'transfer_to_billing';
export const HANDOFF_ARGS = { reason: 'duplicate charge' };
export const TRIAGE_PROMPT = 'You are the front desk. Route charges and refunds to billing. Do not solve problems yourself.';
export const BILLING_PROMPT = 'You are the billing specialist. Handle charge disputes and refunds.';
export const TOKENS = { input: 10, output: 5 };

/** What the fake model does: triage (it holds the handoff tool) hands off; anybody else answers. */
export function fakeDecision(tools: readonly string[]): 'handoff' | 'reply' {
  return tools.includes(HANDOFF_TOOL) ? 'handoff' : 'reply';
}

export interface ContenderOptions {
  /** Milliseconds each model call takes. */
  modelDelayMs: number;
  /** Where sessions persist. Contenders without a SQLite or PostgreSQL store reject those. */
  store: 'memory' | 'sqlite' | 'postgres';
  /** A directory for files (SQLite). */
  dir: string;
}

/** One contender: a way to run the workload. */
export interface Contender {
  readonly name: string;
  /** Sends one user message on a session (created on first use); returns the reply text. */
  send(sessionId: string, text: string): Promise<string>;
  /** Bytes the contender keeps for a session (its persisted history and checkpoints, serialised). */
  bytesKept(sessionId: string): Promise<number>;
  /**
   * The session's latest checkpoint, serialised by its saver (`bytes`), and the same checkpoint with
   * only the messages of the last `windowTurns` user turns (`windowBytes`: what the largest history
   * window needs). LangGraph-based contenders only.
   */
  hotCheckpoint?(sessionId: string): Promise<HotCheckpoint>;
  /** Forgets sessions (between measurements, so memory stays flat). */
  reset(): Promise<void>;
  close(): Promise<void>;
}

export interface HotCheckpoint {
  bytes: number;
  windowBytes: number;
  messages: number;
  windowMessages: number;
}

export type ContenderFactory = (options: ContenderOptions) => Promise<Contender>;

export const delay = (ms: number) => (ms > 0 ? new Promise<void>((resolve) => setTimeout(resolve, ms)) : Promise.resolve());
