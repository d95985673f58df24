/**
 * A turn's result lists the tool calls refused in its run (`result.refused`), as its
 * `handoff-refuse` events do: backend code (and eval) can tell a handoff the model chose but wrote
 * badly from one it never chose, without streaming the turn.
 */
import { describe, expect, it } from 'vitest';
import { parseTree } from '../../config/load.js';
import { compileTree } from '../../graphs/compile.js';
import { runTurn, streamTurn } from '../../runtime/turn.js';
import { fakeOpenAIForFile, newThread, viaFakeOpenAI } from '../helpers.js';

const server = await fakeOpenAIForFile();
const DESK = `
version: 1
name: desk
root: triage
agents:
  triage: { description: Front desk., prompt: Route., children: [billing] }
  billing: { description: Billing questions., prompt: Help with bills. }
`;
const graph = compileTree(parseTree(DESK, 'desk.yaml'), viaFakeOpenAI(server));

describe('result.refused', () => {
  it('lists a handoff refused for malformed arguments, with the agent, tool, code and reason; streamed or not', async () => {
    for (const run of [
      (threadId: string) => runTurn(graph, { threadId, message: 'my bill' }),
      async (threadId: string) => {
        const events = streamTurn(graph, { threadId, message: 'my bill' });
        let next = await events.next();
        while (!next.done) next = await events.next();
        return next.value;
      },
    ]) {
      server.enqueue({ toolCalls: [{ name: 'transfer_to_billing', arguments: '{"reason": "bill' }] }, { content: 'Let me help here.' });
      const result = await run(newThread().threadId);
      expect(result).toMatchObject({ status: 'done', agent: 'triage', reply: 'Let me help here.' });
      expect(result.refused).toEqual([{ from: 'triage', tool: 'transfer_to_billing', to: 'billing', code: 'INVALID_JSON', reason: expect.stringContaining('not valid JSON') }]);
    }
  });

  it('is absent from a turn with no refusal', async () => {
    server.enqueue({ content: 'Hello.' });
    const result = await runTurn(graph, { threadId: newThread().threadId, message: 'hi' });
    expect(result.status).toBe('done');
    expect(result).not.toHaveProperty('refused');
  });
});
