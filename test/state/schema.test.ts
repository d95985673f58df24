import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { runTurn } from '../../runtime/turn.js';
import { createStateSchema, HandoffRecordSchema, TurnSchema, UsageSchema } from '../../state/schema.js';
import { compileExample, fakeOpenAIForFile, newThread, user, viaFakeOpenAI } from '../helpers.js';

const server = await fakeOpenAIForFile();

// `turn`, `usage` and `handoffs` are written by Switchboard's own nodes only, and LangGraph takes
// those writes without parsing them again. These tests hold what that must not cost.
describe('the shared state schema', () => {
  it('still describes every channel in JSON Schema, for LangGraph Studio and the API', () => {
    const schema = createStateSchema({ root: 'triage', state: { plan: { type: 'enum', values: ['free', 'pro'] } } });
    for (const json of [schema.getJsonSchema(), schema.getInputJsonSchema()]) {
      const properties = (json as unknown as { properties: unknown }).properties as Record<string, { type?: string; properties?: Record<string, unknown>; items?: { properties?: Record<string, unknown> } }>;
      expect(Object.keys(properties.turn?.properties ?? {})).toEqual(expect.arrayContaining(['number', 'path', 'modelCalls', 'status', 'byAgent']));
      expect(Object.keys(properties.usage?.properties ?? {})).toEqual(['total', 'byAgent', 'byPath']);
      expect(Object.keys(properties.handoffs?.items?.properties ?? {})).toEqual(expect.arrayContaining(['from', 'to', 'kind', 'payload', 'turn']));
    }
    const fields = ((schema.getInputJsonSchema() as unknown as { properties: unknown }).properties as Record<string, { properties?: Record<string, { enum?: string[] }> }>).fields;
    expect(fields?.properties?.plan?.enum).toEqual(['free', 'pro']);
  });

  it('keeps validating what backend code writes: undeclared or mistyped fields are refused', async () => {
    const { graph } = await compileExample('support', viaFakeOpenAI(server));
    const { config } = newThread();
    await expect(graph.invoke({ ...user('hi'), fields: { not_declared: 'x' } }, config)).rejects.toThrow(/not_declared/);
    await expect(graph.invoke({ ...user('hi'), fields: { priority: 'sky-high' } }, config)).rejects.toThrow(/priority/);
    expect(server.requests).toHaveLength(0);
  });

  it('holds writes of the runtime that satisfy their schemas, through handoffs, replies and usage', async () => {
    const { graph } = await compileExample('support', viaFakeOpenAI(server));
    const { threadId } = newThread();
    server.enqueue(
      { toolCalls: [{ name: 'transfer_to_billing', arguments: { reason: 'charged twice', priority: 'high' } }], usage: { prompt_tokens: 120, completion_tokens: 10 } },
      { content: 'Both charges are there; one is refunded.', usage: { prompt_tokens: 200, completion_tokens: 30 } },
      { content: 'Three to five days.' },
    );
    await runTurn(graph, { threadId, message: 'I was charged twice.' });
    const { state } = await runTurn(graph, { threadId, message: 'When does the refund arrive?' });

    expect(TurnSchema.parse(state.turn)).toEqual(state.turn);
    expect(UsageSchema.parse(state.usage)).toEqual(state.usage);
    expect(z.array(HandoffRecordSchema).parse(state.handoffs)).toEqual(state.handoffs);
    expect(state.turn).toMatchObject({ number: 2, path: ['billing'], modelCalls: 1, status: 'done' });
    expect(state.usage.total.modelCalls).toBe(3);
    expect(state.handoffs).toHaveLength(1);
  });
});
