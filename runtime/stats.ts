/**
 * Routing analytics over live conversations: what the store's journal says happened, per tree and
 * period — conversations, turns, handoffs per conversation, escalation rates, counts per handoff
 * path, refused handoffs, ping-pongs, limits, fallbacks and model cost per path. `switchboard stats`
 * prints it; {@link routingStats} returns it to backend code.
 */
import type { SwitchboardGraph } from '../graphs/compile.js';
import { runtimeOf } from '../graphs/compile.js';
import { InputError } from '../errors/input-error.js';
import type { UsageTotals } from '../state/schema.js';
import { journalOf } from './transcript.js';
import { roundUsd } from '../models/prices.js';

/** What stats read of a turn's summary (the journal's `turn` entries). */
export interface TurnFacts {
  tree: string;
  turn: number;
  /** done, waiting or error. */
  status: string;
  messageId?: string | undefined;
  startedAt?: string | undefined;
  endedAt?: string | undefined;
  handoffs?: readonly { from: string; to: string; kind: string }[] | undefined;
  /** The moves to a person, as the tree was when the turn ran (older summaries lack it: the tree as it is now decides). */
  escalations?: readonly { from: string; to: string }[] | undefined;
  refused?: readonly { code: string }[] | undefined;
  limits?: readonly { limit: string }[] | undefined;
  fallbacks?: readonly unknown[] | undefined;
  modelFallbacks?: readonly unknown[] | undefined;
  pingPongs?: number | undefined;
  /** A fork's copy of a turn of another thread (see `TurnSummary.copiedFrom`). */
  copiedFrom?: string | undefined;
  usage?: { total?: UsageTotals; byPath?: Record<string, UsageTotals> } | undefined;
  unpricedModels?: readonly string[] | undefined;
}

export interface StatsPeriod {
  /** Turns that ended at or after this time. */
  since?: Date | undefined;
  /** Turns that ended before this time. */
  until?: Date | undefined;
}

export interface PathCount {
  from: string;
  to: string;
  kind: string;
  count: number;
}

export interface PathCost extends UsageTotals {
  /** The agents that held control, e.g. `triage>billing`. */
  path: string;
}

export interface RoutingStats {
  tree: string;
  since: string | undefined;
  until: string | undefined;
  /** Threads with at least one turn in the period. */
  conversations: number;
  turns: number;
  /** Turns by how they ended. */
  statuses: Record<string, number>;
  /** Moves of control (handoffs by models, fallbacks, limits, hand-backs by people). */
  handoffs: number;
  /** `handoffs / conversations`; null without conversations. */
  handoffsPerConversation: number | null;
  escalations: {
    /** Moves to a person (a `kind: human` agent). */
    toPerson: number;
    /** Escalations to an agent (a manager, a lead), by a model or by a limit. */
    toManager: number;
    /** Share of conversations with at least one move to a person. */
    personRate: number | null;
    /** Share of conversations with at least one escalation to a manager. */
    managerRate: number | null;
  };
  /** Counts per handoff path (from → to, by kind), most frequent first. */
  paths: PathCount[];
  /** Refused handoffs by code, most frequent first. */
  refused: { code: string; count: number }[];
  pingPongs: number;
  /** Limits reached, by limit. */
  limits: { limit: string; count: number }[];
  fallbacks: { agent: number; model: number };
  cost: {
    /** Priced calls only: see `unpricedModels`. */
    totalUsd: number;
    /** Null without conversations. */
    perConversationUsd: number | null;
    /** Model usage per path of agents, most expensive first. */
    byPath: PathCost[];
    /**
     * Models called in the period that have no price (a local or a new model), sorted: their calls
     * count as $0 in the figures above, for want of a price. Turns journaled before summaries
     * named them are not known here.
     */
    unpricedModels: string[];
  };
}

/**
 * Routing analytics of the threads of `graph`'s tree in its store (the journal), over a period.
 * Reads every turn summary of the period once; nothing is kept.
 */
