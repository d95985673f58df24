/**
 * One user turn on a thread, for backend code that wants a typed result rather than raw state:
 * {@link runTurn} (await the result), {@link streamTurn} (events as they happen, tokens included),
 * {@link resumeThread} (a person's reply to an escalation).
 */
import { AIMessageChunk, HumanMessage } from '@langchain/core/messages';
import { Command } from '@langchain/langgraph';
import type { SwitchboardGraph } from '../graphs/compile.js';
import { runtimeOf } from '../graphs/compile.js';
import { textOf } from '../models/messages.js';
import { ownerOf } from '../nodes/context.js';
import type { EscalationRequest, HumanReply } from '../nodes/human.js';
import { HumanReplySchema } from '../nodes/human.js';
import { lastUserMessage } from '../nodes/turn.js';
import { addUsage, emptyUsage, fieldsSchema } from '../state/schema.js';
import type { HandoffRecord, SwitchboardState, Turn, Usage } from '../state/schema.js';
import { StoreError } from '../errors/store-error.js';
import { SwitchboardError } from '../errors/switchboard-error.js';
import type { SwitchboardEvent } from '../nodes/events.js';

export interface TurnInput {
  threadId: string;
  /** What the user wrote. */
  message: string;
  /** Shared-state fields set by backend code for this turn (e.g. `customer_id` from the session). */
  fields?: Record<string, string | number | boolean> | undefined;
  signal?: AbortSignal | undefined;
}

export interface TurnResult {
  threadId: string;
  turn: number;
  /** The agent that answered (or, when the turn waits for a person, the person's agent). */
  agent: string;
  /** The answer the user reads; undefined when the turn ended in error or waits for a person. */
  reply: string | undefined;
  status: Turn['status'];
  error: { code: string; message: string } | undefined;
  /** The handoffs of this turn, in order, with their payloads. */
  handoffs: HandoffRecord[];
  /** Set when the thread now waits for a person. */
  waitingFor: EscalationRequest | undefined;
  /** Model calls, tokens, cost and latency of this turn. */
  usage: Usage;
  /** The thread's totals so far. */
  sessionUsage: Usage;
  state: SwitchboardState;
}

/** A turn that ended with an error, as thrown by {@link runTurn} with `throwOnError`. */
export class TurnError extends SwitchboardError {
  override readonly name = 'TurnError';
  constructor(readonly result: TurnResult) {
    super(result.error?.code ?? 'TURN_FAILED', result.error?.message ?? 'The turn failed.');
  }
}

/**
 * Streams one turn: typed events (text deltas tagged with the agent, handoffs, tools…), then returns
 * the result. Holds the thread's lock for the turn; a turn left unfinished by a crash is completed
 * first (its tool calls replay under the same idempotency keys), so no message is lost.
 */
export async function* streamTurn(graph: SwitchboardGraph, input: TurnInput): AsyncGenerator<SwitchboardEvent, TurnResult> {
  return yield* turnEvents(graph, input, { listening: true });
}

/**
 * The turn itself. The user message goes straight to the agent that owns the conversation (a
 * `Command` with `goto`: no routing step, one checkpoint fewer per turn); graph invocations that
 * pass plain input still route from START. Events and text deltas are streamed only when somebody
 * reads them.
 */
async function* turnEvents(graph: SwitchboardGraph, input: TurnInput, options: { listening: boolean }): AsyncGenerator<SwitchboardEvent, TurnResult> {
  if (input.fields) checkFields(graph, input.fields);
  const payload = { messages: [new HumanMessage(input.message)], ...(input.fields ? { fields: input.fields } : {}) };
  return yield* underLock(graph, input.threadId, async function* () {
    let head = await readHead(graph, input.threadId);
    if (head.maybeUnfinished) {
      await finishUnfinishedTurn(graph, input.threadId);
      head = await readHead(graph, input.threadId);
    }
    const owner = head.owner === undefined ? undefined : ownerOf(runtimeOf(graph), head.owner);
    const run = owner === undefined ? payload : new Command({ goto: owner, update: payload });
    return yield* streamRun(graph, input.threadId, run, { signal: input.signal, listening: options.listening });
  });
}

