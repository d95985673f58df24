/**
 * One user turn on a thread, for backend code that wants a typed result rather than raw state:
 * {@link runTurn} (await the result), {@link streamTurn} (events as they happen, tokens included),
 * {@link resumeThread} (a person's reply to an escalation).
 */
import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { AIMessageChunk, HumanMessage, ToolMessage } from '@langchain/core/messages';
import type { AIMessage, BaseMessage, ToolCall } from '@langchain/core/messages';
import { Command } from '@langchain/langgraph';
import type { CheckpointTuple } from '@langchain/langgraph';
import type { SwitchboardGraph } from '../graphs/compile.js';
import { runtimeOf } from '../graphs/compile.js';
import { deltaTextOf, isBlank, textOf, wellFormed } from '../models/messages.js';
import { trusted } from '../graphs/outside-input.js';
import { ownerOf } from '../nodes/context.js';
import type { TreeRuntime } from '../nodes/context.js';
import { strandedRequests } from './threads.js';
import { askerGone, becameOther, escalationsOf, isPerson, nextOwner, waitingRequestsOf } from './waiting.js';
import type { WaitingRequest, WaitingSnapshot } from './waiting.js';
import type { EscalationRequest, HumanReply } from '../nodes/human.js';
import type { ApprovalRequest } from '../nodes/approval.js';
import { checkReply, parseReply } from '../nodes/human.js';
import { lastUserMessage, messageTooLong } from '../nodes/turn.js';
import { unansweredCalls } from '../nodes/tool-calls.js';
import { addUsage, emptyUsage, fieldsSchema } from '../state/schema.js';
import { usageOfTurn } from '../state/turn-usage.js';
import type { HandoffRecord, SwitchboardState, Turn, Usage } from '../state/schema.js';
import { InputError } from '../errors/input-error.js';
import { ThreadTreeError } from '../errors/thread-tree-error.js';
import { LockLostError, StoreError } from '../errors/store-error.js';
import type { StoreErrorDetails } from '../errors/store-error.js';
import { SwitchboardError } from '../errors/switchboard-error.js';
import { FENCE_KEY, PROGRESS_KEY } from '../store/fences.js';
import type { TurnProgress } from '../store/fences.js';
import type { ThreadLease } from '../store/thread-lock.js';
import type { NextTurnWrite } from '../state/turn-write.js';
import type { HandoffRefuseCode, SwitchboardEvent } from '../nodes/events.js';
import { catchUpJournal, continuedTurnEntries, journalTurn, messageKey, withdrawnTurnEntries } from './turn-journal.js';
import type { JournalTurnOptions } from './turn-journal.js';
import { emptyTally } from './turn-summary.js';
import type { TurnTally } from './turn-summary.js';
import { isTrimmed, journaledUserMessage } from '../nodes/hot-window.js';
import type { JournalMessage } from '../state/journal-message.js';
import { earlierTurnResult } from './replay.js';
import { cutAtMaxTokens } from '../models/reply-check.js';
import { runsEnded } from '../nodes/running.js';

export interface TurnInput {
  threadId: string;
  /** What the user wrote. */
  message: string;
  /**
   * The message's idempotency key (your backend's message id). The same id sent again never adds
   * the message twice: the finished turn's result is returned, or the unfinished turn is finished.
   * Default: a new UUID (so a resend after an error must pass `result.messageId`/`error.messageId`).
   */
  messageId?: string | undefined;
  /** Shared-state fields set by backend code for this turn (e.g. `customer_id` from the session). */
  fields?: Record<string, string | number | boolean> | undefined;
  /**
   * Stops the turn (a model call or a tool in flight is aborted with it): the call rejects with the
   * signal's reason, and the next message on the thread first finishes what the stopped turn left.
   */
  signal?: AbortSignal | undefined;
}

export interface TurnResult {
  threadId: string;
  /** The id of the user message this turn answered (see {@link TurnInput.messageId}). */
  messageId: string | undefined;
  /** True when the message had been handled before: this is that turn's result, nothing ran again. */
  replayed: boolean;
  /** An earlier message's turn that a failure had cut short, finished before this one (show its reply too). */
  recovered?: TurnResult | undefined;
  turn: number;
  /** The agent that answered (or, when the turn waits for a person, the person's agent). */
  agent: string;
  /** The answer the user reads; undefined when the turn ended in error or waits for a person. */
  reply: string | undefined;
  status: Turn['status'];
  error: { code: string; message: string } | undefined;
  /** The handoffs of this turn, in order, with their payloads. */
  handoffs: HandoffRecord[];
  /** Set when the thread now waits for a person: to answer (an escalation) or to approve a handoff (an approval). */
  waitingFor: EscalationRequest | ApprovalRequest | undefined;
  /** Model calls, tokens, cost and latency of this turn. */
  usage: Usage;
  /** The thread's totals so far. */
  sessionUsage: Usage;
  /** The reply was cut at the model's `maxTokens` (the provider's finish reason `length`, `max_tokens`): only the start of an answer. */
  truncated?: true | undefined;
  /**
   * The tool calls of this turn's run that were refused (a handoff with malformed arguments or a bad
   * payload, a second handoff, a tool the model invented…), as their `handoff-refuse` events say;
   * absent when there were none. Tells a handoff the model chose but wrote badly from one it never chose.
   */
  refused?: RefusedCall[] | undefined;
  state: SwitchboardState;
}

/** A tool call refused in a turn (see {@link TurnResult.refused}). */
export interface RefusedCall {
  /** The agent whose call it was. */
  from: string;
  /** The name the model called. */
  tool: string;
  /** The agent the handoff would have gone to, when the event names it. */
  to?: string | undefined;
  code: HandoffRefuseCode;
  /** Why, in the words the model was told (it may quote what the model wrote). */
  reason: string;
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
  checkId(input.threadId, 'threadId');
  const messageId = input.messageId ?? randomUUID();
  checkId(messageId, 'messageId');
  if (typeof input.message !== 'string') throw new InputError('The message must be a string.');
  if (isBlank(input.message)) throw new InputError('The message is empty: there is nothing for an agent to answer.');
  if (input.fields) checkFields(runtimeOf(graph).tree, input.fields);
  // Stopped before it began: nothing is saved (a message saved now would be answered, unasked, with the next one).
  input.signal?.throwIfAborted();
  const payload = { messages: [new HumanMessage({ content: wellFormed(input.message), id: messageId })], ...(input.fields ? { fields: input.fields } : {}) };
  const details: StoreErrorDetails = { messageId, saved: 'nothing' };
  return yield* underLock(graph, input.threadId, details, input.signal, async function* (lease, progress) {
    let head = await readHead(graph, input.threadId, messageId, lease.fence);
    const treeName = runtimeOf(graph).tree.name;
    if (head.tree !== undefined && head.tree !== treeName) throw new ThreadTreeError(input.threadId, head.tree, treeName);
    // Read from the checkpoint (not known from this process's last turn): a turn whose journal
    // append a crash cut short is journaled before anything else happens on the thread.
    if (head.values) await catchUpJournal(runtimeOf(graph), input.threadId, head.values, lease);
    if (head.seen !== undefined) {
      // The message was sent before: its turn's result, finished first if a failure cut it short.
      await checkSentAgain(graph, input.threadId, messageId, input.message);
      details.saved = 'message';
      if (head.seen === 'latest' && head.maybeUnfinished) {
        const finished = await finishUnfinishedTurn(graph, input.threadId, lease, progress);
        if (finished) return { ...finished, replayed: true };
      }
      return await replayedResult(graph, input.threadId, messageId);
    }
    let recovered: TurnResult | undefined;
    let withdrawn: ReturnType<typeof withdrawApproval>;
    let continued: ReturnType<typeof continuedWait>;
    let abandoned: number | undefined;
    if (head.maybeUnfinished) {
      // Another message's turn was cut short (a dead worker, a failed store): finish it first; its
      // result comes back beside this turn's (`result.recovered`), so its reply can be shown.
      const snapshot = await graph.getState({ configurable: { thread_id: input.threadId } });
      recovered = await finishUnfinishedTurn(graph, input.threadId, lease, progress, snapshot);
      // Nothing to finish: the thread waits, and a handoff waiting for approval is withdrawn.
      if (!recovered) withdrawn = withdrawApproval(runtimeOf(graph), input.threadId, snapshot);
      // A turn waiting for an approval is `running` in its checkpoint: its wait is journaled here
      // if a failure cut that append short, before its end is.
      if (withdrawn) await catchUpJournal(runtimeOf(graph), input.threadId, snapshot.values as Partial<SwitchboardState>, lease, waitingRequestsOf(runtimeOf(graph), snapshot)[0]);
      // A person is waited for (the turn finished may have come to wait for one): the new message is
      // a new turn, and the wait goes on in it.
      else if (!recovered) {
        continued = continuedWait(runtimeOf(graph), snapshot);
        abandoned = continued ? undefined : strandedWait(runtimeOf(graph), snapshot);
      }
      else if (recovered.status === 'waiting') continued = continuedWait(runtimeOf(graph), await graph.getState({ configurable: { thread_id: input.threadId } }));
      head = await readHead(graph, input.threadId, messageId, lease.fence);
      // The unfinished turn was this very message's: a worker died after saving its input (pending
      // writes, which `seen` does not read) and before the checkpoint that takes it in. It is
      // answered now; running it again would answer it twice.
      if (head.seen !== undefined) {
        await checkSentAgain(graph, input.threadId, messageId, input.message);
        details.saved = 'message';
        return await replayedResult(graph, input.threadId, messageId);
      }
    }
    const owner = head.owner === undefined ? undefined : ownerOf(runtimeOf(graph), head.owner);
    if (withdrawn) yield withdrawn.event;
    // The withdrawn turn is closed in the journal with this turn's append: its calls' answers, the event, its final summary.
    // So is a turn whose wait for a person this turn goes on with, or ends (the person left the tree).
    const closedWait = continued?.turn ?? abandoned;
    const leading = withdrawn
      ? await withdrawnTurnEntries(runtimeOf(graph), input.threadId, withdrawn.turn, withdrawn.answers, withdrawn.event)
      : closedWait === undefined
        ? undefined
        : await continuedTurnEntries(runtimeOf(graph), input.threadId, closedWait);
    const messages = [...(withdrawn?.answers ?? []), ...payload.messages];
    // The agent that asked for the approval holds the conversation (a turn writes its owner when it ends).
    const to = withdrawn ? ownerOf(runtimeOf(graph), withdrawn.from) : owner;
    const person = to !== undefined && runtimeOf(graph).tree.agents[to]?.kind === 'human' ? runtimeOf(graph).agents.get(to) : undefined;
    // A message to a person is held to their `messageChars`, as an agent holds it, before anything is
    // saved (the thread goes on waiting): it would reach every later turn's agents.
    const tooLong = person && messageTooLong(input.message, person);
    if (person && tooLong) {
      const refused = await refusedForPerson(graph, input.threadId, messageId, person.name, tooLong);
      yield refused.event;
      return recovered ? { ...refused.result, recovered } : refused.result;
    }
    // A person's node cannot write before it waits: the turn it waits in is started here.
    // A person's node writes no owner before it waits: one the message comes to first (the agent
    // that asked for a withdrawn approval, made a person since) owns the conversation from here, so
    // the next message goes on waiting for them instead of going to the previous owner.
    const personTurn = person ? { turn: nextPersonTurn(person.name, messageId, continued), ...(person.name !== head.owner ? { activeAgent: person.name } : {}) } : {};
    // A new thread (or one from before trees were recorded) is marked as this tree's.
    const update = { ...payload, messages, ...personTurn, ...(head.tree === undefined ? { tree: treeName } : {}) };
    const run = to === undefined ? update : new Command({ goto: to, update });
    const before = progress.saved;
    try {
      const result = yield* streamRun(graph, input.threadId, run, { signal: input.signal, listening: options.listening, lease, progress, leading });
      return recovered ? { ...result, recovered } : result;
    } finally {
      if (progress.saved > before) details.saved = 'message';
    }
  });
}

