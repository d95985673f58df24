/**
 * Lint of conditions (`when:`): each expression parses, names only the tree's fields and known
 * functions, has the types its operators need and is true or false; clock arguments written out
 * are real time zones, hours and days; enum fields are compared with their own values; the clock
 * does not make it never (or always) true (condition-range.ts); and an agent's `when:` names only
 * targets it can hand off to. Each problem points inside the expression, at the token the library blames.
 */
import type { ASTNode } from '@marcbachmann/cel-js';
import type { Tree } from './schema.js';
import type { IssueInput } from './source.js';
import { agentOf, handoffTargets, parentsOf } from './edges.js';
import { GraphGaps } from './graph-gaps.js';
import { closestName, didYouMean, listNames } from './suggest.js';
import { CLOCK_FUNCTIONS, createConditionEnvironment, EXCLUDED_FUNCTIONS, isConditionName } from './conditions.js';
import type { ConditionEnvironment } from './conditions.js';
import { dateProblem, isTimeZone, parseDays, parseHours, timestampProblem, timeZoneNames, WEEKDAYS } from './condition-clock.js';
import { checkClockRanges } from './condition-range.js';

type Report = (issue: IssueInput) => void;
type Path = (string | number)[];

/**
 * Checks every condition of `tree`; `knownAgents` holds every agent name in the file (to tell a typo
 * from a broken agent), `gaps` the edges parts that failed the schema may hide (a condition on one is
 * not blamed), `untypedFields` the state fields whose type failed the schema (a condition may read them).
 */
export function lintConditions(tree: Tree, knownAgents: ReadonlySet<string>, report: Report, gaps = new GraphGaps(), untypedFields: ReadonlySet<string> = new Set()): void {
  let environment: ConditionEnvironment | undefined;
  const check = (text: string, path: Path) => {
    environment ??= createConditionEnvironment(tree.state, untypedFields);
    checkCondition(tree, environment, text, path, report);
  };
  let targets: Map<string, Set<string>> | undefined;
  let parents: Map<string, string> | undefined;
  for (const [name, agent] of Object.entries(tree.agents)) {
    if (agent.handoff?.when !== undefined) {
      const path = ['agents', name, 'handoff', 'when'];
      if (agent.kind === 'helper') {
        report({ code: 'CONDITION_NOT_AN_EDGE', message: `"${name}" is a helper (called as a tool, control does not move); handoff.when has no meaning for it.`, hint: 'Remove handoff.when, or make it kind: agent.', path, at: 'key' });
      } else {
        check(agent.handoff.when, path);
      }
    }
    for (const [target, text] of Object.entries(agent.when ?? {})) {
      const path = ['agents', name, 'when', target];
      targets ??= handoffTargets(tree);
      const allowed = [...(targets.get(name) ?? [])];
      if (agent.kind === 'human') {
        report({ code: 'CONDITION_NOT_AN_EDGE', message: `"${name}" is a person (kind: human): a person is not offered tools, so when: has no meaning.`, hint: 'Remove when:, or write the condition on the target (handoff.when) for the models that hand off to it.', path: ['agents', name, 'when'], at: 'key' });
        break;
      }
      if (!knownAgents.has(target)) {
        report({ code: 'UNKNOWN_AGENT', message: `when: names "${target}", which is not an agent.`, hint: `${didYouMean(target, [...knownAgents])}"${name}" hands off to: ${listNames(allowed)}.`, path, at: 'key' });
        continue;
      }
      if (!allowed.includes(target) && agentOf(tree, target) !== undefined) {
        if (gaps.mayHandOff(name, target, (parents ??= parentsOf(tree)).get(name))) continue;
        report({
          code: 'CONDITION_NOT_AN_EDGE',
          message: `when: names "${target}", which "${name}" cannot hand off to.`,
          hint: `${didYouMean(target, allowed)}A condition goes on a handoff of "${name}": ${listNames(allowed)}. List "${target}" under children:, sideways: or escalate: first (fallbacks and helpers are not conditional).`,
          path,
          at: 'key',
        });
        continue;
      }
      check(text, path);
    }
  }
}

interface LibraryError {
  code?: string;
  summary?: string;
  message: string;
  range?: { start: number; end: number };
}

