/**
 * What model calls cost: US dollars per million tokens, per provider model id. The built-in table
 * is a starting point; a tree's `prices:` and the `prices` compile option override it.
 */
import { priceOf } from '../config/price-match.js';

export { priceOf };

export interface Price {
  /** US dollars per million input tokens. */
  input: number;
  /** US dollars per million output tokens. */
  output: number;
}

export type PriceTable = Record<string, Price>;

/** List prices at the time of writing; check your provider's page and override where they differ. */
export const DEFAULT_PRICES: PriceTable = {
  offline: { input: 0, output: 0 },
  'gpt-4o': { input: 2.5, output: 10 },
  'gpt-4o-mini': { input: 0.15, output: 0.6 },
  'gpt-4.1': { input: 2, output: 8 },
  'gpt-4.1-mini': { input: 0.4, output: 1.6 },
  'gpt-4.1-nano': { input: 0.1, output: 0.4 },
  'o4-mini': { input: 1.1, output: 4.4 },
  'gpt-5': { input: 1.25, output: 10 },
  'gpt-5-mini': { input: 0.25, output: 2 },
  'gpt-5-nano': { input: 0.05, output: 0.4 },
  // Anthropic: dated ids (claude-sonnet-4-5-20250929) and -latest aliases match by prefix.
  'claude-opus-4-5': { input: 5, output: 25 },
  'claude-opus-4-1': { input: 15, output: 75 },
  'claude-opus-4': { input: 15, output: 75 },
  'claude-sonnet-4-5': { input: 3, output: 15 },
  'claude-sonnet-4': { input: 3, output: 15 },
  'claude-haiku-4-5': { input: 1, output: 5 },
  'claude-3-7-sonnet': { input: 3, output: 15 },
  'claude-3-5-sonnet': { input: 3, output: 15 },
  'claude-3-5-haiku': { input: 0.8, output: 4 },
  'claude-3-opus': { input: 15, output: 75 },
  'claude-3-haiku': { input: 0.25, output: 1.25 },
};

/** The cost in US dollars of one call, or 0 for a model with no known price. */
export function costOf(model: string, inputTokens: number, outputTokens: number, prices: PriceTable): number {
  const price = priceOf(model, prices);
  return price ? roundUsd((inputTokens * price.input + outputTokens * price.output) / 1_000_000) : 0;
}

/**
 * Dollars to the nearest 1e-10 (a hundred-millionth of a cent): binary floating point turns sums of
 * such costs into `0.00008099999999999999`. Rounded where costs are made, added and reported, so
 * JSON and stats show `0.000081`; the error this leaves is far below anything a price table can say.
 */
export function roundUsd(usd: number): number {
  return Math.round(usd * 1e10) / 1e10;
}
