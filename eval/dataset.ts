/**
 * Loading a routing dataset: read → parse (YAML, or JSONL one case a line) with positions →
 * validate with the zod schema → check the names against the tree(s) under test. Every problem
 * comes back at once, positioned (`file:line:col`), on a {@link DatasetError}.
 */
import { readTextFile } from '../config/read-text.js';
import type { LoadedTree } from '../config/load.js';
import type { Tree } from '../config/schema.js';
import { DatasetError } from './dataset-error.js';
import type { DatasetIssue } from './dataset-error.js';
import { toDatasetIssues } from './dataset-issues.js';
import { DatasetSchema, EvalCaseSchema } from './dataset-schema.js';
import type { DatasetCase } from './dataset-schema.js';
import { checkCases, salvageNames } from './dataset-check.js';
import type { CaseOrigin, SharedFields } from './dataset-check.js';
import { DatasetSource, forbiddenKeyIssue, forbiddenKeyPaths } from './source.js';

/** Larger dataset files are refused before parsing. */
export const MAX_DATASET_BYTES = 10_000_000;

/** A validated dataset. */
export interface Dataset {
  /** The file it was read from (or the name given to {@link parseDataset}). */
  file: string;
  /** The dataset's `name:`, or the file name. */
  name: string;
  cases: DatasetCase[];
}

export interface DatasetOptions {
  /**
   * The tree(s) the dataset will run on: agent names, state fields and payload fields are checked
   * against them (against any of them, for `--against`). Without trees only the format is checked.
   */
  trees?: readonly (Tree | LoadedTree)[] | undefined;
  /** `yaml` (also JSON) or `jsonl`. Default: from the file name (`.jsonl`, `.ndjson` → jsonl). */
  format?: DatasetFormat | undefined;
}

export type DatasetFormat = 'yaml' | 'jsonl';

/** The format a file name implies. */
export function datasetFormatOf(file: string): DatasetFormat {
  return /\.(jsonl|ndjson)$/i.test(file) ? 'jsonl' : 'yaml';
}

/** Reads and validates a dataset file; throws a {@link DatasetError} listing every problem. */
export async function loadDataset(path: string, options: DatasetOptions = {}): Promise<Dataset> {
  // Sized before it is read: a huge file (or /dev/zero) is refused, not read whole.
  const read = await readTextFile(path, MAX_DATASET_BYTES);
  if ('tooLarge' in read) {
    throw new DatasetError([{ code: 'FILE_TOO_LARGE', message: `The file is larger than ${MAX_DATASET_BYTES} bytes.`, hint: 'Split the dataset.', path: [], file: path, line: 1, column: 1 }]);
  }
  let text: string;
  try {
    if ('error' in read) throw read.error;
    text = read.text;
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : `cannot be read (${(error as Error).message})`;
    throw new DatasetError([
      {
        code: 'FILE_NOT_FOUND',
        message: `The dataset file ${reason}.`,
        hint: 'Check the --dataset path.',
        path: [],
        file: path,
        line: 1,
        column: 1,
      },
    ]);
  }
  return parseDataset(text, path, options);
}

/** Validates dataset text; throws a {@link DatasetError} listing every problem. */
export function parseDataset(source: string, file = '<dataset>', options: DatasetOptions = {}): Dataset {
  // A byte order mark (editors on Windows write one) is not part of the first line's JSON or YAML.
  const text = source.replace(/^\uFEFF/, '');
  const at = (code: DatasetIssue['code'], message: string, hint: string): DatasetIssue => ({
    code,
    message,
    hint,
    path: [],
    file,
    line: 1,
    column: 1,
  });
  if (Buffer.byteLength(text) > MAX_DATASET_BYTES)
    throw new DatasetError([at('FILE_TOO_LARGE', `The file is larger than ${MAX_DATASET_BYTES} bytes.`, 'Split the dataset.')]);
  if (text.trim() === '')
    throw new DatasetError([
      at('EMPTY_FILE', 'The dataset file is empty.', 'Add `version: 1` and `cases:` (YAML), or one case a line (JSONL).'),
    ]);
  const format = options.format ?? datasetFormatOf(file);
  const parsed = format === 'jsonl' ? parseJsonLines(text, file) : parseYaml(text, file);
  // One JSON object a line, read as one YAML document: its errors say nothing about the real mistake.
  if (format === 'yaml' && parsed.issues.length > 0 && looksLikeJsonLines(text)) throw new DatasetError([jsonLinesAsYaml(file)]);
  const issues = [...parsed.issues, ...checkCases(parsed.cases, parsed.shared, options.trees ?? [], parsed.refused)];
  if (issues.length > 0) {
    issues.sort((a, b) => a.line - b.line || a.column - b.column || a.code.localeCompare(b.code));
    throw new DatasetError(issues);
  }
  return { file, name: parsed.name ?? baseName(file), cases: parsed.cases.map(({ value }) => value) };
}

interface Parsed {
  name: string | undefined;
  cases: CaseOrigin[];
  /** The cases the schema refused, by the names they hold (see `salvageNames`). */
  refused?: CaseOrigin[];
  shared?: SharedFields | undefined;
  issues: DatasetIssue[];
}

