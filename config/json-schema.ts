/**
 * The JSON Schema of the tree format, generated from the zod source (never written by hand).
 */
import { z } from 'zod';
import { TreeSchema } from './schema.js';

export const SCHEMA_ID = 'https://switchboard.dev/schema/tree.schema.json';

export function treeJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(TreeSchema, { target: 'draft-07', io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return { ...schema, $id: SCHEMA_ID };
}

export function treeJsonSchemaText(): string {
  return `${JSON.stringify(treeJsonSchema(), null, 2)}\n`;
}
