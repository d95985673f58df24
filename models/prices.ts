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
  /**
   * US dollars per million input tokens read from the provider's prompt cache (a cache hit:
   * OpenAI's cached input, Anthropic's cache reads). Without it they cost `input`.
   */
  cacheRead?: number | undefined;
  /**
   * US dollars per million input tokens written to the prompt cache (Anthropic's cache writes).
   * Without it they cost `input`.
   */
  cacheWrite?: number | undefined;
}

export type PriceTable = Record<string, Price>;

/** Input tokens of a call that the provider's prompt cache served or stored (LangChain's `input_token_details`). */
export interface CacheTokens {
  /** Cache hits: LangChain's `cache_read` (OpenAI's `cached_tokens`, Anthropic's `cache_read_input_tokens`). */
  read: number;
  /** Cache writes: LangChain's `cache_creation` (Anthropic's `cache_creation_input_tokens`). */
  write: number;
}

/** An OpenAI model's price, its cached input at `cachedInput` (OpenAI reports no cache writes: its cache is stored at no charge). */
function openai(input: number, cachedInput: number, output: number): Price {
  return { input, output, cacheRead: cachedInput };
}

/**
 * A Claude model's price: cache reads at 0.1× the input price, cache writes at 1.25× (the
 * 5-minute cache, the default; a 1-hour cache write costs 2×, which LangChain's usage does not tell
 * apart). Source: https://docs.anthropic.com/en/docs/build-with-claude/prompt-caching#pricing
 */
function claude(input: number, output: number): Price {
  return { input, output, cacheRead: perMillion(input * 0.1), cacheWrite: perMillion(input * 1.25) };
}

/** A price per million tokens without binary floating point's tail (0.8 × 0.1 is 0.08000000000000002). */
function perMillion(usd: number): number {
  return Math.round(usd * 1e6) / 1e6;
}

/**
 * List prices at the time of writing; check your provider's page and override where they differ.
 * OpenAI's (cached input included): https://openai.com/api/pricing ; Anthropic's: https://www.anthropic.com/pricing#api
 */
export const DEFAULT_PRICES: PriceTable = {
  offline: { input: 0, output: 0 },
  'gpt-4o': openai(2.5, 1.25, 10),
  'gpt-4o-mini': openai(0.15, 0.075, 0.6),
  'gpt-4.1': openai(2, 0.5, 8),
  'gpt-4.1-mini': openai(0.4, 0.1, 1.6),
  'gpt-4.1-nano': openai(0.1, 0.025, 0.4),
  'o4-mini': openai(1.1, 0.275, 4.4),
  'gpt-5': openai(1.25, 0.125, 10),
  'gpt-5-mini': openai(0.25, 0.025, 2),
  'gpt-5-nano': openai(0.05, 0.005, 0.4),
  // Anthropic: dated ids (claude-sonnet-4-5-20250929) and -latest aliases match by prefix.
  'claude-opus-4-5': claude(5, 25),
  'claude-opus-4-1': claude(15, 75),
  'claude-opus-4': claude(15, 75),
  'claude-sonnet-4-5': claude(3, 15),
  'claude-sonnet-4': claude(3, 15),
  'claude-haiku-4-5': claude(1, 5),
  'claude-3-7-sonnet': claude(3, 15),
  'claude-3-5-sonnet': claude(3, 15),
  'claude-3-5-haiku': claude(0.8, 4),
  'claude-3-opus': claude(15, 75),
  'claude-3-haiku': claude(0.25, 1.25),
};

/**
 * The cost in US dollars of one call, or 0 for a model with no known price. `inputTokens` are all
 * the input tokens, those the prompt cache served or stored (`cache`) among them, as LangChain's
 * `usage_metadata.input_tokens` counts them for OpenAI and Anthropic: the cached ones cost the
 * price's `cacheRead` and `cacheWrite`, or `input` when the price has none (a tree's `prices:`).
 */
export function costOf(model: string, inputTokens: number, outputTokens: number, prices: PriceTable, cache?: CacheTokens): number {
  const price = priceOf(model, prices);
  if (!price) return 0;
  // Never more cached tokens than input tokens (a provider's odd usage would give a negative rest).
  const read = Math.min(cache?.read ?? 0, inputTokens);
  const write = Math.min(cache?.write ?? 0, inputTokens - read);
  const uncached = inputTokens - read - write;
  const input = uncached * price.input + read * (price.cacheRead ?? price.input) + write * (price.cacheWrite ?? price.input);
  return roundUsd((input + outputTokens * price.output) / 1_000_000);
}

/**
 * Dollars to the nearest 1e-10 (a hundred-millionth of a cent): binary floating point turns sums of
 * such costs into `0.00008099999999999999`. Rounded where costs are made, added and reported, so
 * JSON and stats show `0.000081`; the error this leaves is far below anything a price table can say.
 */
export function roundUsd(usd: number): number {
  return Math.round(usd * 1e10) / 1e10;
}