/**
 * What the thread's latest checkpoint says, read without preparing LangGraph's next tasks: the
 * agent that owns the conversation, and whether the last turn may be unfinished (a turn still
 * running, a user message not yet taken, a handoff to a person not yet raised). When it may be,
 * LangGraph's own view decides ({@link finishUnfinishedTurn}). No checkpointer: no owner (START routes).
 */
async function readHead(graph: SwitchboardGraph, threadId: string): Promise<{ owner: string | undefined; maybeUnfinished: boolean }> {
  const saver = graph.checkpointer;
  if (!saver || typeof saver === 'boolean') return { owner: undefined, maybeUnfinished: false };
  // Nobody wrote the thread since this process settled its last turn: what it knew still holds.
  const runtime = runtimeOf(graph);
  const known = runtime.heads.get(threadId);
  if (known && runtime.checkpoints && (await runtime.checkpoints.head(threadId)) === known.checkpointId) return { owner: known.owner, maybeUnfinished: false };
  const tuple = await saver.getTuple({ configurable: { thread_id: threadId, checkpoint_ns: '' } });
  if (!tuple) return { owner: runtime.tree.root, maybeUnfinished: false };
  const values = tuple.checkpoint.channel_values as Partial<SwitchboardState>;
  const turn = values.turn;
  const user = values.messages ? lastUserMessage(values.messages) : undefined;
  const settled = turn !== undefined && (turn.status === 'done' || turn.status === 'error') && (user === undefined || user.id === turn.messageId);
  const pending = (tuple.pendingWrites ?? []).length > 0;
  return { owner: values.activeAgent ?? runtime.tree.root, maybeUnfinished: !settled || pending };
}

/** Runs one turn and returns its result (an error ends the turn; see `result.error`). */
export async function runTurn(graph: SwitchboardGraph, input: TurnInput & { throwOnError?: boolean }): Promise<TurnResult> {
  const stream = turnEvents(graph, input, { listening: false });
  let next = await stream.next();
  while (!next.done) next = await stream.next();
  if (input.throwOnError && next.value.status === 'error') throw new TurnError(next.value);
  return next.value;
}

/** The escalations a thread waits on (empty when it waits for nobody). */
export async function pendingEscalations(graph: SwitchboardGraph, threadId: string): Promise<EscalationRequest[]> {
  const snapshot = await graph.getState({ configurable: { thread_id: threadId } });
  return snapshot.tasks
    .flatMap((task) => task.interrupts.map((entry) => entry.value as EscalationRequest))
    .filter((value) => value?.type === 'escalation');
}

/**
 * Delivers a person's reply to the escalation a thread waits on. Throws `NOTHING_PENDING` when the
 * thread waits for nobody, `INVALID_REPLY` for a reply that cannot be delivered.
 */
export async function* streamResume(graph: SwitchboardGraph, threadId: string, reply: HumanReply): AsyncGenerator<SwitchboardEvent, TurnResult> {
  return yield* resumeEvents(graph, threadId, reply, { listening: true });
}

async function* resumeEvents(
  graph: SwitchboardGraph,
  threadId: string,
  reply: HumanReply,
  options: { listening: boolean },
): AsyncGenerator<SwitchboardEvent, TurnResult> {
  const parsed = HumanReplySchema.safeParse(reply);
  if (!parsed.success)
    throw new SwitchboardError('INVALID_REPLY', `The reply is invalid: ${parsed.error.issues.map((issue) => issue.message).join('; ')}.`);
  return yield* underLock(graph, threadId, async function* () {
    // Checked under the lock: of two concurrent resumes, the second finds nothing pending.
    const waiting = (await pendingEscalations(graph, threadId))[0];
    if (!waiting) throw new SwitchboardError('NOTHING_PENDING', `Thread ${threadId} is not waiting for a person.`);
    if (parsed.data.handBackTo !== undefined && !waiting.handBackTargets.includes(parsed.data.handBackTo)) {
      throw new SwitchboardError(
        'INVALID_REPLY',
        `${waiting.agent} cannot hand the conversation to "${parsed.data.handBackTo}". Allowed: ${waiting.handBackTargets.join(', ')}.`,
      );
    }
    return yield* streamRun(graph, threadId, new Command({ resume: parsed.data }), options);
  });
}

