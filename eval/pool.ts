/**
 * Runs async work over a list with at most `limit` items in flight, keeping results in input order.
 */

/** Maps `items` through `worker`, at most `limit` at a time; results keep the order of `items`. */
export async function mapConcurrently<TItem, TResult>(
  items: readonly TItem[],
  limit: number,
  worker: (item: TItem, index: number) => Promise<TResult>,
): Promise<TResult[]> {
  if (!Number.isInteger(limit) || limit < 1)
    throw new RangeError(`The concurrency limit must be a whole number of at least 1 (got ${limit}).`);
  const results = new Array<TResult>(items.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const index = next;
      next += 1;
      results[index] = await worker(items[index] as TItem, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}
