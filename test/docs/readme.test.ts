/**
 * The README's examples are the files CI checks: the smallest tree is examples/desk.yaml verbatim,
 * the backend snippet comes from examples/backend.ts (type-checked), and the two commands exist.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');
const readme = read('README.md');

describe('README.md', () => {
  it('shows the two commands first', () => {
    const firstBlock = /```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    expect(firstBlock).toContain('npm install && npx switchboard chat config/support.yaml');
    expect(firstBlock).toContain('npm test');
    expect(read('.ci/run')).toMatch(/^npm test$/m);
  });

  it('shows the smallest tree exactly as examples/desk.yaml', () => {
    expect(readme).toContain(`\`\`\`yaml\n${read('examples/desk.yaml')}\`\`\``);
  });

  it('shows backend code taken from examples/backend.ts', () => {
    const snippet = /## From backend code[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    const source = read('examples/backend.ts');
    for (const line of snippet.trim().split('\n').filter(Boolean)) expect(source).toContain(line);
  });
});
