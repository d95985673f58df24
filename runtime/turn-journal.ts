/**
 * Writing the thread journal: at the end of each turn the runtime runs, one fenced append of the
 * turn's new messages (`message:<id>`), its step trace when tracing is on (`event:<turn>:<index>`)
 * and its summary (`turn:<n>`; `turn:<n>:waiting`, then `turn:<n>:waiting:2`… each time it waits for a
 * person), in that order, so a
 * turn entry is there only with everything before it. A turn whose append never happened (a crash
 * between its last checkpoint and the append) is journaled from the checkpoint before the next
 * turn runs; keys make every append idempotent.
 */
import type { BaseMessage } from '@langchain/core/messages';
import type { TreeRuntime } from '../nodes/context.js';
import type { SwitchboardEvent } from '../nodes/events.js';
import type { RecordedEvent } from '../nodes/turn-recorder.js';
import { messageToJournal } from '../state/journal-message.js';
import type { HandoffRecord, SwitchboardState, Turn, Usage } from '../state/schema.js';
import type { Fence } from '../store/fences.js';
import type { JournalEntryInput, ThreadJournal } from '../store/journal.js';
import type { ThreadLease } from '../store/thread-lock.js';
import { addTallies, emptyTally, tallyOf } from './turn-summary.js';
import type { TurnSummary, TurnTally } from './turn-summary.js';
import type { WaitingRequest } from './waiting.js';

/**
 * The key of a turn's summary: one each time it waits for a person (`earlierWaits`: the times it
 * waited before, as a turn may wait for an approval and then for the person it approved), one when
 * it is over.
 */
export function turnKey(turn: number, status: TurnSummary['status'], earlierWaits = 0): string {
  if (status !== 'waiting') return `turn:${turn}`;
  return earlierWaits === 0 ? `turn:${turn}:waiting` : `turn:${turn}:waiting:${earlierWaits + 1}`;
}

/**
 * The summaries a turn wrote while it waited, oldest first. Each covers the turn from its start to
 * that wait, so the latest is what the next part adds to.
 */
async function waitingParts(journal: ThreadJournal, threadId: string, turn: number): Promise<TurnSummary[]> {
  const parts: TurnSummary[] = [];
  let after: number | undefined;
  do {
    const page = await journal.read(threadId, { kinds: ['turn'], turn, after, limit: 100 });
    for (const entry of page.entries) if ((entry.data as TurnSummary).status === 'waiting') parts.push(entry.data as TurnSummary);
    after = page.next;
  } while (after !== undefined);
  return parts;
}

export function messageKey(id: string): string {
  return `message:${id}`;
}

/** What a finished (or waiting) turn left, as the runtime's result has it. */
export interface FinishedTurn {
  turn: number;
  /** What the turn waits for, when it waits. */
  waitingFor?: { type: string; from?: string } | undefined;
  messageId: string | undefined;
  agent: string;
  status: Turn['status'];
  error: { code: string; message: string } | undefined;
  handoffs: HandoffRecord[];
  state: SwitchboardState;
}

export interface JournalTurnOptions {
  /** The run was a person's reply: the turn's waiting part is journaled already, and is merged in. */
  resumed?: boolean | undefined;
  /** The run finished a turn a crash had cut short. */
  recovered?: boolean | undefined;
  /** Entries that close an earlier turn, appended with this turn's (see {@link withdrawnTurnEntries}). */
  leading?: readonly JournalEntryInput[] | undefined;
  /**
   * A recovered turn's part before the failure, as its checkpoints kept it (its events died with
   * the run that had them): its model calls, tokens, cost and tool calls count in the summary.
   */
  earlier?: TurnTally | undefined;
}

/** The fence of a lease in the runtime's store, for the journal (none when the lock issues no tokens). */
export function fenceOfLease(runtime: TreeRuntime, lease: ThreadLease): Fence | undefined {
  const domain = runtime.threadLock.fences;
  return domain ? { threadId: lease.threadId, token: lease.fence, domain } : undefined;
}

/**
 * Appends the turn to the journal; false when it could not (the failure is logged: the turn is
 * saved in its checkpoint, and the next turn journals it from there).
 */
