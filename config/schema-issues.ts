/**
 * zod issues → positioned config issues with stable codes and hints that say what to do.
 */
import { z } from 'zod';
import type { ConfigIssueCode } from '../errors/config-error.js';
import { cleanName, didYouMean, didYouMeanWord, isUsableName, suggestRename } from './suggest.js';
import { REFERENCE_KEYS } from './graph-gaps.js';
import { RESERVED_NAMES } from './reserved-names.js';
import { MAX_TIMER_MS, NAME_PATTERN, TOOL_NAME_PATTERN } from './schema.js';
import type { IssueInput } from './source.js';
import { findUnsafeCharacter, SAFE_TEXT_PATTERN } from './unsafe-text.js';

type ZodIssue = z.core.$ZodIssue;
type Path = (string | number)[];

/** Turns every zod issue of a failed parse into config issues. */
export function toConfigIssues(issues: readonly ZodIssue[], schema: z.ZodType, data: unknown): IssueInput[] {
  return withoutLooserBounds(issues).flatMap((issue) => convert(issue, schema, data));
}

/** A huge integer breaks both the knob's own maximum and the safe-integer range: keep the tighter bound. */
function withoutLooserBounds(issues: readonly ZodIssue[]): readonly ZodIssue[] {
  const tightest = new Map<string, number>();
  for (const issue of issues) {
    if (issue.code !== 'too_big') continue;
    const key = JSON.stringify(issue.path.map(String));
    tightest.set(key, Math.min(tightest.get(key) ?? Infinity, Number(issue.maximum)));
  }
  return issues.filter((issue) => issue.code !== 'too_big' || Number(issue.maximum) === tightest.get(JSON.stringify(issue.path.map(String))));
}

/**
 * The issue for a text (a value, or with `at: 'key'` a mapping key) that holds a control character or
 * a bidirectional override; undefined when it holds neither.
 */
export function unsafeTextIssue(text: string, path: Path, at: 'key' | 'value' = 'value'): IssueInput | undefined {
  const found = findUnsafeCharacter(text);
  if (!found) return undefined;
  const where = at === 'key' ? `The key ${quote(text)} of ${describePath(path.slice(0, -1))}` : describePath(path);
  return {
    code: 'UNSAFE_CHARACTER',
    message: `${where} contains ${found.description} (character ${found.index + 1}).`,
    hint: 'Remove it: text in a tree may hold tabs and line breaks, but no other control character, no bidirectional override or isolate and no Unicode noncharacter such as U+FFFE (in double quotes, "\\e", "\\u202E" and "\\uFFFE" write them).',
    path,
    at,
    character: found.index,
  };
}

