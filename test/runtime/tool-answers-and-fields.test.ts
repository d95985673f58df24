/**
 * What a function tool's answer tells the model (bad arguments, a thrown value, no output), and the
 * shared-state fields as prompts, conditions, tools and hooks see them after the YAML changed under
 * a running thread: a field added with a default has it, a removed or retyped one is not shown.
 */
import { describe, expect, it } from 'vitest';
import { tool } from '@langchain/core/tools';
import type { StructuredToolInterface } from '@langchain/core/tools';
import { z } from 'zod';
import { parseTree } from '../../config/load.js';
import { compileTree } from '../../graphs/compile.js';
import { MemorySaver } from '@langchain/langgraph';
import { ScriptedChatModel } from '../../models/scripted.js';
import type { ScriptStep } from '../../models/scripted.js';
import { getToolContext } from '../../nodes/tool-context.js';
import { runTurn } from '../../runtime/turn.js';
import { newThread } from '../helpers.js';

const seen: Record<string, unknown>[] = [];
const tools: Record<string, StructuredToolInterface> = {
  peek: tool(async ({ n }: { n: number }, config) => (seen.push(getToolContext(config).fields), `peeked ${n}`), {
    name: 'peek',
    description: 'Peeks.',
    schema: z.object({ n: z.number() }),
  }),
  throws_object: tool(
    async () => {
      // eslint-disable-next-line @typescript-eslint/only-throw-error -- the case under test: a tool that throws a plain object
      throw { code: 'E_DOWN', detail: 'the service is down' };
    },
    { name: 'throws_object', description: 'Throws.', schema: z.object({}) },
  ),
  returns_nothing: tool(async () => undefined, { name: 'returns_nothing', description: 'Returns nothing.', schema: z.object({}) }),
};

const tree = (state: string, when = '') => `
version: 1
name: fields-desk
root: desk
state:
${state}
agents:
  desk:
    description: The desk.
    prompt: Help.
    tools: [peek, throws_object, returns_nothing]
    children: [senior]
${when}
  senior: { description: Seniors., prompt: Help. }
`;

const V1 = tree(`  tier: { type: string }
  customer_id: { type: string }`);
const V2 = tree(
  `  tier: { type: number, default: 1 }
  vip: { type: boolean, default: true }`,
  '    when: { senior: vip }',
);

function compile(yaml: string, steps: ScriptStep[], checkpointer: MemorySaver) {
  const model = new ScriptedChatModel(steps);
  return { graph: compileTree(parseTree(yaml, 'desk.yaml', { tools }), { tools, model, checkpointer }), model };
}

describe('function tool answers', () => {
  it('tell the model which argument is wrong, what a thrown object said, and that a tool returned nothing', async () => {
    const checkpointer = new MemorySaver();
    const { graph } = compile(V1, [{ toolCalls: [{ name: 'peek', args: { n: 'three' } }, { name: 'throws_object' }, { name: 'returns_nothing' }] }, 'Done.'], checkpointer);
    const result = await runTurn(graph, { threadId: newThread().threadId, message: 'go' });

    const answers = result.state.messages.filter((message) => message.type === 'tool').map((message) => message.text);
    expect(answers).toEqual([
      expect.stringMatching(/^Refused: invalid arguments for peek: n: Invalid input: expected number, received string\. Call it again/),
      'Error: throws_object failed: {"code":"E_DOWN","detail":"the service is down"}',
      '(the tool returned nothing)',
    ]);
  });
});

describe('fields after the YAML changed under a running thread', () => {
  it('a field added with a default has it in the prompt, the conditions and the tools; a removed or retyped one is not shown', async () => {
    const checkpointer = new MemorySaver();
    const { threadId } = newThread();
    const before = compile(V1, ['Hello.'], checkpointer);
    await runTurn(before.graph, { threadId, message: 'hi', fields: { tier: 'gold', customer_id: 'c-1' } });

    const after = compile(V2, [{ toolCalls: [{ name: 'peek', args: { n: 1 } }] }, 'Peeked.'], checkpointer);
    seen.length = 0;
    const result = await runTurn(after.graph, { threadId, message: 'again' });

    expect(result.status).toBe('done');
    const [request] = after.model.requests;
    // vip (added, default true) opens the `when: vip` handoff and is shown; tier (retyped) takes its
    // default; customer_id (removed) is not shown.
    expect(request?.tools).toContain('transfer_to_senior');
    expect(request?.system).toContain('## Shared state\ntier: 1\nvip: true');
    expect(request?.system).not.toContain('customer_id');
    expect(seen).toEqual([{ tier: 1, vip: true }]);
  });
});
