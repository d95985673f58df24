/**
 * The zod type of a `state:` field as the tree declares it: lint checks defaults with it, the shared
 * state and handoff payloads are typed by it.
 */
import { z } from 'zod';
import type { Field } from './schema.js';

/** The zod type of one tree-declared field. */
export function fieldSchema(field: Field): z.ZodType {
  switch (field.type) {
    case 'string':
      return field.maxLength === undefined ? z.string() : z.string().max(field.maxLength);
    case 'number': {
      let schema = z.number();
      if (field.min !== undefined) schema = schema.min(field.min);
      if (field.max !== undefined) schema = schema.max(field.max);
      return schema;
    }
    case 'boolean':
      return z.boolean();
    case 'enum':
      return z.enum(field.values as [string, ...string[]]);
  }
}
