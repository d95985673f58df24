/**
 * What one turn did, in one record: the `turn` entry the thread journal keeps per turn, read by
 * thread lists, `switchboard stats`, routing analytics and the trace view.
 */
import type { HandoffRecord, Usage } from '../state/schema.js';
import { addUsage, emptyUsage } from '../state/schema.js';
import { roundedCosts } from '../state/turn-usage.js';
import type { RecordedEvent } from '../nodes/turn-recorder.js';
import type { HandoffRefuseCode } from '../nodes/events.js';

export interface TurnSummary {
  /** The tree the thread belongs to. */
  tree: string;
  /** The user turn (1-based). */
  turn: number;
  /** The id of the user message that started it. */
  messageId: string | undefined;
  /** ISO times. */
  startedAt: string | undefined;
  endedAt: string;
  /** done: an agent (or a person) answered; waiting: for a person (the turn goes on when they reply); error: see `error`. */
  status: 'done' | 'waiting' | 'error';
  error?: { code: string; message: string } | undefined;
  /** The agent that answered, or the person's agent the turn waits for. */
  agent: string;
  /** The agent that owns the conversation after the turn (the next message goes to it). */
  owner: string;
  /** Every move of control in the turn, in order. */
  handoffs: HandoffRecord[];
  /** Tool calls refused (a second handoff, a bad payload, a tool the model invented…). */
  refused: { code: HandoffRefuseCode; tool: string; to?: string | undefined }[];
  /** Limits reached, and what followed (the tree's escalation target took over, or the turn ended). */
  limits: { limit: string; agent: string; action: 'escalate' | 'end'; to?: string | undefined }[];
  /** Agents that failed and the fallback agent that took over. */
  fallbacks: { from: string; to: string; reason: string }[];
  /** Models that failed and the fallback model that answered instead. */
  modelFallbacks: { agent: string; from: string; to: string; reason: string }[];
  /** Handoffs to a person. */
  escalations: { from: string; to: string }[];
  /** Model calls, tokens, cost and latency of the turn, by agent and by handoff path. */
  usage: Usage;
  /**
   * Models called in the turn that have no price (a local or a new model): their calls count as $0
   * in `usage`, for want of a price, not as a real cost. Absent when every call had one.
   */
  unpricedModels?: string[] | undefined;
  /**
   * The turn's reply was cut at the model's `maxTokens` (the provider's finish reason `length`,
   * `max_tokens`): it is only the start of an answer. Absent otherwise.
   */
  truncated?: true | undefined;
  /** Model call attempts (failed ones included). */
  modelCalls: number;
  /** Function tool calls. */
  toolCalls: number;
  /** How many times the ping-pong guard stopped two or three agents handing the conversation round (A→B→A→B, A→B→C→A→B). */
  pingPongs: number;
  /** `event` entries journaled for the turn (0 unless tracing is on). */
  events: number;
  /**
   * The turn was cut short by a crash: finished later (the lists and usage then cover the part that
   * ran after the crash; `handoffs` is whole), or journaled from the checkpoint by the next turn
   * (refusals, model fallbacks and usage unknown).
   */
  recovered?: true | undefined;
  /**
   * The user wrote again while the turn waited for a person, and the wait went on in that turn (the
   * person answers both there): this turn is over without an answer of its own.
   */
  continuedIn?: number | undefined;
  /**
   * Set on the copies `forkThread` makes of a thread's summaries (the thread they were copied
   * from): the turn ran there, not in this thread. Forks made before this was set left it out.
   */
  copiedFrom?: string | undefined;
}

/** The parts of a summary that come from the turn's events. */
export type TurnTally = Pick<TurnSummary, 'refused' | 'limits' | 'fallbacks' | 'modelFallbacks' | 'escalations' | 'usage' | 'unpricedModels' | 'truncated' | 'modelCalls' | 'toolCalls' | 'pingPongs'>;

export function emptyTally(): TurnTally {
  return { refused: [], limits: [], fallbacks: [], modelFallbacks: [], escalations: [], usage: emptyUsage(), modelCalls: 0, toolCalls: 0, pingPongs: 0 };
}

/** What the events of a turn (or of a part of it) add up to. */
export function tallyOf(recorded: readonly RecordedEvent[]): TurnTally {
  const tally = emptyTally();
  for (const { event } of recorded) {
    switch (event.type) {
      case 'handoff-refuse':
        tally.refused.push({ code: event.code, tool: event.tool, ...(event.to !== undefined ? { to: event.to } : {}) });
        break;
      case 'limit-reach':
        tally.limits.push({ limit: event.limit, agent: event.agent, action: event.action, ...(event.to !== undefined ? { to: event.to } : {}) });
        if (event.limit === 'PING_PONG') tally.pingPongs += 1;
        break;
      case 'fallback-start':
        tally.fallbacks.push({ from: event.from, to: event.to, reason: event.reason });
        break;
      case 'model-fallback':
        tally.modelFallbacks.push({ agent: event.agent, from: event.from, to: event.to, reason: event.reason });
        break;
      case 'escalation-start':
        tally.escalations.push({ from: event.from, to: event.to });
        break;
      case 'usage':
        tally.usage = addUsage(tally.usage, { total: event.usage, byAgent: { [event.agent]: event.usage }, byPath: { [event.path]: event.usage } });
        tally.modelCalls += event.usage.modelCalls;
        if (event.unpriced) tally.unpricedModels = modelsUnion(tally.unpricedModels, [event.model]);
        break;
      case 'tool-call':
        tally.toolCalls += 1;
        break;
      case 'message-end':
        if (event.truncated) tally.truncated = true;
        break;
      default:
        break;
    }
  }
  return { ...tally, usage: roundedCosts(tally.usage) };
}

/** Two parts of one turn (before and after a person's reply), as one. */
export function addTallies(a: TurnTally, b: TurnTally): TurnTally {
  return {
    refused: [...a.refused, ...b.refused],
    limits: [...a.limits, ...b.limits],
    fallbacks: [...a.fallbacks, ...b.fallbacks],
    modelFallbacks: [...a.modelFallbacks, ...b.modelFallbacks],
    escalations: [...a.escalations, ...b.escalations],
    usage: roundedCosts(addUsage(a.usage, b.usage)),
    ...(a.unpricedModels || b.unpricedModels ? { unpricedModels: modelsUnion(a.unpricedModels, b.unpricedModels ?? []) } : {}),
    ...(a.truncated || b.truncated ? { truncated: true as const } : {}),
    modelCalls: a.modelCalls + b.modelCalls,
    toolCalls: a.toolCalls + b.toolCalls,
    pingPongs: a.pingPongs + b.pingPongs,
  };
}

/** The model ids of both lists, once each, sorted. */
function modelsUnion(models: readonly string[] | undefined, added: readonly string[]): string[] {
  return [...new Set([...(models ?? []), ...added])].sort();
}
