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

/** A postgres:// URL without its password (the driver reads it from $PGPASSWORD); anything else unchanged. */
export function withoutPassword(target: string): string {
  if (!/^postgres(ql)?:\/\//i.test(target)) return target;
  try {
    const url = new URL(target);
    if (url.password === '') return target;
    url.password = '';
    return url.toString();
  } catch {
    return target;
  }
}
