/**
 * zod issues of a dataset → issues with stable codes, a message that names the place, and a hint
 * that says what to do.
 */
import type { z } from 'zod';
import { valueAt } from '../config/schema-issues.js';
import { didYouMean } from '../config/suggest.js';
import type { DatasetIssueCode } from './dataset-error.js';
import { CASE_KEYS, DATASET_KEYS, TURN_KEYS } from './dataset-schema.js';
import type { IssueInput, Path } from './source.js';

type ZodIssue = z.core.$ZodIssue;

/** Where a path sits: a whole YAML dataset, or one JSONL line (a case). */
export type IssueRoot = 'dataset' | 'case';

/** Every zod issue of a failed parse, converted. */
export function toDatasetIssues(issues: readonly ZodIssue[], data: unknown, root: IssueRoot): IssueInput[] {
  // A case's own rules (custom issues) ran on a case that already has a format problem: they only echo it.
  const caseOf = (issue: ZodIssue) => (root === 'case' ? '' : issue.path[0] === 'cases' ? String(issue.path[1]) : undefined);
  const broken = new Set(issues.filter((issue) => issue.code !== 'custom').map(caseOf));
  return issues.filter((issue) => issue.code !== 'custom' || !broken.has(caseOf(issue))).flatMap((issue) => convert(issue, data, root));
}

function convert(issue: ZodIssue, data: unknown, root: IssueRoot): IssueInput[] {
  const path = issue.path.filter((segment): segment is string | number => typeof segment !== 'symbol');
  const where = describePath(path, root);
  switch (issue.code) {
    case 'unrecognized_keys': {
      const allowed = allowedKeys(path, root);
      return issue.keys.map((key) => ({
        code: 'UNKNOWN_KEY' as const,
        message: `"${key}" is not a known key of ${where}.`,
        hint: `${didYouMean(key, allowed)}Known keys: ${allowed.join(', ')}.`,
        path: [...path, key],
        at: 'key' as const,
      }));
    }
    case 'invalid_type': {
      const received = valueAt(data, path);
      if (received === undefined)
        return [
          {
            code: 'MISSING_FIELD',
            message: `${where} is required.`,
            hint: `Add ${String(path.at(-1))}: (${nameOf(issue.expected)}).`,
            path,
          },
        ];
      return [
        {
          code: 'INVALID_TYPE',
          message: `${where} must be ${nameOf(issue.expected)}, not ${describeValue(received)}.`,
          hint: hintFor(issue.expected, root),
          path,
        },
      ];
    }
    case 'invalid_value':
      if (path.length === 1 && path[0] === 'version') {
        // zod reports a missing literal as a wrong value (`undefined`): say it is missing.
        if (valueAt(data, path) === undefined)
          return [{ code: 'MISSING_FIELD', message: 'version is required.', hint: 'Add version: 1 at the top of the file.', path }];
        return [
          {
            code: 'UNSUPPORTED_VERSION',
            message: `Dataset format version ${JSON.stringify(valueAt(data, path))} is not supported.`,
            hint: 'Use version: 1.',
            path,
          },
        ];
      }
      return [
        {
          code: 'INVALID_VALUE',
          message: `${where} must be one of ${issue.values.map((value) => JSON.stringify(value)).join(', ')}.`,
          path,
        },
      ];
    case 'invalid_union':
      return [
        {
          code: 'INVALID_TYPE',
          message: `${where} must be text, a number or true/false, not ${describeValue(valueAt(data, path))}.`,
          hint: root === 'case' ? 'Write a JSON string, number or true/false.' : 'Write a plain value; quote text that YAML would read as something else.',
          path,
        },
      ];
    case 'too_small':
    case 'too_big': {
      const limit = Number(issue.code === 'too_small' ? issue.minimum : issue.maximum);
      const unit = issue.origin === 'array' ? 'item' : issue.origin === 'string' ? 'character' : 'unit';
      const bound = `${issue.code === 'too_small' ? 'at least' : 'at most'} ${limit} ${unit}${limit === 1 ? '' : 's'}`;
      return [
        {
          code: 'OUT_OF_RANGE',
          message: `${where} must have ${bound}.`,
          hint: HINT_WHEN_EMPTY[String(path.at(-1))] ?? (issue.origin === 'string' ? 'Write some text.' : `Give it ${bound}.`),
          path,
        },
      ];
    }
    case 'invalid_format':
      return [{ code: 'INVALID_VALUE', message: `${where} is ${JSON.stringify(valueAt(data, path))}: it ${issue.message}.`, path }];
    case 'custom': {
      const params = (issue.params ?? {}) as { code?: DatasetIssueCode; at?: 'key' | 'value' };
      return [
        {
          code: params.code ?? 'INVALID_VALUE',
          message: path.length === 0 ? issue.message : `${where}: ${issue.message}`,
          path,
          at: params.at ?? 'value',
        },
      ];
    }
    default:
      return [{ code: 'INVALID_VALUE', message: `${where}: ${issue.message}.`, path }];
  }
}

const HINT_WHEN_EMPTY: Record<string, string> = {
  cases: 'Add at least one case.',
  turns: 'Add at least one turn, or write the case with `message:`.',
  path: 'List the agents in order, e.g. [triage, billing].',
  message: 'Write what the user says.',
};

/** `cases[3].turns[1].agent`; `the dataset` / `the case` for the root. */
export function describePath(path: Path, root: IssueRoot = 'dataset'): string {
  if (path.length === 0) return `the ${root}`;
  const text = path.reduce<string>(
    (written, segment) => (typeof segment === 'number' ? `${written}[${segment}]` : written ? `${written}.${segment}` : segment),
    '',
  );
  return text;
}

/** The keys allowed in the mapping at `path`. */
function allowedKeys(path: Path, root: IssueRoot): string[] {
  const inTurn = path.length >= 2 && path.at(-2) === 'turns';
  if (inTurn) return TURN_KEYS;
  if (root === 'case' || path.length === 2) return CASE_KEYS;
  return path.length === 0 ? DATASET_KEYS : [];
}

function nameOf(type: string): string {
  switch (type) {
    case 'object':
      return 'a mapping';
    case 'array':
      return 'a list';
    case 'string':
      return 'text';
    default:
      return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
  }
}

/** How to write a value of `type`: in YAML words for a YAML dataset, in JSON words for a JSONL line (a case). */
function hintFor(type: string, root: IssueRoot): string {
  const json = root === 'case';
  switch (type) {
    case 'array':
      return json ? 'Write a JSON array, e.g. ["triage", "billing"].' : 'Write a list, e.g. [triage, billing] or one "- item" per line.';
    case 'object':
      return json ? 'Write a JSON object, e.g. {"amount": 99}.' : 'Write a mapping of keys to values.';
    case 'string':
      return json ? 'Write a JSON string, in double quotes, e.g. "5" or "true".' : 'Write text; quote it if YAML reads it as something else (a number, true, null).';
    default:
      return `Write ${nameOf(type)}.`;
  }
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (ArrayBuffer.isView(value)) return 'binary data (!!binary)';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `the text ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  // String(), not JSON: YAML's .nan and .inf are numbers JSON writes as null.
  return `${typeof value} ${String(value)}`;
}
