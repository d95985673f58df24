/**
 * Keeping the hot state to its window (see state/window.ts): at the start of each turn, the messages
 * that fell out of the tree's largest window leave the checkpoint, once the thread's journal holds
 * them; a message id that left is still known through the journal.
 */
import { RemoveMessage } from '@langchain/core/messages';
import type { BaseMessage } from '@langchain/core/messages';
import type { JournalEntry } from '../store/journal.js';
import { messagesBeforeWindow } from '../state/window.js';
import type { TreeRuntime } from './context.js';

/** The journal key of a message (the runtime appends each turn's messages under it). */
export function journalMessageKey(id: string): string {
  return `message:${id}`;
}

/**
 * The removals that bring `messages` (the thread at the start of a turn) down to the hot window:
 * only messages of earlier turns, and only when the journal has them (it is appended in order, so
 * the newest of them stands for all). Without a journal, or before it caught up, nothing leaves.
 */
export async function removalsBeforeWindow(runtime: TreeRuntime, threadId: string, messages: readonly BaseMessage[]): Promise<RemoveMessage[]> {
  const journal = runtime.journal;
  if (!journal) return [];
  const older = messagesBeforeWindow(messages, runtime.hotTurns);
  const newest = older.at(-1);
  if (newest?.id === undefined) return [];
  if (!(await journal.get(threadId, journalMessageKey(newest.id)))) return [];
  return older.flatMap((message) => (message.id === undefined ? [] : [new RemoveMessage({ id: message.id })]));
}

/** The journal's entry of the user message `messageId` of this thread, if it was sent before. */
export async function journaledUserMessage(runtime: TreeRuntime, threadId: string, messageId: string): Promise<JournalEntry | undefined> {
  const entry = await runtime.journal?.get(threadId, journalMessageKey(messageId));
  return entry && (entry.data as { type?: unknown } | null)?.type === 'human' ? entry : undefined;
}

/** Whether the hot messages lack some of the thread's user turns (older ones live in the journal only). */
export function isTrimmed(turnNumber: number, messages: readonly BaseMessage[]): boolean {
  let users = 0;
  for (const message of messages) if (message.type === 'human') users += 1;
  return turnNumber > users;
}
