/**
 * One user turn on a thread, for backend code that wants a typed result rather than raw state:
 * {@link runTurn} (await the result), {@link streamTurn} (events as they happen, tokens included),
 * {@link resumeThread} (a person's reply to an escalation).
 */
import { AIMessageChunk, HumanMessage } from '@langchain/core/messages';
import { Command } from '@langchain/langgraph';
import type { SwitchboardGraph } from '../graphs/compile.js';
import { runtimeOf } from '../graphs/compile.js';
import type { EscalationRequest, HumanReply } from '../nodes/human.js';
import { HumanReplySchema } from '../nodes/human.js';
import { addUsage, emptyUsage, fieldsSchema } from '../state/schema.js';
import type { HandoffRecord, SwitchboardState, Turn, Usage } from '../state/schema.js';
import { StoreError } from '../errors/store-error.js';
import { SwitchboardError } from '../errors/switchboard-error.js';
import type { SwitchboardEvent } from './events.js';

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
  if (input.fields) checkFields(graph, input.fields);
  const payload = { messages: [new HumanMessage(input.message)], ...(input.fields ? { fields: input.fields } : {}) };
  return yield* underLock(graph, input.threadId, async function* () {
    await finishUnfinishedTurn(graph, input.threadId);
    return yield* streamRun(graph, input.threadId, payload, input.signal);
  });
}

/** Runs one turn and returns its result (an error ends the turn; see `result.error`). */
export async function runTurn(graph: SwitchboardGraph, input: TurnInput & { throwOnError?: boolean }): Promise<TurnResult> {
  const stream = streamTurn(graph, input);
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
export async function* streamResume(
  graph: SwitchboardGraph,
  threadId: string,
  reply: HumanReply,
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
    return yield* streamRun(graph, threadId, new Command({ resume: parsed.data }));
  });
}

/**
 * Completes a turn a crash left unfinished (a worker died mid-turn), if any; returns its result, or
 * undefined when the thread had nothing unfinished. Tool calls replay under their idempotency keys.
 */
export async function recoverThread(graph: SwitchboardGraph, threadId: string): Promise<TurnResult | undefined> {
  try {
    return await runtimeOf(graph).threadLock.withLock(threadId, () => finishUnfinishedTurn(graph, threadId));
  } catch (error) {
    throw storeErrorOr(threadId, error);
  }
}

export async function resumeThread(graph: SwitchboardGraph, threadId: string, reply: HumanReply): Promise<TurnResult> {
  const stream = streamResume(graph, threadId, reply);
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
async function* underLock<T>(
  graph: SwitchboardGraph,
  threadId: string,
  body: () => AsyncGenerator<SwitchboardEvent, T>,
): AsyncGenerator<SwitchboardEvent, T> {
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
    return yield* body();
  } catch (error) {
    throw storeErrorOr(threadId, error);
  } finally {
    release();
    await holding;
  }
}

/** Runs the pending steps of an unfinished turn (not one waiting for a person). */
async function finishUnfinishedTurn(graph: SwitchboardGraph, threadId: string): Promise<TurnResult | undefined> {
  const snapshot = await graph.getState({ configurable: { thread_id: threadId } });
  const waiting = snapshot.tasks.some((task) => task.interrupts.length > 0);
  if (snapshot.next.length === 0 || waiting) return undefined;
  runtimeOf(graph).logger.warn({ event: 'turn-recover', thread_id: threadId, next: snapshot.next }, 'turn-recover');
  const stream = streamRun(graph, threadId, null);
  let next = await stream.next();
  while (!next.done) next = await stream.next();
  return next.value;
}

async function* streamRun(
  graph: SwitchboardGraph,
  threadId: string,
  input: unknown,
  signal?: AbortSignal,
): AsyncGenerator<SwitchboardEvent, TurnResult> {
  const runtime = runtimeOf(graph);
  const config = { configurable: { thread_id: threadId } };
  let usage = emptyUsage();
  yield* streamEvents();
  return await resultOf(graph, threadId, usage);

  async function* streamEvents(): AsyncGenerator<SwitchboardEvent> {
    const stream = await graph.stream(
      input as never,
      { ...config, streamMode: ['custom', 'messages'], ...(signal ? { signal } : {}) } as never,
    );
    for await (const item of stream as unknown as AsyncIterable<[string, unknown]>) {
      const [mode, data] = item;
      if (mode === 'custom') {
        const event = data as SwitchboardEvent;
        if (event.type === 'usage')
          usage = addUsage(usage, { total: event.usage, byAgent: { [event.agent]: event.usage }, byPath: { [event.path]: event.usage } });
        yield event;
      } else if (mode === 'messages') {
        const [chunk, metadata] = data as [unknown, Record<string, unknown>];
        const agent = String(metadata.switchboard_agent ?? metadata.langgraph_node ?? '');
        if (chunk instanceof AIMessageChunk && typeof chunk.content === 'string' && chunk.content !== '' && runtime.agents.has(agent)) {
          yield { type: 'text-delta', agent, delta: chunk.content };
        }
      }
    }
  }
}

/** The typed result of the turn that just ran, read from the thread's state. */
async function resultOf(graph: SwitchboardGraph, threadId: string, usage: Usage): Promise<TurnResult> {
  const config = { configurable: { thread_id: threadId } };
  const snapshot = await graph.getState(config);
  const state = snapshot.values as SwitchboardState;
  const waiting = snapshot.tasks
    .flatMap((task) => task.interrupts.map((entry) => entry.value as EscalationRequest))
    .find((value) => value?.type === 'escalation');
  const turn = state.turn;
  const last = state.messages.at(-1);
  const answered = turn.status === 'done' && last?.type === 'ai';
  return {
    threadId,
    turn: turn.number,
    agent: waiting?.agent ?? state.activeAgent,
    reply: answered && !waiting ? last.text : undefined,
    status: waiting ? 'waiting' : turn.status,
    error: turn.error,
    handoffs: state.handoffs.filter((record) => record.turn === turn.number),
    waitingFor: waiting,
    usage,
    sessionUsage: state.usage,
    state,
  };
}