export async function routingStats(graph: SwitchboardGraph, period: StatsPeriod = {}): Promise<RoutingStats> {
  checkPeriod(period);
  const runtime = runtimeOf(graph);
  const journal = journalOf(graph);
  const humans = new Set(Object.entries(runtime.tree.agents).filter(([, agent]) => agent.kind === 'human').map(([name]) => name));
  // A turn that waited for a person has a summary while waiting and a final one: the latest counts.
  const facts = new Map<string, TurnFacts & { threadId: string }>();
  // A forked thread starts with copies of its source's summaries (appended when it was forked): a
  // turn counts once, in the thread that ran it, and when it ended. Forks mark their copies; those
  // made before they did are told by their content (the first thread to journal a turn ran it).
  const origins = new TurnOrigins();
  const seqOf = new Map<string, number>();
  for await (const entry of journal.scan({ kinds: ['turn'], since: storedTime(period.since), until: storedTime(period.until) })) {
    const summary = entry.data as TurnFacts | undefined;
    if (summary?.tree !== runtime.tree.name || summary.copiedFrom !== undefined || !endedIn(summary, period)) continue;
    if (origins.ranIn(summary, entry.threadId) !== entry.threadId) continue;
    const key = `${entry.threadId}\u0000${summary.turn}`;
    facts.set(key, { ...summary, threadId: entry.threadId });
    seqOf.set(key, entry.seq);
  }
  // A turn that waited for a person in this period and ended after it counts once, in the period
  // it ended in (its final summary holds the whole turn): its waiting summary here is left out.
  for (const [key, fact] of facts) {
    if (fact.status !== 'waiting') continue;
    const later = await journal.read(fact.threadId, { kinds: ['turn'], turn: fact.turn, after: seqOf.get(key), limit: 1 });
    if (later.entries.length > 0) facts.delete(key);
  }
  return summarizeTurns(facts.values(), { tree: runtime.tree.name, humans, ...period });
}

/**
 * Which thread ran a turn, told by the content of its summaries, for the copies forks made before
 * they marked them: the turn, its message and when it began, and when it ended. A copy has its
 * source's end time; but a fork made before forks caught up their source's journal could journal
 * the source's last turn as its own, caught up from its checkpoint (`recovered`) and ended later:
 * a recovered summary is the same turn as another thread's whatever their end times. Two threads
 * whose turns share a caller-chosen message id, their number and their start (to the millisecond)
 * are still two turns when neither was recovered: they ended at different times.
 */
class TurnOrigins {
  /** By the turn, its message and its start: the threads that journaled it, in order, with their summaries' end times. */
  readonly #seen = new Map<string, Map<string, { endedAt: Set<string | undefined>; recovered: boolean }>>();

  /** The thread that ran the turn `summary` (journaled in `threadId`) is about: the first to journal it. */
  ranIn(summary: TurnFacts & { recovered?: unknown }, threadId: string): string {
    const start = JSON.stringify([summary.turn, summary.messageId, summary.startedAt]);
    const recovered = summary.recovered === true;
    const threads = this.#seen.get(start) ?? new Map<string, { endedAt: Set<string | undefined>; recovered: boolean }>();
    this.#seen.set(start, threads);
    const same = [...threads].find(([thread, seen]) => thread === threadId || recovered || seen.recovered || seen.endedAt.has(summary.endedAt));
    const [ranIn, seen] = same ?? [threadId, { endedAt: new Set<string | undefined>(), recovered: false }];
    // A turn that waited for a person has a summary per wait and a final one, each ended at its own time.
    seen.endedAt.add(summary.endedAt);
    if (ranIn === threadId) seen.recovered ||= recovered;
    threads.set(ranIn, seen);
    return ranIn;
  }
}

/** `since` and `until`, when given, are valid dates: `INVALID_INPUT` naming the option otherwise. */
function checkPeriod(period: StatsPeriod): void {
  if (typeof period !== 'object' || period === null) throw new InputError('The period of routingStats must be an object ({ since?, until? }).');
  for (const option of ['since', 'until'] as const) {
    const value: unknown = period[option];
    if (value === undefined) continue;
    if (!(value instanceof Date)) throw new InputError(`The \`${option}\` option of routingStats must be a Date (got ${typeof value === 'string' ? JSON.stringify(value) : typeof value}).`);
    if (Number.isNaN(value.getTime())) throw new InputError(`The \`${option}\` option of routingStats is an invalid Date (new Date() could not read the time it was given).`);
  }
}

/** The earliest and latest times a journal compares as ISO text (and PostgreSQL reads): years 1 to 9999. */
const FIRST_TIME = Date.parse('0001-01-01T00:00:00.000Z');
const LAST_TIME = Date.parse('9999-12-31T23:59:59.999Z');

/** A bound of the period as the journal compares it: a valid date beyond years 1 to 9999 is held at the nearest end. */
function storedTime(date: Date | undefined): string | undefined {
  if (date === undefined) return undefined;
  return new Date(Math.min(LAST_TIME, Math.max(FIRST_TIME, date.getTime()))).toISOString();
}

/**
 * Tells a turn's moves to a person: those its summary recorded as escalations when it ran (a person
 * the YAML has since removed or made an agent still counts as a person, an agent made a person since
 * does not); for a summary without that record, the tree's persons as they are now.
 */
function personMoves(turn: TurnFacts, humans: ReadonlySet<string>): (move: { from: string; to: string }) => boolean {
  if (turn.escalations === undefined) return (move) => humans.has(move.to);
  const left = new Map<string, number>();
  for (const { from, to } of turn.escalations) left.set(`${from}\u0000${to}`, (left.get(`${from}\u0000${to}`) ?? 0) + 1);
  return (move) => {
    const key = `${move.from}\u0000${move.to}`;
    const count = left.get(key) ?? 0;
    if (count > 0) left.set(key, count - 1);
    return count > 0;
  };
}

