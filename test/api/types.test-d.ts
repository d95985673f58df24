import { describe, expectTypeOf, it } from 'vitest';
import type { BaseMessage } from '@langchain/core/messages';
import { compileTree, getToolContext, runTurn } from '../../index.js';
import type { HandoffRecord, SwitchboardEvent, ToolContext, TurnResult, Usage } from '../../index.js';

describe('types carry the API’s promises', () => {
  it('runTurn resolves to a typed result', () => {
    expectTypeOf(runTurn).returns.resolves.toEqualTypeOf<TurnResult>();
    expectTypeOf<TurnResult['handoffs']>().toEqualTypeOf<HandoffRecord[]>();
    expectTypeOf<TurnResult['usage']>().toEqualTypeOf<Usage>();
    expectTypeOf<TurnResult['state']['messages']>().toEqualTypeOf<BaseMessage[]>();
  });

  it('compileTree returns LangGraph’s graph (invoke, stream, getState)', () => {
    type Graph = ReturnType<typeof compileTree>;
    expectTypeOf<Graph>().toHaveProperty('invoke');
    expectTypeOf<Graph>().toHaveProperty('stream');
    expectTypeOf<Graph>().toHaveProperty('getState');
  });

  it('tools read a typed context', () => {
    expectTypeOf(getToolContext).returns.toEqualTypeOf<ToolContext>();
    expectTypeOf<ToolContext['idempotencyKey']>().toEqualTypeOf<string>();
  });

  it('events are a closed union discriminated by type', () => {
    expectTypeOf<Extract<SwitchboardEvent, { type: 'handoff-accept' }>['to']>().toEqualTypeOf<string>();
    expectTypeOf<SwitchboardEvent['type']>().toEqualTypeOf<
      | 'turn-start'
      | 'text-delta'
      | 'step-start'
      | 'step-end'
      | 'model-call'
      | 'message-end'
      | 'handoff-request'
      | 'handoff-accept'
      | 'handoff-refuse'
      | 'tool-call'
      | 'tool-result'
      | 'escalation-start'
      | 'escalation-end'
      | 'approval-start'
      | 'approval-end'
      | 'fallback-start'
      | 'model-fallback'
      | 'model-retry'
      | 'limit-reach'
      | 'usage'
      | 'turn-end'
    >();
  });
});
