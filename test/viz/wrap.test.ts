import { describe, expect, it } from 'vitest';
import { wrapWords } from '../../viz/styles.js';

describe('wrapWords(), the lines of a description under an agent’s name', () => {
  it('breaks text at spaces, about 36 columns a line', () => {
    expect(wrapWords('Charges, refunds and invoices; disputes go to a person on the billing team.')).toEqual([
      'Charges, refunds and invoices;',
      'disputes go to a person on the',
      'billing team.',
    ]);
  });

  it('breaks a run of Chinese or Japanese (no spaces) between characters, each two columns wide', () => {
    const description = '請求書の二重請求、返金、支払い方法の変更を担当します。'.repeat(3);
    const lines = wrapWords(description);
    expect(lines.join('')).toBe(description);
    expect(lines.slice(0, -1).every((line) => [...line].length === 18)).toBe(true);
    expect(lines).toHaveLength(5);
  });

  it('breaks a long run of any script, but never a letter from its accent or an emoji sequence', () => {
    const url = `https://example.com/${'e\u0301'.repeat(30)}/${'👩‍👩‍👧'.repeat(5)}`;
    const text = `See ${url} for more`;
    const lines = wrapWords(text);
    expect(lines[0]).toBe('See');
    expect(lines.length).toBeGreaterThan(3);
    expect(lines.join('').replaceAll(' ', '')).toBe(text.replaceAll(' ', ''));
    for (const line of lines) expect(/^[\u0301\u200D]|\u200D$/.test(line), line).toBe(false);
  });
});
