/**
 * zod issues → positioned config issues with stable codes and hints that say what to do.
 */
import type { z } from 'zod';
import type { ConfigIssueCode } from '../errors/config-error.js';
import { didYouMean } from './suggest.js';
import { RESERVED_NAMES } from './reserved-names.js';
import type { IssueInput } from './source.js';

type ZodIssue = z.core.$ZodIssue;
type Path = (string | number)[];

/** Turns every zod issue of a failed parse into config issues. */
export function toConfigIssues(issues: readonly ZodIssue[], schema: z.ZodType, data: unknown): IssueInput[] {
  return issues.flatMap((issue) => convert(issue, schema, data));
}

function convert(issue: ZodIssue, schema: z.ZodType, data: unknown): IssueInput[] {
  const path = issue.path.filter((segment): segment is string | number => typeof segment !== 'symbol');
  const where = describePath(path);
  switch (issue.code) {
    case 'unrecognized_keys': {
      const allowed = allowedKeys(schema, path, data);
      return issue.keys.map((key) => ({
        code: 'UNKNOWN_KEY' as const,
        message: `"${key}" is not a known key of ${where}.`,
        hint: /\s/.test(key.trim())
          ? 'Inside { … } a comma ends a value: put text that contains commas in quotes.'
          : allowed.length > 0
            ? `${didYouMean(key, allowed)}Known keys: ${allowed.join(', ')}.`
            : 'Remove it.',
        path: [...path, key],
        at: 'key' as const,
      }));
    }
    case 'invalid_key': {
      const key = String(path[path.length - 1]);
      const reserved = RESERVED_NAMES.has(key.toLowerCase());
      return [
        {
          code: reserved ? 'RESERVED_NAME' : 'INVALID_NAME',
          message: reserved
            ? `"${key}" is a reserved name (it breaks LangGraph or Mermaid).`
            : `"${key}" is not a valid name: it must start with a letter and use only letters, digits, "_" or "-" (48 characters at most).`,
          hint: reserved ? `Rename it, e.g. "${key.replace(/^_+/, '')}_desk".` : `Rename it, e.g. "${suggestName(key)}".`,
          path,
          at: 'key',
        },
      ];
    }
    case 'invalid_type': {
      const received = valueAt(data, path);
      if (received === undefined) {
        return [{ code: 'MISSING_FIELD', message: `${where} is required.`, hint: `Add ${String(path[path.length - 1])}: (${issue.expected === 'object' ? 'a mapping' : issue.expected}).`, path }];
      }
      return [{ code: 'INVALID_TYPE', message: `${where} must be ${article(issue.expected)}, not ${describeValue(received)}.`, hint: hintForType(issue.expected), path }];
    }
    case 'invalid_value': {
      if (path.length === 1 && path[0] === 'version') {
        return [{ code: 'UNSUPPORTED_VERSION', message: `Tree format version ${JSON.stringify(valueAt(data, path))} is not supported.`, hint: 'Use version: 1.', path }];
      }
      const values = issue.values.map((value) => JSON.stringify(value));
      const received = valueAt(data, path);
      return [
        {
          code: 'INVALID_VALUE',
          message: `${where} is ${JSON.stringify(received)}; it must be one of ${values.join(', ')}.`,
          hint: typeof received === 'string' ? `${didYouMean(received, issue.values.map(String))}`.trim() || undefined : undefined,
          path,
        } as IssueInput,
      ].map(dropUndefinedHint);
    }
    case 'too_small':
    case 'too_big': {
      const bound = issue.code === 'too_small' ? `at least ${String(issue.minimum)}` : `at most ${String(issue.maximum)}`;
      const unit = issue.origin === 'array' ? ' items' : issue.origin === 'string' ? ' characters' : '';
      return [{ code: 'OUT_OF_RANGE', message: `${where} must be ${bound}${unit}.`, hint: `Change it to ${bound}${unit}.`, path }];
    }
    case 'invalid_format': {
      const received = valueAt(data, path);
      return [
        {
          code: 'INVALID_VALUE',
          message: `${where} is ${JSON.stringify(received)}: it ${issue.message.replace(/^Invalid input: /, '')}.`.replace(/\.\.$/, '.'),
          hint: issue.format === 'url' ? 'Write a full URL such as http://127.0.0.1:11434/v1.' : `Rename it, e.g. "${suggestName(String(received))}".`,
          path,
        },
      ];
    }
    case 'invalid_union': {
      const received = valueAt(data, path);
      const type = received && typeof received === 'object' ? (received as { type?: unknown }).type : undefined;
      if (type !== undefined && path.length > 0 && isTypedValuePath(path)) {
        return [{ code: 'INVALID_VALUE', message: `${where}.type is ${JSON.stringify(type)}; it must be one of "string", "number", "boolean", "enum".`, hint: `${didYouMean(String(type), ['string', 'number', 'boolean', 'enum'])}`.trim() || 'Pick one of the four types.', path: [...path, 'type'] }];
      }
      if (received && typeof received === 'object' && !Array.isArray(received) && isTypedValuePath(path)) {
        return [{ code: 'MISSING_FIELD', message: `${where}.type is required.`, hint: 'Add type: string, number, boolean or enum.', path }];
      }
      // A union of alternatives (e.g. a name or a list of names): report the first branch's own issues when the type fits.
      const nested = issue.errors.find((branch) => branch.every((inner) => inner.code !== 'invalid_type'));
      if (nested) return nested.flatMap((inner) => convert({ ...inner, path: [...issue.path, ...inner.path] }, schema, data));
      return [{ code: 'INVALID_TYPE', message: `${where} has the wrong type (${describeValue(received)}).`, hint: unionHint(issue), path }];
    }
    default:
      return [{ code: 'INVALID_VALUE', message: `${where}: ${issue.message}.`, path }];
  }
}

