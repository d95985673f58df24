/**
 * Time travel: a thread as it was at the end of one of its turns, and a new thread forked from
 * there (LangGraph's checkpoint history, written into a new thread id with `updateState`), with
 * shared-state fields edited, to continue with a different message. Turns can be travelled to as
 * far back as the store keeps checkpoints: compile with `retention: 'all'` to keep every turn.
 *
 * The thread forked from is only read, but for its journal: a turn forked whose journal append has
 * not happened (a crash between its checkpoint and the append, or a run that has not appended yet)
 * is journaled there first, under its lock, as its own next turn would. The new thread is written
 * under its own lock and fencing token, like a turn, and must not exist yet.
 */
import { randomUUID } from 'node:crypto';
import type { BaseCheckpointSaver } from '@langchain/langgraph';
import { runtimeOf } from '../graphs/compile.js';
import type { SwitchboardGraph } from '../graphs/compile.js';
import { INTERRUPT } from '@langchain/langgraph';
import { InputError } from '../errors/input-error.js';
import { SwitchboardError } from '../errors/switchboard-error.js';
import { ThreadTreeError } from '../errors/thread-tree-error.js';
import { currentFields } from '../nodes/context.js';
import type { AgentRuntime, TreeRuntime } from '../nodes/context.js';
import { lastUserMessage } from '../nodes/turn.js';
import { emptyUsage } from '../state/schema.js';
import { checkFields, checkId, MAX_ID_BYTES } from './turn.js';
import { catchUpJournal, turnKey } from './turn-journal.js';
import { nextOwner } from './waiting.js';
import type { SwitchboardState } from '../state/schema.js';
import { FENCE_KEY } from '../store/fences.js';
import type { Fence } from '../store/fences.js';
import { pairedJournal, shownValue } from '../store/journal.js';
import type { JournalEntry, JournalEntryInput, ThreadJournal } from '../store/journal.js';
import type { JournalMessage } from '../state/journal-message.js';
import type { TurnSummary } from './turn-summary.js';

/** A turn the store still has the end of. */
export interface TurnCheckpoint {
  turn: number;
  checkpointId: string;
  status: SwitchboardState['turn']['status'];
  /** When the checkpoint was written (ISO time). */
  createdAt: string | undefined;
}

export interface ThreadAtTurn extends TurnCheckpoint {
  threadId: string;
  state: SwitchboardState;
}

export interface ForkThreadOptions {
  /** The thread to fork from (only read). */
  threadId: string;
  /** The turn (1-based) whose end the new thread starts from. */
  turn: number;
  /** The new thread's id (default: `<threadId>-fork-<8 random characters>`). It must not exist yet. */
  newThreadId?: string | undefined;
  /** Shared-state fields to change in the new thread (the tree's own, with their declared types). */
  fields?: Record<string, string | number | boolean> | undefined;
}

export interface ForkResult {
  threadId: string;
  /** Where it came from. */
  from: { threadId: string; turn: number; checkpointId: string };
  /** The new thread's state (the old one's at that turn, with the edited fields). */
  state: SwitchboardState;
}

/**
 * The turns of a thread the store still has the end of, oldest first (with the default retention,
 * only the last; with `'all'`, every one).
 */
export async function listTurnCheckpoints(graph: SwitchboardGraph, threadId: string): Promise<TurnCheckpoint[]> {
  // An empty id is no filter to LangGraph's savers: it would list every thread's checkpoints.
  checkId(threadId, 'threadId');
  return [...(await turnEnds(checkpointerOf(graph), threadId)).ends.values()].map(({ state: _state, ...turn }) => turn).sort((a, b) => a.turn - b.turn);
}

/**
 * The thread as it was at the end of `turn`. Throws `INVALID_INPUT` (the id, the turn),
 * `UNKNOWN_THREAD`, `UNKNOWN_TURN` (the thread has fewer turns), `TURN_UNFINISHED` (that turn was
 * cut short and has no end yet, or never had one: it waited for an approval the user's next message
 * withdrew), or `TURN_NOT_KEPT` when the store no longer has that turn.
 */
