#!/usr/bin/env node
// The switchboard command. The TypeScript sources are compiled to dist/ by `npm install` (prepare).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write('switchboard is not built: run `npm run build` in the package folder.\n');
  process.exit(2);
}
await import(entry.href);
