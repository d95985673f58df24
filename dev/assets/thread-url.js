// Where the page asks about one thread. The id goes in the query, not in the path: a browser removes
// a path segment `.` or `..` (however it is escaped) before it sends the request, so a thread the
// command line named `..` could not be opened, answered or forked by its path.

/**
 * @param {'thread' | 'escalation'} collection a thread, or a thread waiting for a person
 * @param {string} threadId
 * @param {string} [action] what to do with it: `trace`, `turns/2`, `fork`, `reply`, `decision`; none reads it
 * @param {Record<string, string>} [query] more of the query, such as `{ turn: '2' }`
 */
export function threadUrl(collection, threadId, action = '', query = {}) {
  return `/api/${collection}${action ? `/${action}` : ''}?${new URLSearchParams({ id: threadId, ...query })}`;
}
