/**
 * The code a turn's `error` carries is one of the exported `TurnErrorCode` union: also for a turn
 * that is `done` with an error, a person's hand-back that a hook refused or could not check.
 */
import { describe, expect, it } from 'vitest';
import { resumeThread, runTurn } from '../../runtime/turn.js';
import type { SwitchboardEvent, TurnErrorCode } from '../../index.js';
import { compileExample, newThread } from '../helpers.js';

/** Every code of the union, once: the compiler refuses a code it lacks or one it does not hold. */
const TURN_ERROR_CODES = {
  MESSAGE_TOO_LONG: true,
  INVALID_INPUT: true,
  HANDOFF_LIMIT: true,
  PING_PONG: true,
  MODEL_CALL_LIMIT: true,
  TOOL_CALL_LIMIT: true,
  TOKEN_LIMIT: true,
  MODEL_FAILED: true,
  CONTEXT_TOO_LONG: true,
  EMPTY_REPLY: true,
  TOOL_FAILED: true,
  TOOL_TIMEOUT: true,
  REFUSED: true,
  HOOK_FAILED: true,
  HOOK_REFUSED: true,
  AGENT_REMOVED: true,
  NO_REPLY: true,
} satisfies Record<TurnErrorCode, true>;

function isTurnErrorCode(code: string): code is TurnErrorCode {
  return Object.hasOwn(TURN_ERROR_CODES, code);
}

/** A support thread waiting for its person, who hands back to the first agent offered; the hook says how that goes. */
async function handBack(hook: () => { refuse: string } | undefined) {
  const events: SwitchboardEvent[] = [];
  const { graph } = await compileExample('support', {
    model: 'offline',
    observers: [(event) => events.push(event)],
    hooks: { onHandoff: (context) => (context.kind === 'resume' ? hook() : undefined) },
  });
  const { threadId } = newThread();
  await runTurn(graph, { threadId, message: 'My webhook is broken' });
  const waiting = await runTurn(graph, { threadId, message: 'I need to speak to a real person' });
  expect(waiting.status).toBe('waiting');
  events.length = 0;
  const result = await resumeThread(graph, threadId, { reply: 'I will look into it.', handBackTo: waiting.waitingFor!.handBackTargets[0]! });
  const turnEnd = events.find((event): event is Extract<SwitchboardEvent, { type: 'turn-end' }> => event.type === 'turn-end');
  return { result, turnEnd };
}

describe('TurnErrorCode at run time', () => {
  it.each([
    ['refused', 'HOOK_REFUSED', () => ({ refuse: 'that desk is closed' })],
    [
      'could not check',
      'HOOK_FAILED',
      () => {
        throw new Error('the desk directory is down');
      },
    ],
  ] as const)('holds the code of a hand-back a hook %s (a done turn with an error)', async (_how, code, hook) => {
    const { result, turnEnd } = await handBack(hook);
    expect(result).toMatchObject({ status: 'done', agent: 'human_agent', error: { code } });
    expect(isTurnErrorCode(result.error!.code)).toBe(true);
    expect(result.state.turn.error?.code).toBe(code);
    expect(turnEnd?.error?.code).toBe(code);
  });
});