/** Whether the turn ended in the period (its entry may have been appended later: a fork's copy, a recovered turn). */
function endedIn(summary: TurnFacts, period: StatsPeriod): boolean {
  if (summary.endedAt === undefined) return true;
  const ended = Date.parse(summary.endedAt);
  return !(period.since && ended < period.since.getTime()) && !(period.until && ended >= period.until.getTime());
}

/** The figures of a set of turn summaries (pure: {@link routingStats} without the store). */
export function summarizeTurns(
  turns: Iterable<TurnFacts & { threadId: string }>,
  options: { tree: string; humans: ReadonlySet<string> } & StatsPeriod,
): RoutingStats {
  const conversations = new Set<string>();
  const withPerson = new Set<string>();
  const withManager = new Set<string>();
  const statuses: Record<string, number> = {};
  const paths = new Map<string, PathCount>();
  const refused = new Map<string, number>();
  const limits = new Map<string, number>();
  const costs = new Map<string, PathCost>();
  const unpriced = new Set<string>();
  let turnCount = 0;
  let handoffs = 0;
  let toPerson = 0;
  let toManager = 0;
  let pingPongs = 0;
  let agentFallbacks = 0;
  let modelFallbacks = 0;
  let totalUsd = 0;
  for (const turn of turns) {
    turnCount += 1;
    conversations.add(turn.threadId);
    statuses[turn.status] = (statuses[turn.status] ?? 0) + 1;
    const toPersons = personMoves(turn, options.humans);
    for (const move of turn.handoffs ?? []) {
      handoffs += 1;
      const key = `${move.from}\u0000${move.to}\u0000${move.kind}`;
      const path = paths.get(key) ?? { from: move.from, to: move.to, kind: move.kind, count: 0 };
      path.count += 1;
      paths.set(key, path);
      if (toPersons(move)) {
        toPerson += 1;
        withPerson.add(turn.threadId);
      } else if (move.kind === 'escalate' || move.kind === 'limit') {
        toManager += 1;
        withManager.add(turn.threadId);
      }
    }
    for (const refusal of turn.refused ?? []) refused.set(refusal.code, (refused.get(refusal.code) ?? 0) + 1);
    for (const limit of turn.limits ?? []) limits.set(limit.limit, (limits.get(limit.limit) ?? 0) + 1);
    pingPongs += turn.pingPongs ?? 0;
    agentFallbacks += turn.fallbacks?.length ?? 0;
    modelFallbacks += turn.modelFallbacks?.length ?? 0;
    totalUsd = roundUsd(totalUsd + (turn.usage?.total?.costUsd ?? 0));
    for (const model of turn.unpricedModels ?? []) unpriced.add(model);
    for (const [path, usage] of Object.entries(turn.usage?.byPath ?? {})) {
      const sum = costs.get(path) ?? { path, modelCalls: 0, inputTokens: 0, outputTokens: 0, costUsd: 0, latencyMs: 0 };
      sum.modelCalls += usage.modelCalls;
      sum.inputTokens += usage.inputTokens;
      sum.outputTokens += usage.outputTokens;
      sum.costUsd = roundUsd(sum.costUsd + usage.costUsd);
      sum.latencyMs += usage.latencyMs;
      costs.set(path, sum);
    }
  }
  const perConversation = (count: number) => (conversations.size === 0 ? null : count / conversations.size);
  const byCount = <T extends { count: number }>(rows: T[], name: (row: T) => string) => rows.sort((a, b) => b.count - a.count || name(a).localeCompare(name(b)));
  return {
    tree: options.tree,
    since: options.since?.toISOString(),
    until: options.until?.toISOString(),
    conversations: conversations.size,
    turns: turnCount,
    statuses,
    handoffs,
    handoffsPerConversation: perConversation(handoffs),
    escalations: { toPerson, toManager, personRate: perConversation(withPerson.size), managerRate: perConversation(withManager.size) },
    paths: byCount([...paths.values()], (row) => `${row.from}>${row.to}>${row.kind}`),
    refused: byCount([...refused].map(([code, count]) => ({ code, count })), (row) => row.code),
    pingPongs,
    limits: byCount([...limits].map(([limit, count]) => ({ limit, count })), (row) => row.limit),
    fallbacks: { agent: agentFallbacks, model: modelFallbacks },
    cost: {
      totalUsd,
      perConversationUsd: conversations.size === 0 ? null : roundUsd(totalUsd / conversations.size),
      byPath: [...costs.values()].sort((a, b) => b.costUsd - a.costUsd || a.path.localeCompare(b.path)),
      unpricedModels: [...unpriced].sort(),
    },
  };
}
