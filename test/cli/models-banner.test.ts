/**
 * The first line says which model each agent runs: in `auto`, an agent whose key variable is not set
 * runs the offline model, and the line names it and why instead of claiming OpenAI for everyone.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { parseTree } from '../../config/load.js';
import { describeModel } from '../../cli/setup.js';
import { fakeOpenAIForFile } from '../helpers.js';
import { runCli } from './run-cli.js';

// Each command is a separate Node process (a few seconds on a busy machine).
vi.setConfig({ testTimeout: 120_000 });

/** The desk tree with two models: triage on OPENAI_API_KEY, billing on GROQ_API_KEY. */
const MIXED = `version: 1
name: mixed
root: triage
defaults: { model: main }
models:
  main: { provider: openai, name: gpt-4o-mini }
  groq: { provider: openai, name: llama-3.3-70b, apiKeyEnv: GROQ_API_KEY, baseURL: "https://api.groq.com/openai/v1" }
agents:
  triage:
    description: Front desk. Routes to billing.
    prompt: Route billing questions to billing.
    children: [billing]
  billing:
    description: Charges, refunds and invoices.
    prompt: You are the billing specialist.
    model: groq
    escalate: [person]
  person:
    kind: human
    description: A person on the billing team.
`;

const tree = parseTree(MIXED, 'mixed.yaml').spec;

describe('describeModel()', () => {
  it('names the agents that run offline in auto mode because their key variable is not set', () => {
    expect(describeModel(tree, 'auto', { OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: 'http://127.0.0.1:1/v1' })).toBe(
      'OpenAI at http://127.0.0.1:1/v1: triage; offline model (GROQ_API_KEY is not set): billing',
    );
  });

  it('says offline, and why, when no agent has its key', () => {
    expect(describeModel(tree, 'auto', {})).toBe('offline model (OPENAI_API_KEY is not set; GROQ_API_KEY is not set)');
    expect(describeModel(tree, 'offline', { OPENAI_API_KEY: 'sk-test' })).toBe('offline model (--model offline)');
  });

  it('names each endpoint when every agent has its key', () => {
    expect(describeModel(tree, 'auto', { OPENAI_API_KEY: 'sk-test', GROQ_API_KEY: 'gsk-test' })).toBe(
      'OpenAI: triage; OpenAI at https://api.groq.com/openai/v1: billing',
    );
    expect(describeModel(tree, 'openai', { OPENAI_API_KEY: 'sk-test', GROQ_API_KEY: 'gsk-test', OPENAI_BASE_URL: 'http://x/v1' })).toBe(
      'OpenAI at http://x/v1: triage; OpenAI at https://api.groq.com/openai/v1: billing',
    );
  });
});

const server = await fakeOpenAIForFile();

describe('switchboard run', () => {
  it("prints the truth in its first line when one model's key is missing", async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'switchboard-mixed-')), 'mixed.yaml');
    writeFileSync(file, MIXED);
    server.enqueue({ content: 'Hello from triage.' });
    const { code, stderr, stdout } = await runCli(['run', file, '--db', 'memory', '--thread', 't-mixed', '-m', 'hello'], {
      env: { OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: server.url },
    });
    expect(code).toBe(0);
    expect(stderr).toBe(`thread t-mixed · OpenAI at ${server.url}: triage; offline model (GROQ_API_KEY is not set): billing · memory\n`);
    expect(stdout.toString()).toBe('triage: Hello from triage.\n');
  });
});
