/**
 * How a search finds a thread by its id (`threadIdMatcher`, used by the threads panel and
 * `listThreads`): without regard to case, and NFKC-normalised on both sides.
 */
import { describe, expect, it } from 'vitest';
import { foldForSearch, threadIdMatcher } from '../../runtime/threads.js';

describe('threadIdMatcher()', () => {
  it.each([
    ['Müller-42', 'mu\u0308ller'],
    ['Mu\u0308ller-42', 'MÜLLER'],
    ['REFUND-7', 'refund'],
    ['refund-7', 'REFUND'],
    ['ＲＥＦＵＮＤ-7', 'refund'],
    ['REFUND-7', 'ｒｅｆｕｎｄ'],
    ['oﬃce-1', 'OFFICE'],
    ['Straße-3', 'STRASSE'],
    ['STRASSE-3', 'ẞ'],
    ['ΟΔΥΣΣΕΑΣ', 'οδυσσεας'],
  ])('finds %j by %j', (threadId, search) => {
    expect(threadIdMatcher(search)(threadId)).toBe(true);
  });

  it.each([
    ['Muller-42', 'müller'],
    ['refund-7', 'refunds'],
  ])('does not find %j by %j', (threadId, search) => {
    expect(threadIdMatcher(search)(threadId)).toBe(false);
  });

  it('matches every id with no search or an empty one', () => {
    expect(threadIdMatcher(undefined)('anything')).toBe(true);
    expect(threadIdMatcher('')('anything')).toBe(true);
  });

  it('folds to one form, stable when folded again', () => {
    for (const text of ['Mu\u0308ller', 'ＲＥＦＵＮＤ', 'İstanbul', 'ǅemal', 'ﬃ', 'ẞ']) expect(foldForSearch(foldForSearch(text)), text).toBe(foldForSearch(text));
  });
});
