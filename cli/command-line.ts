/**
 * Commands the CLI suggests ("answer with …", "continue with …"), written as the README shows them
 * (`npx switchboard …`) and quoted so they can be pasted into a POSIX shell as they are.
 */

/** How the CLI's own commands are shown to be run. */
export const COMMAND_PREFIX = 'npx switchboard';

/** One shell word: as it is when it is safe, else in single quotes. */
export function shellQuote(word: string): string {
  if (/^[\w@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/** `npx switchboard <args…>`, each argument quoted; a `literal` tail (such as `--reply "…"`) is kept as written. */
export function suggestCommand(args: string[], literal?: string): string {
  return [COMMAND_PREFIX, ...args.map(shellQuote), ...(literal ? [literal] : [])].join(' ');
}

export { withoutPassword } from '../store/url-password.js';

/**
 * The candidate `word` is most likely a slip of (ignoring case): within two edits, a swap of two
 * neighbouring letters counting as one (one edit for a word of three letters or fewer), or the start
 * of a longer one (`warning` → `warn`); undefined when none is that close, so a message never
 * suggests something unrelated.
 */
export function nearest(word: string, candidates: readonly string[]): string | undefined {
  const typed = word.toLowerCase();
  let best: { candidate: string; edits: number } | undefined;
  for (const candidate of candidates) {
    const lower = candidate.toLowerCase();
    const prefix = Math.min(typed.length, lower.length) >= 3 && (typed.startsWith(lower) || lower.startsWith(typed));
    const edits = typed === lower ? 0 : prefix ? 0.5 : swapsAndEdits(typed, lower);
    if (edits <= (typed.length <= 3 ? 1 : 2) && (best === undefined || edits < best.edits)) best = { candidate, edits };
  }
  return best?.candidate;
}

/** Edits from `a` to `b`: insertions, deletions, substitutions and swaps of neighbouring letters (optimal string alignment). */
function swapsAndEdits(a: string, b: string): number {
  const rows: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = best;
    }
  return rows[a.length]![b.length]!;
}

/**
 * A whole number written in decimal digits (`3`), or NaN: `Number()` alone reads `0x2`, `1e1`,
 * ` 3 ` and `''` as numbers, which an option's user never meant.
 */
export function wholeNumber(text: string): number {
  return /^[0-9]{1,15}$/.test(text) ? Number(text) : Number.NaN;
}
