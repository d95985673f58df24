/**
 * The order contenders run in, round by round: a different shuffle each round (seeded, so a run is
 * repeatable), so each contender's neighbours change between rounds, not only who goes first. What
 * one contender leaves behind (garbage to collect, a cache it cooled, a database it left busy) then
 * falls on a different contender each round.
 */
export function roundOrder<T>(items: readonly T[], round: number): T[] {
  const order = [...items];
  let seed = (round + 1) * 0x9e3779b1;
  const random = () => {
    // mulberry32
    seed = (seed + 0x6d2b79f5) | 0;
    let value = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    value = (value + Math.imul(value ^ (value >>> 7), 61 | value)) ^ value;
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
  for (let index = order.length - 1; index > 0; index -= 1) {
    const other = Math.floor(random() * (index + 1));
    [order[index], order[other]] = [order[other]!, order[index]!];
  }
  return order;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
