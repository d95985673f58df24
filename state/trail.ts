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

/** The longest round of agents a turn may not go round twice in a row (longer ones meet the handoff limit). */
const PING_PONG_ROUND = 3;

/**
 * The round a move from `from` to `to` would start again, as its agents (`[a, b, a]`, `[a, b, c,
 * a]`), or undefined: the moves since control last left `from` this turn went to `to` and came back
 * to `from` through at most one other agent, so the move would send the conversation round the same
 * agents again without progress (A→B→A→B, A→B→C→A→B). Leaving for another agent instead
 * (triage→billing→triage→technical) is not a ping-pong.
 */
export function repeatedRound(moves: readonly HandoffRecord[], from: string, to: string): string[] | undefined {
  const left = moves.findLastIndex((move) => move.from === from);
  if (left === -1) return undefined;
  const round = moves.slice(left);
  if (round.length < 2 || round.length > PING_PONG_ROUND || round[0]?.to !== to || round.at(-1)?.to !== from) return undefined;
  // One unbroken round: each move starts where the one before it ended.
  if (round.some((move, index) => index > 0 && move.from !== round[index - 1]?.to)) return undefined;
  return [from, ...round.map((move) => move.to)];
}