function parseYaml(text: string, file: string): Parsed {
  const source = new DatasetSource(file, text);
  if (!source.ok) return { name: undefined, cases: [], issues: source.issues };
  const result = DatasetSchema.safeParse(source.data);
  if (!result.success) for (const issue of toDatasetIssues(result.error.issues, source.data, 'dataset')) source.add(issue);
  // The cases that are valid on their own are checked against the tree too, so one run reports everything.
  const raw = isRecord(source.data) ? source.data : {};
  const fields = DatasetSchema.shape.fields.safeParse(raw.fields);
  const shared = (fields.success ? fields.data : undefined) ?? {};
  const rawCases: unknown[] = Array.isArray(raw.cases) ? raw.cases : [];
  const refused: CaseOrigin[] = [];
  const cases = rawCases.flatMap((rawCase, index): CaseOrigin[] => {
    const parsed = EvalCaseSchema.safeParse(rawCase);
    const multiTurn = isRecord(rawCase) && Object.hasOwn(rawCase, 'turns');
    if (!parsed.success) {
      const names = salvageNames(rawCase, source.locate(['cases', index]).line);
      if (names) refused.push({ value: names, source, prefix: ['cases', index], multiTurn });
      return [];
    }
    const line = source.locate(['cases', index]).line;
    const turnLines = parsed.data.turns.map((_turn, turn) => (multiTurn ? source.locate(['cases', index, 'turns', turn]).line : line));
    const value: DatasetCase = {
      ...parsed.data,
      id: parsed.data.id ?? `case-${index + 1}`,
      fields: { ...shared, ...parsed.data.fields },
      line,
      turnLines,
    };
    return [{ value, source, prefix: ['cases', index], multiTurn }];
  });
  return {
    name: result.success ? result.data.name : undefined,
    cases,
    refused,
    shared: { source, fields: shared },
    issues: [...source.issues],
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function parseJsonLines(text: string, file: string): Parsed {
  const cases: CaseOrigin[] = [];
  const refused: CaseOrigin[] = [];
  const issues: DatasetIssue[] = [];
  text.split('\n').forEach((raw, index) => {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '') return;
    const lineNumber = index + 1;
    let data: unknown;
    try {
      data = JSON.parse(line);
    } catch (error) {
      const position = /position (\d+)/.exec((error as Error).message)?.[1];
      issues.push({
        code: 'INVALID_JSON',
        message: `Line ${lineNumber} is not valid JSON (${(error as Error).message.replace(/ in JSON at position \d+.*$/, '')}).`,
        hint: 'Each line of a JSONL dataset is one JSON object, e.g. {"message": "…", "agent": "billing"}.',
        path: [],
        file,
        line: lineNumber,
        column: position === undefined ? 1 : Number(position) + 1,
      });
      return;
    }
    const source = new DatasetSource(file, line, lineNumber);
    // JSON.parse keeps the last of two equal keys; the YAML reading of the line reports them, as in a YAML dataset.
    const duplicates = source.issues.filter((issue) => issue.code === 'DUPLICATE_KEY');
    if (duplicates.length > 0) {
      issues.push(...duplicates);
      return;
    }
    // Refused as in a YAML dataset: such a key would reach the state or the payload comparison as it is.
    const forbidden = forbiddenKeyPaths(data);
    if (forbidden.length > 0) {
      const before = source.issues.length;
      for (const path of forbidden) source.add(forbiddenKeyIssue(String(path.at(-1)), path));
      issues.push(...source.issues.slice(before));
      return;
    }
    const result = EvalCaseSchema.safeParse(data);
    if (!result.success) {
      for (const issue of toDatasetIssues(result.error.issues, data, 'case')) source.add(issue);
      issues.push(...source.issues.filter((issue) => issue.code !== 'YAML_SYNTAX'));
      const names = salvageNames(data, lineNumber);
      if (names) refused.push({ value: names, source, prefix: [], multiTurn: isRecord(data) && Object.hasOwn(data, 'turns') });
      return;
    }
    const value: DatasetCase = {
      ...result.data,
      id: result.data.id ?? `line-${lineNumber}`,
      line: lineNumber,
      turnLines: result.data.turns.map(() => lineNumber),
    };
    cases.push({ value, source, prefix: [], multiTurn: isRecord(data) && Object.hasOwn(data, 'turns') });
  });
  if (cases.length === 0 && issues.length === 0) {
    issues.push({
      code: 'EMPTY_FILE',
      message: 'The dataset has no cases.',
      hint: 'Write one case a line.',
      path: [],
      file,
      line: 1,
      column: 1,
    });
  }
  return { name: undefined, cases, refused, issues };
}

/** Each line (but blank ones) a JSON object, and two or more of them or one that is a case: a JSONL dataset. */
function looksLikeJsonLines(text: string): boolean {
  const lines = text.split('\n').map((line) => line.trim()).filter((line) => line !== '');
  if (!lines.every((line) => line.startsWith('{') && line.endsWith('}'))) return false;
  return lines.length >= 2 || isCaseObject(lines[0] as string);
}

/** A JSON object with a case's `message` or `turns`, not a dataset's `cases`. */
function isCaseObject(line: string): boolean {
  try {
    const data: unknown = JSON.parse(line);
    return isRecord(data) && !Object.hasOwn(data, 'cases') && (Object.hasOwn(data, 'message') || Object.hasOwn(data, 'turns'));
  } catch {
    return false;
  }
}

function jsonLinesAsYaml(file: string): DatasetIssue {
  return {
    code: 'INVALID_JSON',
    message: 'The file holds JSON Lines (one case a line, as a JSON object), but its name does not end in .jsonl: it was read as one YAML or JSON document (version: 1, cases: …), which it is not.',
    hint: 'Rename it to .jsonl (or .ndjson) to read one case a line, or write one document: version: 1 and cases: [ … ].',
    path: [],
    file,
    line: 1,
    column: 1,
  };
}

function baseName(file: string): string {
  return (file.split(/[\\/]/).at(-1) ?? file).replace(/\.(ya?ml|json|jsonl|ndjson)$/i, '');
}
