import { describe, expect, it } from 'vitest';
import { mapConcurrently } from '../../eval/pool.js';

/** A promise the test settles by hand. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = () => {};
  const promise = new Promise<void>((settle) => {
    resolve = settle;
  });
  return { promise, resolve };
}

describe('mapConcurrently()', () => {
  it('starts at most `limit` workers, and the next only when one finishes', async () => {
    const gates = Array.from({ length: 5 }, deferred);
    const started: number[] = [];
    const run = mapConcurrently([0, 1, 2, 3, 4], 2, async (item) => {
      started.push(item);
      await gates[item]?.promise;
      return item * 10;
    });

    expect(started).toEqual([0, 1]);
    gates[1]?.resolve();
    // Let the finished lane move on (a few microtasks, no timers).
    for (let tick = 0; tick < 20 && started.length < 3; tick += 1) await Promise.resolve();
    expect(started).toEqual([0, 1, 2]);
    for (const gate of gates) gate.resolve();
    expect(await run).toEqual([0, 10, 20, 30, 40]);
    expect(started).toEqual([0, 1, 2, 3, 4]);
  });

  it('keeps the results in input order whatever order the work ends in', async () => {
    const gates = Array.from({ length: 3 }, deferred);
    const run = mapConcurrently(['a', 'b', 'c'], 3, async (item, index) => {
      await gates[index]?.promise;
      return item.toUpperCase();
    });
    gates[2]?.resolve();
    gates[0]?.resolve();
    gates[1]?.resolve();

    expect(await run).toEqual(['A', 'B', 'C']);
  });

  it('refuses a limit below 1', async () => {
    await expect(mapConcurrently([1], 0, async (item) => item)).rejects.toThrow(
      'The concurrency limit must be a whole number of at least 1 (got 0).',
    );
  });
});
