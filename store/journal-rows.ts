/**
 * What the SQL journals share: page sizes, and entry data as JSON text.
 */
import { DEFAULT_JOURNAL_PAGE } from './journal.js';

/** A page size: a positive whole number, at most what one read can sensibly return. */
export function pageLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_JOURNAL_PAGE;
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`A journal page limit must be a whole number of at least 1 (got ${limit}).`);
  return Math.min(limit, 10_000);
}

/** The entry's data as JSON text; a value JSON cannot hold (undefined, a function, a cycle, a BigInt) is refused by name. */
export function jsonText(data: unknown, key: string): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(data);
  } catch (error) {
    throw new TypeError(`The journal entry ${key} cannot be stored as JSON: ${(error as Error).message}.`, { cause: error });
  }
  if (text === undefined) throw new TypeError(`The journal entry ${key} has no JSON value (its data is ${typeof data}).`);
  return text;
}
