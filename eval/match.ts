/**
 * How an actual turn is compared with what a case expects.
 */

/** The same agents in the same order. */
export function pathMatches(expected: readonly string[], actual: readonly string[]): boolean {
  return expected.length === actual.length && expected.every((agent, index) => agent === actual[index]);
}

/** Every expected field is present with an equal value; other actual fields are ignored. */
export function payloadMatches(expected: Readonly<Record<string, unknown>>, actual: Readonly<Record<string, unknown>>): boolean {
  return Object.entries(expected).every(([field, value]) => Object.hasOwn(actual, field) && Object.is(actual[field], value));
}

/** The payload fields a turn's handoffs carried, merged in order (a later handoff's value wins). */
export function mergePayloads(handoffs: readonly { payload: Readonly<Record<string, unknown>> }[]): Record<string, unknown> {
  return Object.assign({}, ...handoffs.map((handoff) => handoff.payload)) as Record<string, unknown>;
}
