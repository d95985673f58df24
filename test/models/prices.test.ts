import { describe, expect, it } from 'vitest';
import { costOf, DEFAULT_PRICES, priceOf } from '../../models/prices.js';

describe('priceOf', () => {
  it("prices a provider's dated snapshots and -latest aliases as the model they are of", () => {
    expect(priceOf('gpt-4o-2024-08-06', DEFAULT_PRICES)).toEqual(DEFAULT_PRICES['gpt-4o']);
    expect(priceOf('gpt-4o-mini-2024-07-18', DEFAULT_PRICES)).toEqual(DEFAULT_PRICES['gpt-4o-mini']);
    expect(priceOf('claude-sonnet-4-5-20250929', DEFAULT_PRICES)).toEqual(DEFAULT_PRICES['claude-sonnet-4-5']);
    expect(priceOf('claude-opus-4-20250514', DEFAULT_PRICES)).toEqual(DEFAULT_PRICES['claude-opus-4']);
    expect(priceOf('claude-3-5-haiku-latest', DEFAULT_PRICES)).toEqual(DEFAULT_PRICES['claude-3-5-haiku']);
  });

  it('gives no price to another model whose id only starts like a known one (no price rather than a wrong one)', () => {
    // gpt-5-pro costs many times gpt-5; a newer Claude is not its major version's first release.
    for (const model of ['gpt-5-pro', 'claude-opus-4-6', 'claude-opus-4-6-20260101', 'o4-mini-deep-research', 'gpt-4o-audio-preview']) {
      expect(priceOf(model, DEFAULT_PRICES), model).toBeUndefined();
      expect(costOf(model, 1_000_000, 1_000_000, DEFAULT_PRICES), model).toBe(0);
    }
  });
});
