// Loaded with `node --import <this file>`: every module the process resolves through the ESM loader
// (its URL, one a line) is appended to the file named by $SWITCHBOARD_RECORD_MODULES. CommonJS
// packages show as their entry (what an `import` resolved to), not the files they `require`.
import { register } from 'node:module';

const file = process.env.SWITCHBOARD_RECORD_MODULES;
if (file) register('./record-modules-hooks.mjs', import.meta.url, { data: { file } });
