/**
 * A thread as the page shows it: every message and every move of control since its first turn. The
 * checkpoint holds only the recent history window and the latest turn that moved control; the
 * thread's journal holds the rest (every turn's messages and summary), so the page reads both: the
 * journal first, then what the checkpoint holds that the journal does not have yet (a turn running).
 */
import type { SwitchboardGraph } from '../graphs/compile.js';
import { runtimeOf } from '../graphs/compile.js';
import { getTranscript, getTurnSummaries } from '../runtime/transcript.js';
import type { TranscriptMessage } from '../runtime/transcript.js';
import type { TurnSummary } from '../runtime/turn-summary.js';
import { messageFromJournal } from '../state/journal-message.js';
import type { SwitchboardState } from '../state/schema.js';
import { toPageHops, toPageMessage, toPageMessages } from './page-data.js';
import type { PageHop, PageMessage } from './page-data.js';

export interface WholeThread {
  messages: PageMessage[];
  /** Every move of control, oldest first: what the drawing lights. */
  path: PageHop[];
}

/** The whole of `threadId`, whose latest checkpoint holds `state`; `upToTurn`: as it was at the end of that turn. */
export async function readWholeThread(graph: SwitchboardGraph, threadId: string, state: SwitchboardState, upToTurn = Infinity): Promise<WholeThread> {
  if (!runtimeOf(graph).journal) return { messages: toPageMessages(state.messages), path: toPageHops(state.handoffs) };
  const journaled = (await readTranscript(graph, threadId)).filter((message) => message.turn <= upToTurn);
  const summaries = (await getTurnSummaries(graph, threadId)).filter((summary) => summary.turn <= upToTurn);
  const ids = new Set(journaled.map((message) => message.id));
  const lastTurn = journaled.at(-1)?.turn ?? 0;
  const notJournaled = state.messages.filter((message) => message.id === undefined || !ids.has(message.id));
  const summarised = summaries.at(-1)?.turn ?? 0;
  const messages = [...journaled.flatMap((message) => toPageMessage(messageFromJournal(message), message.turn)), ...toPageMessages(notJournaled, lastTurn)];
  return {
    messages: markCutReplies(messages, summaries),
    path: [...summaries.flatMap((summary) => toPageHops(summary.handoffs)), ...toPageHops(state.handoffs.filter((record) => record.turn > summarised && record.turn <= upToTurn))],
  };
}

/**
 * Marks the reply of each turn whose summary says it was cut at the model's maxTokens (the last
 * agent message of the turn): the journal keeps a message's text, not the provider's finish reason,
 * so a reopened thread would otherwise show the start of an answer as if it were whole.
 */
function markCutReplies(messages: PageMessage[], summaries: readonly TurnSummary[]): PageMessage[] {
  const cut = new Set(summaries.filter((summary) => summary.truncated).map((summary) => summary.turn));
  const replies = new Map<number, PageMessage>();
  for (const message of messages) if (message.role === 'agent' && cut.has(message.turn)) replies.set(message.turn, message);
  for (const reply of replies.values()) reply.truncated = true;
  return messages;
}

async function readTranscript(graph: SwitchboardGraph, threadId: string): Promise<TranscriptMessage[]> {
  const messages: TranscriptMessage[] = [];
  let after: number | undefined;
  do {
    const page = await getTranscript(graph, threadId, { after, limit: 1000 });
    messages.push(...page.messages);
    after = page.next;
  } while (after !== undefined);
  return messages;
}