/** Checks one expression; reports at `path`, pointing inside the text. */
export function checkCondition(tree: Pick<Tree, 'state'>, environment: ConditionEnvironment, text: string, path: Path, report: Report): void {
  const fields = environment.fields;
  const at = (within: number | undefined) => (within === undefined ? {} : { within });
  let parsed: ReturnType<ConditionEnvironment['cel']['parse']>;
  try {
    parsed = environment.cel.parse(text);
  } catch (error) {
    const problem = error as LibraryError;
    report({
      code: 'CONDITION_SYNTAX',
      message: `The condition is not a valid expression: ${problem.summary ?? problem.message}.`,
      hint: 'Write a CEL expression such as vip && business_hours("Europe/Paris", "09:00-18:00", "mon-fri"): text in double quotes, && || ! for and, or, not.',
      path,
      ...at(problem.range?.start),
    });
    return;
  }
  // Problems the type checker cannot name well come first; a call already reported is not checked again.
  const reported = checkCalls(parsed.ast, path, report);
  if (reported) return;
  const checked = parsed.check();
  if (!checked.valid) {
    const problem = (checked.error ?? { message: 'type error' }) as LibraryError;
    report(typeIssue(problem, text, fields, path));
    return;
  }
  // `dyn`: it reads a field whose type failed the schema (reported there); its type is not known here.
  if (checked.type !== 'bool' && !(checked.type === 'dyn' && fields.some((field) => !Object.hasOwn(tree.state ?? {}, field) && text.includes(field)))) {
    report({ code: 'CONDITION_TYPE', message: `The condition gives ${article(checked.type ?? 'value')}, not true or false.`, hint: 'Compare it with something, e.g. intent == "billing" or hour("Europe/Paris") >= 9.', path, ...at(0) });
    return;
  }
  checkValues(tree, parsed.ast, path, report);
  checkClockRanges(parsed.ast, path, report);
}

function typeIssue(problem: LibraryError, text: string, fields: readonly string[], path: Path): IssueInput {
  const within = problem.range?.start;
  const position = within === undefined ? {} : { within };
  if (problem.code === 'unknown_variable') {
    const name = /Unknown variable: (\S+)/.exec(problem.summary ?? problem.message)?.[1] ?? text.slice(problem.range?.start ?? 0, problem.range?.end ?? 0);
    const usable = fields.filter(isConditionName);
    const unusable = fields.filter((field) => !isConditionName(field) && field.startsWith(name));
    const why = unusable.length ? ` A field named ${listNames(unusable)} cannot be named in a condition: rename it with "_" instead of "-".` : '';
    return {
      code: 'CONDITION_UNKNOWN_FIELD',
      message: `The condition reads "${name}", which is not a state field.`,
      hint: `${didYouMean(name, usable)}Declare it under state:${usable.length ? ` (fields: ${listNames(usable)})` : ''}, or write text in double quotes.${why}`,
      path,
      ...position,
    };
  }
  return {
    code: 'CONDITION_TYPE',
    message: `The condition mixes types: ${problem.summary ?? problem.message}.`,
    hint: 'Compare like with like: a number field with a number (3 or 3.5), text and enum fields with "quoted text", a boolean field on its own or with true/false.',
    path,
    ...position,
  };
}

/**
 * `has(vip)`: CEL's has() tests a key of a map (`has(m.key)`), never a variable. A condition needs no
 * test: one that reads a field with no value is false.
 */
function hasOnAField(argument: ASTNode, path: Path): IssueInput {
  const field = argument.op === 'id' ? String(argument.args) : undefined;
  return {
    code: 'CONDITION_TYPE',
    message: `has() takes a key of a map, such as has(m.key); ${field === undefined ? 'its argument is not one' : `"${field}" is a state field, not a map key`}.`,
    hint: `Drop has(): a condition that reads a field with no value is false, so write the field itself (a boolean) or a comparison on it${field === undefined ? '' : `, such as ${field} or ${field} > 3`}.`,
    path,
    within: argument.range.start,
  };
}

/** Every node under `node` (itself included), depth first: the operand of `!` and `-` too. */
function* nodesOf(node: ASTNode): Generator<ASTNode> {
  yield node;
  const args: unknown = node.args;
  for (const arg of (Array.isArray(args) ? args.flat(2) : [args]) as unknown[]) {
    if (arg !== null && typeof arg === 'object' && 'op' in arg) yield* nodesOf(arg as ASTNode);
  }
}