/**
 * A handoff that waits for approval when the user writes again: nobody decided, and the new message
 * goes to the agent that asked, so the request is withdrawn (its thread no longer waits). Every call
 * of the response that waited (the handoff, and the tools held back with it) is answered as not run,
 * so the model sees what became of them and each call keeps exactly one answer.
 */
function withdrawApproval(runtime: TreeRuntime, threadId: string, snapshot: WaitingSnapshot): { from: string; turn: number; answers: ToolMessage[]; event: SwitchboardEvent } | undefined {
  const request = waitingRequestsOf(runtime, snapshot).find((waiting): waiting is ApprovalRequest => waiting.type === 'approval');
  if (!request) return undefined;
  const { messages } = snapshot.values as SwitchboardState;
  const answered = new Set(messages.flatMap((message) => (message.type === 'tool' ? [(message as ToolMessage).tool_call_id] : [])));
  const asked = messages.findLast((message): message is AIMessage => message.type === 'ai' && (message as AIMessage).tool_calls?.some((call) => call.id === request.toolCallId) === true);
  const answers = (asked ? unansweredCalls(asked, answered) : []).map(
    (call) =>
      new ToolMessage({
        content:
          call.id === request.toolCallId
            ? `Not decided: the user wrote again before a person approved the handoff to ${request.to}; ${request.from} keeps the conversation. Ask again if it is still needed.`
            : 'Not run: it waited with a handoff for approval, and the user wrote again first. Call it again if it is still needed.',
        id: randomUUID(),
        tool_call_id: call.id ?? '',
        name: call.name,
        status: 'error',
      }),
  );
  runtime.logger.info({ event: 'approval-withdrawn', thread_id: threadId, from: request.from, to: request.to }, 'approval-withdrawn');
  return { from: request.from, turn: request.turn, answers, event: withdrawnEvent(request) };
}

function withdrawnEvent(request: ApprovalRequest): SwitchboardEvent {
  return { type: 'approval-end', from: request.from, to: request.to, tool: request.tool, approved: false, withdrawn: true };
}

/**
 * The wait for a person that a new message goes on with: the thread waits for an escalation the
 * person has not answered. The message opens the next turn, which comes from the user (the person
 * owns the conversation); the person answers both at once.
 */
function continuedWait(runtime: TreeRuntime, snapshot: WaitingSnapshot): { turn: number; path: string[] } | undefined {
  const request = escalationsOf(runtime, snapshot)[0];
  const { turn } = snapshot.values as SwitchboardState;
  // Threads from before person turns were started by the runtime wait with an earlier turn number:
  // the message joins that turn. A later number is a message whose input a failure left unsaved
  // (the state shows it, its checkpoint never came): sent again, it goes on with the same wait.
  // One the YAML made an agent (or a helper) since cannot answer: the wait ends (see strandedWait).
  if (!request || turn.number < request.turn || !isPerson(runtime, request.agent)) return undefined;
  // The path that led to the person stays the turn's: who they may hand back to does not change.
  return { turn: request.turn, path: turn.path.at(-1) === request.agent ? turn.path : [request.agent] };
}

/**
 * The turn that waits for one who is no longer a person: the YAML removed or renamed them, or made
 * them an agent or a helper. Nobody can answer the wait: the new message goes to its owner now (the
 * agent they became, else the root), and the wait is closed in the journal with this turn's append
 * (it would stay `waiting` for good).
 */
function strandedWait(runtime: TreeRuntime, snapshot: WaitingSnapshot): number | undefined {
  const { turn, activeAgent } = snapshot.values as Partial<SwitchboardState>;
  return turn?.status === 'waiting' && activeAgent !== undefined && !isPerson(runtime, activeAgent) ? turn.number : undefined;
}

/** A message refused before it reached the person `person` (nothing saved): the result, and its `turn-end` event. */
async function refusedForPerson(graph: SwitchboardGraph, threadId: string, messageId: string, person: string, message: string): Promise<{ result: TurnResult; event: SwitchboardEvent }> {
  const snapshot = await graph.getState({ configurable: { thread_id: threadId } });
  const state = snapshot.values as SwitchboardState;
  const turn = state.turn.number + 1;
  const error = { code: 'MESSAGE_TOO_LONG', message };
  runtimeOf(graph).logger.warn({ event: 'turn-end', thread_id: threadId, turn, agent: person, status: 'error', error: { code: error.code } }, 'turn-end');
  const result: TurnResult = { ...resultOf(threadId, state, undefined, emptyUsage()), messageId, turn, agent: person, reply: undefined, status: 'error', error, handoffs: [] };
  return { result, event: { type: 'turn-end', threadId, turn, agent: person, status: 'error', error, durationMs: 0 } };
}

/** The turn a message to the person `person` opens (numbered after the thread's latest turn). */
function nextPersonTurn(person: string, messageId: string, continued: ReturnType<typeof continuedWait>): NextTurnWrite {
  return {
    next: {
      messageId,
      startedAt: new Date().toISOString(),
      path: continued?.path ?? [person],
      handoffs: 0,
      modelCalls: 0,
      toolCalls: 0,
      status: 'waiting',
      byAgent: {},
    },
  };
}

/** The longest thread or message id, in UTF-8 bytes: on every store, it fits an index entry beside the other. */
export const MAX_ID_BYTES = 1024;

/** Thread and message ids are stored and compared as given: a NUL, a control character or a lone surrogate could never be stored alike everywhere. */
export function checkId(id: unknown, what: string): void {
  if (typeof id !== 'string' || id === '') throw new InputError(`The ${what} must be a non-empty string.`);
  // Bytes, not characters: PostgreSQL indexes the ids, and an index entry holds at most about 2.7 KB.
  const bytes = Buffer.byteLength(id, 'utf8');
  if (bytes > MAX_ID_BYTES) throw new InputError(`The ${what} takes ${bytes} bytes in UTF-8; at most ${MAX_ID_BYTES} are allowed (1024 ASCII characters, fewer in other scripts).`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f]/.test(id)) throw new InputError(`The ${what} contains a control character (such as NUL); ids must be printable text.`);
  if (/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(id)) throw new InputError(`The ${what} contains a lone surrogate (malformed UTF-16); ids must be well-formed text.`);
}

