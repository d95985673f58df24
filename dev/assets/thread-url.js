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

/** This page's id (one per tab): the server tells every page which one changed a thread, so a page knows its own changes. */
export const PAGE_ID = crypto.randomUUID();

/** The headers of a request that changes a thread (a turn, a reply, a decision, a fork): JSON, and who sends it. */
export const CHANGE_HEADERS = Object.freeze({ 'content-type': 'application/json', 'x-switchboard-page': PAGE_ID });
