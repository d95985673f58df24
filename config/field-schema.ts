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

/**
 * A handoff payload field that `sets:` a state field, with that field's limits too (the stricter of
 * each): the model is shown them in the tool's schema, and a value the state could not hold is
 * refused as an invalid payload instead of failing the write. Lint checks the types and the enum
 * values agree.
 */
export function narrowedTo<T extends Field>(field: T, bound: Field | undefined): T {
  if (field.type === 'string' && bound?.type === 'string') {
    const maxLength = stricter(Math.min, field.maxLength, bound.maxLength);
    return maxLength === undefined ? field : { ...field, maxLength };
  }
  if (field.type === 'number' && bound?.type === 'number') {
    const min = stricter(Math.max, field.min, bound.min);
    const max = stricter(Math.min, field.max, bound.max);
    return { ...field, ...(min === undefined ? {} : { min }), ...(max === undefined ? {} : { max }) };
  }
  return field;
}

function stricter(pick: (a: number, b: number) => number, a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : pick(a, b);
}