/**
 * What the thread's latest checkpoint says, read without preparing LangGraph's next tasks: the
 * agent that owns the conversation, whether the last turn may be unfinished (a turn still running,
 * a user message not yet taken, a handoff to a person not yet raised; LangGraph's own view then
 * decides, see {@link finishUnfinishedTurn}), and whether `messageId` is already in the thread (as
 * its latest user message, or an earlier one). No checkpointer: no owner (START routes).
 */
async function readHead(
  graph: SwitchboardGraph,
  threadId: string,
  messageId: string,
  fence: number,
): Promise<{ owner: string | undefined; maybeUnfinished: boolean; seen: 'latest' | 'earlier' | undefined; tree: string | undefined; values?: Partial<SwitchboardState> }> {
  const saver = graph.checkpointer;
  if (!saver || typeof saver === 'boolean') return { owner: undefined, maybeUnfinished: false, seen: undefined, tree: undefined };
  // Nobody wrote the thread since this process settled its last turn: what it knew still holds.
  // Nobody took it either (this hold's token is the very next one): a worker that died after
  // writing pending writes, before any checkpoint, leaves the newest checkpoint id as it was.
  const runtime = runtimeOf(graph);
  const known = runtime.heads.get(threadId);
  if (known && known.fence + 1 === fence && runtime.checkpoints && (await runtime.checkpoints.head(threadId)) === known.checkpointId) {
    const seen = known.lastMessageId === messageId ? 'latest' : known.messageIds.has(messageId) || (known.trimmed && (await journaledUserMessage(runtime, threadId, messageId))) ? 'earlier' : undefined;
    return { owner: known.owner, maybeUnfinished: false, seen, tree: runtime.tree.name };
  }
  const tuple = await saver.getTuple({ configurable: { thread_id: threadId, checkpoint_ns: '' } });
  if (!tuple) return { owner: runtime.tree.root, maybeUnfinished: false, seen: undefined, tree: undefined };
  const values = tuple.checkpoint.channel_values as Partial<SwitchboardState>;
  const turn = values.turn;
  const messages = values.messages ?? [];
  const user = lastUserMessage(messages);
  const settled = turn !== undefined && (turn.status === 'done' || turn.status === 'error') && (user === undefined || user.id === turn.messageId);
  const pending = (tuple.pendingWrites ?? []).length > 0;
  // A message older than the hot window is known by the journal (see state/window.ts).
  const earlier = messages.some((message) => message.type === 'human' && message.id === messageId) || (turn !== undefined && isTrimmed(turn.number, messages) && (await journaledUserMessage(runtime, threadId, messageId)) !== undefined);
  const seen = user?.id === messageId ? 'latest' : earlier ? 'earlier' : undefined;
  return { owner: values.activeAgent ?? runtime.tree.root, maybeUnfinished: !settled || pending, seen, tree: values.tree, values };
}

/**
 * A message sent again must be the one sent before: a different text under the same id is refused
 * (`MESSAGE_ID_REUSED`, as payment APIs refuse a reused idempotency key), before anything is saved,
 * rather than answered with the first message's answer or used to finish its turn.
 */
async function checkSentAgain(graph: SwitchboardGraph, threadId: string, messageId: string, text: string): Promise<void> {
  const state = (await graph.getState({ configurable: { thread_id: threadId } })).values as Partial<SwitchboardState>;
  const hot = state.messages?.find((message) => message.type === 'human' && message.id === messageId)?.content;
  const sent = hot ?? ((await journaledUserMessage(runtimeOf(graph), threadId, messageId))?.data as JournalMessage | undefined)?.content;
  if (typeof sent === 'string' && sent !== wellFormed(text)) {
    throw new SwitchboardError('MESSAGE_ID_REUSED', `Message ${messageId} was sent on thread ${threadId} before, with a different text: send a new message with a new messageId (the same id is for sending the same message again).`);
  }
}

/** The result of a message handled before: its turn's answer, read from the thread. */
async function replayedResult(graph: SwitchboardGraph, threadId: string, messageId: string): Promise<TurnResult> {
  const snapshot = await graph.getState({ configurable: { thread_id: threadId } });
  const state = snapshot.values as SwitchboardState;
  const waiting = waitingRequestsOf(runtimeOf(graph), snapshot)[0];
  if (lastUserMessage(state.messages)?.id === messageId) return { ...resultOf(threadId, state, waiting, emptyUsage()), replayed: true };
  // An earlier message: its answer is the last reply of its turn (from the journal once the turn left the hot state).
  return earlierTurnResult(runtimeOf(graph), threadId, messageId, state, waiting);
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
  checkId(threadId, 'threadId');
  return escalationsOf(runtimeOf(graph), await graph.getState({ configurable: { thread_id: threadId } }));
}

/**
 * Delivers a person's reply to the escalation a thread waits on. Throws `NOTHING_PENDING` when the
 * thread waits for nobody (saying who answered its last wait, and when), `INVALID_REPLY` for a reply
 * that cannot be delivered (empty, longer than the person's `messageChars`, or handing back to an
 * agent the person may not), before anything is saved. A reply saved before a failure cut its run
 * short is carried out first: the same reply (text and hand-back) returns that turn (`replayed:
 * true`); another is refused with it as the error's `recovered` ({@link NothingPendingError}).
 */
export async function* streamResume(graph: SwitchboardGraph, threadId: string, reply: HumanReply, options: AnswerOptions = {}): AsyncGenerator<SwitchboardEvent, TurnResult> {
  return yield* resumeEvents(graph, threadId, reply, { listening: true, signal: options?.signal });
}

/** A reply sent to a thread that waits for an approval its asker can no longer take (`why`). */
function undecidableNotAReply(runtime: TreeRuntime, threadId: string, approval: ApprovalRequest, why: string): SwitchboardError {
  return new SwitchboardError('NOTHING_PENDING', `Thread ${threadId} waits for approval of ${approval.from} → ${approval.to}, not for a reply, and it cannot be decided now: ${why}. The thread's next message withdraws it and goes to ${nextOwner(runtime, approval.from)}.`);
}

async function* resumeEvents(
  graph: SwitchboardGraph,
  threadId: string,
  reply: HumanReply,
  options: { listening: boolean; signal: AbortSignal | undefined },
): AsyncGenerator<SwitchboardEvent, TurnResult> {
  const answer = parseReply(reply);
  // An approval asked by an agent the YAML has removed or renamed since: LangGraph shows no wait for
  // the lost node, but the request is there (pending lists it), and it is not a wait for a reply.
  const stranded = await approvalOfLostAgent(graph, threadId, 'reply');
  if (stranded) throw undecidableNotAReply(runtimeOf(graph), threadId, stranded, askerGone(runtimeOf(graph), stranded) ?? `${stranded.from} is not an agent any more`);
  return yield* streamResumeWith(
    graph,
    threadId,
    async (snapshot) => {
      const runtime = runtimeOf(graph);
      const waiting = escalationsOf(runtime, snapshot)[0];
      const person = waiting && isPerson(runtime, waiting.agent) ? runtime.agents.get(waiting.agent) : undefined;
      if (!waiting || !person) {
        const approval = waitingRequestsOf(runtime, snapshot).find((request): request is ApprovalRequest => request.type === 'approval');
        if (approval) {
          const asker = askerGone(runtime, approval);
          if (asker) throw undecidableNotAReply(runtime, threadId, approval, asker);
          throw new SwitchboardError('NOTHING_PENDING', `Thread ${threadId} waits for a person to approve ${approval.from} → ${approval.to}, not for a reply: decide it with approveHandoff or denyHandoff (switchboard approve|deny).`);
        }
        // A person the YAML removed, renamed or made an agent or a helper while the thread waited for
        // them: nobody can answer as them now (a reply would be dropped by the node they became).
        const { turn, activeAgent } = snapshot.values as Partial<SwitchboardState>;
        const gone = waiting?.agent ?? (turn?.status === 'waiting' ? activeAgent : undefined);
        const what = gone === undefined ? undefined : becameOther(runtime, gone, 'person');
        if (gone !== undefined && what !== undefined) {
          throw new SwitchboardError('NOTHING_PENDING', `Thread ${threadId} waited for ${gone}, who ${what}: its next message goes to ${nextOwner(runtime, gone)}.`);
        }
        throw await notWaitingForPerson(graph, threadId, snapshot);
      }
      // Checked here, before anything is saved, as the person's node checks it when it runs on (the
      // hand-back choices are the tree's as it is now): a reply that node refused would stay the
      // thread's answer, and every later reply would fail alike.
      checkReply(person, answer, waiting.handBackTargets);
      return answer;
    },
    { listening: options.listening, signal: options.signal, answer: 'reply', compare: (saved) => compareReply(threadId, answer, saved) },
  );
}