function convert(issue: ZodIssue, schema: z.ZodType, data: unknown): IssueInput[] {
  const path = issue.path.filter((segment): segment is string | number => typeof segment !== 'symbol');
  const where = describePath(path);
  const received = valueAt(data, path);
  switch (issue.code) {
    case 'unrecognized_keys': {
      const allowed = allowedKeys(schema, path, data);
      return issue.keys.map((key) => ({ code: 'UNKNOWN_KEY' as const, message: `${quote(key)} is not a known key of ${where}.`, hint: unknownKeyHint(key, allowed), path: [...path, key], at: 'key' as const }));
    }
    case 'invalid_key': {
      const key = String(path[path.length - 1]);
      const unsafe = issue.issues.some((inner) => inner.code === 'invalid_format' && 'pattern' in inner && inner.pattern === String(SAFE_TEXT_PATTERN));
      return [(unsafe && unsafeTextIssue(key, path, 'key')) || invalidName(key, path, 'key', data)];
    }
    case 'invalid_type': {
      if (received === undefined) return [missingField(path, issue.expected, schema, data)];
      if (typeof received === 'number' && Number.isNaN(received)) {
        return [{ code: 'INVALID_TYPE', message: `${where} is .nan, which is not a number.`, hint: 'Write a number such as 10, or remove the key.', path }];
      }
      if (typeof received === 'number' && !Number.isFinite(received)) {
        return [{ code: 'NUMBER_TOO_LARGE', message: `${where} is ${received > 0 ? '.inf' : '-.inf'}; it must be a finite number.`, hint: 'Write a number such as 10, or remove the key.', path }];
      }
      const state = received === null ? 'is empty' : `is ${describeValue(received)}`;
      const hint = issue.expected === 'int' && typeof received === 'number' ? 'Write a whole number, without a fraction.' : hintForType(issue.expected);
      return [{ code: 'INVALID_TYPE', message: `${where} ${state}; it must be ${article(issue.expected)}.`, hint, path }];
    }
    case 'invalid_value': {
      if (received === undefined) return [missingField(path, typeof issue.values[0], schema, data)];
      if (path.length === 1 && path[0] === 'version') {
        return [
          received === '1'
            ? { code: 'UNSUPPORTED_VERSION', message: 'version is the text "1"; it must be the number 1.', hint: 'Write version: 1 without quotes.', path }
            : { code: 'UNSUPPORTED_VERSION', message: `Tree format version ${JSON.stringify(received)} is not supported.`, hint: 'Use version: 1 (the only version so far).', path },
        ];
      }
      const values = issue.values.map((value) => JSON.stringify(value));
      const suggestion = typeof received === 'string' ? didYouMeanWord(received, issue.values.map(String)).trim() : '';
      return [{ code: 'INVALID_VALUE', message: `${where} is ${describeValue(received)}; it must be one of ${values.join(', ')}.`, hint: suggestion || 'Write one of these values.', path }];
    }
    case 'too_small':
    case 'too_big':
      return [outOfRange(issue, path, received, isRequired(schema, path, data))];
    case 'invalid_format': {
      if (issue.format === 'regex' && (issue.pattern === String(NAME_PATTERN) || issue.pattern === String(TOOL_NAME_PATTERN))) {
        return [invalidName(String(received), path, 'value', data, issue.pattern === String(TOOL_NAME_PATTERN))];
      }
      if (issue.format === 'regex' && issue.pattern === String(SAFE_TEXT_PATTERN) && typeof received === 'string') {
        const unsafe = unsafeTextIssue(received, path);
        if (unsafe) return [unsafe];
      }
      if (issue.format === 'url' && path[path.length - 1] === 'baseURL') {
        return [{ code: 'BASE_URL_NOT_HTTP', message: `${where} is ${describeValue(received)}; it must be an http:// or https:// URL.`, hint: FORMAT_HINTS.baseURL as string, path }];
      }
      const rule = issue.format === 'url' ? 'must be a full URL' : issue.message.replace(/^Invalid (input|string): /, '');
      const hint = FORMAT_HINTS[String(path[path.length - 1])] ?? 'Change the value to follow the rule.';
      return [{ code: 'INVALID_VALUE', message: `${where} is ${describeValue(received)}; it ${rule}.`, hint, path }];
    }
    case 'invalid_union': {
      if (issue.discriminator !== undefined) {
        const field = [...path.slice(0, -1), issue.discriminator];
        const options = ('options' in issue ? (issue.options ?? []) : []).map(String);
        const value = valueAt(data, field);
        if (value === undefined) return [{ code: 'MISSING_FIELD', message: `${describePath(field)} is required.`, hint: `Add ${issue.discriminator}: with one of ${options.join(', ')}.`, path: field, at: 'key' }];
        const suggestion = typeof value === 'string' ? didYouMeanWord(value, options) : '';
        return [{ code: 'INVALID_VALUE', message: `${describePath(field)} is ${describeValue(value)}; it must be one of ${options.map((option) => JSON.stringify(option)).join(', ')}.`, hint: suggestion.trim() || `Write one of ${options.join(', ')}.`, path: field }];
      }
      // A name or a list of names: report the issues of the branch whose type fits. A number that is
      // not a whole one fits the integer branch (turns: 2.5), not the "all" beside it.
      const numeric = typeof received === 'number' ? issue.errors.find((branch) => branch.some((inner) => inner.code === 'invalid_type' && inner.expected === 'int')) : undefined;
      // A branch of fixed words fits only a value of their type: a mapping where a word or a
      // mapping may go is checked as the mapping (approval: { billing: maybe }).
      const words = (inner: z.core.$ZodIssue) => (inner.code === 'invalid_value' && inner.path.length === 0 ? inner.values : undefined);
      const fitsType = (inner: z.core.$ZodIssue) => inner.code !== 'invalid_type' && (words(inner)?.some((value) => typeof value === typeof received) ?? true);
      const fitting = numeric ?? issue.errors.find((branch) => branch.every(fitsType));
      // Every choice the union allows, its fixed words included: `a number or "all"`.
      const fixedWords = issue.errors.flatMap((branch) => branch.flatMap((inner) => words(inner) ?? [])).map((value) => JSON.stringify(value));
      const named = [...(unionTypes(issue) === 'another type' ? [] : [unionTypes(issue)]), ...fixedWords].join(' or ') || 'another type';
      if (fitting?.length === 1 && words(fitting[0] as z.core.$ZodIssue) && issue.errors.length > 1) {
        // A word where a number or one of some words may go (turns: six): every choice is named.
        return [{ code: 'INVALID_VALUE', message: `${where} is ${describeValue(received)}; it must be ${named}.`, hint: `Write ${named}.`, path }];
      }
      if (fitting) return fitting.flatMap((inner) => convert({ ...inner, path: [...issue.path, ...inner.path] }, schema, data));
      return [{ code: 'INVALID_TYPE', message: `${where} is ${describeValue(received)}; it must be ${named}.`, hint: `Write ${named}.`, path }];
    }
    default:
      return [{ code: 'INVALID_VALUE', message: `${where}: ${issue.message}.`, hint: 'Check this value against the tree format (schema/tree.schema.json).', path }];
  }
}