/**
 * Completes a turn a crash left unfinished (a worker died mid-turn), if any; returns its result, or
 * undefined when the thread had nothing unfinished. Tool calls replay under their idempotency keys.
 */
export async function recoverThread(graph: SwitchboardGraph, threadId: string): Promise<TurnResult | undefined> {
  try {
    return await runtimeOf(graph).threadLock.withLock(threadId, async () => {
      const result = await finishUnfinishedTurn(graph, threadId);
      await settle(graph, threadId, result);
      return result;
    });
  } catch (error) {
    throw storeErrorOr(threadId, error);
  }
}

export async function resumeThread(graph: SwitchboardGraph, threadId: string, reply: HumanReply): Promise<TurnResult> {
  const stream = resumeEvents(graph, threadId, reply, { listening: false });
  let next = await stream.next();
  while (!next.done) next = await stream.next();
  return next.value;
}

/** Fields set by backend code must be the tree's own, with the declared types. */
function checkFields(graph: SwitchboardGraph, fields: Record<string, unknown>): void {
  const tree = runtimeOf(graph).tree;
  const parsed = fieldsSchema(tree).safeParse(fields);
  if (parsed.success) return;
  const declared = Object.keys(tree.state ?? {});
  const problems = parsed.error.issues.map((issue) =>
    issue.code === 'unrecognized_keys' ? `${issue.keys.map((key) => `"${key}"`).join(', ')} not declared under state:` : `${issue.path.join('.')}: ${issue.message}`,
  );
  throw new SwitchboardError('INVALID_FIELDS', `The fields are invalid: ${problems.join('; ')}. The tree's fields: ${declared.join(', ') || '(none)'}.`);
}

/** A database failure under the checkpointer or the lock, as a {@link StoreError}; anything else unchanged. */
function storeErrorOr(threadId: string, error: unknown): unknown {
  return StoreError.matches(error) ? new StoreError(threadId, error) : error;
}

/** Runs `body` holding the thread's lock (released when the generator finishes or is abandoned). */
async function* underLock(
  graph: SwitchboardGraph,
  threadId: string,
  body: () => AsyncGenerator<SwitchboardEvent, TurnResult>,
): AsyncGenerator<SwitchboardEvent, TurnResult> {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let signalAcquired!: (error?: unknown) => void;
  const acquired = new Promise<unknown>((resolve) => (signalAcquired = resolve));
  const holding = runtimeOf(graph)
    .threadLock.withLock(threadId, async () => {
      signalAcquired();
      await released;
    })
    .catch((error: unknown) => signalAcquired(error ?? new Error('lock failed')));
  const failure = await acquired;
  if (failure) throw storeErrorOr(threadId, failure instanceof Error ? failure : new Error(String(failure)));
  try {
    const result = yield* body();
    await settle(graph, threadId, result);
    return result;
  } catch (error) {
    throw storeErrorOr(threadId, error);
  } finally {
    release();
    await holding;
  }
}

/**
 * After a turn, holding the thread's lock: drops the thread's older checkpoints (the retention) and
 * remembers its newest checkpoint and owner when the turn settled, so the next turn need not read
 * the checkpoint back. The turn is already durable: a failure here is logged, and the next turn
 * reads the thread as usual.
 */
async function settle(graph: SwitchboardGraph, threadId: string, result: TurnResult | undefined): Promise<void> {
  const runtime = runtimeOf(graph);
  runtime.heads.delete(threadId);
  if (!runtime.checkpoints) return;
  try {
    const checkpointId = await runtime.checkpoints.afterTurn(threadId);
    if (checkpointId === undefined || !result || (result.status !== 'done' && result.status !== 'error')) return;
    runtime.heads.set(threadId, { checkpointId, owner: result.state.activeAgent });
    // Bounded: the oldest entries go first (a Map iterates in insertion order).
    if (runtime.heads.size > MAX_CACHED_HEADS) runtime.heads.delete(runtime.heads.keys().next().value as string);
  } catch (error) {
    runtime.logger.warn({ event: 'prune-fail', thread_id: threadId, err: error }, 'could not drop old checkpoints; the next turn tries again');
  }
}

const MAX_CACHED_HEADS = 10_000;
const INTERRUPT_KEY = '__interrupt__';

