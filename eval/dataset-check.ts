/**
 * The rules a schema cannot say: case ids are unique, and every agent, state field and payload
 * field a dataset names exists in the tree it will run on. Reported at the position of the name.
 */
import type { LoadedTree } from '../config/load.js';
import type { Tree } from '../config/schema.js';
import { didYouMean } from '../config/suggest.js';
import type { DatasetIssue } from './dataset-error.js';
import type { DatasetCase } from './dataset-schema.js';
import type { DatasetSource, IssueInput, Path } from './source.js';

/** A validated case and where it came from, to position later problems. */
export interface CaseOrigin {
  value: DatasetCase;
  source: DatasetSource;
  /** The case's path in its source: `['cases', 3]` in YAML, `[]` on a JSONL line. */
  prefix: Path;
  /** Written with `turns:` (else its one turn's keys sit on the case itself). */
  multiTurn: boolean;
}

/** The dataset-level `fields:` of a YAML dataset. */
export interface SharedFields {
  source: DatasetSource;
  fields: string[];
}

/**
 * The agent names of a case the schema refused (a turn with an empty message, a path that does not
 * end at its agent): checked against the tree beside its other problems, so one run reports them all.
 */
export function salvageNames(raw: unknown, line: number): DatasetCase | undefined {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return undefined;
  const record = raw as Record<string, unknown>;
  const rawTurns = Array.isArray(record.turns) ? (record.turns as unknown[]) : [record];
  const turns = rawTurns.map((turn) => {
    const { agent, path } = (turn !== null && typeof turn === 'object' ? turn : {}) as Record<string, unknown>;
    const steps = Array.isArray(path) && path.every((step) => typeof step === 'string') ? (path) : undefined;
    return { message: '', expect: typeof agent === 'string' ? { agent, ...(steps ? { path: steps } : {}) } : undefined };
  });
  return { id: '', turns, fields: {}, tags: [], note: undefined, line, turnLines: turns.map(() => line) };
}

/**
 * Every problem of the validated cases; empty when they are fine. `refused` are the cases the
 * schema refused, by their salvaged names: only their agent names are checked.
 */
export function checkCases(
  cases: readonly CaseOrigin[],
  shared: SharedFields | undefined,
  trees: readonly (Tree | LoadedTree)[],
  refused: readonly CaseOrigin[] = [],
): DatasetIssue[] {
  const issues: DatasetIssue[] = [];
  const report = (source: DatasetSource, input: IssueInput) => {
    const before = source.issues.length;
    source.add(input);
    issues.push(...source.issues.slice(before));
  };
  checkUniqueIds(cases, report);
  if (trees.length > 0) {
    const known = describeTrees(trees.map((tree) => ('spec' in tree ? tree.spec : tree)));
    if (shared) for (const field of shared.fields) checkField(field, ['fields', field], known, (input) => report(shared.source, input));
    for (const origin of [...cases, ...refused])
      checkNames(origin, known, (input) => report(origin.source, { ...input, path: [...origin.prefix, ...input.path] }));
  }
  return issues;
}

function checkUniqueIds(cases: readonly CaseOrigin[], report: (source: DatasetSource, input: IssueInput) => void): void {
  const seen = new Map<string, number>();
  for (const origin of cases) {
    const first = seen.get(origin.value.id);
    if (first === undefined) {
      seen.set(origin.value.id, origin.value.line);
      continue;
    }
    report(origin.source, {
      code: 'DUPLICATE_CASE_ID',
      message: `The case id "${origin.value.id}" is already used on line ${first}.`,
      hint: 'Give each case its own id: reports and --against name cases by id.',
      path: [...origin.prefix, 'id'],
    });
  }
}

/** What the trees under test define, merged (a name is fine if any tree knows it). */
interface KnownNames {
  treeNames: string;
  agents: Set<string>;
  helpers: Set<string>;
  answering: string[];
  fields: string[];
  payloadFields: string[];
  payloadFieldsOf: Map<string, string[]>;
}