/**
 * A reply against the one a failure had left saved and a recovery carried out: the same reply (its
 * text and hand-back) given again, whoever sends it, or another, refused with who answered when.
 */
function compareReply(threadId: string, answer: HumanReply, saved: SavedAnswer): SavedAnswerVerdict | undefined {
  if (saved.request.type !== 'escalation') return undefined;
  const given = (saved.value ?? {}) as Partial<HumanReply>;
  if (given.reply === answer.reply && given.handBackTo === answer.handBackTo) return { same: true };
  const by = given.operator ? ` (${given.operator})` : '';
  return {
    same: false,
    message: `Thread ${threadId} is not waiting for a person: ${saved.request.agent}${by} already answered in turn ${saved.request.turn}, with a reply saved before a failure cut its run short and carried out first. That turn's result is the error's \`recovered\`.`,
  };
}

/**
 * The refusal of a reply to a thread that waits for nobody, saying what the thread records: no turns
 * (no thread of that id on this store), or the person who answered its last wait for one, and in
 * which turn. Only on this error's way (a keyed journal read, for the turn).
 */
async function notWaitingForPerson(graph: SwitchboardGraph, threadId: string, snapshot: Snapshot): Promise<SwitchboardError> {
  const runtime = runtimeOf(graph);
  const { turn, messages = [], activeAgent } = snapshot.values as Partial<SwitchboardState>;
  const refuse = (why: string) => new SwitchboardError('NOTHING_PENDING', `Thread ${threadId} is not waiting for a person: ${why}.`);
  if (!turn) return refuse('it has no turns (no thread of that id on this store)');
  const answered = messages.findLast((message) => message.type === 'ai' && message.name !== undefined && runtime.tree.agents[message.name]?.kind === 'human');
  const owner = activeAgent === undefined ? '' : `; ${activeAgent} owns the conversation`;
  if (!answered?.name) return refuse(`no person was asked for in its latest turns (turn ${turn.number} is its latest${owner})`);
  const operator = (answered.additional_kwargs as { operator?: unknown } | undefined)?.operator;
  const by = typeof operator === 'string' ? ` (${operator})` : '';
  const at = await journaledTurnOf(runtime, threadId, answered.id);
  return refuse(`its last wait for one ended when ${answered.name}${by} answered${at === undefined ? '' : ` in turn ${at}`}${owner}`);
}

/** The turn the journal files message `id` under (undefined without a journal, or for a message it does not have). */
export async function journaledTurnOf(runtime: TreeRuntime, threadId: string, id: string | undefined): Promise<number | undefined> {
  if (id === undefined || !runtime.journal) return undefined;
  return (await runtime.journal.get(threadId, messageKey(id)))?.turn;
}

/**
 * Completes a turn a crash left unfinished (a worker died mid-turn), if any; returns its result, or
 * undefined when the thread had nothing unfinished. Tool calls replay under their idempotency keys.
 */
export async function recoverThread(graph: SwitchboardGraph, threadId: string): Promise<TurnResult | undefined> {
  checkId(threadId, 'threadId');
  // Nothing to finish on a thread never written (see `threadWritten`).
  if (!(await threadWritten(graph, threadId, { recovering: true }))) return undefined;
  try {
    return await runtimeOf(graph).threadLock.withLock(threadId, async (lease) => {
      // Another tree's thread is never finished with this tree's graph.
      const snapshot = await graph.getState({ configurable: { thread_id: threadId } });
      const threadTree = (snapshot.values as Partial<SwitchboardState>).tree;
      const treeName = runtimeOf(graph).tree.name;
      if (threadTree !== undefined && threadTree !== treeName) throw new ThreadTreeError(threadId, threadTree, treeName);
      await catchUpJournal(runtimeOf(graph), threadId, await checkpointedValues(graph, threadId), lease, waitingRequestsOf(runtimeOf(graph), snapshot)[0]);
      try {
        const result = await finishUnfinishedTurn(graph, threadId, lease, { saved: 0 });
        await settle(graph, threadId, result, lease.fence);
        return result;
      } finally {
        // As under a turn's lock: a stopped run's tool or hook still going keeps the thread.
        await runsEnded(runtimeOf(graph), threadId);
      }
    });
  } catch (error) {
    throw storeErrorOr(threadId, error, { recovering: true });
  }
}

export async function resumeThread(graph: SwitchboardGraph, threadId: string, reply: HumanReply, options: AnswerOptions = {}): Promise<TurnResult> {
  const stream = resumeEvents(graph, threadId, reply, { listening: false, signal: options?.signal });
  let next = await stream.next();
  while (!next.done) next = await stream.next();
  return next.value;
}

/** Fields set by backend code must be the tree's own, with the declared types (`INVALID_FIELDS`). */
export function checkFields(tree: Parameters<typeof fieldsSchema>[0], fields: Record<string, unknown>): void {
  const parsed = fieldsSchema(tree).safeParse(fields);
  if (parsed.success) return;
  const declared = Object.keys(tree.state ?? {});
  const problems = parsed.error.issues.map((issue) =>
    issue.code === 'unrecognized_keys' ? `${issue.keys.map((key) => `"${key}"`).join(', ')} not declared under state:` : `${issue.path.join('.')}: ${issue.message}`,
  );
  throw new SwitchboardError('INVALID_FIELDS', `The fields are invalid: ${problems.join('; ')}. The tree's fields: ${declared.join(', ') || '(none)'}.`);
}

/**
 * A database failure under the checkpointer or the lock, or a lost hold on the thread, as a
 * {@link StoreError} that says what was saved and how to resend; anything else unchanged.
 */
function storeErrorOr(threadId: string, error: unknown, details: StoreErrorDetails): unknown {
  if (error instanceof LockLostError) return new LockLostError(threadId, error.cause ?? error, details);
  if (error instanceof StoreError) return new StoreError(threadId, error.cause ?? error, details);
  return StoreError.matches(error) ? new StoreError(threadId, error, details) : error;
}

/**
 * Runs `body` holding the thread's lock (released when the generator finishes or is abandoned).
 * The body's run stops when the hold is lost (the lease's signal aborts it). A caller's `signal`
 * aborted while the lock is awaited (another turn holds the thread) stops the wait at once, and one
 * aborted by the time the lock is taken stops the turn before it reads or writes anything: either
 * way it rejects with the signal's reason and nothing of it is saved.
 */
async function* underLock(
  graph: SwitchboardGraph,
  threadId: string,
  details: StoreErrorDetails,
  signal: AbortSignal | undefined,
  body: (lease: ThreadLease, progress: TurnProgress) => AsyncGenerator<SwitchboardEvent, TurnResult>,
): AsyncGenerator<SwitchboardEvent, TurnResult> {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let signalAcquired!: (outcome: { lease?: ThreadLease; error?: unknown }) => void;
  const acquired = new Promise<{ lease?: ThreadLease; error?: unknown }>((resolve) => (signalAcquired = resolve));
  const holding = runtimeOf(graph)
    .threadLock.withLock(threadId, async (lease) => {
      signalAcquired({ lease });
      await released;
    })
    .catch((error: unknown) => signalAcquired({ error: error ?? new Error('lock failed') }));
  const outcome = await untilAborted(acquired, signal);
  if (outcome === undefined) {
    // Given up: the lock, once it comes, is let go at once (its holder's release is not waited for here).
    release();
    throw signal?.reason;
  }
  if (!outcome.lease) throw storeErrorOr(threadId, outcome.error, details);
  const progress: TurnProgress = { saved: 0 };
  try {
    signal?.throwIfAborted();
    const result = yield* body(outcome.lease, progress);
    await settle(graph, threadId, result, outcome.lease.fence);
    return result;
  } catch (error) {
    // A turn stopped because the hold was lost fails with LockLostError, whatever surfaced first.
    const lost = outcome.lease.signal.aborted ? (outcome.lease.signal.reason as unknown) : undefined;
    throw storeErrorOr(threadId, lost instanceof LockLostError ? lost : error, details);
  } finally {
    // A stopped run's node may still be running a tool or a hook that ignores its signal: the call
    // returns now, and the thread is let go once that ends, so that the next turn (which finishes the
    // stopped one under the same idempotency keys) never runs the side effect beside it.
    if (runtimeOf(graph).running.has(threadId)) void runsEnded(runtimeOf(graph), threadId).then(release);
    else {
      release();
      await holding;
    }
  }
}

