import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { treeJsonSchemaText } from '../../config/json-schema.js';

describe('schema/tree.schema.json', () => {
  it('is exactly what the zod source generates (run `npm run schema` after changing config/schema.ts)', () => {
    const committed = readFileSync(new URL('../../schema/tree.schema.json', import.meta.url), 'utf8');
    expect(committed).toBe(treeJsonSchemaText());
  });

  it('is draft-07 and describes the fields authors touch', () => {
    const schema = JSON.parse(treeJsonSchemaText()) as { $schema: string; required: string[]; properties: Record<string, { description?: string }> };
    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
    expect(schema.required).toEqual(expect.arrayContaining(['version', 'name', 'root', 'agents']));
    for (const key of ['version', 'root', 'escalation', 'agents', 'state', 'limits']) expect(schema.properties[key]?.description, key).toBeTruthy();
  });
});
