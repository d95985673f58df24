/**
 * The hot window: the messages a thread's checkpoint keeps. Each agent is shown the last `turns`
 * user turns of its history policy, and a person a thread waits for the last
 * {@link PERSON_TRANSCRIPT_TURNS}; the checkpoint keeps the largest of these windows in the tree
 * (the current turn included), and older messages live on in the thread's journal only. Since every
 * window is a run of the latest user turns, what each model is shown stays exactly the same.
 */
import type { BaseMessage } from '@langchain/core/messages';
import type { History, Tree } from '../config/schema.js';
import { DEFAULT_HISTORY } from '../config/schema.js';
import { incomingApproval } from '../config/edges.js';
import { PERSON_TRANSCRIPT_TURNS, windowStart } from './history.js';

/**
 * The user turns the hot state keeps for `tree`: its agents' largest history window, and at least
 * what a person is shown when the tree has people (escalations) or approvals; `all` when an agent
 * sees the whole thread.
 */
export function hotTurns(tree: Pick<Tree, 'agents' | 'defaults'>): History['turns'] {
  let turns = 1;
  for (const spec of Object.values(tree.agents)) {
    const kind = spec.kind ?? 'agent';
    // A helper is shown only its request; a person, the transcript; approvals show it too (a gate on
    // every handoff into the agent, or on one edge out of it).
    const gated = incomingApproval(spec) === 'required' || (typeof spec.approval === 'object' && Object.values(spec.approval).includes('required'));
    if (kind === 'human' || gated) turns = Math.max(turns, PERSON_TRANSCRIPT_TURNS);
    if (kind !== 'agent') continue;
    const window = spec.history?.turns ?? tree.defaults?.history?.turns ?? DEFAULT_HISTORY.turns;
    if (window === 'all') return 'all';
    turns = Math.max(turns, window);
  }
  return turns;
}

/** The messages before the hot window of `turns` user turns (none with `all`, or fewer turns than that). */
export function messagesBeforeWindow(messages: readonly BaseMessage[], turns: History['turns']): BaseMessage[] {
  return turns === 'all' ? [] : messages.slice(0, windowStart(messages, turns));
}
