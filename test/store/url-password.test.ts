import { describe, expect, it } from 'vitest';
import { openCheckpointer } from '../../store/checkpointer.js';
import { withoutPassword } from '../../store/url-password.js';

describe('a store URL as it is shown', () => {
  it('has no password, even when the URL cannot be parsed (a / or an @ in the password, a port out of range)', () => {
    expect(withoutPassword('postgres://u:secret@127.0.0.1:5432/test')).toBe('postgres://u@127.0.0.1:5432/test');
    expect(withoutPassword('postgres://u@127.0.0.1:5432/test')).toBe('postgres://u@127.0.0.1:5432/test');
    expect(withoutPassword('postgres://u:se/cret@127.0.0.1:99999/test')).toBe('postgres://…@127.0.0.1:99999/test');
    expect(withoutPassword('postgres://u:s@cret@127.0.0.1:99999/test')).toBe('postgres://…@127.0.0.1:99999/test');
    // A path is shown as it is, an @ in it included.
    expect(withoutPassword('/tmp/desk@home.sqlite')).toBe('/tmp/desk@home.sqlite');
  });

  it('openCheckpointer names an unreadable URL without the password', async () => {
    const error = (await openCheckpointer('postgres://u:se/cret@127.0.0.1:99999/test').catch((caught: unknown) => caught)) as Error;
    expect(error).toMatchObject({ code: 'STORE_UNAVAILABLE' });
    expect(error.message).toContain('Cannot open the store postgres://…@127.0.0.1:99999/test: it is not a valid URL');
    expect(error.message).not.toMatch(/se\/cret|cret/);
  });
});
