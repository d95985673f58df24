/**
 * The handoff trail in the hot state: the moves of the latest turn that moved control, not the whole
 * thread's (that is in the thread's journal, one `turn` entry a turn). A turn keeps its own moves in
 * `turn.moves` while it runs and hands them to the trail when it settles.
 */
import type { HandoffRecord, SwitchboardState } from './schema.js';

/**
 * The `handoffs` reducer: the records added join the trail, and only the newest turn's records stay
 * (a person's hand-back joins the moves of the turn that escalated to them).
 */
export function appendToTrail(trail: readonly HandoffRecord[], added: readonly HandoffRecord[]): HandoffRecord[] {
  if (added.length === 0) return trail as HandoffRecord[];
  const all = trail.concat(added);
  let newest = -Infinity;
  for (const record of all) if (record.turn > newest) newest = record.turn;
  return all.filter((record) => record.turn === newest);
}

/**
 * The latest move of control in the thread: this turn's last move while the turn runs, otherwise the
 * trail's last (a settled turn has handed its moves to the trail).
 */
export function lastMove(state: Pick<SwitchboardState, 'handoffs' | 'turn'>): HandoffRecord | undefined {
  const running = state.turn.status === 'running' ? state.turn.moves?.at(-1) : undefined;
  return running ?? state.handoffs.at(-1);
}