/** What `promise` gives, or undefined as soon as `signal` aborts (at once if it already has). */
async function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T | undefined> {
  if (!signal) return promise;
  if (signal.aborted) return undefined;
  let onAbort!: () => void;
  const aborted = new Promise<undefined>((resolve) => (onAbort = () => resolve(undefined)));
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    return await Promise.race([promise, aborted]);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

/**
 * After a turn, holding the thread's lock: drops the thread's older checkpoints (the retention) and
 * remembers its newest checkpoint and owner when the turn settled, so the next turn need not read
 * the checkpoint back. The turn is already durable: a failure here is logged, and the next turn
 * reads the thread as usual.
 */
async function settle(graph: SwitchboardGraph, threadId: string, result: TurnResult | undefined, fence: number): Promise<void> {
  const runtime = runtimeOf(graph);
  runtime.heads.delete(threadId);
  if (!runtime.checkpoints) return;
  try {
    const checkpointId = await runtime.checkpoints.afterTurn(threadId);
    if (checkpointId === undefined || !result || (result.status !== 'done' && result.status !== 'error')) return;
    if (runtime.journal && !journaled.has(result.state)) return;
    const messageIds = new Set<string>();
    for (const message of result.state.messages) if (message.type === 'human' && message.id) messageIds.add(message.id);
    // The hot window's user messages (older ones are looked up in the journal: `trimmed`).
    const trimmed = isTrimmed(result.state.turn.number, result.state.messages);
    runtime.heads.set(threadId, { checkpointId, fence, owner: result.state.activeAgent, lastMessageId: lastUserMessage(result.state.messages)?.id, messageIds, trimmed });
    // Bounded: the oldest entries go first (a Map iterates in insertion order).
    if (runtime.heads.size > MAX_CACHED_HEADS) runtime.heads.delete(runtime.heads.keys().next().value as string);
  } catch (error) {
    // The error's name and code only: a database's detail text can quote key values (thread ids).
    const { name, code } = error as { name?: string; code?: string };
    runtime.logger.warn({ event: 'prune-fail', thread_id: threadId, error: { name, code } }, 'could not drop old checkpoints; the next turn tries again');
  }
}

/** A thread's state as LangGraph reads it (with the tasks still to run and their interrupts). */
type Snapshot = Awaited<ReturnType<SwitchboardGraph['getState']>>;

const MAX_CACHED_HEADS = 10_000;
const INTERRUPT_KEY = '__interrupt__';

/** The thread's latest checkpoint, with the writes saved beside it (none without a checkpointer). */
async function latestTuple(graph: SwitchboardGraph, threadId: string): Promise<CheckpointTuple | undefined> {
  const saver = graph.checkpointer;
  if (!saver || typeof saver === 'boolean') return undefined;
  return saver.getTuple({ configurable: { thread_id: threadId, checkpoint_ns: '' } });
}

/**
 * An approval asked by an agent the YAML has lost since, read before an answer takes the thread's
 * lock (see {@link strandedRequests}); a store that fails is a `StoreError` with the answer's advice.
 */
export async function approvalOfLostAgent(graph: SwitchboardGraph, threadId: string, answer: 'decision' | 'reply'): Promise<ApprovalRequest | undefined> {
  try {
    return (await strandedRequests(graph, threadId)).find((request): request is ApprovalRequest => request.type === 'approval');
  } catch (error) {
    throw storeErrorOr(threadId, error, { answer });
  }
}

/** The thread's state read outside its lock; a store that fails is a `StoreError` (with `details`' advice). */
async function readOutsideLock(graph: SwitchboardGraph, threadId: string, details: StoreErrorDetails): Promise<Snapshot> {
  try {
    return await graph.getState({ configurable: { thread_id: threadId } });
  } catch (error) {
    throw storeErrorOr(threadId, error, details);
  }
}

/**
 * Whether the thread has a checkpoint (always true without a checkpointer: nothing to look at).
 * Calls that only act on an existing thread (an answer, a recovery) look before taking its lock: a
 * lock leaves the thread's fence behind (a lease row in a database), which every mistyped or
 * made-up thread id would otherwise add for good.
 */
async function threadWritten(graph: SwitchboardGraph, threadId: string, details: StoreErrorDetails): Promise<boolean> {
  const saver = graph.checkpointer;
  if (!saver || typeof saver === 'boolean') return true;
  try {
    return (await latestTuple(graph, threadId)) !== undefined;
  } catch (error) {
    throw storeErrorOr(threadId, error, details);
  }
}

/**
 * The thread's values as its latest checkpoint holds them, for the journal's catch-up: `getState`
 * also applies the writes a failure left beside it, which are not the thread's until a run takes
 * them in (and journals them itself).
 */
async function checkpointedValues(graph: SwitchboardGraph, threadId: string): Promise<Partial<SwitchboardState>> {
  return (await latestTuple(graph, threadId))?.checkpoint.channel_values ?? {};
}

// LangGraph's names for a `Command`'s writes (not exported): the task id of a run's input, the
// channel of a `resume`, the channels of a `goto` (`branch:to:<node>`).
const NULL_TASK_ID = '00000000-0000-0000-0000-000000000000';
const RESUME = '__resume__';
const BRANCH_TO = 'branch:to:';

/**
 * What a turn cut short while running had done by its last checkpoint: its model calls (with their
 * tokens and cost) and tool calls, counted in the turn's result and summary when it is finished.
 */
function earlierPart(snapshot: Snapshot): TurnTally | undefined {
  const turn = (snapshot.values as Partial<SwitchboardState>).turn;
  if (turn?.status !== 'running') return undefined;
  const usage = usageOfTurn(turn);
  return { ...emptyTally(), ...(usage ? { usage } : {}), modelCalls: usage?.total.modelCalls ?? 0, toolCalls: turn.toolCalls };
}

/**
 * Runs the pending steps of an unfinished turn; on a thread that waits for a person, the input a
 * failure left saved beside the checkpoint (see {@link unsavedInput}). Undefined when there is
 * nothing to finish.
 */
async function finishUnfinishedTurn(graph: SwitchboardGraph, threadId: string, lease: ThreadLease, progress: TurnProgress, read?: Snapshot): Promise<TurnResult | undefined> {
  const snapshot = read ?? (await graph.getState({ configurable: { thread_id: threadId } }));
  const waiting = snapshot.tasks.some((task) => task.interrupts.length > 0);
  // `tasks`, not `next`: LangGraph leaves out of `next` a task whose writes were saved when its
  // worker died before the checkpoint that takes them in. The turn is unfinished all the same, and
  // running on applies those writes (the task does not run again) and goes to the next node.
  if (snapshot.tasks.length === 0) return await closeStrandedTurn(graph, threadId, lease, snapshot);
  const madePersons = waiting ? [] : madePersonsMidCall(graph, snapshot);
  if (madePersons.length > 0) return await closeStrandedTurn(graph, threadId, lease, snapshot, madePersons);
  const unsaved = waiting ? await unsavedInput(graph, threadId) : undefined;
  if (waiting && !unsaved) return undefined;
  const runtime = runtimeOf(graph);
  runtime.logger.warn({ event: 'turn-recover', thread_id: threadId, next: snapshot.tasks.map((task) => task.name), ...(unsaved ? { input: unsaved.kind } : {}) }, 'turn-recover');
  // A message that withdrew a request for approval closes that turn, as it would have: the answers
  // its input gave the waiting calls, and the `approval-end` event.
  const approval = unsaved?.kind === 'message' ? waitingRequestsOf(runtime, snapshot).find((request): request is ApprovalRequest => request.type === 'approval') : undefined;
  const answers = unsaved?.messages.filter((message) => message.type === 'tool') ?? [];
  const leading = approval && (await withdrawnTurnEntries(runtime, threadId, approval.turn, answers, withdrawnEvent(approval)));
  const stream = streamRun(graph, threadId, unsaved?.run ?? null, { listening: false, lease, progress, recovered: true, resumed: unsaved?.kind === 'reply', leading, earlier: earlierPart(snapshot) });
  let next = await stream.next();
  while (!next.done) next = await stream.next();
  return next.value;
}

/**
 * The nodes a running turn would go on in that the YAML has made persons since the turn was cut
 * short while a model agent's calls were unanswered: a person's node cannot answer them (it waits
 * for the person, and the calls stay unanswered), so the turn is closed as stranded instead. A turn
 * cut short on its way to a person (no call left unanswered) goes on to wait for them.
 */
function madePersonsMidCall(graph: SwitchboardGraph, snapshot: Snapshot): string[] {
  const state = snapshot.values as Partial<SwitchboardState>;
  const runtime = runtimeOf(graph);
  if (state.turn?.status !== 'running' || !snapshot.tasks.every((task) => isPerson(runtime, task.name))) return [];
  return unansweredInTurn(state.messages ?? []).length > 0 ? snapshot.tasks.map((task) => task.name) : [];
}

/** The tool calls of the messages since the last user message that no tool message answers. */
function unansweredInTurn(messages: readonly BaseMessage[]): ToolCall[] {
  const ofTurn = messages.slice(messages.findLastIndex((message) => message.type === 'human') + 1);
  const answered = new Set(ofTurn.flatMap((message) => (message.type === 'tool' ? [(message as ToolMessage).tool_call_id] : [])));
  return ofTurn.filter((message): message is AIMessage => message.type === 'ai').flatMap((message) => unansweredCalls(message, answered));
}

/**
 * A turn cut short where the tree has changed since (the YAML lost the agent it was in, or the one
 * it was handing to): LangGraph finds nothing to run (it drops a task whose node the graph does not
 * have), so the turn could never finish, nor be journaled, and the next message would pass over it.
 * The same for a turn cut short in a model agent's calls where the YAML made that agent a person
 * (`madePersons`, see {@link madePersonsMidCall}).
 * It is closed as an error (`AGENT_REMOVED`): each call it left unanswered is answered as of unknown
 * outcome (it may have run: a tool's side effect is recorded by key, but a new call is a new key),
 * its moves and usage settle, the root takes the conversation, and the turn is journaled.
 */
async function closeStrandedTurn(graph: SwitchboardGraph, threadId: string, lease: ThreadLease, snapshot: Snapshot, madePersons: readonly string[] = []): Promise<TurnResult | undefined> {
  const state = snapshot.values as SwitchboardState;
  if ((snapshot.tasks.length > 0 && madePersons.length === 0) || !state.turn) return undefined;
  const runtime = runtimeOf(graph);
  const user = lastUserMessage(state.messages);
  // Cut short before its first step wrote anything: the message is in, the turn still the last one.
  const unstarted = user !== undefined && user.id !== state.turn.messageId && (state.turn.status === 'done' || state.turn.status === 'error');
  if (state.turn.status !== 'running' && !unstarted) return undefined;
  const running: Turn = unstarted
    ? { number: state.turn.number + 1, ...(user?.id ? { messageId: user.id } : {}), startedAt: new Date().toISOString(), path: [state.activeAgent], handoffs: 0, modelCalls: 0, toolCalls: 0, status: 'running', byAgent: {} }
    : state.turn;
  const approval = unstarted ? undefined : await strandedApproval(graph, threadId);
  const involved = [...running.path, ...(running.moves ?? []).map((move) => move.to), ...(approval ? [approval.from] : [])];
  // A helper is no node: a turn cut short in an agent the YAML made a helper cannot go on either.
  const gone = [...new Set([...involved, ...madePersons])].filter((agent) => !runtime.agents.has(agent) || runtime.tree.agents[agent]?.kind === 'helper' || madePersons.includes(agent));
  // Nothing it involved left the tree: not a turn this closes (a message added by other means, say).
  if (gone.length === 0) return undefined;
  const made = [...new Set(gone.flatMap((agent) => (!runtime.agents.has(agent) ? [] : isPerson(runtime, agent) ? ['a person'] : ['a helper'])))];
  const where = `in ${gone.join(', ')}, which the tree no longer has${made.length > 0 ? ` as an agent (made ${made.join(', ')})` : ''}`;
  const what = approval ? `waited for a person to approve ${approval.from}'s handoff to ${approval.to}` : unstarted ? 'was cut short before it began' : 'was cut short';
  const error = { code: 'AGENT_REMOVED', message: `Turn ${running.number} ${what} ${where} (the YAML changed since): it cannot go on, so it ends here; ${runtime.tree.root} takes the conversation.` };
  const answers = unansweredInTurn(state.messages).map((call) => new ToolMessage({ content: strandedAnswer(call.id === approval?.toolCallId, approval), id: randomUUID(), tool_call_id: call.id ?? '', name: call.name, status: 'error' }));
  const { moves = [], calls: _calls, usage: _legacy, ...counters } = running;
  const turn: Turn = { ...counters, status: 'error', error };
  const usage = usageOfTurn(running);
  runtime.logger.warn({ event: 'turn-recover', thread_id: threadId, turn: turn.number, error: { code: error.code } }, 'turn-recover');
  const domain = runtime.threadLock.fences;
  const config = { configurable: { thread_id: threadId, ...(domain ? { [FENCE_KEY]: { token: lease.fence, domain } } : {}) } };
  // As the root's node: agent nodes route by Command, so nothing is left to run.
  await graph.updateState(config, { messages: answers, turn, handoffs: moves, ...(usage ? { usage } : {}), activeAgent: runtime.tree.root }, runtime.tree.root);
  const closed = (await graph.getState({ configurable: { thread_id: threadId } })).values as SwitchboardState;
  await catchUpJournal(runtime, threadId, closed, lease, undefined, usage);
  return resultOf(threadId, closed, undefined, emptyUsage());
}

/** What a stranded turn's unanswered call is told: a call that waited for approval never ran; any other may have. */
function strandedAnswer(isGatedHandoff: boolean, approval: ApprovalRequest | undefined): string {
  if (isGatedHandoff && approval) return `Not decided: ${approval.from}, which asked for the handoff to ${approval.to}, is no longer in the tree. Ask again if it is still needed.`;
  if (approval) return 'Not run: it waited with a handoff for approval, and the agent that made it is no longer in the tree. Call it again if it is still needed.';
  return 'Outcome unknown: the turn was cut short while this call ran, and the agent that made it is no longer in the tree. It may have run; check before calling it again.';
}

/**
 * The approval a stranded turn waited on: LangGraph leaves the wait out of the thread's tasks when
 * the node that waits is not in the graph, but its pause is still beside the checkpoint.
 */
async function strandedApproval(graph: SwitchboardGraph, threadId: string): Promise<ApprovalRequest | undefined> {
  const tuple = await latestTuple(graph, threadId);
  const paused = (tuple?.pendingWrites ?? []).filter(([, channel]) => channel === INTERRUPT_KEY).flatMap(([, , value]) => [value].flat() as { value?: unknown }[]);
  return paused.map((entry) => entry?.value as WaitingRequest | undefined).find((request): request is ApprovalRequest => request?.type === 'approval');
}

/**
 * The input of a run that a failure cut short on a thread waiting for a person: a user message, or
 * the person's reply, saved as LangGraph's `NULL_TASK_ID` writes beside the checkpoint, before the
 * checkpoint that takes it in. Running on from the checkpoint does not take it in (the person's node
 * waits again first), and the next run's input replaces such writes (LangGraph's `putWrites` keeps one
 * set per task): it is sent again as it was, before anything else runs.
 */
async function unsavedInput(graph: SwitchboardGraph, threadId: string): Promise<{ kind: 'message' | 'reply'; run: Command; messages: BaseMessage[] } | undefined> {
  const tuple = await latestTuple(graph, threadId);
  const writes = (tuple?.pendingWrites ?? []).filter(([task]) => task === NULL_TASK_ID).map(([, channel, value]) => [channel, value] as const);
  const goto = writes.flatMap(([channel]) => (channel.startsWith(BRANCH_TO) ? [channel.slice(BRANCH_TO.length)] : []));
  const update = writes.filter(([channel]) => !channel.startsWith(BRANCH_TO) && channel !== RESUME);
  const messages = update.flatMap(([channel, value]) => (channel === 'messages' ? [value as BaseMessage | BaseMessage[]].flat() : []));
  if (messages.length > 0) return { kind: 'message', messages, run: new Command({ goto, update: update.map(([channel, value]): [string, unknown] => [channel, value]) }) };
  const reply = writes.find(([channel]) => channel === RESUME);
  return reply && !readAndAskedAgain(tuple?.pendingWrites ?? []) ? { kind: 'reply', messages, run: new Command({ resume: reply[1] }) } : undefined;
}

/**
 * Whether the waiting step read the answers it was given and paused again (a malformed reply or
 * decision, or a decision on another call: see `pauseUntil`): its only writes are the answers it
 * read and its new pause. Such an answer was taken in; it is not input a failure left unsaved.
 */
function readAndAskedAgain(pendingWrites: readonly (readonly [string, string, unknown])[]): boolean {
  const byTask = new Map<string, string[]>();
  for (const [task, channel] of pendingWrites) if (task !== NULL_TASK_ID) byTask.set(task, [...(byTask.get(task) ?? []), channel]);
  return [...byTask.values()].some((channels) => channels.includes(RESUME) && channels.includes(INTERRUPT_KEY) && channels.every((channel) => channel === RESUME || channel === INTERRUPT_KEY));
}

async function* streamRun(
  graph: SwitchboardGraph,
  threadId: string,
  input: unknown,
  options: { signal?: AbortSignal | undefined; listening: boolean; lease: ThreadLease; progress: TurnProgress; resumed?: boolean; recovered?: boolean; leading?: JournalTurnOptions['leading']; earlier?: TurnTally | undefined },
): AsyncGenerator<SwitchboardEvent, TurnResult> {
  const runtime = runtimeOf(graph);
  // The turn's events, for its journal entries (summary, and trace when tracing is on).
  const recorded = runtime.recorder?.start(threadId);
  let usage = options.earlier?.usage ?? emptyUsage();
  const refused: RefusedCall[] = [];
  const count = (event: SwitchboardEvent) => {
    if (event.type === 'usage') usage = addUsage(usage, { total: event.usage, byAgent: { [event.agent]: event.usage }, byPath: { [event.path]: event.usage } });
    else if (event.type === 'handoff-refuse') refused.push({ from: event.from, tool: event.tool, ...(event.to !== undefined ? { to: event.to } : {}), code: event.code, reason: event.reason });
  };
  let last: SwitchboardState | undefined;
  let interrupted = false;
  // Nobody reads the events of a turn run for its result: they go straight to the usage count
  // (the nodes' `config.writer`), not through LangGraph's stream, which costs a good part of a turn.
  const modes = options.listening ? ['custom', 'values', 'messages'] : ['values'];
  // Every write carries the lease's fencing token; the run stops when the hold is lost or the caller aborts.
  const run = runSignal([options.signal, options.lease.signal]);
  const domain = runtime.threadLock.fences;
  const configurable = { thread_id: threadId, [PROGRESS_KEY]: options.progress, ...(domain ? { [FENCE_KEY]: { token: options.lease.fence, domain } } : {}) };
  const config = { configurable, streamMode: modes, ...(options.listening ? {} : { writer: count }), signal: run.signal };
  /** Takes one item of LangGraph's stream in; returns the event to show, if it is one. */
  const take = ([mode, data]: [string, unknown]): SwitchboardEvent | undefined => {
    if (mode === 'values') {
      // An interrupt comes through this mode too, as `{ __interrupt__ }`: the turn waits for a person.
      if (INTERRUPT_KEY in (data as object)) interrupted = true;
      else last = data as SwitchboardState;
    } else if (mode === 'custom') {
      const event = data as SwitchboardEvent;
      count(event);
      return event;
    } else if (mode === 'messages') {
      const [chunk, metadata] = data as [unknown, Record<string, unknown>];
      const agent = String(metadata.switchboard_agent ?? metadata.langgraph_node ?? '');
      const delta = chunk instanceof AIMessageChunk ? deltaTextOf(chunk) : '';
      if (delta !== '' && runtime.agents.has(agent)) return { type: 'text-delta', agent, delta };
    }
    return undefined;
  };
  /** The turn's result, journaled (a turn that settled is taken from the stream; one waiting for a person is read back, with the interrupt it waits on). */
  const finish = async (): Promise<TurnResult> => {
    const settled = !interrupted && last !== undefined && (last.turn.status === 'done' || last.turn.status === 'error');
    const read = settled && last ? resultOf(threadId, last, undefined, usage) : await readResult(graph, threadId, usage);
    const result = refused.length > 0 ? { ...read, refused } : read;
    if (await journalTurn(runtime, threadId, result, recorded ?? [], options.lease, options)) journaled.add(result.state);
    return result;
  };
  // Whether the events' reader has the turn's latest event: a reader that leaves then (a `break`,
  // a closed connection) leaves the events, not the turn.
  let shown = false;
  try {
    // Switchboard's own input: it starts the turn (writes the turn, the tree's name), which input from outside may not.
    const stream = (await graph.stream((input !== null && typeof input === 'object' ? trusted(input) : input) as never, config as never)) as unknown as AsyncIterable<[string, unknown]>;
    const items = stream[Symbol.asyncIterator]();
    try {
      for (let next = await items.next(); !next.done; next = await items.next()) {
        const event = take(next.value);
        if (event === undefined) continue;
        shown = true;
        yield event;
        shown = false;
      }
    } finally {
      // The reader left: the turn still finishes, its events to nobody. Closing LangGraph's stream
      // under it would cut the turn short (the next message would finish it) and leave LangGraph
      // writing to a closed stream. To stop a turn, abort its `signal`.
      if (shown) await finishUnread(items, take, finish, runtime, threadId);
    }
  } finally {
    run.dispose();
    if (recorded) runtime.recorder?.stop(threadId, recorded);
  }
  return await finish();
}

/** The rest of a turn whose events nobody reads any more: run to its end and journaled; a failure is logged (nobody is there to tell). */
async function finishUnread(
  items: AsyncIterator<[string, unknown]>,
  take: (item: [string, unknown]) => unknown,
  finish: () => Promise<TurnResult>,
  runtime: ReturnType<typeof runtimeOf>,
  threadId: string,
): Promise<void> {
  try {
    for (let next = await items.next(); !next.done; next = await items.next()) take(next.value);
    await finish();
  } catch (error) {
    const { name, code } = error as { name?: string; code?: string };
    runtime.logger.warn({ event: 'unread-turn-fail', thread_id: threadId, error: { name, code } }, 'a turn whose events nobody read any more failed; the next message on the thread finishes it');
  }
}

/** States whose turn is journaled: only then may the next turn skip reading the checkpoint (and the journal check it brings). */
const journaled = new WeakSet<object>();

/**
 * A signal for one run that aborts when any of `sources` does, unlinked from them by `dispose`.
 * LangGraph adds an abort listener to the signal a run is given and never removes it; the lease's
 * signal can outlive the turn (the memory lock's lives as long as the process), so passing it
 * directly would leave one listener, and the run's state it holds, behind after every turn.
 */
function runSignal(sources: (AbortSignal | undefined)[]): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const linked = sources.filter((source): source is AbortSignal => source !== undefined);
  const dispose = () => linked.forEach((source) => source.removeEventListener('abort', abort));
  const abort = () => {
    controller.abort(linked.find((source) => source.aborted)?.reason);
    dispose();
  };
  if (linked.some((source) => source.aborted)) abort();
  else linked.forEach((source) => source.addEventListener('abort', abort, { once: true }));
  return { signal: controller.signal, dispose };
}

