import { describe, expect, it } from 'vitest';
import { parseTree } from '../../config/load.js';
import { compileTree } from '../../graphs/compile.js';
import { ScriptedChatModel } from '../../models/scripted.js';
import type { AgentRuntime } from '../../nodes/context.js';
import { checkReply } from '../../nodes/human.js';
import { messageTooLong } from '../../nodes/turn.js';
import { runTurn } from '../../runtime/turn.js';
import { newThread } from '../helpers.js';

const TREE = `
version: 1
name: wording
root: desk
agents:
  desk: { description: The desk, prompt: Answer. }
`;

describe('MESSAGE_TOO_LONG says how long a message far past the limit is, in words a person reads', () => {
  it('a message of megabytes is said to have its length in characters (counted in UTF-16 code units), before any model call', async () => {
    const model = new ScriptedChatModel(['never']);
    const graph = compileTree(parseTree(TREE, 'wording.yaml'), { model });

    const result = await runTurn(graph, { threadId: newThread().threadId, message: 'a'.repeat(1_500_000) });

    expect(result.error).toEqual({ code: 'MESSAGE_TOO_LONG', message: 'The message has 1500000 characters (counted in UTF-16 code units); the limit is 8000.' });
    expect(model.requests).toHaveLength(0);
  });

  it('the same words for a letter under a pile of combining marks, and for a person’s reply', () => {
    expect(messageTooLong(`e${'\u0301'.repeat(199_999)}`, { limits: { messageChars: 100 } })).toBe('The message has 200000 characters (counted in UTF-16 code units); the limit is 100.');
    const person = { name: 'person', limits: { messageChars: 100 } } as unknown as AgentRuntime;
    expect(() => checkReply(person, { reply: 'r'.repeat(50_000) }, [])).toThrow('The reply has 50000 characters (counted in UTF-16 code units); the limit is 100.');
  });
});