export async function journalTurn(runtime: TreeRuntime, threadId: string, result: FinishedTurn, recorded: readonly RecordedEvent[], lease: ThreadLease, options: JournalTurnOptions = {}): Promise<boolean> {
  const journal = runtime.journal;
  if (!journal) return false;
  // A run that stopped mid-turn (aborted) is journaled when the turn is finished.
  if (result.status === 'running') return false;
  try {
    const status = result.status;
    // A resumed turn's summary covers it from its start: the part before its latest wait, and this one.
    const parts = options.resumed ? await waitingParts(journal, threadId, result.turn) : [];
    const waitingPart = parts.at(-1);
    const offset = waitingPart?.events ?? 0;
    const events = runtime.trace ? recorded.map((entry, index) => traceEntry(result.turn, offset + index, entry)) : [];
    const tally = options.earlier ? addTallies(options.earlier, tallyOf(recorded)) : tallyOf(recorded);
    const messages = turnMessages(result.state.messages, result.messageId);
    // Who answered: the author of the turn's last answer (a person who handed back answered too).
    const answer = status === 'done' ? [...messages].reverse().find((message) => message.type === 'ai' && message.name !== undefined) : undefined;
    const summary: TurnSummary = {
      tree: runtime.tree.name,
      turn: result.turn,
      messageId: result.messageId,
      startedAt: waitingPart?.startedAt ?? (result.state.turn.number === result.turn ? result.state.turn.startedAt : undefined),
      endedAt: new Date().toISOString(),
      status,
      ...(result.error ? { error: result.error } : {}),
      agent: answer?.name ?? result.agent,
      // A turn waiting for an approval has not written its owner yet: the agent that asked holds it.
      owner: result.waitingFor?.type === 'approval' ? (result.waitingFor.from ?? result.state.activeAgent) : result.state.activeAgent,
      handoffs: result.handoffs,
      ...(waitingPart ? addTallies(tallyPart(waitingPart), tally) : tally),
      events: offset + events.length,
      ...(options.recovered || waitingPart?.recovered ? { recovered: true as const } : {}),
    };
    // A turn finished after a crash: the append that would have closed the wait before it never happened.
    const leading = options.leading ?? (options.recovered && !options.resumed ? await unclosedWaitEntries(runtime, journal, threadId, result.turn) : []);
    const entries: JournalEntryInput[] = [
      ...leading,
      ...messageEntries(messages, result.turn),
      ...events,
      { kind: 'turn', turn: result.turn, key: turnKey(result.turn, status, parts.length), data: summary },
    ];
    await journal.append(threadId, entries, fenceOfLease(runtime, lease));
    return true;
  } catch (error) {
    // The error's name and code only: a database's detail text can quote key values (thread ids).
    const { name, code } = error as { name?: string; code?: string };
    runtime.logger.warn({ event: 'journal-fail', thread_id: threadId, turn: result.turn, error: { name, code } }, 'could not journal the turn; the next turn journals it from the checkpoint');
    return false;
  }
}

/**
 * The entries that close turn `turn`, whose request for approval the user's next message withdrew
 * (runtime/turn.ts): the answers given to its waiting calls, the `approval-end` event, and its final
 * summary (its latest wait's, now over). Appended with the next turn's entries, in one append.
 */
export async function withdrawnTurnEntries(runtime: TreeRuntime, threadId: string, turn: number, answers: readonly BaseMessage[], event: SwitchboardEvent): Promise<JournalEntryInput[]> {
  const journal = runtime.journal;
  if (!journal) return [];
  const waited = (await waitingParts(journal, threadId, turn)).at(-1);
  const offset = waited?.events ?? 0;
  const events = runtime.trace ? [traceEntry(turn, offset, { event, at: Date.now() })] : [];
  const summary: TurnSummary | undefined = waited && { ...waited, status: 'done', endedAt: new Date().toISOString(), events: offset + events.length };
  return [...messageEntries(answers, turn), ...events, ...(summary ? [{ kind: 'turn' as const, turn, key: turnKey(turn, 'done'), data: summary }] : [])];
}

/**
 * The entry that closes turn `turn`, which waited when the user wrote again: its latest wait's
 * summary, over. A wait for a person goes on in the next turn (`continuedIn`, the person answers
 * both there); a wait for an approval was withdrawn. Appended with the next turn's entries, in one
 * append. Empty when the turn never journaled a wait.
 */
