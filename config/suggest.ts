import { closest, distance } from 'fastest-levenshtein';
import { nameCollision, reservedNameProblem } from './reserved-names.js';
import { NAME_PATTERN } from './schema.js';

/** The longest agent, state field or model name ({@link NAME_PATTERN}). */
const MAX_NAME_LENGTH = 48;

/**
 * `Did you mean "billing"? ` when a known name is close to `name` (trailing space included), else ''.
 */
export function didYouMean(name: string, known: readonly string[]): string {
  const match = closestName(name, known);
  return match === undefined ? '' : `Did you mean "${match}"? `;
}

/** Words an author may write for a fixed word of the format (a field's `type:`, an agent's `kind:`), lowercase. */
const SYNONYMS: Readonly<Record<string, string>> = {
  bool: 'boolean',
  flag: 'boolean',
  int: 'number',
  integer: 'number',
  float: 'number',
  double: 'number',
  decimal: 'number',
  str: 'string',
  text: 'string',
  choice: 'enum',
  person: 'human',
  people: 'human',
  operator: 'human',
  staff: 'human',
  user: 'human',
  bot: 'agent',
  llm: 'agent',
  tool: 'helper',
};

/**
 * `Did you mean "boolean"? ` for a word of `options` that is close to `word`, or that it means
 * (`bool`, `person`); else ''.
 */
export function didYouMeanWord(word: string, options: readonly string[]): string {
  const synonym = Object.hasOwn(SYNONYMS, word.toLowerCase()) ? SYNONYMS[word.toLowerCase()] : undefined;
  if (closestName(word, options) === undefined && synonym !== undefined && options.includes(synonym)) return `Did you mean "${synonym}"? `;
  return didYouMean(word, options);
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

/**
 * `name` made into a valid name, or '' when nothing of it is left: accents and invisible characters
 * go (café → cafe, bill\u200Bing → billing), any other character outside letters, digits, "_" and
 * "-" becomes "_", and it starts with a letter and ends without "_".
 */
export function cleanName(name: string, length = 48): string {
  const cleaned = name.normalize('NFKD').replace(/[\p{M}\p{Cf}]/gu, '').replace(/[^A-Za-z0-9_-]+/g, '_').replace(/^[^A-Za-z]+/, '').replace(/_+$/, '');
  return cleaned.slice(0, length);
}

/**
 * The name to offer instead of `name`, which a check refused: `name` cleaned ({@link cleanName}) if
 * that passes (`bill ing` → `billing`), else with `_<suffix>` (`__start__` → `start` is reserved too:
 * `start_desk`), numbered `_2`, `_3` … when that is taken. Whatever it offers passes every check a
 * name of the tree goes through: {@link NAME_PATTERN}, not a reserved name, no collision with a state
 * channel or an Object.prototype member, and none of `taken` (case aside), which holds `name` itself.
 * Undefined when nothing of `name` is left (`123`).
 */
export function suggestRename(name: string, suffix: string, taken: Iterable<string> = []): string | undefined {
  const cleaned = cleanName(name);
  // A name Mermaid reads as a keyword or an arrow (`end-user`, `a--b`) stays one whatever is appended: its "-" become "_".
  const base = reservedNameProblem(cleaned) === undefined ? cleaned : cleanName(cleaned.replaceAll('-', '_'));
  if (base === '') return undefined;
  const used = new Set([name, ...taken].map((entry) => entry.toLowerCase()));
  const fits = (candidate: string) => isUsableName(candidate) && !used.has(candidate.toLowerCase());
  if (fits(base)) return base;
  for (let number = 1; ; number += 1) {
    const tail = number === 1 ? `_${suffix}` : `_${suffix}_${number}`;
    const candidate = `${base.slice(0, MAX_NAME_LENGTH - tail.length).replace(/_+$/, '')}${tail}`;
    if (fits(candidate)) return candidate;
  }
}

/** Whether `name` passes every check a name of the tree goes through: {@link NAME_PATTERN}, not reserved, no collision. */
export function isUsableName(name: string): boolean {
  return NAME_PATTERN.test(name) && reservedNameProblem(name) === undefined && nameCollision(name) === undefined;
}