const dropUndefinedHint = (issue: IssueInput): IssueInput => {
  if (issue.hint === undefined) delete issue.hint;
  return issue;
};

function isTypedValuePath(path: Path): boolean {
  const parent = path[path.length - 2];
  return parent === 'state' || parent === 'payload';
}

function unionHint(issue: z.core.$ZodIssueInvalidUnion): string {
  const expected = issue.errors.flatMap((branch) => branch.filter((inner) => inner.code === 'invalid_type').map((inner) => (inner as { expected: string }).expected));
  return expected.length > 0 ? `Write ${[...new Set(expected)].map(article).join(' or ')}.` : 'Check the type.';
}

function hintForType(expected: string): string {
  switch (expected) {
    case 'array':
      return 'Write a list, e.g. [billing, sales] or one "- item" per line.';
    case 'object':
      return 'Write a mapping of keys to values.';
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
  const name = type === 'int' ? 'integer' : type === 'object' ? 'mapping' : type === 'array' ? 'list' : type;
  return /^[aeiou]/.test(name) ? `an ${name}` : `a ${name}`;
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `the text ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  return `${typeof value} ${JSON.stringify(value)}`;
}

/** `agents.billing.children[1]` */
export function describePath(path: Path): string {
  if (path.length === 0) return 'the tree';
  return path.reduce<string>((text, segment) => (typeof segment === 'number' ? `${text}[${segment}]` : text ? `${text}.${segment}` : segment), '');
}

function suggestName(name: string): string {
  const cleaned = name.replace(/[^A-Za-z0-9_-]+/g, '_').replace(/^[^A-Za-z]+/, '');
  return (cleaned || 'agent').slice(0, 48);
}

function valueAt(data: unknown, path: Path): unknown {
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
  let current: z.core.$ZodType | undefined = schema;
  for (let index = 0; index <= path.length && current; index += 1) {
    current = unwrap(current, valueAt(data, path.slice(0, index)));
    if (index === path.length) break;
    const def = current._zod.def as unknown as Record<string, unknown>;
    if (def.type === 'object') current = (def.shape as Record<string, z.core.$ZodType>)[String(path[index])];
    else if (def.type === 'record') current = def.valueType as z.core.$ZodType;
    else if (def.type === 'array') current = def.element as z.core.$ZodType;
    else current = undefined;
  }
  if (!current) return [];
  const def = current._zod.def as unknown as Record<string, unknown>;
  return def.type === 'object' ? Object.keys(def.shape as object) : [];
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