const FORMAT_HINTS: Record<string, string> = {
  baseURL: 'Write the endpoint of an OpenAI-compatible server, such as http://127.0.0.1:11434/v1 or https://api.openai.com/v1: the model sends its API key there.',
  apiKeyEnv: 'Put the API key in an environment variable and write the variable\'s name here, never the key itself.',
};

function unknownKeyHint(key: string, allowed: string[]): string {
  if (key === '<<') return 'Merge keys (<<) are not supported: write the keys out (an alias *name can still share a whole value).';
  if (/\s/.test(key.trim())) return 'Inside { … } a comma ends a value: put text that contains commas in quotes.';
  return allowed.length > 0 ? `${didYouMean(key, allowed)}Known keys: ${allowed.join(', ')}.` : 'Remove it.';
}

function invalidName(name: string, path: Path, at: 'key' | 'value', data: unknown, tool = false): IssueInput {
  const where = at === 'key' ? '' : ` (${describePath(path)})`;
  const length = tool ? 64 : 48;
  const suggestion = tool ? cleanName(name, length) : renameFor(name, path, at, data);
  if (RESERVED_NAMES.has(name.toLowerCase())) {
    return { code: 'RESERVED_NAME', message: `${quote(name)}${where} is a reserved name (it breaks LangGraph or Mermaid).`, hint: `Rename it, e.g. "${suggestion ?? 'desk'}".`, path, at };
  }
  const rule = tool ? `a tool name has 1 to ${length} letters, digits, "_" or "-"` : `a name starts with a letter and has only letters, digits, "_" or "-" (${length} at most)`;
  return {
    code: 'INVALID_NAME',
    message: `${quote(name)}${where} is not a valid name: ${nameFault(name, length, tool)}; ${rule}.`,
    hint: suggestion ? `Rename it, e.g. "${suggestion}".` : 'Give it a name that starts with a letter.',
    path,
    at,
  };
}

/**
 * The name to offer instead of a refused one. An agent's new name must be no other agent's, and a
 * reference to an agent gets the same offer as the agent's key; but a reference that, cleaned, names
 * an agent (`bill\u200Bing` → `billing`) gets that agent.
 */
function renameFor(name: string, path: Path, at: 'key' | 'value', data: unknown): string | undefined {
  const agent = isAgentName(path, at);
  const taken = namesBeside(path, at, agent, data);
  const cleaned = cleanName(name);
  if (agent && at === 'value' && taken.includes(cleaned) && isUsableName(cleaned)) return cleaned;
  return suggestRename(name, agent ? 'desk' : 'value', taken);
}

/** Whether the name at `path` is an agent's: a key of `agents:`, the root, the escalation, or an entry of a list of agents. */
function isAgentName(path: Path, at: 'key' | 'value'): boolean {
  if (at === 'key') return path.length === 2 && path[0] === 'agents';
  return path[0] === 'root' || path[0] === 'escalation' || (path[0] === 'agents' && REFERENCE_KEYS.includes(String(path[2])));
}

/** The names a rename must not take: the agents, for an agent's name; the other keys of its mapping, for another key. */
function namesBeside(path: Path, at: 'key' | 'value', agent: boolean, data: unknown): string[] {
  const holder = agent ? valueAt(data, ['agents']) : at === 'key' ? valueAt(data, path.slice(0, -1)) : undefined;
  return holder !== null && typeof holder === 'object' ? Object.keys(holder) : [];
}

/** What is wrong with a name, naming the character (a zero-width space, a Cyrillic letter …). */
function nameFault(name: string, length: number, tool: boolean): string {
  const bad = /[^A-Za-z0-9_-]/u.exec(name)?.[0];
  if (name === '') return 'it is empty';
  if (bad === ' ') return 'it contains a space';
  if (bad !== undefined) return `it contains ${JSON.stringify(bad)} (U+${(bad.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')})`;
  if (name.length > length) return `it has ${name.length} characters`;
  return tool ? 'it does not fit' : 'it does not start with a letter';
}

