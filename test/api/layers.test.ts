import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** The source folders, bottom-up: a folder may import from its own rank or below, never above. */
const RANK: Record<string, number> = {
  errors: 0,
  config: 1,
  models: 2,
  state: 2,
  store: 2,
  nodes: 3,
  graphs: 4,
  runtime: 5,
  tools: 6,
  eval: 6,
  dev: 6,
  viz: 6,
  testing: 6,
  tracing: 6,
  cli: 7,
};

function relativeImports(file: string): string[] {
  const source = readFileSync(join(root, file), 'utf8');
  return [...source.matchAll(/(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g)].map((match) => match[1]!);
}

describe('the source layout', () => {
  it('imports only from its own layer or the layers below it', () => {
    const upward: string[] = [];
    for (const [folder, rank] of Object.entries(RANK)) {
      const files = readdirSync(join(root, folder), { recursive: true, encoding: 'utf8' }).filter((name) => name.endsWith('.ts'));
      for (const name of files) {
        const file = join(folder, name);
        for (const specifier of relativeImports(file)) {
          const target = relative(root, resolve(dirname(join(root, file)), specifier)).split('/')[0]!;
          const targetRank = RANK[target];
          if (targetRank !== undefined && targetRank > rank) upward.push(`${file} imports ${specifier}`);
        }
      }
    }
    expect(upward).toEqual([]);
  });

  it('keeps everything that persists in store/', () => {
    const store = readdirSync(join(root, 'store')).sort();
    expect(store).toEqual(expect.arrayContaining(['checkpointer.ts', 'ledger.ts', 'postgres-saver.ts', 'retention.ts', 'thread-lock.ts']));
    for (const folder of ['runtime', 'nodes', 'graphs', 'tools']) {
      for (const name of readdirSync(join(root, folder))) {
        const source = readFileSync(join(root, folder, name), 'utf8');
        expect({ file: `${folder}/${name}`, opensADatabase: /from 'pg'|from 'better-sqlite3'/.test(source) }).toEqual({ file: `${folder}/${name}`, opensADatabase: false });
      }
    }
  });
});