export async function continuedTurnEntries(runtime: TreeRuntime, threadId: string, turn: number, options: { recovered?: boolean } = {}): Promise<JournalEntryInput[]> {
  const journal = runtime.journal;
  if (!journal) return [];
  const waited = (await waitingParts(journal, threadId, turn)).at(-1);
  if (!waited) return [];
  const person = runtime.tree.agents[waited.agent]?.kind === 'human';
  const summary: TurnSummary = {
    ...waited,
    status: 'done',
    endedAt: new Date().toISOString(),
    ...(person ? { continuedIn: turn + 1 } : {}),
    ...(options.recovered ? { recovered: true as const } : {}),
  };
  return [{ kind: 'turn', turn, key: turnKey(turn, 'done'), data: summary }];
}

/**
 * The entry that closes the turn before `turn` when a failure cut short the append that would have
 * closed it (it waited, and the user wrote again: see {@link continuedTurnEntries}). For the appends
 * of turns journaled late: caught up, or finished after a crash.
 */
async function unclosedWaitEntries(runtime: TreeRuntime, journal: ThreadJournal, threadId: string, turn: number): Promise<JournalEntryInput[]> {
  const before = turn - 1;
  if (before < 1 || (await journal.get(threadId, turnKey(before, 'done')))) return [];
  return continuedTurnEntries(runtime, threadId, before, { recovered: true });
}

/**
 * Before a turn runs on a thread read from its checkpoint: journals the thread's last settled (or
 * waiting) turn if its append never happened. One keyed read when nothing is missing. `waiting` is
 * what the thread waits on (from its snapshot's interrupts): a turn that waits for an approval is
 * still `running` in its checkpoint, and is caught up as a wait only when the caller says so.
 */
export async function catchUpJournal(runtime: TreeRuntime, threadId: string, values: Partial<SwitchboardState>, lease: ThreadLease, waiting?: WaitingRequest, usage?: Usage): Promise<void> {
  const journal = runtime.journal;
  const checkpointed = values.turn;
  if (!journal || !checkpointed || checkpointed.number === 0) return;
  const approval = waiting?.type === 'approval' && checkpointed.status === 'running' && waiting.turn === checkpointed.number ? waiting : undefined;
  const status: TurnSummary['status'] | undefined = approval ? 'waiting' : checkpointed.status === 'running' ? undefined : checkpointed.status;
  if (!status) return;
  const turn: Turn = { ...checkpointed, status };
  // A running turn keeps its moves on itself until it settles.
  const handoffs = approval ? [...(checkpointed.moves ?? [])] : (values.handoffs ?? []).filter((record) => record.turn === turn.number);
  if (status !== 'waiting' && (await journal.get(threadId, turnKey(turn.number, status)))) return;
  // A turn may wait more than once (an approval, then the person approved): a wait is journaled if
  // its latest wait's summary holds every move the checkpoint has. The parts journaled before are
  // carried into the caught-up summary (their tallies and trace; what ran after them is unknown).
  const parts = await waitingParts(journal, threadId, turn.number);
  const earlier = parts.at(-1);
  if (status === 'waiting' && (earlier?.handoffs.length ?? -1) >= handoffs.length) return;
  const messages = values.messages ?? [];
  const numbered = numberMessages(messages, turn);
  const owner = approval ? approval.from : (values.activeAgent ?? runtime.tree.root);
  const ownTurn = numbered.filter(({ turn: number }) => number === turn.number).map(({ message }) => message);
  const answer = [...ownTurn].reverse().find((message) => message.type === 'ai' && message.name !== undefined);
  const isPerson = (agent: string) => runtime.tree.agents[agent]?.kind === 'human';
  const limits = handoffs.filter((record) => record.kind === 'limit');
  const known = earlier ? tallyPart(earlier) : emptyTally();
  // The whole usage of a turn closed here (a settled checkpoint has given its turn's to the thread's).
  if (usage) known.usage = usage;
  const summary: TurnSummary = {
    tree: runtime.tree.name,
    turn: turn.number,
    messageId: turn.messageId,
    startedAt: earlier?.startedAt ?? turn.startedAt,
    endedAt: new Date().toISOString(),
    status,
    ...(turn.error ? { error: turn.error } : {}),
    agent: status === 'waiting' ? (waiting?.agent ?? owner) : (answer?.name ?? owner),
    owner,
    handoffs,
    ...known,
    // Known from the moves, for the whole turn.
    limits: limits.map((record) => ({ limit: record.reason ?? '', agent: record.from, action: 'escalate' as const, to: record.to })),
    fallbacks: handoffs.filter((record) => record.kind === 'fallback').map((record) => ({ from: record.from, to: record.to, reason: record.reason ?? '' })),
    escalations: handoffs.filter((record) => isPerson(record.to)).map((record) => ({ from: record.from, to: record.to })),
    // The checkpoint counts the turn's successful calls; the earlier parts counted failed attempts too.
    modelCalls: Math.max(turn.modelCalls, known.modelCalls),
    toolCalls: Math.max(turn.toolCalls, known.toolCalls),
    pingPongs: limits.filter((record) => record.reason === 'PING_PONG').length,
    // The trace of the parts journaled before: the next part's events follow them.
    events: earlier?.events ?? 0,
    recovered: true,
  };
  const entries: JournalEntryInput[] = [
    // The wait before this turn, if the failed append was to close it.
    ...(parts.length === 0 ? await unclosedWaitEntries(runtime, journal, threadId, turn.number) : []),
    // Every message the checkpoint holds up to this turn: any a failed append left out lands now.
    ...numbered.filter(({ turn: number }) => number <= turn.number).flatMap(({ message, turn: number }) => messageEntries([message], number)),
    { kind: 'turn', turn: turn.number, key: turnKey(turn.number, status, parts.length), data: summary },
  ];
  await journal.append(threadId, entries, fenceOfLease(runtime, lease));
  runtime.logger.warn({ event: 'journal-recover', thread_id: threadId, turn: turn.number }, 'journaled a turn whose append a failure had cut short');
}