function missingField(path: Path, expected: string, schema: z.ZodType, data: unknown): IssueInput {
  const key = String(path[path.length - 1]);
  const where = describePath(path);
  if (path.length === 0) return { code: 'MISSING_FIELD', message: 'The tree is missing (got undefined).', hint: "Pass a tree: what loadTree('tree.yaml') or parseTree(text) returns, or a tree object with version:, name:, root: and agents:.", path };
  if (path.length === 1 && key === 'version') return { code: 'MISSING_FIELD', message: 'version is required.', hint: 'Add version: 1 at the top of the file.', path, at: 'key' };
  const description = describedAt(schema, path, data);
  const placeholder = PLACEHOLDERS[expected] ?? `<${expected}>`;
  return { code: 'MISSING_FIELD', message: `${where} is required.`, hint: `Add ${key}: ${placeholder}${description ? ` — ${lowerFirst(description)}` : '.'}`, path, at: 'key' };
}

const PLACEHOLDERS: Record<string, string> = { string: '<text>', number: '<number>', int: '<number>', boolean: 'true or false', array: '<list>', object: '<mapping>', record: '<mapping>' };

function outOfRange(issue: z.core.$ZodIssueTooSmall | z.core.$ZodIssueTooBig, path: Path, received: unknown, required: boolean): IssueInput {
  const where = describePath(path);
  const small = issue.code === 'too_small';
  const limit = Number(small ? issue.minimum : issue.maximum);
  if (small && limit === 1 && (issue.origin === 'string' || issue.origin === 'array')) {
    // Removing a required key only trades this error for MISSING_FIELD.
    const remove = required ? '' : ', or remove the key';
    return { code: 'OUT_OF_RANGE', message: `${where} is empty.`, hint: issue.origin === 'string' ? `Write some text${remove}.` : `List at least one item${remove}.`, path };
  }
  const inclusive = issue.inclusive !== false;
  if (!small && (issue.origin === 'number' || issue.origin === 'int')) return numberTooLarge(path, limit, received);
  const bound = small ? (inclusive ? `at least ${limit}` : `more than ${limit}`) : inclusive ? `at most ${limit}` : `less than ${limit}`;
  const unit = issue.origin === 'array' ? (limit === 1 ? ' item' : ' items') : issue.origin === 'string' ? (limit === 1 ? ' character' : ' characters') : '';
  const verb = issue.origin === 'array' ? 'must have' : 'must be';
  return { code: 'OUT_OF_RANGE', message: `${where} ${verb} ${bound}${unit}.`, hint: `Change it to ${bound}${unit}.`, path };
}

/** Why some knobs stop where they do, by key. */
const MAXIMUM_REASONS: Record<string, string> = {
  timeoutMs: `A model call that takes longer has failed anyway, and Node.js fires a timer set over ${MAX_TIMER_MS} ms after 1 ms.`,
  maxDelayMs: `A longer pause only keeps the user waiting, and Node.js fires a timer set over ${MAX_TIMER_MS} ms after 1 ms.`,
  initialDelayMs: 'The first pause is the shortest: raise maxDelayMs for longer ones.',
  turns: 'Write "all" for the whole thread.',
};

function numberTooLarge(path: Path, limit: number, received: unknown): IssueInput {
  const value = typeof received === 'number' ? ` is ${received}; it` : '';
  const reason = MAXIMUM_REASONS[String(path[path.length - 1])];
  const readable = limit >= 10_000 ? limit.toLocaleString('en-US') : String(limit);
  return {
    code: 'NUMBER_TOO_LARGE',
    message: `${describePath(path)}${value} must be at most ${readable}.`,
    hint: `Change it to at most ${readable}.${reason ? ` ${reason}` : ''}`,
    path,
  };
}

function unionTypes(issue: z.core.$ZodIssueInvalidUnion): string {
  const expected = issue.errors.flatMap((branch) => branch.filter((inner) => inner.code === 'invalid_type').map((inner) => inner.expected));
  return [...new Set(expected)].map(article).join(' or ') || 'another type';
}

function hintForType(expected: string): string {
  switch (expected) {
    case 'array':
      return 'Write a list, e.g. [billing, sales] or one "- item" per line.';
    case 'object':
    case 'record':
      return 'Write a mapping: "key: value" lines, indented under it.';
    case 'string':
      return 'Write text; quote it if YAML reads it as something else.';
    case 'number':
    case 'int':
      return 'Write a number without quotes.';
    case 'boolean':
      return 'Write true or false without quotes.';
    default:
      return `Write ${article(expected)}.`;
  }
}