/** A string literal's text, if `node` is one. */
function stringLiteral(node: ASTNode | undefined): string | undefined {
  return node?.op === 'value' && typeof node.args === 'string' ? node.args : undefined;
}

/** Unknown or excluded functions, and clock arguments written out: returns whether it reported anything. */
function checkCalls(ast: ASTNode, path: Path, report: Report): boolean {
  let reported = false;
  const functions = Object.keys(CLOCK_FUNCTIONS);
  for (const node of nodesOf(ast)) {
    if (node.op === 'rcall') {
      const [name] = node.args;
      if (EXCLUDED_FUNCTIONS.has(name)) {
        reported = true;
        report({ code: 'CONDITION_UNKNOWN_FUNCTION', message: `${name}() is not available in conditions: a regular expression can take exponential time on text a model wrote.`, hint: 'Use contains("…"), startsWith("…"), endsWith("…") or a list: intent in ["billing", "refund"].', path, within: node.range.start });
      }
      continue;
    }
    if (node.op !== 'call') continue;
    const [name, args] = node.args;
    if (EXCLUDED_FUNCTIONS.has(name) || (!Object.hasOwn(CLOCK_FUNCTIONS, name) && !CEL_FUNCTIONS.has(name))) {
      reported = true;
      report({
        code: 'CONDITION_UNKNOWN_FUNCTION',
        message: `The condition calls ${name}(), which conditions do not have.`,
        hint: `${didYouMean(name, functions)}Conditions have the clock functions business_hours(zone, hours, days), weekday(zone), hour(zone), time(zone), date(zone), and CEL's size(), contains(), startsWith(), endsWith().`,
        path,
        within: node.range.start,
      });
      continue;
    }
    if (name === 'has' && args[0] !== undefined && args[0].op !== '.') {
      reported = true;
      report(hasOnAField(args[0], path));
      continue;
    }
    if (name === 'timestamp' && args[0] !== undefined) {
      const problem = checkTimestamp(args[0], path);
      if (problem) {
        reported = true;
        report(problem);
      }
      continue;
    }
    if (!Object.hasOwn(CLOCK_FUNCTIONS, name)) continue;
    const zone = args[0];
    const zoneName = stringLiteral(zone);
    if (zone && zoneName !== undefined && !isTimeZone(zoneName)) {
      reported = true;
      report({ code: 'CONDITION_TIME_ZONE', message: `"${zoneName}" is not a time zone.`, hint: `${suggestZone(zoneName)}Name an IANA time zone, such as Europe/Paris, America/New_York or UTC.`, path, within: zone.range.start + 1 });
    }
    if (name !== 'business_hours') continue;
    const hours = args[1];
    const hoursText = stringLiteral(hours);
    const parsedHours = hoursText === undefined ? undefined : parseHours(hoursText);
    if (hours && parsedHours && !Array.isArray(parsedHours)) {
      reported = true;
      report({ code: 'CONDITION_HOURS', message: `business_hours: ${parsedHours.problem}.`, hint: 'Write opening hours as HH:MM-HH:MM on a 24-hour clock, several separated by commas: "09:00-12:00,14:00-18:00" (24:00 ends a day).', path, within: hours.range.start + 1 });
    }
    const days = args[2];
    const daysText = stringLiteral(days);
    const parsedDays = daysText === undefined ? undefined : parseDays(daysText);
    if (days && parsedDays && !(parsedDays instanceof Set)) {
      reported = true;
      report({ code: 'CONDITION_DAYS', message: `business_hours: ${parsedDays.problem}.`, hint: `Write days as ${WEEKDAYS.join(', ')}, ranges (mon-fri) or a list (mon-fri,sat), or daily.`, path, within: days.range.start + 1 });
    }
  }
  return reported;
}

/** `timestamp("2026-13-45T00:00:00Z")`: a text written out that timestamp() refuses when the condition runs, or reads as another moment (02-30 as 2 March). */
function checkTimestamp(argument: ASTNode, path: Path): IssueInput | undefined {
  const text = stringLiteral(argument);
  const problem = text === undefined ? undefined : timestampProblem(text);
  if (problem === undefined) return undefined;
  return {
    code: 'INVALID_VALUE',
    message: `timestamp("${text}") is no moment: ${problem}.`,
    hint: 'Write a moment as "YYYY-MM-DDTHH:MM:SSZ" in UTC, or with an offset: timestamp("2026-12-25T09:00:00Z"), timestamp("2026-12-25T09:00:00+01:00").',
    path,
    within: argument.range.start + 1,
  };
}

