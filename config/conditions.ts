/**
 * Conditional edges: `when:` expressions in CEL (the Common Expression Language, through
 * @marcbachmann/cel-js: parsed and type-checked, never `eval`), over the tree's shared-state fields
 * and the clock. Lint checks them (condition-lint.ts); the runtime evaluates them before each model
 * call, so a target whose condition is false is neither offered nor accepted.
 *
 * Where a condition is written:
 * - `handoff.when` on an agent: every model's handoff into it (delegate, sideways, escalate, hand-back);
 * - `when:` on an agent, by target: that agent's handoff to one target (`when: { senior: vip }`).
 * Both must hold when both are written. Fallbacks, limit redirects, helpers and a person's hand-back
 * are not conditional: the runtime or a person takes them, not a model choosing among tools.
 */
import { Environment } from '@marcbachmann/cel-js';
import type { ParseResult } from '@marcbachmann/cel-js';
import type { Agent, Field, Tree } from './schema.js';
import { agentOf, HANDOFF_KINDS } from './edges.js';
import type { Edge } from './edges.js';
import { inBusinessHours, localTime } from './condition-clock.js';

/** The functions a condition may call beside CEL's own (`size`, `contains`, `startsWith` …), with their use. */
export const CLOCK_FUNCTIONS: Readonly<Record<string, string>> = {
  business_hours: 'business_hours("Europe/Paris", "09:00-18:00", "mon-fri"): true inside the hours on those days (days default to mon-fri)',
  weekday: 'weekday("Europe/Paris"): "mon" … "sun"',
  hour: 'hour("Europe/Paris"): 0 … 23',
  time: 'time("Europe/Paris"): "HH:MM", e.g. time("Europe/Paris") >= "08:30"',
  date: 'date("Europe/Paris"): "YYYY-MM-DD", e.g. date("Europe/Paris") == "2026-12-25"',
};

/** CEL functions conditions leave out: `matches` runs a backtracking regular expression on text a model may have written. */
export const EXCLUDED_FUNCTIONS: ReadonlySet<string> = new Set(['matches']);

/** The longest condition, in characters (the schema's limit). */
export const MAX_CONDITION_LENGTH = 1000;

/** The CEL type of a state field: numbers are doubles, enums are strings. */
export function celTypeOf(field: Pick<Field, 'type'>): 'string' | 'double' | 'bool' {
  return field.type === 'number' ? 'double' : field.type === 'boolean' ? 'bool' : 'string';
}

/** Whether a state field can be named in a condition: a CEL identifier (no "-"), not a CEL reserved word. */
export function isConditionName(name: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) && !CEL_RESERVED.has(name);
}

const CEL_RESERVED = new Set(['true', 'false', 'null', 'in', 'as', 'break', 'const', 'continue', 'else', 'for', 'function', 'if', 'import', 'let', 'loop', 'package', 'namespace', 'return', 'var', 'void', 'while']);

/** A tree's conditions environment: its fields as typed variables, the clock functions reading `now`. */
export interface ConditionEnvironment {
  readonly cel: Environment;
  /** The state fields a condition may read, by name. */
  readonly fields: readonly string[];
  /** The moment the clock functions read, set for each evaluation (evaluation is synchronous). */
  now: Date;
}

/**
 * The environment the conditions of a tree with these `state:` fields are checked and run in.
 * `untyped`: fields declared with a type that failed the schema (lint only): a condition may read
 * them, as values of any type, so that only the field itself is reported.
 */
export function createConditionEnvironment(state: Tree['state'], untyped: Iterable<string> = []): ConditionEnvironment {
  const holder: { now: Date } = { now: new Date(0) };
  const cel = new Environment({ limits: { maxAstNodes: 200, maxDepth: 32, maxListElements: 100, maxMapEntries: 100, maxCallArguments: 8 } });
  const fields = [...Object.keys(state ?? {}), ...untyped];
  for (const [name, field] of Object.entries(state ?? {})) {
    if (isConditionName(name)) cel.registerVariable(name, celTypeOf(field));
  }
  for (const name of untyped) {
    if (isConditionName(name)) cel.registerVariable(name, 'dyn');
  }
  const local = (timeZone: string) => localTime(holder.now, timeZone);
  cel
    .registerFunction('business_hours(string, string, string): bool', (timeZone: string, hours: string, days: string) => inBusinessHours(holder.now, timeZone, hours, days))
    .registerFunction('business_hours(string, string): bool', (timeZone: string, hours: string) => inBusinessHours(holder.now, timeZone, hours))
    .registerFunction('weekday(string): string', (timeZone: string) => local(timeZone).weekday)
    .registerFunction('hour(string): int', (timeZone: string) => BigInt(local(timeZone).hour))
    .registerFunction('time(string): string', (timeZone: string) => {
      const { hour, minute } = local(timeZone);
      return `${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')}`;
    })
    .registerFunction('date(string): string', (timeZone: string) => local(timeZone).date);
  // A number field compared with a whole number (`score == 3`) means what an author expects.
  // The library registers the mirrored overload (int == double) and != with it.
  cel.registerOperator('double == int', (left: number, right: bigint) => left === Number(right));
  return {
    cel,
    fields,
    get now() {
      return holder.now;
    },
    set now(value: Date) {
      holder.now = value;
    },
  };
}

/** A condition ready to run. */
export interface CompiledCondition {
  /** The expression as written. */
  readonly text: string;
  /** True when the condition holds at `now` for these field values; throws when it cannot be decided (a field without a value). */
  test(fields: Readonly<Record<string, unknown>>, now: Date): boolean;
}

/** Compiles a condition lint has passed. Throws the library's ParseError or TypeError for one it has not. */
export function compileCondition(environment: ConditionEnvironment, text: string): CompiledCondition {
  const parsed: ParseResult = environment.cel.parse(text);
  const checked = parsed.check();
  if (!checked.valid) throw checked.error ?? new Error(`The condition "${text}" does not type-check.`);
  return {
    text,
    test(fields, now) {
      environment.now = now;
      return parsed({ ...fields }) === true;
    },
  };
}

/** The conditions written for one edge: the target's `handoff.when`, then the source's `when:` entry for it. */
export function conditionsOfEdge(tree: Pick<Tree, 'agents'>, edge: Pick<Edge, 'from' | 'to' | 'kind'>): string[] {
  if (!HANDOFF_KINDS.has(edge.kind)) return [];
  const source = agentOf(tree, edge.from);
  if (!source || source.kind === 'human') return [];
  const target = agentOf(tree, edge.to);
  const written = [target?.handoff?.when, ownCondition(source, edge.to)];
  return written.filter((text): text is string => text !== undefined);
}

/** The `when:` an agent writes for its handoff to `target`. */
function ownCondition(agent: Agent, target: string): string | undefined {
  const conditions = agent.when;
  return conditions !== undefined && Object.hasOwn(conditions, target) ? conditions[target] : undefined;
}

/** Whether any edge of the tree is conditional (the runtime then prepares the environment; otherwise nothing). */
export function hasConditions(tree: Pick<Tree, 'agents'>): boolean {
  return Object.values(tree.agents).some((agent) => agent.handoff?.when !== undefined || (agent.when !== undefined && Object.keys(agent.when).length > 0));
}
