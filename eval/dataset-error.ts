import { SwitchboardError } from '../errors/switchboard-error.js';

/** Every problem a dataset file can have, by stable code. */
export type DatasetIssueCode =
  | 'FILE_NOT_FOUND'
  | 'FILE_TOO_LARGE'
  | 'EMPTY_FILE'
  | 'YAML_SYNTAX'
  | 'INVALID_JSON'
  | 'DUPLICATE_KEY'
  | 'UNKNOWN_TAG'
  | 'ALIAS_LIMIT'
  | 'FORBIDDEN_KEY'
  | 'UNKNOWN_KEY'
  | 'MISSING_FIELD'
  | 'INVALID_TYPE'
  | 'INVALID_VALUE'
  | 'OUT_OF_RANGE'
  | 'UNSUPPORTED_VERSION'
  | 'CONFLICTING_KEYS'
  | 'MISPLACED_EXPECTATION'
  | 'MISSING_EXPECTATION'
  | 'PATH_MISMATCH'
  | 'IMPOSSIBLE_PATH'
  | 'NO_APPROVAL_GATE'
  | 'DUPLICATE_CASE_ID'
  | 'UNKNOWN_AGENT'
  | 'HELPER_CANNOT_ANSWER'
  | 'UNKNOWN_FIELD'
  | 'UNKNOWN_PAYLOAD_FIELD'
  | 'BLANK_MESSAGE'
  | 'MESSAGE_TOO_LONG';

/** One problem in a dataset file, positioned for editors (`file:line:column`, 1-based). */
export interface DatasetIssue {
  code: DatasetIssueCode;
  message: string;
  /** How to fix it. */
  hint?: string | undefined;
  /** Where in the file, as keys: `['cases', 3, 'turns', 1, 'agent']` (JSONL: from the case of that line). */
  path: (string | number)[];
  file: string;
  line: number;
  column: number;
}

/** `eval/datasets/support.yaml:14:12 error UNKNOWN_AGENT "biling" is not an agent… Did you mean "billing"?` */
export function formatDatasetIssue(issue: DatasetIssue): string {
  return `${issue.file}:${issue.line}:${issue.column} error ${issue.code} ${issue.message}${issue.hint ? ` ${issue.hint}` : ''}`;
}

/** A dataset file that cannot be used: `issues` holds every problem found, sorted by position. */
export class DatasetError extends SwitchboardError {
  override readonly name = 'DatasetError';
  readonly issues: DatasetIssue[];

  constructor(issues: DatasetIssue[]) {
    const shown = issues.slice(0, 20).map(formatDatasetIssue).join('\n');
    const more = issues.length > 20 ? `\n…and ${issues.length - 20} more` : '';
    super('DATASET_INVALID', `The dataset has ${issues.length} error${issues.length === 1 ? '' : 's'}:\n${shown}${more}`);
    this.issues = issues;
  }
}
