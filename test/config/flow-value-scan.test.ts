/**
 * unquotedFlowValues(): the values inside `{ }` that YAML cuts short, found by one scan of the line
 * that steps over quoted texts (an escaped quote in double quotes, an apostrophe in a word) both
 * when it looks for a key and when it looks for the end of its value.
 */
import { describe, expect, it } from 'vitest';
import { unquotedFlowValues } from '../../config/syntax-repair.js';

/** `key=value (cut)` of each value found. */
function values(line: string): string[] {
  return unquotedFlowValues(line).map(({ key, value, cut, start, end }) => {
    expect(line.slice(start, end)).toBe(value);
    return `${key}=${value} (${cut})`;
  });
}

describe('unquotedFlowValues()', () => {
  it('finds a call whose comma cuts it short, and leaves a value that is fine alone', () => {
    expect(values('when: { office: business_hours("UTC", "09:00-17:00"), senior: vip }')).toEqual([
      'office=business_hours("UTC", "09:00-17:00") (comma)',
    ]);
  });

  it('steps over quoted texts: a comma or a bracket inside quotes neither ends a value nor starts a key', () => {
    expect(values(`x: { note: "a, b", office: f("}", 'x, y') }`)).toEqual([`office=f("}", 'x, y') (comma)`]);
    expect(values('x: { note: "say \\"{ k: v, w }\\"", b: f(1, 2) }')).toEqual(['b=f(1, 2) (comma)']);
    expect(values('x: "{ k: f(1, 2) }"')).toEqual([]);
  });

  it('takes an apostrophe in a word for text, not for a quote', () => {
    expect(values("x: { text: customer's call, then: f(a, b) }")).toEqual(['then=f(a, b) (comma)']);
  });

  it('ends a value at the comma outside brackets, and says what cuts it', () => {
    expect(values('x: { k: [a, b], j: f(x) , l: a: b }')).toEqual(['l=a: b (colon)']);
  });
});