/** The messages of the turn that `messageId` started: from that user message on. */
export function turnMessages(messages: readonly BaseMessage[], messageId: string | undefined): BaseMessage[] {
  if (messageId === undefined) return [];
  for (let index = messages.length - 1; index >= 0; index -= 1) {
    const message = messages[index] as BaseMessage;
    if (message.type === 'human' && message.id === messageId) return messages.slice(index);
  }
  return [];
}

function messageEntries(messages: readonly BaseMessage[], turn: number): JournalEntryInput[] {
  // Every message in a thread has an id (LangGraph's messages reducer gives one to any without).
  return messages.filter((message) => message.id !== undefined).map((message) => ({ kind: 'message', turn, key: messageKey(message.id as string), data: messageToJournal(message) }));
}

/** Each message with the turn it belongs to: the user message `turn.messageId` opened `turn.number`. */
function numberMessages(messages: readonly BaseMessage[], turn: Turn): { message: BaseMessage; turn: number }[] {
  const humans = messages.flatMap((message, index) => (message.type === 'human' ? [index] : []));
  const anchor = humans.findLastIndex((index) => (messages[index] as BaseMessage).id === turn.messageId);
  // Without the opening message (a thread from before message ids), the last user message opened it.
  const base = turn.number - (anchor === -1 ? humans.length - 1 : anchor);
  let seen = -1;
  return messages.map((message) => {
    if (message.type === 'human') seen += 1;
    return { message, turn: Math.max(0, base + Math.max(seen, 0)) };
  });
}

function tallyPart(summary: TurnSummary): TurnTally {
  const { refused, limits, fallbacks, modelFallbacks, escalations, usage, unpricedModels, modelCalls, toolCalls, pingPongs } = summary;
  return { refused, limits, fallbacks, modelFallbacks, escalations, usage, ...(unpricedModels ? { unpricedModels } : {}), modelCalls, toolCalls, pingPongs };
}

/** An event as the trace keeps it: plain JSON, when it happened; a model call with its whole input and output. */
function traceEntry(turn: number, index: number, { event, at }: RecordedEvent): JournalEntryInput {
  return { kind: 'event', turn, key: `event:${turn}:${index}`, data: { ...traceEventOf(event), at } };
}

export type TraceEvent = Exclude<SwitchboardEvent, { type: 'model-call' } | { type: 'text-delta' }> | (Omit<Extract<SwitchboardEvent, { type: 'model-call' }>, 'input' | 'output'> & { input: ReturnType<typeof messageToJournal>[]; output: ReturnType<typeof messageToJournal> | undefined });

function traceEventOf(event: SwitchboardEvent): TraceEvent | SwitchboardEvent {
  if (event.type !== 'model-call') return event;
  return { ...event, input: event.input.map(messageToJournal), output: event.output ? messageToJournal(event.output) : undefined };
}
