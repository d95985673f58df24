import { describe, expect, it } from 'vitest';
import { escapeControlCharactersExcept } from '../../dev/control-characters.js';
import { toPageJson } from '../../dev/http.js';

describe('toPageJson()', () => {
  it('sends thread ids as they are, to name their thread when the page sends them back, and makes every other text visible', () => {
    const json = toPageJson({
      threadId: 'bidi\u202eid',
      threads: [{ threadId: 'a\u2066b', owner: 'triage\u202e' }],
      from: { threadId: 'c\u2069', turn: 1 },
      reply: 'Hi \u001b]0;x\u0007\u202e',
    });
    expect(JSON.parse(json)).toEqual({
      threadId: 'bidi\u202eid',
      threads: [{ threadId: 'a\u2066b', owner: 'triage\\u202e' }],
      from: { threadId: 'c\u2069', turn: 1 },
      reply: 'Hi \\x1b]0;x\\x07\\u202e',
    });
  });

  it('makes a thread id key that holds no text visible like any other value', () => {
    expect(escapeControlCharactersExcept({ threadId: ['\u202e'], other: { threadId: 1 } }, new Set(['threadId']))).toEqual({
      threadId: ['\\u202e'],
      other: { threadId: 1 },
    });
  });
});
