/**
 * The dev page says which model each agent runs, as `switchboard dev` prints it: under `online`
 * (it said "models supplied by code"), and per agent when the tree mixes providers or endpoints
 * (it said "OpenAI" for every agent, or "offline model" once OPENAI_API_KEY was not set), following
 * saves that change the models.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseTree } from '../../config/load.js';
import { describeAgentModels, describeModel } from '../../dev/model-description.js';
import type { PageSnapshot } from '../../dev/page-data.js';
import { startDevServer } from '../../dev/server.js';
import type { DevServer } from '../../dev/server.js';
import type { ModelMode } from '../../models/resolve.js';
import { captureLogs } from '../../testing/capture-logs.js';
import { createExampleTools } from '../../tools/examples.js';
import { BOTH_KEYS, MIXED } from './mixed-tree.js';

const servers: DevServer[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function start(text: string, model: ModelMode, env: Record<string, string>): Promise<{ server: DevServer; file: string }> {
  const file = join(mkdtempSync(join(tmpdir(), 'switchboard-dev-models-')), 'tree.yaml');
  writeFileSync(file, text);
  const server = await startDevServer({ file, tools: createExampleTools(), model, env, logger: captureLogs('warn').logger });
  servers.push(server);
  return { server, file };
}

async function snapshotOf(server: DevServer): Promise<PageSnapshot> {
  return (await (await fetch(new URL('/api/tree', server.url))).json()) as PageSnapshot;
}

const agentModels = (snapshot: PageSnapshot) => Object.fromEntries((snapshot.tree?.agents ?? []).map((agent) => [agent.name, agent.model ?? null]));

describe('the dev page model label', () => {
  it('names each provider and its agents under --model online when the tree mixes providers', async () => {
    const { server } = await start(MIXED, 'online', BOTH_KEYS);
    const snapshot = await snapshotOf(server);
    expect(snapshot.model).toBe('Anthropic: triage; OpenAI at https://api.groq.com/openai/v1: billing');
    expect(agentModels(snapshot)).toEqual({
      triage: 'Anthropic claude-haiku-4-5',
      billing: 'OpenAI llama-3.3-70b at https://api.groq.com/openai/v1',
      person: null,
    });
  });

  it('names the provider under --model online on a tree of one provider (and its endpoint)', async () => {
    const desk = MIXED.replace('model: claude', 'model: groq');
    const { server } = await start(desk, 'online', BOTH_KEYS);
    expect((await snapshotOf(server)).model).toBe('OpenAI at https://api.groq.com/openai/v1');
  });

  it('says which agents run offline in auto, and why, beside the ones online', async () => {
    const { server } = await start(MIXED, 'auto', { ANTHROPIC_API_KEY: 'sk-ant-test', OPENAI_API_KEY: 'sk-test' });
    const snapshot = await snapshotOf(server);
    expect(snapshot.model).toBe('Anthropic: triage; offline model (GROQ_API_KEY is not set): billing');
    expect(agentModels(snapshot)).toEqual({ triage: 'Anthropic claude-haiku-4-5', billing: 'offline model (GROQ_API_KEY is not set)', person: null });
  });

  it("says when an agent's model fallback would run offline in auto though its first model is online", async () => {
    const tree = parseTree(
      'version: 1\nname: d\nroot: triage\nmodels:\n  claude: { provider: anthropic, name: claude-haiku-4-5 }\n  gpt: { provider: openai, name: gpt-4o }\nagents:\n  triage: { description: Desk., prompt: Answer., model: [claude, gpt], escalate: [person] }\n  person: { kind: human, description: A person. }\n',
      'tree.yaml',
    );
    expect(describeModel(tree.spec, 'auto', { ANTHROPIC_API_KEY: 'sk-ant-test' })).toBe('Anthropic; model fallback gpt on the offline model (OPENAI_API_KEY is not set): triage');
    expect(describeModel(tree.spec, 'auto', { ANTHROPIC_API_KEY: 'sk-ant-test', OPENAI_API_KEY: 'sk-test' })).toBe('Anthropic');
  });

  it('says what the terminal banner says, and follows a save that moves an agent to another provider', async () => {
    const { server, file } = await start(MIXED, 'online', BOTH_KEYS);
    const tree = parseTree(MIXED, 'tree.yaml').spec;
    expect((await snapshotOf(server)).model).toBe(describeModel(tree, 'online', BOTH_KEYS));
    const saved = new Promise<void>((resolve) => {
      const stop = server.tree.subscribe((state) => {
        if (state.good?.version !== 2) return;
        stop();
        resolve();
      });
    });
    writeFileSync(file, MIXED.replace('model: groq', 'model: claude'));
    await saved;
    const snapshot = await snapshotOf(server);
    expect(snapshot.tree?.version).toBe(2);
    expect(snapshot.model).toBe('Anthropic');
    expect(agentModels(snapshot)).toMatchObject({ triage: 'Anthropic claude-haiku-4-5', billing: 'Anthropic claude-haiku-4-5' });
  });

  it('names the option alone before the file first loads', async () => {
    const { server } = await start(MIXED.replace('version: 1', 'version: 2'), 'online', BOTH_KEYS);
    expect(await snapshotOf(server)).toMatchObject({ tree: null, model: '--model online' });
  });
});

describe('describeAgentModels()', () => {
  it('names each agent model, with its endpoint, or why it runs offline; people have none', () => {
    const tree = parseTree(MIXED, 'mixed.yaml').spec;
    expect(describeAgentModels(tree, 'offline', BOTH_KEYS)).toEqual({ triage: 'offline model (--model offline)', billing: 'offline model (--model offline)' });
    expect(describeAgentModels(tree, 'auto', {})).toEqual({
      triage: 'offline model (ANTHROPIC_API_KEY is not set)',
      billing: 'offline model (GROQ_API_KEY is not set)',
    });
  });
});