export async function threadAtTurn(graph: SwitchboardGraph, threadId: string, turn: number): Promise<ThreadAtTurn> {
  // An empty id is no filter to LangGraph's savers: it would read another thread's checkpoints.
  checkId(threadId, 'threadId');
  if (!Number.isInteger(turn) || turn < 1) throw new InputError(`The turn must be a whole number from 1 (got ${shownValue(turn)}).`);
  const saver = checkpointerOf(graph);
  let history = await turnEnds(saver, threadId);
  const found = history.ends.get(turn);
  if (found) return { ...found, threadId };
  const latest = await saver.getTuple({ configurable: { thread_id: threadId, checkpoint_ns: '' } });
  if (!latest) throw new SwitchboardError('UNKNOWN_THREAD', `There is no thread ${threadId} in this store.`);
  // Written since the list was read (the turn may have ended between the two reads): read it again,
  // after the latest checkpoint, so that it holds at least what that checkpoint knows.
  if (latest.checkpoint.id !== history.newest) {
    history = await turnEnds(saver, threadId);
    const ended = history.ends.get(turn);
    if (ended) return { ...ended, threadId };
  }
  const { ends } = history;
  const values = latest.checkpoint.channel_values as Partial<SwitchboardState>;
  const kept = [...ends.keys()].sort((a, b) => a - b).join(', ') || 'none';
  // A handoff waiting for approval pauses inside the agent's step, so its checkpoint still says
  // `running`: the pause beside it says the turn waits for a person, not that it was cut short.
  const paused = (latest.pendingWrites ?? []).some(([, channel]) => channel === INTERRUPT);
  if (turn === unfinishedTurn(values) && paused && values.turn?.status === 'running')
    throw new SwitchboardError('FORK_WAITING', `Turn ${turn} of thread ${threadId} waits for a person to approve a handoff: fork from an earlier turn (turns kept: ${kept}), or from this one once it is decided.`);
  if (turn === unfinishedTurn(values))
    throw new SwitchboardError(
      'TURN_UNFINISHED',
      `Turn ${turn} of thread ${threadId} has not finished, so it has no end to fork from: it is still running, or it was cut short (its process stopped) and the thread's next message or recoverThread finishes it. Fork from an earlier turn (turns kept: ${kept}), or from this one once it has finished.`,
    );
  const turns = values.turn?.number ?? 0;
  if (turn > turns) throw new SwitchboardError('UNKNOWN_TURN', `Thread ${threadId} has ${turns === 1 ? 'one turn' : `${turns} turns`}: there is no turn ${turn}.`);
  const unended = history.withoutEnd.get(turn);
  if (unended) throw withoutEndError(threadId, turn, unended, [...ends.keys()]);
  throw new SwitchboardError(
    'TURN_NOT_KEPT',
    `The store no longer has the end of turn ${turn} of thread ${threadId} (turns kept: ${kept}). Keep every turn with retention 'all' (the dev page's default).`,
  );
}

/**
 * A turn the store keeps checkpoints of but no end, and that is over (a later turn went on from
 * it): it waited for an approval when the user wrote again before anyone decided, so the next turn
 * closed it (`waitedForApproval`), or it ended some other way without an end of its own. Pruning
 * cannot leave a turn so (a turn's end is newer than the rest of it), so it has nothing to fork
 * from: said as such, with the nearest turns that do.
 */
function withoutEndError(threadId: string, turn: number, unended: { waitedForApproval: boolean }, kept: readonly number[]): SwitchboardError {
  const later = Math.min(...kept.filter((number) => number > turn));
  const earlier = Math.max(...kept.filter((number) => number < turn));
  const nearest = [later, earlier].filter(Number.isFinite).map((number) => `turn ${number}`);
  const fork = nearest.length === 0 ? 'another turn' : nearest.length === 1 ? nearest[0] : `${nearest[0]} (or ${nearest[1]})`;
  const why = unended.waitedForApproval
    ? 'it waited for a person to approve a handoff, and ended when the user wrote again before anyone decided (the request was withdrawn)'
    : 'it did not end on its own, and the turn after it went on from where it stopped';
  return new SwitchboardError('TURN_UNFINISHED', `Turn ${turn} of thread ${threadId} has no end to fork from: ${why}. Fork from ${fork}.`);
}

