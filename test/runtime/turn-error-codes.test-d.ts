/**
 * The exported `TurnErrorCode` union names every code the runtime sets on a turn's `error`: those
 * that end a turn, a person's hand-back a hook refused or could not check (a `done` turn), a turn
 * closed because its agent left the tree, a replayed message that got no reply.
 */
import { describe, expectTypeOf, it } from 'vitest';
import type { TurnErrorCode } from '../../index.js';

describe('TurnErrorCode', () => {
  it('is exactly the codes a turn error can carry', () => {
    expectTypeOf<TurnErrorCode>().toEqualTypeOf<
      | 'MESSAGE_TOO_LONG'
      | 'INVALID_INPUT'
      | 'HANDOFF_LIMIT'
      | 'PING_PONG'
      | 'MODEL_CALL_LIMIT'
      | 'TOOL_CALL_LIMIT'
      | 'TOKEN_LIMIT'
      | 'MODEL_FAILED'
      | 'CONTEXT_TOO_LONG'
      | 'EMPTY_REPLY'
      | 'TOOL_FAILED'
      | 'TOOL_TIMEOUT'
      | 'REFUSED'
      | 'HOOK_FAILED'
      | 'HOOK_REFUSED'
      | 'AGENT_REMOVED'
      | 'NO_REPLY'
    >();
  });

  it('holds the code of a hand-back a hook refused', () => {
    expectTypeOf<'HOOK_REFUSED'>().toExtend<TurnErrorCode>();
  });
});
