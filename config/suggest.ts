import { closest, distance } from 'fastest-levenshtein';

/**
 * `Did you mean "billing"? ` when a known name is close to `name` (trailing space included), else ''.
 */
export function didYouMean(name: string, known: readonly string[]): string {
  const match = closestName(name, known);
  return match === undefined ? '' : `Did you mean "${match}"? `;
}

/** Past this many names, "did you mean" is skipped: a broken file with thousands of names would take minutes. */
const MAX_CANDIDATES = 500;
/** Lists in hints name this many entries at most. */
const MAX_LISTED = 20;

/** The known name closest to `name`, if it is close enough to be a likely typo. */
export function closestName(name: string, known: readonly string[]): string | undefined {
  if (known.length === 0 || known.length > MAX_CANDIDATES) return undefined;
  const lower = name.toLowerCase();
  const exactCase = known.find((candidate) => candidate.toLowerCase() === lower);
  if (exactCase !== undefined) return exactCase;
  const match = closest(lower, known.map((candidate) => candidate.toLowerCase()));
  const index = known.findIndex((candidate) => candidate.toLowerCase() === match);
  // Two edits for a short word would suggest anything ("base" → "name").
  const threshold = name.length <= 4 ? 1 : Math.max(2, Math.floor(name.length / 3));
  return distance(lower, match) <= threshold ? known[index] : undefined;
}

/** `billing, sales, technical`, or the first 20 and how many in all; `(none)` for none. */
export function listNames(names: readonly string[]): string {
  if (names.length === 0) return '(none)';
  return names.length > MAX_LISTED ? `${names.slice(0, MAX_LISTED).join(', ')} … (${names.length} in all)` : names.join(', ');
}
