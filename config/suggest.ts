import { closest, distance } from 'fastest-levenshtein';

/**
 * `Did you mean "billing"? ` when a known name is close to `name` (trailing space included), else ''.
 */
export function didYouMean(name: string, known: readonly string[]): string {
  const match = closestName(name, known);
  return match === undefined ? '' : `Did you mean "${match}"? `;
}

/** The known name closest to `name`, if it is close enough to be a likely typo. */
export function closestName(name: string, known: readonly string[]): string | undefined {
  if (known.length === 0) return undefined;
  const lower = name.toLowerCase();
  const exactCase = known.find((candidate) => candidate.toLowerCase() === lower);
  if (exactCase !== undefined) return exactCase;
  const match = closest(lower, known.map((candidate) => candidate.toLowerCase()));
  const index = known.findIndex((candidate) => candidate.toLowerCase() === match);
  const threshold = Math.max(2, Math.floor(name.length / 3));
  return distance(lower, match) <= threshold ? known[index] : undefined;
}