function describeTrees(trees: Tree[]): KnownNames {
  const agents = new Set<string>();
  const helpers = new Set<string>();
  const fields = new Set<string>();
  const payloadFieldsOf = new Map<string, string[]>();
  for (const tree of trees) {
    for (const [name, agent] of Object.entries(tree.agents)) {
      agents.add(name);
      if (agent.kind === 'helper') helpers.add(name);
      payloadFieldsOf.set(name, [...new Set([...(payloadFieldsOf.get(name) ?? []), ...Object.keys(agent.handoff?.payload ?? {})])]);
    }
    for (const field of Object.keys(tree.state ?? {})) fields.add(field);
  }
  for (const name of agents) if (trees.some((tree) => tree.agents[name] && tree.agents[name].kind !== 'helper')) helpers.delete(name);
  return {
    treeNames: [...new Set(trees.map((tree) => `"${tree.name}"`))].join(' or '),
    agents,
    helpers,
    answering: [...agents].filter((name) => !helpers.has(name)),
    fields: [...fields],
    payloadFields: [...new Set([...payloadFieldsOf.values()].flat())],
    payloadFieldsOf,
  };
}

function checkNames(origin: CaseOrigin, known: KnownNames, report: (input: IssueInput) => void): void {
  for (const field of Object.keys(origin.value.fields)) {
    // Shared fields are reported once, at the dataset's `fields:`; only the case's own are checked here.
    if (!ownsField(origin, field)) continue;
    checkField(field, ['fields', field], known, report);
  }
  origin.value.turns.forEach((turn, index) => {
    if (!turn.expect) return;
    const at: Path = origin.multiTurn ? ['turns', index] : [];
    checkAgent(turn.expect.agent, [...at, 'agent'], known, report);
    // The path's last step is the expected agent (the schema checks it), reported once, above.
    turn.expect.path?.slice(0, -1).forEach((agent, step) => checkAgent(agent, [...at, 'path', step], known, report));
    for (const field of Object.keys(turn.expect.payload ?? {})) {
      if (known.payloadFields.includes(field)) continue;
      const own = known.payloadFieldsOf.get(turn.expect.agent) ?? [];
      const candidates = own.length > 0 ? own : known.payloadFields;
      report({
        code: 'UNKNOWN_PAYLOAD_FIELD',
        message: `No handoff of ${known.treeNames} carries a payload field "${field}".`,
        hint:
          candidates.length > 0
            ? `${didYouMean(field, candidates)}Handing off to ${turn.expect.agent} carries: ${candidates.join(', ') || 'nothing'}.`
            : 'The tree declares no handoff payloads.',
        path: [...at, 'payload', field],
        at: 'key',
      });
    }
  });
}

function ownsField(origin: CaseOrigin, field: string): boolean {
  let node: unknown = origin.source.data;
  for (const segment of [...origin.prefix, 'fields'])
    node = node && typeof node === 'object' ? (node as Record<string | number, unknown>)[segment] : undefined;
  return node !== null && typeof node === 'object' && Object.hasOwn(node, field);
}

function checkAgent(agent: string, path: Path, known: KnownNames, report: (input: IssueInput) => void): void {
  if (!known.agents.has(agent)) {
    report({
      code: 'UNKNOWN_AGENT',
      message: `"${agent}" is not an agent of ${known.treeNames}.`,
      hint: `${didYouMean(agent, known.answering)}Agents: ${known.answering.join(', ')}.`,
      path,
    });
  } else if (known.helpers.has(agent)) {
    report({
      code: 'HELPER_CANNOT_ANSWER',
      message: `"${agent}" is a helper: helpers are called as tools and never hold the conversation.`,
      hint: 'Expect the agent that calls it instead.',
      path,
    });
  }
}

function checkField(field: string, path: Path, known: KnownNames, report: (input: IssueInput) => void): void {
  if (known.fields.includes(field)) return;
  report({
    code: 'UNKNOWN_FIELD',
    message: `"${field}" is not a state field of ${known.treeNames}.`,
    hint:
      known.fields.length > 0
        ? `${didYouMean(field, known.fields)}Fields: ${known.fields.join(', ')}.`
        : 'The tree declares no `state:` fields.',
    path,
    at: 'key',
  });
}