/** The result of the turn that just ran, read from the thread's state (for turns waiting on a person). */
async function readResult(graph: SwitchboardGraph, threadId: string, usage: Usage): Promise<TurnResult> {
  const snapshot = await graph.getState({ configurable: { thread_id: threadId } });
  const waiting = waitingRequestsOf(runtimeOf(graph), snapshot)[0];
  return resultOf(threadId, snapshot.values as SwitchboardState, waiting, usage);
}

/**
 * An answer to a wait (a person's decision or reply) that a failure had left saved, carried out by
 * the turn finished before the call that found it: the request it answered and the answer as saved.
 */
export interface SavedAnswer {
  request: WaitingRequest;
  value: unknown;
}

/** How the call's own answer compares with a {@link SavedAnswer}: the same given again, or another (the refusal's message). */
export type SavedAnswerVerdict = { same: true } | { same: false; message: string };

/** Options of a person's answer (a reply, a decision): `signal` stops it, as a turn's does ({@link TurnInput.signal}). */
export interface AnswerOptions {
  /**
   * Aborted before the thread's lock is taken (or while another turn holds it), the call rejects
   * with its reason and nothing is saved; aborted once the answer runs on, the run stops, and the
   * answer, saved, is carried out by the thread's next call (a reply or decision given again then
   * returns that turn).
   */
  signal?: AbortSignal | undefined;
}

