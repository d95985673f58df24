/**
 * The regular expressions of `offline.patterns`, compiled for RE2 (the re2js port): matching takes
 * time linear in the message whatever the pattern, so `^(a+)+$` cannot hang a worker the way it does
 * JavaScript's backtracking engine. RE2 has no backreferences and no lookaround; lint refuses
 * patterns it cannot compile, and the offline model compiles them here the same way.
 */
import { RE2JS } from 're2js';

/** A compiled offline pattern. */
export type OfflinePattern = RE2JS;

/** Compiles `pattern`, case-insensitive. Throws an `RE2JSSyntaxException` for a pattern RE2 cannot compile. */
export function compileOfflinePattern(pattern: string): OfflinePattern {
  return RE2JS.compile(pattern, RE2JS.CASE_INSENSITIVE);
}

/** The text of the first match of `pattern` in `text`, or undefined. */
export function firstMatch(pattern: OfflinePattern, text: string): string | undefined {
  const matcher = pattern.matcher(text);
  return matcher.find() ? (matcher.group() ?? undefined) : undefined;
}

/** Why RE2 cannot compile `pattern`, with what to write instead; undefined when it can. */
export function unsupportedPattern(pattern: string): { reason: string; hint: string } | undefined {
  try {
    compileOfflinePattern(pattern);
    return undefined;
  } catch (error) {
    const reason = (error as Error).message.replace('`(?i)', '`').replace(/^error parsing regexp: /, '');
    return { reason, hint: hintFor(reason) };
  }
}

function hintFor(reason: string): string {
  const engine = 'The offline model matches with RE2, in linear time';
  if (/\\[1-9]/.test(reason)) return `${engine}: it has no backreferences. Repeat the group instead, or list the words under keywords:.`;
  if (/\(\?[=!<]/.test(reason))
    return `${engine}: it has no lookahead or lookbehind. Match the words themselves, or list them under keywords:.`;
  if (/\\u/.test(reason)) return `${engine}: write a code point as \\x{00E9}, not \\u00E9.`;
  if (/repeat count/.test(reason)) return `${engine}: a repeat count is at most {1000}, nested counts multiplied.`;
  return `${engine}: rewrite the pattern in RE2 syntax (github.com/google/re2/wiki/Syntax), or list the words under keywords:.`;
}
