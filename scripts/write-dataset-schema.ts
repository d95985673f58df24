/**
 * Writes schema/dataset.schema.json (draft-07, what the YAML language server reads) from the zod
 * source in eval/dataset-schema.ts: `npx tsx scripts/write-dataset-schema.ts`. A test fails when
 * the committed file drifts.
 */
import { writeFileSync } from 'node:fs';
import { datasetJsonSchemaText } from '../eval/json-schema.js';

writeFileSync(new URL('../schema/dataset.schema.json', import.meta.url), datasetJsonSchemaText());
process.stdout.write('schema/dataset.schema.json written\n');
