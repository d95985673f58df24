/**
 * What running a case produced: per turn, what was expected, what happened, and which checks held.
 */
import type { RefusedCall, TurnResult } from '../runtime/turn.js';
import type { HandoffRecord, UsageTotals } from '../state/schema.js';
import type { NormalizedTurn } from './dataset-schema.js';

/** The actual agent of a turn that did not end with an answer or a wait for a person. */
export const ERROR_AGENT = '(error)';

/** What one turn of a case did, and how it compares with what was expected. */
export interface TurnOutcome {
  /** 1-based, within its case. */
  turn: number;
  /** The turn's line in the dataset file. */
  line: number;
  message: string;
  expected: NormalizedTurn['expect'];
  actual: {
    /**
     * The agent that answered (or the person's agent it waits for, or the agent whose handoff waits for
     * a person's approval); {@link ERROR_AGENT} when the turn failed.
     */
    agent: string;
    /** The agents that held control during the turn, in order (a turn written to a person who is awaited: the person). */
    path: string[];
    /**
     * The payload fields of the handoffs a model chose in the turn, merged in order (not the runtime's
     * fallbacks or limit redirects); a handoff waiting for approval counts too, last.
     */
    payload: Record<string, unknown>;
    /** When the turn stopped waiting for a person's approval of a handoff: the agent the handoff would move to. */
    approval: string | undefined;
    handoffs: Pick<HandoffRecord, 'from' | 'to' | 'kind' | 'tool' | 'payload'>[];
    /**
     * The handoffs (and other tool calls) the runtime refused in the turn, in order: arguments that
     * were not JSON or not an object (`INVALID_JSON`, `INVALID_PAYLOAD`), a second handoff, a hook's
     * refusal… Tells a wrong routing decision from a handoff the model chose but wrote badly.
     */
    refused: RefusedHandoff[];
    /** `failed`: the turn threw; `skipped`: an earlier turn of the case threw. */
    status: TurnResult['status'] | 'failed' | 'skipped';
    error?: { code: string; message: string } | undefined;
    reply?: string | undefined;
  };
  /**
   * Which expectations held; undefined for a turn with no expectation. `approval` is set when the turn
   * expected or met a wait for approval: true when both name the same agent.
   */
  checks: { agent: boolean; path?: boolean | undefined; payload?: boolean | undefined; approval?: boolean | undefined } | undefined;
  /** Model calls, tokens (from the provider's usage), cost and model latency of the turn. */
  usage: UsageTotals;
  /** Wall-clock time of the turn. */
  durationMs: number;
}

/** A tool call the runtime refused in the turn (the turn result's `refused`). */
export type RefusedHandoff = RefusedCall;

/** The turn that failed and ended its case. */
export interface CaseFailure {
  /** 1-based turn of the case. */
  turn: number;
  code: string;
  message: string;
}

/** One case, run. */
export interface CaseOutcome {
  id: string;
  /** The case's line in the dataset file. */
  line: number;
  tags: string[];
  threadId: string;
  turns: TurnOutcome[];
  /**
   * The first turn that failed (it threw, or ended with status `error`): the case did not pass, even
   * when that turn had no expectation. After a throw the later turns are `skipped`; after a turn with
   * status `error` they ran on a conversation that lacks its answer.
   */
  failure?: CaseFailure | undefined;
  /** No turn failed, and every expectation of every turn held. */
  passed: boolean;
}