/**
 * The number of the turn the thread's latest checkpoint is in the middle of: one running now, or one
 * cut short (a dead worker, a dropped caller) that waits to be finished, or a user message taken in
 * before its turn began. Undefined when the latest checkpoint is a turn's end.
 */
function unfinishedTurn(latest: Partial<SwitchboardState>): number | undefined {
  if (settled(latest)) return undefined;
  const turn = latest.turn;
  if (!turn) return 1;
  return turn.status === 'running' ? turn.number : turn.number + 1;
}

/** What a thread's checkpoints say of its turns (see {@link turnEnds}). */
interface TurnHistory {
  /** The end of each turn the store still has, by turn. */
  ends: Map<number, TurnCheckpoint & { state: SwitchboardState }>;
  /** The turns the store has checkpoints of but no end, with whether one of them paused for an approval. */
  withoutEnd: Map<number, { waitedForApproval: boolean }>;
  /** The id of the newest checkpoint read. */
  newest: string | undefined;
}

/**
 * The end of each turn the store still has, by turn: the newest checkpoint of the turn that is
 * settled. Read from the checkpoints as saved (not LangGraph's snapshots, whose values already
 * hold the next turn's message while it is a pending write).
 */
async function turnEnds(saver: BaseCheckpointSaver, threadId: string): Promise<TurnHistory> {
  const ends = new Map<number, TurnCheckpoint & { state: SwitchboardState }>();
  const seen = new Map<number, { waitedForApproval: boolean }>();
  let newest: string | undefined;
  for await (const tuple of saver.list({ configurable: { thread_id: threadId, checkpoint_ns: '' } })) {
    newest ??= tuple.checkpoint.id;
    const values = tuple.checkpoint.channel_values as Partial<SwitchboardState>;
    const turn = values.turn;
    if (!turn || turn.number < 1) continue;
    const paused = turn.status === 'running' && (tuple.pendingWrites ?? []).some(([, channel]) => channel === INTERRUPT);
    seen.set(turn.number, { waitedForApproval: paused || (seen.get(turn.number)?.waitedForApproval ?? false) });
    // Newest first: the first settled checkpoint of a turn is its end.
    if (ends.has(turn.number) || !settled(values)) continue;
    const state: SwitchboardState = {
      messages: values.messages ?? [],
      activeAgent: values.activeAgent ?? '',
      handoffs: values.handoffs ?? [],
      turn,
      fields: values.fields ?? {},
      usage: values.usage ?? emptyUsage(),
      ...(values.tree === undefined ? {} : { tree: values.tree }),
    };
    ends.set(turn.number, { turn: turn.number, checkpointId: tuple.checkpoint.id, status: turn.status, createdAt: tuple.checkpoint.ts, state });
  }
  const withoutEnd = new Map([...seen].filter(([number]) => !ends.has(number)));
  return { ends, withoutEnd, newest };
}

/**
 * Forks a new thread from the end of one turn of another: the new thread has the same messages,
 * owner, handoff trail, fields (with `fields` changed) and usage, and its next message continues
 * from there. The old thread is not written. The tree may have changed since that turn: the fork
 * takes what the thread's next turn would (its fields as the tree declares them now, its owner the
 * root when the agent that owned it is gone). Errors: `INVALID_INPUT` (ids, turn), `INVALID_FIELDS`,
 * `THREAD_EXISTS` (the new id is taken), `UNKNOWN_THREAD`, `UNKNOWN_TURN`, `TURN_NOT_KEPT`,
 * `TURN_UNFINISHED` (that turn was cut short), `FORK_WAITING` (that turn waits for a person),
 * `THREAD_OF_ANOTHER_TREE`, `FORK_STATE_INVALID` (a state the tree cannot hold), `THREAD_BUSY` (the
 * turn's journal append is still to come, and the old thread's lock could not be taken to wait for it).
 */
