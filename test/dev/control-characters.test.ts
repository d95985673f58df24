import { describe, expect, it } from 'vitest';
import { escapeControlCharacters, escapeControlCharactersIn, stringifyForTerminal } from '../../dev/control-characters.js';

describe('escapeControlCharacters()', () => {
  it('makes terminal controls, C1 controls and bidi controls visible, and keeps tabs and newlines', () => {
    expect(escapeControlCharacters('\u001b]0;pwned\u0007\u001b[2J\u202e')).toBe('\\x1b]0;pwned\\x07\\x1b[2J\\u202e');
    expect(escapeControlCharacters('a\tb\nc\r\nd\re\u007f\u0085\u009b\u2066\u2069\u0000')).toBe('a\tb\nc\nd\\x0de\\x7f\\x85\\x9b\\u2066\\u2069\\x00');
    expect(escapeControlCharacters('plain — text, émoji 🙂, עברית')).toBe('plain — text, émoji 🙂, עברית');
  });
});

describe('escapeControlCharactersIn()', () => {
  it('escapes every string and key of plain data, and leaves other values alone', () => {
    const date = new Date(0);
    expect(escapeControlCharactersIn({ ['k\u202e']: ['\u001b[2J', 1, null, { deep: '\u0007' }], date })).toEqual({
      ['k\\u202e']: ['\\x1b[2J', 1, null, { deep: '\\x07' }],
      date,
    });
  });
});

describe('stringifyForTerminal()', () => {
  it('writes DEL, C1 and bidi controls as JSON escapes, so the value parses back unchanged', () => {
    const value = { reply: '\u001b]0;x\u0007\u007f\u0085\u202e\u2067', ['\u202d']: 1 };
    const text = stringifyForTerminal(value, 2);
    // eslint-disable-next-line no-control-regex -- looking for control characters is the point
    expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
    expect(JSON.parse(text)).toEqual(value);
  });
});
