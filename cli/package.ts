/**
 * Switchboard's own package: where it is installed (for the schema `init` points at) and its version.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

interface Manifest {
  name?: string;
  version?: string;
}

/** The folder of Switchboard's package.json, found from this file (in the sources or in dist/). */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (readManifest(dir)?.name === 'switchboard') return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('Switchboard cannot find its own package.json.');
    dir = parent;
  }
}

/** The version in Switchboard's package.json (what `switchboard --version` prints). */
export function packageVersion(): string {
  return readManifest(packageRoot())?.version ?? '0.0.0';
}

function readManifest(dir: string): Manifest | undefined {
  const manifest = join(dir, 'package.json');
  return existsSync(manifest) ? (JSON.parse(readFileSync(manifest, 'utf8')) as Manifest) : undefined;
}