export async function forkThread(graph: SwitchboardGraph, options: ForkThreadOptions): Promise<ForkResult> {
  const runtime = runtimeOf(graph);
  const saver = checkpointerOf(graph);
  checkId(options.threadId, 'threadId');
  const newThreadId = options.newThreadId ?? defaultForkId(options.threadId);
  checkId(newThreadId, 'newThreadId');
  if (newThreadId === options.threadId) throw new InputError('The new thread id must differ from the thread forked from.');
  if (options.fields) checkFields(runtime.tree, options.fields);
  const source = await threadAtTurn(graph, options.threadId, options.turn);
  const treeName = runtime.tree.name;
  if (source.state.tree !== undefined && source.state.tree !== treeName) throw new ThreadTreeError(options.threadId, source.state.tree, treeName);
  if (source.status === 'waiting')
    throw new SwitchboardError('FORK_WAITING', `Turn ${options.turn} of thread ${options.threadId} ended waiting for a person: fork from another turn.`);
  await catchUpSource(runtime, source);

  return runtime.threadLock.withLock(newThreadId, async (lease) => {
    // Checked under the new thread's lock: of two forks to one id, the second finds it taken.
    if (await saver.getTuple({ configurable: { thread_id: newThreadId, checkpoint_ns: '' } }))
      throw new SwitchboardError('THREAD_EXISTS', `Thread ${newThreadId} already exists: fork into a new thread id.`);
    const domain = runtime.threadLock.fences;
    const fence: Fence | undefined = domain ? { threadId: newThreadId, token: lease.fence, domain } : undefined;
    const old = source.state;
    const owner = nextOwner(runtime, old.activeAgent || runtime.tree.root);
    const values = {
      messages: old.messages,
      activeAgent: owner,
      handoffs: old.handoffs,
      turn: old.turn,
      fields: { ...fieldsNow(runtime, owner, old.fields), ...options.fields },
      usage: old.usage,
      tree: old.tree ?? treeName,
    };
    const config = { configurable: { thread_id: newThreadId, ...(domain ? { [FENCE_KEY]: { token: lease.fence, domain } } : {}) } };
    // As the owner's node: agent nodes route by Command, so nothing is left to run.
    await graph.updateState(config, values, owner).catch((error: unknown) => {
      throw stateRefused(error, options.threadId, options.turn);
    });
    await copyJournal(journalOf(graph, saver), options.threadId, newThreadId, options.turn, fence);
    const state = (await graph.getState({ configurable: { thread_id: newThreadId } })).values as SwitchboardState;
    return { threadId: newThreadId, from: { threadId: options.threadId, turn: options.turn, checkpointId: source.checkpointId }, state };
  });
}

/**
 * Journals the turn forked in the old thread when its append never happened (a crash between the
 * turn's checkpoint and its append) or has not happened yet (the fork landed between the two): under
 * the old thread's lock, from the turn's checkpoint, as that thread's next turn would, with the same
 * keys, so that thread does not journal it again and the fork copies it as that thread's turn
 * (`copiedFrom`), not one of its own. One keyed read when the turn is journaled.
 */
async function catchUpSource(runtime: TreeRuntime, source: ThreadAtTurn): Promise<void> {
  const journal = runtime.journal;
  // The end of a turn forked (done or error: a turn ended waiting is not forked) has one key.
  if (!journal || (await journal.get(source.threadId, turnKey(source.turn, 'done')))) return;
  // Under the lock, a run still about to append has done so: catching up then finds the turn there.
  await runtime.threadLock.withLock(source.threadId, (lease) => catchUpJournal(runtime, source.threadId, source.state, lease));
}

/**
 * The thread's fields as the tree declares them now, the way its next turn sees them
 * ({@link currentFields}): a field removed from the YAML, or holding a value of a type it no longer
 * has, is dropped (a retyped one takes its default), so the new thread holds only what the tree's
 * state can. Every agent of the runtime knows the tree's fields; `owner` is one of them.
 */
