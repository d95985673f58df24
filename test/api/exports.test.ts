/**
 * The package as users import it: `switchboard` and `switchboard/testing`, resolved through the
 * package's own exports map to the built files.
 */
import { describe, expect, it } from 'vitest';
import * as switchboard from 'switchboard';
import * as testing from 'switchboard/testing';

describe('the public entry points', () => {
  it('exports the documented API from one entry', () => {
    for (const name of ['loadTree', 'parseTree', 'lintTreeText', 'compileTree', 'runTurn', 'streamTurn', 'resumeThread', 'pendingEscalations', 'recoverThread', 'openCheckpointer', 'getToolContext', 'createExampleTools', 'ConfigError', 'TurnError', 'StoreError', 'ThreadBusyError', 'TreeSchema', 'describeGraph', 'toMermaid']) {
      expect(switchboard, name).toHaveProperty(name);
    }
  });

  it('lets a user test their own tree with the shared scripted model', async () => {
    const tools = switchboard.createExampleTools();
    const tree = switchboard.parseTree(
      'version: 1\nname: mine\nroot: desk\nagents:\n  desk: { description: Desk, prompt: Route., children: [refunds] }\n  refunds: { description: Refunds, prompt: Refund., tools: [issue_refund], escalate: [person] }\n  person: { kind: human, description: Person }\n',
      'mine.yaml',
      { tools },
    );
    const model = new testing.ScriptedChatModel([testing.call('transfer_to_refunds'), testing.call('issue_refund', { invoice_id: 'I-1', amount: 5 }), 'Refunded $5.']);
    const graph = switchboard.compileTree(tree, { tools, model });
    const result = await switchboard.runTurn(graph, { threadId: 'user-test', message: 'refund me' });
    expect(result).toMatchObject({ agent: 'refunds', reply: 'Refunded $5.' });
    expect(model.requests.map((request) => request.tools)).toEqual([['transfer_to_refunds'], ['transfer_to_desk', 'transfer_to_person', 'issue_refund'], ['transfer_to_desk', 'transfer_to_person', 'issue_refund']]);
  });
});
