/**
 * Code that passes no tree text, or no tree, gets an error saying what to pass, never a TypeError
 * from deep inside, nor a hint to "Add undefined:".
 */
import { describe, expect, it } from 'vitest';
import { lintTreeText, parseTree } from '../../config/load.js';
import { compileTree } from '../../graphs/compile.js';
import { ConfigError } from '../../errors/config-error.js';
import { SwitchboardError } from '../../errors/switchboard-error.js';

describe('parseTree() and lintTreeText() given no text', () => {
  it('say to pass the YAML text as a string', () => {
    expect(() => parseTree(undefined as unknown as string)).toThrow(
      expect.objectContaining({ name: 'SwitchboardError', code: 'INVALID_OPTION', message: "parseTree() takes the tree's YAML text as a string; got undefined. To read a file, use loadTree(path)." }),
    );
    expect(() => lintTreeText(null as unknown as string, 'desk.yaml')).toThrow("lintTreeText() takes the tree's YAML text as a string; got null.");
    expect(() => parseTree({} as unknown as string)).toThrow('got an object.');
  });

  it('say to decode a Buffer', () => {
    let error: unknown;
    try {
      parseTree(Buffer.from('version: 1\n') as unknown as string);
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(SwitchboardError);
    expect((error as Error).message).toBe("parseTree() takes the tree's YAML text as a string; got a Buffer. Decode it first: parseTree(buffer.toString('utf8')).");
  });
});

describe('compileTree() given no tree', () => {
  it('says the tree is missing', () => {
    let error: unknown;
    try {
      compileTree(undefined as never);
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues.map(({ code, message, hint }) => ({ code, message, hint }))).toEqual([
      { code: 'MISSING_FIELD', message: 'The tree is missing (got undefined).', hint: "Pass a tree: what loadTree('tree.yaml') or parseTree(text) returns, or a tree object with version:, name:, root: and agents:." },
    ]);
  });
});
