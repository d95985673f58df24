/**
 * The rules a schema cannot say: case ids are unique; every message is one the runtime takes (not
 * blank, within the tree's `messageChars`); every agent, state field and payload field a
 * dataset names exists in the tree it will run on, and every value it gives such a field is one the
 * field takes; every step of an expected path is a move the tree allows; every expected wait for
 * approval is a handoff the tree gates. Reported at the position of the name or value.
 */
import { HANDOFF_KINDS, handoffNeedsApproval, listEdges } from '../config/edges.js';
import { narrowedTo } from '../config/field-schema.js';
import type { LoadedTree } from '../config/load.js';
import { DEFAULT_LIMITS } from '../config/schema.js';
import type { Field, Tree } from '../config/schema.js';
import { isBlank } from '../models/messages.js';
import { messageTooLong } from '../nodes/turn.js';
import { didYouMean, listNames } from '../config/suggest.js';
import type { DatasetIssue } from './dataset-error.js';
import type { DatasetCase, NormalizedTurn } from './dataset-schema.js';
import { valueProblem } from './field-values.js';
import type { FieldValue } from './field-values.js';
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
  fields: Record<string, FieldValue>;
}

/**
 * The agent names and fields of a case the schema refused (a turn with an empty message, a path that
 * does not end at its agent, a mistyped key): checked against the tree beside its other problems, so
 * one run reports them all.
 */