/** `Did you mean "Europe/Paris"? ` for a misspelt zone or a bare city. */
function suggestZone(name: string): string {
  const zones = timeZoneNames();
  const city = name.includes('/') ? undefined : zones.find((zone) => zone.toLowerCase().endsWith(`/${name.toLowerCase().replaceAll(' ', '_')}`));
  if (city !== undefined) return `Did you mean "${city}"? `;
  const region = name.split('/')[0]?.toLowerCase() ?? '';
  const sameRegion = zones.filter((zone) => zone.toLowerCase().startsWith(`${region}/`));
  const match = closestName(name, sameRegion.length ? sameRegion : zones);
  return match === undefined ? '' : `Did you mean "${match}"? `;
}

/** Enum fields and weekday() compared with text they can never hold. */
function checkValues(tree: Pick<Tree, 'state'>, ast: ASTNode, path: Path, report: Report): void {
  const allowedOf = (node: ASTNode | undefined): { what: string; values: readonly string[] } | undefined => {
    if (node?.op === 'id') {
      const field = Object.hasOwn(tree.state ?? {}, node.args) ? tree.state?.[node.args] : undefined;
      return field?.type === 'enum' ? { what: `the enum field "${node.args}"`, values: field.values } : undefined;
    }
    if (node?.op === 'call' && node.args[0] === 'weekday') return { what: 'weekday()', values: WEEKDAYS };
    return undefined;
  };
  const checkLiteral = (allowed: { what: string; values: readonly string[] }, literal: ASTNode | undefined) => {
    const value = stringLiteral(literal);
    if (literal === undefined || value === undefined || allowed.values.includes(value)) return;
    report({
      code: 'INVALID_VALUE',
      message: `"${value}" is not a value of ${allowed.what}, so this comparison never matches.`,
      hint: `${didYouMean(value, allowed.values)}Values: ${listNames(allowed.values)}.`,
      path,
      within: literal.range.start + 1,
    });
  };
  const checkDate = (call: ASTNode | undefined, literal: ASTNode | undefined) => {
    const value = stringLiteral(literal);
    if (call?.op !== 'call' || call.args[0] !== 'date' || literal === undefined || value === undefined) return;
    const problem = dateProblem(value);
    if (problem === undefined) return;
    report({
      code: 'INVALID_VALUE',
      message: `date() is compared with "${value}", which is no date: ${problem}.`,
      hint: 'Write a date as "YYYY-MM-DD", a real day of the calendar with two digits for the month and the day: date("Europe/Paris") == "2026-12-25".',
      path,
      within: literal.range.start + 1,
    });
  };
  for (const node of nodesOf(ast)) {
    if (DATE_COMPARISONS.has(node.op)) {
      const [left, right] = node.args as [ASTNode, ASTNode];
      checkDate(left, right);
      checkDate(right, left);
    } else if (node.op === 'in' && node.args[1].op === 'list') {
      for (const entry of node.args[1].args) checkDate(node.args[0], entry);
    }
    if (node.op === '==' || node.op === '!=') {
      const [left, right] = node.args;
      const leftAllowed = allowedOf(left);
      const rightAllowed = allowedOf(right);
      if (leftAllowed) checkLiteral(leftAllowed, right);
      if (rightAllowed) checkLiteral(rightAllowed, left);
    } else if (node.op === 'in') {
      const [item, list] = node.args;
      const allowed = allowedOf(item);
      if (allowed && list.op === 'list') for (const entry of list.args) checkLiteral(allowed, entry);
    }
  }
}

/** The comparisons whose literal side must be a date when the other reads date(). */
const DATE_COMPARISONS: ReadonlySet<string> = new Set(['==', '!=', '<', '<=', '>', '>=']);

/** CEL's own functions a condition may call (macros such as has() and all() included). */
const CEL_FUNCTIONS: ReadonlySet<string> = new Set(['dyn', 'type', 'bool', 'size', 'bytes', 'double', 'int', 'uint', 'string', 'has', 'timestamp', 'duration']);

/** `an int`, `a string`. */
function article(type: string): string {
  return `${/^[aeiou]/i.test(type) ? 'an' : 'a'} ${type}`;
}
