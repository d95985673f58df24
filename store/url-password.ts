/**
 * A store target as it may be shown (errors, hints, logs): a URL without its password. A URL the
 * parser cannot read (a port out of range, a `/` in the password) has everything between its
 * scheme and its last `@` hidden, user and password both: the parser cannot say where the password
 * ends, and a guess could show its tail. Anything that is not a URL (a SQLite path) is shown as is.
 */
export function withoutPassword(target: string): string {
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(target)?.[0];
  if (scheme === undefined) return target;
  try {
    const url = new URL(target);
    if (url.password === '') return target;
    url.password = '';
    return url.toString();
  } catch {
    const at = target.lastIndexOf('@');
    return at === -1 ? target : `${scheme}…${target.slice(at)}`;
  }
}
