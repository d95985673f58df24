/**
 * Writes schema/tree.schema.json (draft-07, what the YAML language server reads) from the zod
 * source in config/schema.ts. `npm run schema`; a test fails when the committed file drifts.
 */
import { writeFileSync } from 'node:fs';
import { treeJsonSchemaText } from '../config/json-schema.js';

writeFileSync(new URL('../schema/tree.schema.json', import.meta.url), treeJsonSchemaText());
process.stdout.write('schema/tree.schema.json written\n');