/** Runs the pending steps of an unfinished turn (not one waiting for a person). */
async function finishUnfinishedTurn(graph: SwitchboardGraph, threadId: string): Promise<TurnResult | undefined> {
  const snapshot = await graph.getState({ configurable: { thread_id: threadId } });
  const waiting = snapshot.tasks.some((task) => task.interrupts.length > 0);
  if (snapshot.next.length === 0 || waiting) return undefined;
  runtimeOf(graph).logger.warn({ event: 'turn-recover', thread_id: threadId, next: snapshot.next }, 'turn-recover');
  const stream = streamRun(graph, threadId, null, { listening: false });
  let next = await stream.next();
  while (!next.done) next = await stream.next();
  return next.value;
}

async function* streamRun(
  graph: SwitchboardGraph,
  threadId: string,
  input: unknown,
  options: { signal?: AbortSignal | undefined; listening: boolean },
): AsyncGenerator<SwitchboardEvent, TurnResult> {
  const runtime = runtimeOf(graph);
  let usage = emptyUsage();
  const count = (event: SwitchboardEvent) => {
    if (event.type === 'usage') usage = addUsage(usage, { total: event.usage, byAgent: { [event.agent]: event.usage }, byPath: { [event.path]: event.usage } });
  };
  let last: SwitchboardState | undefined;
  let interrupted = false;
  // Nobody reads the events of a turn run for its result: they go straight to the usage count
  // (the nodes' `config.writer`), not through LangGraph's stream, which costs a good part of a turn.
  const modes = options.listening ? ['custom', 'values', 'messages'] : ['values'];
  const config = { configurable: { thread_id: threadId }, streamMode: modes, ...(options.listening ? {} : { writer: count }), ...(options.signal ? { signal: options.signal } : {}) };
  const stream = await graph.stream(input as never, config as never);
  for await (const item of stream as unknown as AsyncIterable<[string, unknown]>) {
    const [mode, data] = item;
    if (mode === 'values') {
      // An interrupt comes through this mode too, as `{ __interrupt__ }`: the turn waits for a person.
      if (INTERRUPT_KEY in (data as object)) interrupted = true;
      else last = data as SwitchboardState;
    } else if (mode === 'custom') {
      const event = data as SwitchboardEvent;
      count(event);
      yield event;
    } else if (mode === 'messages') {
      const [chunk, metadata] = data as [unknown, Record<string, unknown>];
      const agent = String(metadata.switchboard_agent ?? metadata.langgraph_node ?? '');
      if (chunk instanceof AIMessageChunk && typeof chunk.content === 'string' && chunk.content !== '' && runtime.agents.has(agent)) {
        yield { type: 'text-delta', agent, delta: chunk.content };
      }
    }
  }
  // A turn that settled (answered or failed) is taken from the stream; one waiting for a person is
  // read back, with the interrupt it waits on.
  const settled = !interrupted && last !== undefined && (last.turn.status === 'done' || last.turn.status === 'error');
  return settled && last ? resultOf(threadId, last, undefined, usage) : await readResult(graph, threadId, usage);
}

/** The result of the turn that just ran, read from the thread's state (for turns waiting on a person). */
async function readResult(graph: SwitchboardGraph, threadId: string, usage: Usage): Promise<TurnResult> {
  const snapshot = await graph.getState({ configurable: { thread_id: threadId } });
  const waiting = snapshot.tasks
    .flatMap((task) => task.interrupts.map((entry) => entry.value as EscalationRequest))
    .find((value) => value?.type === 'escalation');
  return resultOf(threadId, snapshot.values as SwitchboardState, waiting, usage);
}

function resultOf(threadId: string, state: SwitchboardState, waiting: EscalationRequest | undefined, usage: Usage): TurnResult {
  const turn = state.turn;
  const last = state.messages.at(-1);
  const answered = turn.status === 'done' && last?.type === 'ai';
  return {
    threadId,
    turn: turn.number,
    agent: waiting?.agent ?? state.activeAgent,
    reply: answered && !waiting ? textOf(last) : undefined,
    status: waiting ? 'waiting' : turn.status,
    error: turn.error,
    handoffs: state.handoffs.filter((record) => record.turn === turn.number),
    waitingFor: waiting,
    usage,
    sessionUsage: state.usage,
    state,
  };
}
