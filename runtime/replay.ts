/**
 * The result of an earlier message of a thread (one sent again after later ones): its turn's
 * answer, from the hot messages while the turn is among them, from the thread's journal once it has
 * left them (see state/window.ts). Nothing runs again.
 */
import type { AIMessage, BaseMessage } from '@langchain/core/messages';
import { textOf } from '../models/messages.js';
import type { TreeRuntime } from '../nodes/context.js';
import { journaledUserMessage } from '../nodes/hot-window.js';
import { messageFromJournal } from '../state/journal-message.js';
import type { JournalMessage } from '../state/journal-message.js';
import { emptyUsage } from '../state/schema.js';
import type { HandoffRecord, SwitchboardState } from '../state/schema.js';
import type { ThreadJournal } from '../store/journal.js';
import type { TurnResult } from './turn.js';
import type { EscalationRequest } from '../nodes/human.js';
import type { ApprovalRequest } from '../nodes/approval.js';

/** `waiting` is what the thread waits for now: a message whose wait goes on is still waiting for it. */
export async function earlierTurnResult(runtime: TreeRuntime, threadId: string, messageId: string, state: SwitchboardState, waiting?: EscalationRequest | ApprovalRequest): Promise<TurnResult> {
  const start = state.messages.findIndex((message) => message.type === 'human' && message.id === messageId);
  const entry = await journaledUserMessage(runtime, threadId, messageId);
  let number: number;
  let span: BaseMessage[];
  if (start !== -1) {
    const next = state.messages.findIndex((message, index) => index > start && message.type === 'human');
    span = state.messages.slice(start + 1, next === -1 ? undefined : next);
    // Counted from the end when the journal does not say: the hot messages may start after the thread's first turns.
    number = entry?.turn ?? state.turn.number - state.messages.slice(start + 1).filter((message) => message.type === 'human').length;
  } else {
    number = entry?.turn ?? 0;
    span = runtime.journal && entry ? (await turnMessages(runtime.journal, threadId, number)).filter((message) => message.id !== messageId) : [];
  }
  const summary = (await runtime.journal?.get(threadId, `turn:${number}`))?.data as JournaledTurn | undefined;
  // The user wrote again while a person was awaited: the person answers in the turn the wait went on in.
  if (summary?.continuedIn !== undefined) return continuedTurnResult(runtime, threadId, messageId, number, summary, state, waiting);
  // The answer is the last reply of the turn.
  const reply = [...span].reverse().find((message): message is AIMessage => message.type === 'ai' && !(message as AIMessage).tool_calls?.length && textOf(message) !== '');
  return {
    threadId,
    messageId,
    replayed: true,
    turn: number,
    agent: reply?.name ?? state.activeAgent,
    reply: reply ? textOf(reply) : undefined,
    status: reply ? 'done' : 'error',
    error: reply ? undefined : { code: 'NO_REPLY', message: 'That message was handled before and got no reply.' },
    // The hot trail keeps only the latest turn's moves; the journal's summary has every turn's.
    handoffs: summary?.handoffs ?? state.handoffs.filter((record) => record.turn === number),
    waitingFor: undefined,
    usage: emptyUsage(),
    sessionUsage: state.usage,
    state,
  };
}

/** What a replay reads of a turn's journaled summary. */
interface JournaledTurn {
  status?: string;
  messageId?: string;
  handoffs?: HandoffRecord[];
  continuedIn?: number;
}

/**
 * The result of a message whose turn a later one went on with (it waited for a person, and the user
 * wrote again): the person's answer in the turn the wait ended in, or still waiting for it.
 */
async function continuedTurnResult(
  runtime: TreeRuntime,
  threadId: string,
  messageId: string,
  number: number,
  summary: JournaledTurn,
  state: SwitchboardState,
  waitingNow: EscalationRequest | ApprovalRequest | undefined,
): Promise<TurnResult> {
  let last: JournaledTurn | undefined = summary;
  for (let turn = summary.continuedIn; last?.continuedIn !== undefined && turn !== undefined; turn = last?.continuedIn) {
    last = (await runtime.journal?.get(threadId, `turn:${turn}`))?.data as JournaledTurn | undefined;
  }
  const handoffs = summary.handoffs ?? [];
  if (last?.status === 'done' && last.messageId !== undefined) {
    const answered = await earlierTurnResult(runtime, threadId, last.messageId, state);
    return { ...answered, messageId, turn: number, handoffs };
  }
  // Still waiting for the person (or the turn that ended the wait failed).
  const waiting = last === undefined || last.status === 'waiting';
  return {
    threadId,
    messageId,
    replayed: true,
    turn: number,
    agent: state.activeAgent,
    reply: undefined,
    status: waiting ? 'waiting' : 'error',
    error: waiting ? undefined : { code: 'NO_REPLY', message: 'That message was handled before and got no reply.' },
    handoffs,
    // The wait it went on with, as the turn that waits now says.
    waitingFor: waiting && waitingNow?.type === 'escalation' ? waitingNow : undefined,
    usage: emptyUsage(),
    sessionUsage: state.usage,
    state,
  };
}

/** The messages of one turn, from the journal. */
async function turnMessages(journal: ThreadJournal, threadId: string, turn: number): Promise<BaseMessage[]> {
  const messages: BaseMessage[] = [];
  let after: number | undefined;
  do {
    const page = await journal.read(threadId, { kinds: ['message'], turn, after });
    for (const entry of page.entries) messages.push(messageFromJournal(entry.data as JournalMessage));
    after = page.next;
  } while (after !== undefined);
  return messages;
}
