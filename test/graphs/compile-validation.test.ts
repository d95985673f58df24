import { describe, expect, it } from 'vitest';
import { parseTree } from '../../config/load.js';
import type { TreeInput } from '../../config/schema.js';
import { ConfigError, formatIssue } from '../../errors/config-error.js';
import { compileTree } from '../../graphs/compile.js';
import { exampleTools } from '../config/lint-fixtures.js';

const DESK = `version: 1
name: desk
root: triage
agents:
  triage:
    description: Front desk.
    prompt: Route billing questions to billing.
    children: [billing]
  billing:
    description: Charges and refunds.
    prompt: You are the billing specialist.
    tools: [lookup_invoice]
    escalate: [person]
  person:
    kind: human
    description: A person on the billing team.
`;

function compileError(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).issues.map(formatIssue).join('\n');
  }
  throw new Error('compileTree returned a graph');
}

const options = { tools: exampleTools, model: 'offline' as const, checkpointer: false as const };

describe('compileTree() never returns a graph for an invalid tree', () => {
  it('validates a plain tree object with the schema and the lint rules', () => {
    const tree: TreeInput = {
      version: 1,
      name: 'desk',
      root: 'triage',
      agents: {
        triage: { description: 'Front desk.', prompt: 'Route.', children: ['biling'] },
        billing: { description: 'Billing.', prompt: 'Billing.' },
      },
    };
    expect(compileError(() => compileTree(tree as never, options))).toMatchInlineSnapshot(
      `
      "<tree object>:1:1 error UNKNOWN_AGENT "biling" is not an agent. Did you mean "billing"? Agents: triage, billing.
      <tree object>:1:1 warning NO_HUMAN_ESCALATION No conversation can reach a person: the tree has no path to a kind: human agent. Add a kind: human agent and list it under escalate: (or as the tree escalation:)."
    `,
    );
  });

  it('turns input that is not a tree at all into a ConfigError, not a TypeError', () => {
    for (const input of [null, undefined, 'version: 1', 42, [], {}]) {
      expect(compileError(() => compileTree(input as never, options))).toMatch(/^<tree object>:1:1 error /);
    }
  });

  it('checks a loaded tree again: a spec changed after loading is caught, at its position in the file', () => {
    const tree = parseTree(DESK, 'desk.yaml', { tools: exampleTools });
    tree.spec.agents.triage?.children?.push('ghost');
    expect(compileError(() => compileTree(tree, options))).toMatchInlineSnapshot(
      `"desk.yaml:8:15 error UNKNOWN_AGENT "ghost" is not an agent. Agents: triage, billing, person."`,
    );
  });

  it('checks the tools of a loaded tree against the registry the code passes', () => {
    const tree = parseTree(DESK, 'desk.yaml');
    expect(compileError(() => compileTree(tree, { ...options, tools: [] }))).toMatchInlineSnapshot(
      `"desk.yaml:12:13 error UNKNOWN_TOOL "lookup_invoice" is not a registered tool. Registered tools: (none)."`,
    );
  });

  it('refuses tools that are not LangChain tools, or are registered under another name, naming each (INVALID_TOOLS), not a TypeError or a tool nobody can call', () => {
    const tree = parseTree(DESK, 'desk.yaml');
    const { lookup_invoice } = exampleTools;
    const refused = (tools: unknown) => {
      try {
        compileTree(tree, { ...options, tools: tools as never });
      } catch (error) {
        expect(error).toMatchObject({ code: 'INVALID_TOOLS' });
        return (error as Error).message;
      }
      throw new Error('compileTree returned a graph');
    };
    expect(refused({ lookup_invoice: async () => 'x', refund: null })).toBe(
      'The tools given to compileTree are wrong: "lookup_invoice" is a plain function, not a LangChain tool: wrap the function with tool() from @langchain/core/tools (a name, a description and a zod schema); "refund" is null, not a LangChain tool: pass a tool made with tool() from @langchain/core/tools.',
    );
    expect(refused({ invoice: lookup_invoice })).toContain('"invoice" holds the tool named "lookup_invoice" (the model would be offered "lookup_invoice", the tree knows "invoice"): register it under its own name');
    expect(refused([lookup_invoice, 42])).toBe('The tools given to compileTree are wrong: entry 1 of the list is a number, not a LangChain tool: pass a tool made with tool() from @langchain/core/tools.');
    expect(refused('tools')).toContain('the tools are a string, not an object of tools by name or a list of tools');
    expect(refused([lookup_invoice, lookup_invoice])).toBe('The tools given to compileTree are wrong: two tools of the list are named "lookup_invoice": give each its own name.');
    // null is no tools, as undefined is: the tree's tool is then unknown, as with none.
    expect(compileError(() => compileTree(tree, { ...options, tools: null as never }))).toContain('UNKNOWN_TOOL');
  });

  it('compiles the same tree when it is valid', () => {
    const graph = compileTree(parseTree(DESK, 'desk.yaml', { tools: exampleTools }), options);
    expect(Object.keys(graph.getGraph().nodes)).toEqual(expect.arrayContaining(['triage', 'billing', 'person']));
  });

  it('keeps what code allowed when it loaded the tree: an allowed key variable compiles, and stays refused without the option', () => {
    const text = `${DESK}models:\n  azure: { provider: openai, name: gpt-4o, apiKeyEnv: AZURE_OPENAI_KEY }\n`;
    const allowed = parseTree(text, 'desk.yaml', { tools: exampleTools, allowedKeyEnv: ['AZURE_OPENAI_KEY'] });
    expect(Object.keys(compileTree(allowed, options).getGraph().nodes)).toContain('triage');
    expect(() => parseTree(text, 'desk.yaml', { tools: exampleTools })).toThrow(/API_KEY_ENV_NOT_ALLOWED/);
  });
});
