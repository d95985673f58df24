/**
 * Whether a value a dataset writes fits the typed field it is meant for (a state field under
 * `fields:`, or a handoff payload field under `payload:`), and if not, what to write instead. The
 * runtime refuses a state value that does not fit on every turn, and a payload value that does not
 * fit can never be carried: either way the case could only fail, so the dataset is refused first.
 */
import { fieldSchema } from '../config/field-schema.js';
import type { Field } from '../config/schema.js';
import { didYouMean, listNames } from '../config/suggest.js';

/** A value a dataset can write for a field (the dataset schema allows no other). */
export type FieldValue = string | number | boolean;

/** Why a value does not fit a field: the end of the issue's message ("must be …, not …") and the fix. */
export interface ValueProblem {
  code: 'INVALID_TYPE' | 'INVALID_VALUE';
  /** `must be text, not the number 42` */
  problem: string;
  hint: string;
}

/**
 * The problem of `value` for a field that may be declared several ways (one tree and another under
 * `--against`, or several handoffs carrying a field of the same name): undefined when any
 * declaration takes it, else the problem with the first.
 */
export function valueProblem(value: FieldValue, declarations: readonly Field[]): ValueProblem | undefined {
  if (declarations.length === 0 || declarations.some((field) => fieldSchema(field).safeParse(value).success)) return undefined;
  return describeProblem(value, declarations[0] as Field);
}

function describeProblem(value: FieldValue, field: Field): ValueProblem {
  const given = describeValue(value);
  switch (field.type) {
    case 'string':
      if (typeof value !== 'string')
        return { code: 'INVALID_TYPE', problem: `must be text, not ${given}`, hint: `Quote it: "${String(value)}".` };
      return { code: 'INVALID_VALUE', problem: `must be at most ${field.maxLength} characters, not ${value.length}`, hint: 'Shorten it.' };
    case 'number':
      if (typeof value !== 'number') return { code: 'INVALID_TYPE', problem: `must be a number, not ${given}`, hint: numberHint(value) };
      return { code: 'INVALID_VALUE', problem: `must be ${describeRange(field.min, field.max)}, not ${value}`, hint: `Use a number ${describeRange(field.min, field.max)}.` };
    case 'boolean':
      return { code: 'INVALID_TYPE', problem: `must be true or false, not ${given}`, hint: 'Write true or false, without quotes.' };
    case 'enum':
      return {
        code: 'INVALID_VALUE',
        problem: `must be one of: ${listNames(field.values)}, not ${given}`,
        hint: `${typeof value === 'string' ? didYouMean(value, field.values) : ''}Use one of: ${listNames(field.values)}.`,
      };
  }
}

/** A number written as text (`"42"`) only needs its quotes taken off. */
function numberHint(value: string | boolean): string {
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : Number.NaN;
  return Number.isFinite(number) ? `Write it without quotes: ${number}.` : 'Write a number.';
}

function describeRange(min: number | undefined, max: number | undefined): string {
  if (min !== undefined && max !== undefined) return `from ${min} to ${max}`;
  return min !== undefined ? `at least ${min}` : `at most ${String(max)}`;
}

function describeValue(value: FieldValue): string {
  if (typeof value === 'string') return `"${value.length > 40 ? `${value.slice(0, 40)}…` : value}"`;
  return typeof value === 'number' ? `the number ${value}` : String(value);
}