function article(type: string): string {
  const name = type === 'int' ? 'integer' : type === 'object' || type === 'record' ? 'mapping' : type === 'array' ? 'list' : type;
  return /^[aeiou]/.test(name) ? `an ${name}` : `a ${name}`;
}

function describeValue(value: unknown): string {
  if (value === null) return 'empty';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `the text ${quote(value)}`;
  return `the ${typeof value} ${String(value)}`;
}

/** `"billing"`, shortened when long. */
function quote(text: string): string {
  return JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}…` : text);
}

/** `agents.billing.children[1]` */
export function describePath(path: Path): string {
  if (path.length === 0) return 'the tree';
  return path.reduce<string>((text, segment) => (typeof segment === 'number' ? `${text}[${segment}]` : text ? `${text}.${segment}` : segment), '');
}

function lowerFirst(text: string): string {
  return /^[A-Z][a-z]/.test(text) ? `${text[0]?.toLowerCase()}${text.slice(1)}` : text;
}

/** The value at `path` in parsed YAML data, or undefined when the path leads nowhere. */
export function valueAt(data: unknown, path: Path): unknown {
  let value = data;
  for (const segment of path) {
    if (value === null || typeof value !== 'object') return undefined;
    if (!Object.hasOwn(value, segment)) return undefined;
    value = (value as Record<string | number, unknown>)[segment];
  }
  return value;
}

/** The keys the schema allows at `path`, for "did you mean" on unknown keys. */
function allowedKeys(schema: z.ZodType, path: Path, data: unknown): string[] {
  const found = schemaAt(schema, path, data);
  const def = found && (unwrap(found, valueAt(data, path))._zod.def as unknown as Record<string, unknown>);
  return def?.type === 'object' ? Object.keys(def.shape as object) : [];
}

/**
 * Whether the field at `path` must be there: the schema refuses it missing (an entry of a list
 * always counts as required), or, for an agent's prompt, lint does (MISSING_PROMPT) unless it is a person.
 */
function isRequired(schema: z.ZodType, path: Path, data: unknown): boolean {
  if (path.length === 3 && path[0] === 'agents' && path[2] === 'prompt') return valueAt(data, [...path.slice(0, 2), 'kind']) !== 'human';
  const found = schemaAt(schema, path, data);
  return found !== undefined && !(found as z.ZodType).safeParse(undefined).success;
}

/** The description (`.meta()`) of the field at `path`, if the schema gives one. */
function describedAt(schema: z.ZodType, path: Path, data: unknown): string | undefined {
  let found = schemaAt(schema, path, data);
  while (found) {
    const description = z.globalRegistry.get(found as z.ZodType)?.description;
    if (description) return description;
    const inner = (found._zod.def as unknown as { innerType?: z.core.$ZodType }).innerType;
    found = inner;
  }
  return undefined;
}

/** The schema of the field at `path` (as declared, before unwrapping optional or default). */
function schemaAt(schema: z.ZodType, path: Path, data: unknown): z.core.$ZodType | undefined {
  let current: z.core.$ZodType | undefined = schema;
  for (let index = 0; index < path.length && current; index += 1) {
    const def = unwrap(current, valueAt(data, path.slice(0, index)))._zod.def as unknown as Record<string, unknown>;
    if (def.type === 'object') current = (def.shape as Record<string, z.core.$ZodType>)[String(path[index])];
    else if (def.type === 'record') current = def.valueType as z.core.$ZodType;
    else if (def.type === 'array') current = def.element as z.core.$ZodType;
    else current = undefined;
  }
  return current;
}

function unwrap(schema: z.core.$ZodType, value: unknown): z.core.$ZodType {
  let current = schema;
  for (;;) {
    const def = current._zod.def as unknown as Record<string, unknown>;
    if (def.type === 'optional' || def.type === 'default' || def.type === 'nullable' || def.type === 'prefault') {
      current = def.innerType as z.core.$ZodType;
    } else if (def.type === 'union') {
      const options = def.options as z.core.$ZodType[];
      const type = value && typeof value === 'object' ? (value as { type?: unknown }).type : undefined;
      const fitting = options.find((option) => {
        const shape = (option._zod.def as unknown as { shape?: Record<string, z.core.$ZodType> }).shape;
        if (!shape) return Array.isArray(value) ? (option._zod.def as { type: string }).type === 'array' : false;
        const literal = shape.type?._zod.def as { values?: unknown[] } | undefined;
        return type === undefined || literal?.values?.includes(type);
      });
      if (!fitting) return current;
      current = fitting;
    } else {
      return current;
    }
  }
}

export type { ConfigIssueCode };
