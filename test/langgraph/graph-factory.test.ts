import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../errors/config-error.js';
import { BROKEN_TREE_STATUS, createGraphFactory } from '../../graphs/factory.js';
import { createExampleTools } from '../../tools/examples.js';

const desk = new URL('../../examples/desk.yaml', import.meta.url);

describe('createGraphFactory()', () => {
  it('compiles the tree on every call', async () => {
    const factory = createGraphFactory(desk, { tools: createExampleTools(), model: 'offline' });
    const graph = await factory();
    expect(Object.keys((await graph.getGraphAsync()).nodes)).toEqual(expect.arrayContaining(['triage', 'billing', 'person']));
  });

  it('throws a ConfigError with every problem as file:line:col, answered over HTTP as a 422 with that text', async () => {
    // Inside the current folder, so the error names the file relative to it.
    mkdirSync(join(process.cwd(), 'tmp'), { recursive: true });
    const folder = mkdtempSync(join(process.cwd(), 'tmp', 'factory-'));
    const file = join(folder, 'desk.yaml');
    writeFileSync(
      file,
      'version: 1\nname: desk\nroot: triage\nagents:\n  triage:\n    description: Front desk.\n    prompt: Route.\n    children: [biling]\n',
    );
    const error: unknown = await createGraphFactory(file)()
      .then(
        () => undefined,
        (caught: unknown) => caught,
      )
      .finally(() => rmSync(folder, { recursive: true, force: true }));
    expect(error).toBeInstanceOf(ConfigError);
    const shown = relative(process.cwd(), file);
    expect((error as ConfigError).message).toMatch(
      new RegExp(`^The tree has \\d+ errors?:\\n${shown.replace(/[.]/g, '\\.')}:8:16 error UNKNOWN_AGENT "biling" is not an agent\\.`),
    );
    const response = (error as { getResponse(): Response }).getResponse();
    expect(response.status).toBe(BROKEN_TREE_STATUS);
    expect(BROKEN_TREE_STATUS).toBe(422);
    expect(response.headers.get('content-type')).toBe('text/plain; charset=UTF-8');
    expect(await response.text()).toBe((error as ConfigError).message);
  });
});