export function salvageNames(raw: unknown, line: number): DatasetCase | undefined {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return undefined;
  const record = raw as Record<string, unknown>;
  const rawTurns = Array.isArray(record.turns) ? (record.turns as unknown[]) : [record];
  const turns = rawTurns.map((turn) => {
    const { agent, path, approval } = (turn !== null && typeof turn === 'object' ? turn : {}) as Record<string, unknown>;
    const steps = Array.isArray(path) && path.every((step) => typeof step === 'string') ? (path) : undefined;
    return {
      message: '',
      expect:
        typeof agent === 'string'
          ? { agent, ...(steps ? { path: steps } : {}), ...(typeof approval === 'string' ? { approval } : {}) }
          : undefined,
    };
  });
  // Its fields too, those the schema would take (text, numbers, true/false): the others are its own problem.
  const rawFields = record.fields !== null && typeof record.fields === 'object' && !Array.isArray(record.fields) ? (record.fields as Record<string, unknown>) : {};
  const fields = Object.fromEntries(Object.entries(rawFields).filter(([, value]) => ['string', 'number', 'boolean'].includes(typeof value))) as Record<string, FieldValue>;
  return { id: '', turns, fields, tags: [], note: undefined, line, turnLines: turns.map(() => line) };
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
  const specs = trees.map((tree) => ('spec' in tree ? tree.spec : tree));
  for (const origin of cases) checkMessages(origin, specs, (input) => report(origin.source, { ...input, path: [...origin.prefix, ...input.path] }));
  if (trees.length > 0) {
    const known = describeTrees(specs);
    if (shared)
      for (const [field, value] of Object.entries(shared.fields)) checkField(field, value, ['fields', field], known, (input) => report(shared.source, input));
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

/**
 * Every message of a case is one the runtime takes: not blank (only spaces, control or invisible
 * characters: `INVALID_INPUT` on every run, by the runtime's own rule), and within the tree's
 * `messageChars` (`MESSAGE_TOO_LONG` on every run).
 */
function checkMessages(origin: CaseOrigin, trees: readonly Tree[], report: (input: IssueInput) => void): void {
  const { id, turns } = origin.value;
  const limits = trees.length > 0 ? messageLimits(trees) : undefined;
  turns.forEach((turn, index) => {
    const at: Path = origin.multiTurn ? ['turns', index, 'message'] : ['message'];
    const which = origin.multiTurn ? `Turn ${index + 1} of case "${id}"` : `Case "${id}"`;
    if (isBlank(turn.message)) {
      report({
        code: 'BLANK_MESSAGE',
        message: `${which} has a blank message (only spaces, control or invisible characters): the runtime refuses it (INVALID_INPUT) on every run, so the case can only fail.`,
        hint: 'Write what the user says.',
        path: at,
      });
      return;
    }
    if (!limits) return;
    // The first turn goes to the root on the case's fresh thread; a later one to whichever agent owns the conversation then.
    const limit = index === 0 ? limits.first : limits.later;
    const tooLong = messageTooLong(turn.message, { limits: { messageChars: limit } });
    if (tooLong)
      report({
        code: 'MESSAGE_TOO_LONG',
        message: `${which}: ${tooLong.replace(/^The /, 'the ')} The runtime refuses it (MESSAGE_TOO_LONG) on every run, so the case can only fail.`,
        hint: `Shorten the message, or raise \`limits.messageChars\` in the tree (${index === 0 ? 'on the root, or for the whole tree' : 'on the agent it goes to, or for the whole tree'}).`,
        path: at,
      });
  });
}

/**
 * The longest message a turn can be given, in any of the trees: the root's `messageChars` for a
 * case's first turn, the largest of any agent that can hold the conversation for a later one.
 */
function messageLimits(trees: readonly Tree[]): { first: number; later: number } {
  const limitOf = (tree: Tree, agent: string) => tree.agents[agent]?.limits?.messageChars ?? tree.limits?.messageChars ?? DEFAULT_LIMITS.messageChars;
  const answering = (tree: Tree) => Object.keys(tree.agents).filter((name) => tree.agents[name]?.kind !== 'helper');
  return {
    first: Math.max(...trees.map((tree) => limitOf(tree, tree.root))),
    later: Math.max(...trees.flatMap((tree) => answering(tree).map((agent) => limitOf(tree, agent)))),
  };
}

/** What the trees under test define, merged (a name is fine if any tree knows it). */
interface KnownNames {
  treeNames: string;
  agents: Set<string>;
  helpers: Set<string>;
  humans: Set<string>;
  answering: string[];
  /** Each state field, with its declaration in each tree that has it. */
  fields: Map<string, Field[]>;
  /** Per agent, the payload fields a handoff to it carries, with their declarations (narrowed by `sets:`). */
  payloads: Map<string, Map<string, Field[]>>;
  payloadFields: string[];
  /** Per agent, the agents control can move to from it: by a handoff tool, a fallback or a limit redirect. */
  moves: Map<string, Set<string>>;
  /** Per agent, the agents a model can hand off to from it (by a handoff tool). */
  handoffs: Map<string, Set<string>>;
  /** Per agent, those of its handoffs that wait for a person's approval (in any tree). */
  gated: Map<string, Set<string>>;
}

function describeTrees(trees: Tree[]): KnownNames {
  const agents = new Set<string>();
  const helpers = new Set<string>();
  const humans = new Set<string>();
  const fields = new Map<string, Field[]>();
  const payloads = new Map<string, Map<string, Field[]>>();
  const moves = new Map<string, Set<string>>();
  const handoffs = new Map<string, Set<string>>();
  const gated = new Map<string, Set<string>>();
  const link = (map: Map<string, Set<string>>, from: string, to: string) => map.set(from, (map.get(from) ?? new Set()).add(to));
  const push = <K, V>(map: Map<K, V[]>, key: K, value: V) => map.set(key, [...(map.get(key) ?? []), value]);
  for (const tree of trees) {
    const state = tree.state ?? {};
    for (const [name, agent] of Object.entries(tree.agents)) {
      agents.add(name);
      if (agent.kind === 'helper') helpers.add(name);
      if (agent.kind === 'human') humans.add(name);
      const carried = payloads.get(name) ?? new Map<string, Field[]>();
      for (const [field, declared] of Object.entries(agent.handoff?.payload ?? {}))
        push(carried, field, narrowedTo(declared, declared.sets !== undefined && Object.hasOwn(state, declared.sets) ? state[declared.sets] : undefined));
      payloads.set(name, carried);
    }
    for (const [field, declared] of Object.entries(state)) push(fields, field, declared);
    for (const edge of listEdges(tree)) {
      if (edge.kind !== 'helper') link(moves, edge.from, edge.to);
      if (!HANDOFF_KINDS.has(edge.kind)) continue;
      link(handoffs, edge.from, edge.to);
      if (handoffNeedsApproval(tree, edge.from, edge.to)) link(gated, edge.from, edge.to);
    }
  }
  for (const name of agents) if (trees.some((tree) => tree.agents[name] && tree.agents[name].kind !== 'helper')) helpers.delete(name);
  return {
    treeNames: [...new Set(trees.map((tree) => `"${tree.name}"`))].join(' or '),
    agents,
    helpers,
    humans,
    answering: [...agents].filter((name) => !helpers.has(name)),
    fields,
    payloads,
    payloadFields: [...new Set([...payloads.values()].flatMap((carried) => [...carried.keys()]))],
    moves,
    handoffs,
    gated,
  };
}

function checkNames(origin: CaseOrigin, known: KnownNames, report: (input: IssueInput) => void): void {
  for (const [field, value] of Object.entries(origin.value.fields)) {
    // Shared fields are reported once, at the dataset's `fields:`; only the case's own are checked here.
    if (!ownsField(origin, field)) continue;
    checkField(field, value, ['fields', field], known, report);
  }
  origin.value.turns.forEach((turn, index) => {
    if (!turn.expect) return;
    const at: Path = origin.multiTurn ? ['turns', index] : [];
    checkAgent(turn.expect.agent, [...at, 'agent'], known, report);
    if (turn.expect.path) checkPath(turn.expect.path, turn.expect.agent, [...at, 'path'], known, report);
    if (turn.expect.approval !== undefined) checkApproval(turn.expect.approval, turn.expect.agent, [...at, 'approval'], known, report);
    checkPayload(turn.expect, [...at, 'payload'], known, report);
  });
}

type Expectation = NonNullable<NormalizedTurn['expect']>;

function checkPath(path: readonly string[], agent: string, at: Path, known: KnownNames, report: (input: IssueInput) => void): void {
  path.forEach((step, index) => {
    // A last step that is the expected agent was checked at `agent:`: reported once.
    if (index === path.length - 1 && step === agent) return;
    checkAgent(step, [...at, index], known, report);
  });
  for (let index = 1; index < path.length; index += 1) {
    const from = path[index - 1] as string;
    const to = path[index] as string;
    // Unknown names are reported above; a move between them says nothing more.
    if (!known.agents.has(from) || !known.agents.has(to) || known.moves.get(from)?.has(to)) continue;
    const targets = [...(known.moves.get(from) ?? [])];
    report({
      code: 'IMPOSSIBLE_PATH',
      message: `No edge of ${known.treeNames} goes from ${from} to ${to}, so a turn can never take this path and the case can only fail.`,
      hint: `${didYouMean(to, targets)}From ${from}, control can move to: ${listNames(targets)}. Fix the path, or add the edge to the tree.`,
      path: [...at, index],
    });
  }
}

/** The agent a turn expects to wait for approval to reach exists, and some tree gates a handoff from the asking agent to it. */
function checkApproval(target: string, agent: string, at: Path, known: KnownNames, report: (input: IssueInput) => void): void {
  if (!known.agents.has(target)) {
    report({
      code: 'UNKNOWN_AGENT',
      message: `"${target}" is not an agent of ${known.treeNames}.`,
      hint: `${didYouMean(target, known.answering)}Agents: ${known.answering.join(', ')}.`,
      path: at,
    });
    return;
  }
  // An unknown or helper asking agent is reported at `agent:`: a gate from it says nothing more.
  if (!known.agents.has(agent) || known.helpers.has(agent) || known.gated.get(agent)?.has(target)) return;
  const gated = [...(known.gated.get(agent) ?? [])];
  const targets = [...(known.handoffs.get(agent) ?? [])];
  const fix = targets.includes(target)
    ? `Gate it in the tree: \`approval: required\` on ${target} (every handoff into it), or \`approval: { ${target}: required }\` on ${agent} (this handoff only).`
    : `${agent} cannot hand off to ${target} at all; it can hand off to: ${listNames(targets)}.`;
  report({
    code: 'NO_APPROVAL_GATE',
    message: `No handoff of ${known.treeNames} from ${agent} to ${target} waits for a person's approval, so the turn can never stop for it and the case can only fail.`,
    hint:
      gated.length > 0
        ? `${didYouMean(target, gated)}From ${agent}, these handoffs wait for approval: ${listNames(gated)}. ${fix}`
        : `No handoff from ${agent} waits for approval. ${fix}`,
    path: at,
  });
}

function checkPayload(expect: Expectation, at: Path, known: KnownNames, report: (input: IssueInput) => void): void {
  for (const [field, value] of Object.entries(expect.payload ?? {})) {
    if (!known.payloadFields.includes(field)) {
      report({
        code: 'UNKNOWN_PAYLOAD_FIELD',
        message: `No handoff of ${known.treeNames} carries a payload field "${field}".`,
        hint: unknownPayloadHint(field, expect.approval ?? expect.agent, known),
        path: [...at, field],
        at: 'key',
      });
      continue;
    }
    const problem = valueProblem(value, payloadDeclarations(field, expect, known));
    if (problem) report({ code: problem.code, message: `The payload field "${field}" ${problem.problem}.`, hint: problem.hint, path: [...at, field] });
  }
}

function unknownPayloadHint(field: string, agent: string, known: KnownNames): string {
  if (known.payloadFields.length === 0) return 'The tree declares no handoff payloads.';
  const own = [...(known.payloads.get(agent)?.keys() ?? [])];
  if (own.length > 0) return `${didYouMean(field, own)}Handing off to ${agent} carries: ${own.join(', ')}.`;
  // Listing what other handoffs carry as if it were this one's would be false: a handoff to it carries nothing.
  const why = known.humans.has(agent) ? `a person takes only what its handoff.payload declares, and ${agent} declares none` : `${agent} declares no handoff.payload`;
  return `${didYouMean(field, known.payloadFields)}Handing off to ${agent} carries nothing: ${why}. Other handoffs carry: ${listNames(known.payloadFields)}.`;
}

/**
 * How a payload field the turn expects may be declared: by the handoffs into the agents its path
 * names, and into the agent it expects to wait for approval to reach (any handoff, when these name
 * none that carries it); without a path, by any handoff, the expected agents' first (the turn may
 * pass through other agents on the way).
 */
function payloadDeclarations(field: string, expect: Expectation, known: KnownNames): Field[] {
  const declaredBy = (agent: string) => known.payloads.get(agent)?.get(field) ?? [];
  const all = [...known.payloads.keys()].flatMap(declaredBy);
  const pending = expect.approval === undefined ? [] : [expect.approval];
  const named = [...(expect.path?.slice(1) ?? [expect.agent]), ...pending].flatMap(declaredBy);
  return expect.path && named.length > 0 ? named : [...named, ...all];
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

function checkField(field: string, value: FieldValue, path: Path, known: KnownNames, report: (input: IssueInput) => void): void {
  const declarations = known.fields.get(field);
  if (!declarations) {
    const names = [...known.fields.keys()];
    report({
      code: 'UNKNOWN_FIELD',
      message: `"${field}" is not a state field of ${known.treeNames}.`,
      hint: names.length > 0 ? `${didYouMean(field, names)}Fields: ${names.join(', ')}.` : 'The tree declares no `state:` fields.',
      path,
      at: 'key',
    });
    return;
  }
  // Checked here, not when the case runs: the runtime refuses the fields on every turn of the case.
  const problem = valueProblem(value, declarations);
  if (problem) report({ code: problem.code, message: `The state field "${field}" ${problem.problem}.`, hint: problem.hint, path });
}
