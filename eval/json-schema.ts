/**
 * The JSON Schema of the dataset format, generated from the zod source (never written by hand):
 * `schema/dataset.schema.json`, for editors (`# yaml-language-server: $schema=…`).
 */
import { z } from 'zod';
import { DatasetSchema } from './dataset-schema.js';

export const DATASET_SCHEMA_ID = 'https://switchboard.dev/schema/dataset.schema.json';

/** The draft-07 JSON Schema of a YAML dataset file. */
export function datasetJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(DatasetSchema, { target: 'draft-07', io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return { ...schema, $id: DATASET_SCHEMA_ID };
}

/** {@link datasetJsonSchema} as the text of the committed file. */
export function datasetJsonSchemaText(): string {
  return `${JSON.stringify(datasetJsonSchema(), null, 2)}\n`;
}