export interface ResumeOptions {
  listening: boolean;
  signal?: AbortSignal | undefined;
  /** What the call delivers (for the advice of a store failure: decide or reply again). */
  answer: 'decision' | 'reply';
  /**
   * Asked when the turn a failure had cut short, finished first, carried out an answer saved before
   * the failure: whether it is this call's own answer given again (that turn is then the call's
   * result, as a message sent again gets its turn's), else the refusal's message. Undefined when the
   * saved answer was to a wait of another kind: the call goes on with what the thread waits for.
   */
  compare: (saved: SavedAnswer) => SavedAnswerVerdict | undefined;
}

/**
 * `NOTHING_PENDING` from a decision or a reply that first finished a turn a failure had cut short:
 * that turn's result is `recovered` (show its reply: it would be lost with the error otherwise).
 */
export class NothingPendingError extends SwitchboardError {
  override readonly name = 'NothingPendingError';
  constructor(
    message: string,
    readonly recovered: TurnResult,
    options?: { cause?: unknown },
  ) {
    super('NOTHING_PENDING', message, options);
  }
}

/**
 * Resumes a thread paused by an `interrupt()` (a person's reply, an approval decision) under the
 * thread's lock and fences. `decide` reads the thread's state under the lock and returns (or
 * resolves to) the value to resume with; it throws when there is nothing to resume, reading what
 * it needs to say why (only then).
 */
