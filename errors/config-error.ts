import { SwitchboardError } from './switchboard-error.js';

/** Every problem a tree file can have, by stable code. */
export const CONFIG_ISSUE_CODES = [
  'FILE_NOT_FOUND',
  'FILE_TOO_LARGE',
  'EMPTY_FILE',
  'YAML_SYNTAX',
  'DUPLICATE_KEY',
  'UNKNOWN_TAG',
  'ALIAS_LIMIT',
  'TOO_DEEP',
  'FORBIDDEN_KEY',
  'UNKNOWN_KEY',
  'MISSING_FIELD',
  'INVALID_TYPE',
  'INVALID_VALUE',
  'UNSAFE_CHARACTER',
  'OUT_OF_RANGE',
  'NUMBER_TOO_LARGE',
  'UNSUPPORTED_VERSION',
  'INVALID_NAME',
  'RESERVED_NAME',
  'NAME_COLLISION',
  'DUPLICATE_AGENT',
  'DUPLICATE_TOOL_NAME',
  'UNKNOWN_AGENT',
  'UNKNOWN_TOOL',
  'UNKNOWN_MODEL',
  'API_KEY_ENV_NOT_ALLOWED',
  'BASE_URL_NOT_HTTP',
  'PROVIDER_PACKAGE_MISSING',
  'UNKNOWN_STATE_FIELD',
  'SETS_TYPE_MISMATCH',
  'SETS_BACKEND_FIELD',
  'INVALID_DEFAULT',
  'INVALID_RANGE',
  'DUPLICATE_VALUE',
  'INVALID_PATTERN',
  'UNSUPPORTED_PATTERN',
  'MISSING_PROMPT',
  'WRONG_AGENT_KIND',
  'MULTIPLE_PARENTS',
  'TREE_CYCLE',
  'SELF_REFERENCE',
  'UNREACHABLE_AGENT',
  'SIDEWAYS_NOT_ALLOWED',
  'DEAD_END',
  'NO_HUMAN_ESCALATION',
  'TOO_MANY_TARGETS',
  'UNUSED_OFFLINE_TOOL',
  'CONDITION_SYNTAX',
  'CONDITION_UNKNOWN_FIELD',
  'CONDITION_UNKNOWN_FUNCTION',
  'CONDITION_TYPE',
  'CONDITION_TIME_ZONE',
  'CONDITION_HOURS',
  'CONDITION_DAYS',
  'CONDITION_NOT_AN_EDGE',
  'CONDITION_NEVER_TRUE',
  'CONDITION_ALWAYS_TRUE',
  'APPROVAL_NEVER_ASKED',
  'APPROVAL_NOT_AN_EDGE',
  'APPROVAL_CONFLICT',
  'APPROVAL_BYPASSED',
] as const;

/** A stable code of a {@link ConfigIssue}: match on it, not on the message. */
export type ConfigIssueCode = (typeof CONFIG_ISSUE_CODES)[number];

/** One problem in a tree file, positioned for editors (`file:line:column`, 1-based). */
export interface ConfigIssue {
  code: ConfigIssueCode;
  severity: 'error' | 'warning';
  message: string;
  /** How to fix it. */
  hint?: string;
  /** Where in the tree, as keys: `['agents', 'billing', 'children', 0]`. */
  path: (string | number)[];
  file: string;
  line: number;
  column: number;
}

/**
 * Formats an issue the way editors and terminals make clickable:
 * `config/support.yaml:14:9 error UNKNOWN_AGENT "biling" is not an agent. Did you mean "billing"?`
 */
export function formatIssue(issue: ConfigIssue): string {
  const hint = issue.hint ? ` ${issue.hint}` : '';
  return `${issue.file}:${issue.line}:${issue.column} ${issue.severity} ${issue.code} ${issue.message}${hint}`;
}

/** A tree file that cannot be used: `issues` holds every problem found, errors and warnings. */
export class ConfigError extends SwitchboardError {
  override readonly name = 'ConfigError';
  readonly issues: ConfigIssue[];

  constructor(issues: ConfigIssue[]) {
    const errors = issues.filter((issue) => issue.severity === 'error');
    const shown = errors.slice(0, 20).map(formatIssue).join('\n');
    const more = errors.length > 20 ? `\n…and ${errors.length - 20} more` : '';
    super('CONFIG_INVALID', `The tree has ${errors.length} error${errors.length === 1 ? '' : 's'}:\n${shown}${more}`);
    this.issues = issues;
  }
}
