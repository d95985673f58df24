import { describe, expect, it } from 'vitest';
import { lintTreeText, loadTree, parseTree } from '../../config/load.js';
import type { TreeRegistry } from '../../config/load.js';
import { STATE_CHANNELS } from '../../config/reserved-names.js';
import { ConfigError, formatIssue } from '../../errors/config-error.js';
import { compileTree } from '../../graphs/compile.js';
import { createStateSchema } from '../../state/schema.js';
import { readFixture, REPO, showIssues } from './lint-fixtures.js';

/** A valid tree with one model reading its key from `variable`, and a payload field that sets `customer_id`. */
function treeText(variable: string): string {
  return `version: 1
name: desk
root: triage
models:
  main: { provider: openai, name: gpt-4o-mini, apiKeyEnv: ${variable} }
state:
  customer_id: { type: string }
agents:
  triage:
    description: Front desk.
    prompt: Route billing questions to billing.
    model: main
    children: [billing]
  billing:
    description: Charges and refunds.
    prompt: You are the billing specialist.
    escalate: [person]
    handoff:
      payload:
        account: { type: string, sets: customer_id }
  person:
    kind: human
    description: A person on the billing team.
`;
}

const codes = (text: string, registry: TreeRegistry = {}) => lintTreeText(text, 'desk.yaml', registry).map((issue) => issue.code);

describe('lintTreeText(): what backend code allows (allowedKeyEnv)', () => {
  it.each(['OPENAI_API_KEY', 'AZURE_OPENAI_API_KEY', 'GROQ_API_KEY'])('accepts %s: its name ends in _API_KEY', (variable) => {
    expect(codes(treeText(variable))).toEqual([]);
  });

  it.each(['PGPASSWORD', 'DATABASE_URL', 'AWS_SECRET_ACCESS_KEY', 'AZURE_OPENAI_KEY', 'OPENAI_API_KEY_FILE'])(
    'refuses %s by default',
    (variable) => {
      expect(codes(treeText(variable))).toEqual(['API_KEY_ENV_NOT_ALLOWED']);
    },
  );

  it('accepts a name that code allows, and still refuses the others, naming the allowed ones', () => {
    const registry = { allowedKeyEnv: ['AZURE_OPENAI_KEY'] };
    expect(codes(treeText('AZURE_OPENAI_KEY'), registry)).toEqual([]);
    const text = treeText('PGPASSWORD');
    expect(showIssues(text, lintTreeText(text, 'desk.yaml', registry))).toMatchInlineSnapshot(`
      "desk.yaml:5:59 error API_KEY_ENV_NOT_ALLOWED models.main.apiKeyEnv names PGPASSWORD, which is not an API key variable: the model would send its value to the provider. Name a variable ending in _API_KEY (such as OPENAI_API_KEY) or AZURE_OPENAI_KEY, or allow it in code: loadTree(path, { allowedKeyEnv: ['PGPASSWORD'] }).
          main: { provider: openai, name: gpt-4o-mini, apiKeyEnv: PGPASSWORD }
                                                                  ^"
    `);
  });

  it('takes the allowlist in loadTree, and keeps it on the loaded tree for compileTree to check again', async () => {
    const path = `${REPO}test/fixtures/invalid/api-key-env-not-allowed.yaml`;
    await expect(loadTree(path)).rejects.toThrow(ConfigError);
    const loaded = await loadTree(path, { allowedKeyEnv: new Set(['PGPASSWORD']) });
    expect([...loaded.policy.allowedKeyEnv]).toEqual(['PGPASSWORD']);
    expect(loaded.warnings).toEqual([]);
  });
});

describe('lintTreeText(): fields backend code owns', () => {
  it('lets a payload set a field nobody claims', () => {
    expect(codes(treeText('OPENAI_API_KEY'))).toEqual([]);
  });

  it('refuses sets: into a field code declares with backendFields', () => {
    const text = treeText('OPENAI_API_KEY');
    const issues = lintTreeText(text, 'desk.yaml', { backendFields: ['customer_id'] });
    expect(showIssues(text, issues)).toMatchInlineSnapshot(`
      "desk.yaml:20:40 error SETS_BACKEND_FIELD Payload field "account" sets state field "customer_id", which only backend code may write: backend code declares it (backendFields). Remove sets: customer_id. Backend code sets "customer_id" (runTurn fields:), from the authenticated session; a model must not be able to change it.
                account: { type: string, sets: customer_id }
                                               ^"
    `);
    expect(() => parseTree(text, 'desk.yaml', { backendFields: ['customer_id'] })).toThrow(ConfigError);
  });

  it('refuses sets: into a field marked owner: backend, whatever code says', () => {
    const text = treeText('OPENAI_API_KEY').replace('customer_id: { type: string }', 'customer_id: { type: string, owner: backend }');
    expect(codes(text)).toEqual(['SETS_BACKEND_FIELD']);
    expect(codes(text.replace('owner: backend', 'owner: agents'))).toEqual([]);
  });

  it.each([
    ['config/support.yaml', 'customer_id'],
    ['config/hybrid.yaml', 'customer_id'],
    ['config/clinic.yaml', 'patient_id'],
    ['config/after-hours.yaml', 'caller_number'],
  ])('%s marks the identity field %s as owned by backend code', (file, field) => {
    expect(parseTree(readFixture(file), file).spec.state?.[field]?.owner).toBe('backend');
  });
});

describe('compileTree(): names LangGraph or JavaScript would misread', () => {
  it('refuses an agent named like a state channel with NAME_COLLISION, before LangGraph throws its own error', () => {
    const tree = {
      version: 1,
      name: 'desk',
      root: 'triage',
      agents: {
        triage: { description: 'Front desk.', prompt: 'Route.', children: ['Turn'], escalate: ['person'] },
        Turn: { description: 'Takes turns.', prompt: 'Take the turn.', escalate: ['person'] },
        person: { kind: 'human', description: 'A person.' },
      },
      state: { toString: { type: 'string' } },
    };
    const error: unknown = (() => {
      try {
        compileTree(tree as never, { model: 'offline', checkpointer: false });
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues.map(formatIssue)).toMatchInlineSnapshot(`
      [
        "<tree object>:1:1 error NAME_COLLISION The agent "Turn" collides with the shared state's channel "turn". Rename it, e.g. "Turn_desk".",
        "<tree object>:1:1 error NAME_COLLISION The state field "toString" collides with Object.prototype.toString, which every JavaScript object inherits. Rename it, e.g. "toString_value".",
      ]
    `);
  });

  it('knows every channel of the shared state', () => {
    const schema = createStateSchema({ root: 'triage', state: {} });
    expect([...STATE_CHANNELS].sort()).toEqual(Object.keys(schema.fields).sort());
  });
});