export async function* streamResumeWith(
  graph: SwitchboardGraph,
  threadId: string,
  decide: (snapshot: Snapshot) => unknown,
  options: ResumeOptions,
): AsyncGenerator<SwitchboardEvent, TurnResult> {
  checkId(threadId, 'threadId');
  options.signal?.throwIfAborted();
  // A thread never written waits for nothing: the answer is refused (as under the lock, by `decide`)
  // before the lock is taken, which would leave the thread's fence behind in the store for good.
  if (!(await threadWritten(graph, threadId, { answer: options.answer }))) await decide(await readOutsideLock(graph, threadId, { answer: options.answer }));
  return yield* underLock(graph, threadId, { answer: options.answer }, options.signal, async function* (lease, progress) {
    // Checked under the lock: of two concurrent resumes, the second finds nothing pending.
    let snapshot = await graph.getState({ configurable: { thread_id: threadId } });
    const threadTree = (snapshot.values as Partial<SwitchboardState>).tree;
    const treeName = runtimeOf(graph).tree.name;
    if (threadTree !== undefined && threadTree !== treeName) throw new ThreadTreeError(threadId, threadTree, treeName);
    // What a failure cut short comes first, as before a new message: a turn left running is run on,
    // and input saved beside the checkpoint (the resume's input would replace it) is taken in — a
    // user message, or an earlier reply or decision, which was saved, so given: an approval whose
    // run died mid-tool is carried out, never replaced by a later denial. This one is then taken
    // on what the thread waits for after it.
    const waits = snapshot.tasks.some((task) => task.interrupts.length > 0);
    const unsaved = snapshot.tasks.length > 0 && waits ? await unsavedInput(graph, threadId) : undefined;
    // The same answer sent again (a resend after the failure that left it saved) is that answer, not a later one: it goes on as it.
    const resent = unsaved?.kind === 'reply' && (await sameAnswer(unsaved.run, decide, snapshot));
    const cutShort = snapshot.tasks.length === 0 ? undefined : !waits ? 'turn' : resent ? undefined : unsaved?.kind;
    const recovered = cutShort && (await finishUnfinishedTurn(graph, threadId, lease, progress, snapshot));
    if (recovered) {
      snapshot = await graph.getState({ configurable: { thread_id: threadId } });
      // That turn carried out a decision or reply saved before the failure: this call's own, given
      // again, gets that turn (it is not taken twice, nor taken on the thread's next wait); another
      // is refused, with that turn.
      const saved = await answerCarriedOut(graph, threadId, recovered.turn, snapshot);
      const verdict = saved && options.compare(saved);
      if (verdict?.same) return { ...recovered, replayed: true };
      if (verdict) throw new NothingPendingError(verdict.message, recovered);
    }
    const value = await decideAfter(decide, snapshot, recovered ? { result: recovered, kind: cutShort } : undefined);
    // The waiting turn's part is journaled before its end is (its summary merges the two).
    await catchUpJournal(runtimeOf(graph), threadId, await checkpointedValues(graph, threadId), lease, waitingRequestsOf(runtimeOf(graph), snapshot)[0]);
    const result = yield* streamRun(graph, threadId, new Command({ resume: value }), { signal: options.signal, listening: options.listening, lease, progress, resumed: true });
    return recovered ? { ...result, recovered } : result;
  });
}

/** Whether the answer saved beside the checkpoint (`saved`, a resume) is the one `decide` gives now. */
async function sameAnswer(saved: Command, decide: (snapshot: Snapshot) => unknown, snapshot: Snapshot): Promise<boolean> {
  try {
    // As it was stored: JSON, without the keys an undefined value leaves out.
    return isDeepStrictEqual(saved.resume, JSON.parse(JSON.stringify(await decide(snapshot)) ?? 'null'));
  } catch {
    return false;
  }
}

/**
 * The answer (a decision or a reply) that turn `turn`, cut short by a failure and just finished,
 * carried out: the newest resume saved beside one of the turn's checkpoints, with the request it
 * answered, unless the thread (`now`) still waits on that request (a malformed answer, or one on
 * another call, is asked for again). Only after a recovery: it lists the turn's checkpoints.
 */
async function answerCarriedOut(graph: SwitchboardGraph, threadId: string, turn: number, now: Snapshot): Promise<SavedAnswer | undefined> {
  const saver = graph.checkpointer;
  if (!saver || typeof saver === 'boolean') return undefined;
  // Newest first, and a bounded page: the stock savers read every checkpoint a list asks for before
  // the first comes back, and a thread kept whole (retention 'all') can have thousands. Two turns'
  // checkpoints fit in it; past them (or past the page) the answer is not found, and the call is
  // refused as it was before this check.
  for await (const tuple of saver.list({ configurable: { thread_id: threadId, checkpoint_ns: '' } }, { limit: ANSWER_SEARCH_CHECKPOINTS })) {
    // Past the turn before this one, nothing of it is left to find.
    const number = (tuple.checkpoint.channel_values as Partial<SwitchboardState>).turn?.number;
    if (number !== undefined && number < turn - 1) return undefined;
    const writes = tuple.pendingWrites ?? [];
    const resume = writes.find(([task, channel]) => task === NULL_TASK_ID && channel === RESUME);
    const request = pausesIn(writes).find((paused) => paused.turn === turn);
    if (!resume || !request || readAndAskedAgain(writes)) continue;
    return stillWaitedOn(graph, request, now) ? undefined : { request, value: resume[2] };
  }
  return undefined;
}

/** How many of a thread's newest checkpoints {@link answerCarriedOut} reads at most. */
const ANSWER_SEARCH_CHECKPOINTS = 400;

/** The requests a step paused on, from the interrupts saved beside a checkpoint. */
function pausesIn(writes: readonly (readonly [string, string, unknown])[]): WaitingRequest[] {
  const paused = writes.filter(([, channel]) => channel === INTERRUPT_KEY).flatMap(([, , value]) => [value].flat() as ({ value?: unknown } | undefined)[]);
  return paused.map((entry) => entry?.value as WaitingRequest | undefined).filter((request): request is WaitingRequest => request?.type === 'approval' || request?.type === 'escalation');
}

/** Whether the thread still waits on `request` (the same handoff call, or the same person in the same turn). */
function stillWaitedOn(graph: SwitchboardGraph, request: WaitingRequest, now: Snapshot): boolean {
  return waitingRequestsOf(runtimeOf(graph), now).some((waiting) =>
    waiting.type === 'approval' && request.type === 'approval' ? waiting.toolCallId === request.toolCallId : waiting.type === request.type && waiting.agent === request.agent && waiting.turn === request.turn,
  );
}

/**
 * `decide` on `snapshot`; when what a failure cut short, finished just before, changed what the
 * thread waits for, its refusal says so and carries that turn's result (`error.recovered`).
 */
async function decideAfter(decide: (snapshot: Snapshot) => unknown, snapshot: Snapshot, recovered: { result: TurnResult; kind: 'turn' | 'message' | 'reply' | undefined } | undefined): Promise<unknown> {
  try {
    return await decide(snapshot);
  } catch (error) {
    if (!recovered || !(error instanceof SwitchboardError) || error.code !== 'NOTHING_PENDING') throw error;
    const turn = recovered.result.turn;
    const note =
      recovered.kind === 'message'
        ? `The user's message of turn ${turn}, which a failure had left unsaved, was taken in first and ended that wait.`
        : recovered.kind === 'reply'
          ? `An earlier answer to that wait (a reply or a decision), saved before a failure cut its run short, was carried out first (turn ${turn}).`
          : `Turn ${turn}, which a failure had cut short, was finished first.`;
    throw new NothingPendingError(`${error.message} ${note} Its result is the error's \`recovered\`.`, recovered.result, { cause: error });
  }
}

function resultOf(threadId: string, state: SwitchboardState, waiting: EscalationRequest | ApprovalRequest | undefined, usage: Usage): TurnResult {
  // A turn waiting for a person who already owned the conversation has not written its turn yet:
  // the escalation carries its number.
  const turn = waiting && waiting.turn !== state.turn.number ? { ...state.turn, number: waiting.turn, status: 'waiting' as const, error: undefined } : state.turn;
  const last = state.messages.at(-1);
  const answered = turn.status === 'done' && last?.type === 'ai';
  const user = lastUserMessage(state.messages);
  return {
    threadId,
    // A turn's own message (one refused as too long has left the thread); a turn waiting for a
    // person who owned the conversation is known by its newest user message.
    messageId: waiting ? (user?.id ?? turn.messageId) : (turn.messageId ?? user?.id),
    replayed: false,
    turn: turn.number,
    // Who answered: an agent's answer makes it the owner; a person's reply that handed the
    // conversation back is the person's (the new owner is `state.activeAgent`), as a replay of the
    // message after later turns says too.
    agent: waiting?.agent ?? (answered && last?.name ? last.name : state.activeAgent),
    reply: answered && !waiting ? textOf(last) : undefined,
    // A reply the provider stopped at the model's maxTokens is only the start of an answer.
    ...(answered && !waiting && cutAtMaxTokens(last) ? { truncated: true as const } : {}),
    status: waiting ? 'waiting' : turn.status,
    error: turn.error,
    // A turn still running (paused for an approval) keeps its moves on the turn until it settles.
    handoffs: state.turn.status === 'running' && state.turn.number === turn.number ? [...(state.turn.moves ?? [])] : state.handoffs.filter((record) => record.turn === turn.number),
    waitingFor: waiting,
    usage,
    sessionUsage: state.usage,
    // A turn paused for an approval has not settled, so has not written its owner yet: the agent
    // that asked holds the conversation (the user's next message goes to it), as the summary says.
    state: waiting?.type === 'approval' && state.activeAgent !== waiting.from ? { ...state, activeAgent: waiting.from } : state,
  };
}