function fieldsNow(runtime: TreeRuntime, owner: string, fields: SwitchboardState['fields']): SwitchboardState['fields'] {
  return currentFields(runtime.agents.get(owner) as AgentRuntime, fields);
}

/**
 * LangGraph refuses a write a channel's schema rejects with a plain `Error` ("Validation failed for
 * field …"). The fork writes only what the tree declares now, so this is a thread state the tree
 * cannot hold: said with a code, like every other refusal of the fork. Other errors pass unchanged.
 */
function stateRefused(error: unknown, threadId: string, turn: number): unknown {
  if (!(error instanceof Error) || error instanceof SwitchboardError || !error.message.startsWith('Validation failed for field')) return error;
  return new SwitchboardError('FORK_STATE_INVALID', `Turn ${turn} of thread ${threadId} holds a state the tree cannot take as it is now (${error.message}): fork from another turn.`, { cause: error });
}

/** A turn's end: it finished (or waits) and its user message is the thread's last. */
function settled(state: Partial<SwitchboardState>): boolean {
  const turn = state.turn;
  if (!turn || turn.status === 'running') return false;
  const user = lastUserMessage(state.messages ?? []);
  return user === undefined || user.id === turn.messageId;
}

function checkpointerOf(graph: SwitchboardGraph): BaseCheckpointSaver {
  const saver = graph.checkpointer;
  if (!saver || typeof saver === 'boolean') throw new SwitchboardError('NO_CHECKPOINTER', 'Forking needs a graph compiled with a checkpointer.');
  return saver;
}

/** The journal kept beside the graph's checkpoints, if any. */
function journalOf(graph: SwitchboardGraph, saver: BaseCheckpointSaver): ThreadJournal | undefined {
  return (runtimeOf(graph) as { journal?: ThreadJournal | undefined }).journal ?? pairedJournal(saver);
}

/**
 * The old thread's journal up to `turn` (transcript, turn summaries, step trace), appended to the
 * new thread; the turn summaries marked as copies (`copiedFrom`), so that routing analytics count
 * each turn once, in the thread that ran it; the messages keep their time (`at`: the end of their
 * turn), which the journal would otherwise set to the time of the copy.
 */
async function copyJournal(journal: ThreadJournal | undefined, from: string, to: string, turn: number, fence: Fence | undefined): Promise<void> {
  if (!journal) return;
  let after: number | undefined;
  do {
    const page = await journal.read(from, { after, limit: 500 });
    const entries: JournalEntryInput[] = page.entries
      .filter((entry) => entry.turn <= turn)
      .map((entry) => ({ kind: entry.kind, turn: entry.turn, key: entry.key, data: copiedData(entry, from) }));
    if (entries.length > 0) await journal.append(to, entries, fence);
    after = page.next;
  } while (after !== undefined);
}

/** A journal entry's data as a fork copies it: a turn summary marked `copiedFrom`, a message with its own time. */
function copiedData(entry: JournalEntry, from: string): unknown {
  if (entry.kind === 'turn') return { ...(entry.data as TurnSummary), copiedFrom: from };
  // A copy of a copy keeps the first time.
  if (entry.kind === 'message') return { at: entry.at, ...(entry.data as JournalMessage) };
  return entry.data;
}

/**
 * `<threadId>-fork-<8 random characters>`, the thread id shortened (by whole characters) where the
 * whole would pass the id limit: the caller never chose this id, so it must not be the one refused.
 */
function defaultForkId(threadId: string): string {
  const suffix = `-fork-${randomUUID().slice(0, 8)}`;
  const room = MAX_ID_BYTES - Buffer.byteLength(suffix, 'utf8');
  let base = '';
  let used = 0;
  for (const character of threadId) {
    used += Buffer.byteLength(character, 'utf8');
    if (used > room) break;
    base += character;
  }
  return base + suffix;
}
