/**
 * Which price-table entry a model id is counted under: its own, or the id it is a dated snapshot or
 * `-latest` alias of. Here, below models/, so that lint can tell a `prices:` key no model uses.
 */

/**
 * What may follow a known id in a snapshot of the same model: a date (`gpt-4o-2024-08-06`,
 * `claude-sonnet-4-5-20250929`) or `latest`. Anything else names another model, often at another
 * price (`gpt-5-pro` is not `gpt-5`, `claude-opus-4-6` is not `claude-opus-4`): it has no price
 * rather than a wrong one.
 */
const SNAPSHOT_SUFFIX = /^-(?:\d{4}-?\d{2}-?\d{2}|latest)$/;

/** The price of `model`: an exact id first, then the id it is a dated snapshot or `-latest` alias of (`gpt-4o-2024-08-06` → `gpt-4o`). */
export function priceOf<P>(model: string, prices: Readonly<Record<string, P>>): P | undefined {
  if (Object.hasOwn(prices, model)) return prices[model];
  const known = Object.keys(prices).find((id) => model.startsWith(id) && SNAPSHOT_SUFFIX.test(model.slice(id.length)));
  return known === undefined ? undefined : prices[known];
}
