/**
 * How an actual turn is compared with what a case expects.
 */
import { HANDOFF_KINDS } from '../config/edges.js';

/** The same agents in the same order. */
export function pathMatches(expected: readonly string[], actual: readonly string[]): boolean {
  return expected.length === actual.length && expected.every((agent, index) => agent === actual[index]);
}

/** Every expected field is present with an equal value; other actual fields are ignored. */
export function payloadMatches(expected: Readonly<Record<string, unknown>>, actual: Readonly<Record<string, unknown>>): boolean {
  return Object.entries(expected).every(([field, value]) => Object.hasOwn(actual, field) && Object.is(actual[field], value));
}

/**
 * The payload fields of the handoffs a model chose in a turn, merged in order (a later handoff's
 * value wins). The runtime's own moves (a fallback, a limit redirect, a person's hand-back) carry the
 * runtime's `reason`, not a model's payload: counted, they would overwrite the payload under test.
 */
export function mergePayloads(handoffs: readonly { kind: string; payload: Readonly<Record<string, unknown>> }[]): Record<string, unknown> {
  const chosen = handoffs.filter((handoff) => (HANDOFF_KINDS as ReadonlySet<string>).has(handoff.kind));
  return Object.assign({}, ...chosen.map((handoff) => handoff.payload)) as Record<string, unknown>;
}
