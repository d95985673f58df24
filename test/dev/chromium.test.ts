/**
 * Where the browser tests find Chromium, and the one message that says how to get it where it is not.
 */
import { describe, expect, it } from 'vitest';
import { findChromium } from './chromium.js';

describe('finding Chromium for the browser tests', () => {
  it('takes the first executable location', () => {
    expect(findChromium({}, ['/nonexistent/chromium', process.execPath])).toEqual({ path: process.execPath });
  });

  it('says exactly how to get it where none is installed', () => {
    const found = findChromium({}, ['/nonexistent/chromium']);
    expect(found).toEqual({ missing: expect.stringContaining('none is installed (looked in /nonexistent/chromium)') });
    expect(found).toEqual({ missing: expect.stringContaining('`apt-get install -y chromium`') });
    expect(found).toEqual({ missing: expect.stringContaining('set CHROMIUM_PATH') });
  });

  it('uses CHROMIUM_PATH when set, and names it when it is not an executable', () => {
    expect(findChromium({ CHROMIUM_PATH: process.execPath }, [])).toEqual({ path: process.execPath });
    expect(findChromium({ CHROMIUM_PATH: '/nonexistent/chrome' }, [process.execPath])).toEqual({
      missing: expect.stringMatching(/^CHROMIUM_PATH is \/nonexistent\/chrome, which is not an executable file/),
    });
  });
});
