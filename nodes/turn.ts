/**
 * Turn bookkeeping: a turn starts at a user message and ends when an agent answers, a person is
 * waited for, or an error ends it. Counters live in `state.turn` so limits hold across super-steps.
 */
import type { BaseMessage } from '@langchain/core/messages';
import type { LangGraphRunnableConfig } from '@langchain/langgraph';
import type { SwitchboardState, Turn } from '../state/schema.js';

/** The thread id of the running graph (`configurable.thread_id`), or "-" without a checkpointer. */
export function threadIdOf(config: LangGraphRunnableConfig): string {
  const id = config.configurable?.thread_id;
  return typeof id === 'string' || typeof id === 'number' ? String(id) : '-';
}

/**
 * Why a user's message is refused for the agent or person it goes to (`MESSAGE_TOO_LONG`), or
 * undefined. Characters as a person counts them: see {@link overCharacterLimit}.
 */
export function messageTooLong(text: string, agent: { limits: { messageChars: number } }): string | undefined {
  const over = overCharacterLimit(text, agent.limits.messageChars);
  return over === undefined ? undefined : `The message has ${over}; the limit is ${agent.limits.messageChars}.`;
}

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/**
 * How many characters `text` has when that is more than `limit` (undefined when it is within it),
 * counted as a person counts them: grapheme clusters, so an emoji is one (👨‍👩‍👧‍👦, a flag), and so
 * is an accented letter however it is encoded (é, or e and a combining accent). Cheap: a text no
 * longer than `limit` in UTF-16 units (a character is one or more) is not segmented, one longer than
 * 8 units a character is too long without counting, and counting stops past twice the limit.
 */
export function overCharacterLimit(text: string, limit: number): string | undefined {
  if (text.length <= limit) return undefined;
  // A character of many code units (a letter under a pile of combining marks) still costs the model
  // all of them: past this many a character on average, the text is too long however it is counted.
  // (Some room above a small limit: one family emoji takes 11.) Said as the length a program gives
  // (`text.length`): for most text, its characters.
  if (text.length > (limit + 16) * MAX_UNITS_PER_CHARACTER) return `${text.length} characters (counted in UTF-16 code units)`;
  const cap = limit * 2;
  const count = graphemeCount(text, cap);
  if (count > cap) return `more than ${cap} characters`;
  return count > limit ? `${count} characters` : undefined;
}

/** UTF-16 code units a character may take on average (a family emoji takes 11, a flag 4, most letters 1). */
const MAX_UNITS_PER_CHARACTER = 8;

/** UTF-16 units segmented at a time (see {@link graphemeCount}). */
const WINDOW = 512;

/**
 * The grapheme clusters of `text`, counted until there are more than `stopAbove`. V8's segmenter
 * takes time in proportion to the whole string at every step (a megabyte took seconds for a few
 * thousand clusters), so the text is segmented a window at a time: every cluster of a window but
 * its last is whole, and the next window starts where that last one did.
 */
function graphemeCount(text: string, stopAbove: number): number {
  let count = 0;
  let start = 0;
  let size = WINDOW;
  while (start < text.length && count <= stopAbove) {
    const end = start + size;
    let last = 0;
    let clusters = 0;
    for (const { index } of graphemes.segment(text.slice(start, end))) {
      clusters += 1;
      last = index;
    }
    if (end >= text.length) return count + clusters;
    if (clusters === 1) {
      // One cluster longer than the window (a letter under hundreds of marks): look further.
      size *= 2;
      continue;
    }
    count += clusters - 1;
    start += last;
    size = WINDOW;
  }
  return count;
}

export function lastUserMessage(messages: readonly BaseMessage[]): BaseMessage | undefined {
  for (let index = messages.length - 1; index >= 0; index -= 1) {
    const message = messages[index] as BaseMessage;
    if (message.type === 'human') return message;
  }
  return undefined;
}

/**
 * The current turn, starting a new one when a user message arrived since the last turn began. A
 * message refused as too long left the thread: the same message sent again starts a new turn too
 * (and is refused again), it does not continue the refused one.
 */
export function currentTurn(state: SwitchboardState, agent: string, now: Date): { turn: Turn; started: boolean } {
  const user = lastUserMessage(state.messages);
  const turn = state.turn;
  if (user && startsTurn(user, turn)) {
    return {
      started: true,
      turn: {
        number: turn.number + 1,
        ...(user.id ? { messageId: user.id } : {}),
        startedAt: now.toISOString(),
        path: [agent],
        handoffs: 0,
        modelCalls: 0,
        toolCalls: 0,
        status: 'running',
        byAgent: {},
      },
    };
  }
  const path = turn.path.at(-1) === agent ? turn.path : [...turn.path, agent];
  return { started: false, turn: { ...turn, path, status: 'running' } };
}

/** Whether `user`, the thread's last user message, is one no turn has taken yet (see {@link currentTurn}). */
function startsTurn(user: BaseMessage, turn: Turn): boolean {
  return user.id !== turn.messageId || turn.error?.code === 'MESSAGE_TOO_LONG';
}

/**
 * What a run from the graph's start has to do: take a user message no turn has taken yet (the
 * thread's last message: one a refused turn removed leaves the answered one before it last but one),
 * finish a turn still running (cut short), or raise a person's wait again (a run from the start
 * clears LangGraph's pending task; the person's node raises it again). Input from outside that brings
 * no new message (`{}`, `{ messages: [] }`, fields alone, the last message sent again with its id) to
 * a finished turn has nothing: the turn stands, and no agent answers a message twice.
 */
export function workToDo(state: SwitchboardState): 'message' | 'turn' | 'wait' | undefined {
  const user = lastUserMessage(state.messages);
  if (user && state.messages.at(-1) === user && startsTurn(user, state.turn)) return 'message';
  if (state.turn.status === 'running') return 'turn';
  return state.turn.status === 'waiting' ? 'wait' : undefined;
}

export type Counter = 'modelCalls' | 'toolCalls' | 'handoffs';

/** The turn with `counter` of `agent` (and of the turn) raised by `by`. */
export function count(turn: Turn, agent: string, counter: Counter, by = 1): Turn {
  const mine = turn.byAgent?.[agent] ?? { modelCalls: 0, toolCalls: 0, handoffs: 0 };
  return {
    ...turn,
    [counter]: turn[counter] + by,
    byAgent: { ...turn.byAgent, [agent]: { ...mine, [counter]: mine[counter] + by } },
  };
}

export function agentCount(turn: Turn, agent: string, counter: Counter): number {
  return turn.byAgent?.[agent]?.[counter] ?? 0;
}

/** The handoff path of the turn so far, e.g. `triage→billing`: usage is attributed to it. */
export function pathKey(turn: Turn): string {
  return turn.path.join('→');
}

export function turnDurationMs(turn: Turn, now: Date): number {
  return turn.startedAt ? now.getTime() - Date.parse(turn.startedAt) : 0;
}

/** What every log record of a turn carries: the turn number and the time since the turn started. */
export function logFields(turn: Turn): { turn: number; elapsedMs: number } {
  return { turn: turn.number, elapsedMs: turnDurationMs(turn, new Date()) };
}
