/**
 * When a condition can be true on the clock. A comparison of a clock function with a value written
 * out (`hour("UTC") >= 20`, `time("UTC") < "08:30"`, `weekday("UTC") == "sat"`) and a
 * `business_hours(…)` call with its hours written out are each true at a known set of minutes of the
 * week, in their time zone; `&&`, `||` and `!` combine the sets of one zone. A condition, or a part of
 * one, true at no minute is never true (`hour("UTC") >= 25`, `hour("UTC") >= 20 && hour("UTC") < 8`);
 * one true at every minute is always true. Parts on state fields or on other zones are taken as
 * independent of it, so what this finds always holds: it may miss a case, it never invents one.
 */
import type { ASTNode } from '@marcbachmann/cel-js';
import type { IssueInput } from './source.js';
import { parseDays, parseHours, WEEKDAYS } from './condition-clock.js';

type Report = (issue: IssueInput) => void;
type Path = (string | number)[];

const DAY = 24 * 60;
/** The minutes of a week, Monday 00:00 first: 10080, 315 words of 32 bits. */
const WEEK = 7 * DAY;
const WORDS = WEEK / 32;

/** The minutes of the week at which a part of a condition is true, on the wall clock of one time zone. */
interface Moments {
  zone: string;
  bits: Uint32Array;
}

/** What is known of a part of a condition: always true, never true, true at some moments, or nothing (it reads state, or values not written out). */
type Truth = boolean | Moments | undefined;

/** A clock function a comparison reads: every value it gives, which one at each minute of the week, and how to say them. */
interface ClockFunction {
  values: readonly (number | string)[];
  indexAt(minute: number): number;
  /** Its values in words: `hour() is 0 … 23`. */
  range: string;
  /** Some of its values (by index, ascending) in words: `at hours 20 … 23`. */
  describe(indexes: readonly number[]): string;
  /** How to compare it, with an example in `zone`. */
  advice(zone: string): string;
}

const pad = (value: number) => String(value).padStart(2, '0');
const clockTime = (minute: number) => `${pad(Math.floor(minute / 60))}:${pad(minute % 60)}`;

const CLOCK: Readonly<Record<string, ClockFunction>> = {
  hour: {
    values: Array.from({ length: 24 }, (_, hour) => hour),
    indexAt: (minute) => Math.floor((minute % DAY) / 60),
    range: 'hour() is 0 … 23',
    describe: (indexes) => `at hours ${runs(indexes, String)}`,
    advice: (zone) => `Compare it with an hour from 0 to 23: hour("${zone}") >= 18 is true from 18:00 to midnight.`,
  },
  time: {
    values: Array.from({ length: DAY }, (_, minute) => clockTime(minute)),
    indexAt: (minute) => minute % DAY,
    range: 'time() is "00:00" … "23:59"',
    describe: (indexes) => `at ${runs(indexes, clockTime)}`,
    advice: (zone) => `Compare it with a time from "00:00" to "23:59", two digits each: time("${zone}") >= "08:30".`,
  },
  weekday: {
    values: WEEKDAYS,
    indexAt: (minute) => Math.floor(minute / DAY),
    range: `weekday() is one of ${WEEKDAYS.join(', ')}`,
    describe: (indexes) => `on ${indexes.map((index) => WEEKDAYS[index]).join(', ')}`,
    advice: (zone) => `Compare it with == or in (days are text: < and > compare their letters): weekday("${zone}") in ["sat", "sun"].`,
  },
};

const COMPARISONS = new Set(['==', '!=', '<', '<=', '>', '>=']);
const MIRRORED: Readonly<Record<string, string>> = { '<': '>', '<=': '>=', '>': '<', '>=': '<=' };

/** A comparison of a clock function with values written out, and the values it is true for. */
interface Comparison {
  text: string;
  clock: ClockFunction;
  zone: string;
  holds: number[];
}

/**
 * What a part that is always or never true takes with it: the whole condition, the other side of
 * `||`, a branch of `?:`, or nothing (a side of `&&`, or below `!`).
 */
type Scope = 'condition' | 'or' | 'test' | 'part';

const CONSEQUENCES: Readonly<Record<Scope, { never: string; always: string | undefined }>> = {
  condition: { never: ', so the handoff is never offered', always: ', so the condition never holds the handoff back' },
  or: { never: '', always: ', so the || around it is always true' },
  test: { never: ', so the branch after "?" is never taken', always: ', so the branch after ":" is never taken' },
  part: { never: '', always: undefined },
};

/**
 * Reports a part of the condition `ast` that the clock makes never true, as an error, and one it
 * makes always true, as a warning where that leaves something without effect (the whole condition,
 * the other side of `||`, a branch of `?:`). The smallest such part is blamed: in
 * `vip && hour("UTC") >= 25`, the comparison. A `true` or `false` written out is taken as meant.
 */
export function checkClockRanges(ast: ASTNode, path: Path, report: Report): void {
  const analysis = new ClockAnalysis();
  const visit = (node: ASTNode, scope: Scope) => {
    const truth = analysis.truthOf(node);
    if (typeof truth === 'boolean' && analysis.readsClock(node)) {
      // Each side of an || that is never true is a mistake of its own (hour("UTC") < 0 || hour("UTC") > 23);
      // otherwise the side that decides is (a never true side of &&, an always true side of ||).
      if (node.op === '||' && !truth) return node.args.filter((side) => analysis.readsClock(side)).forEach((side) => visit(side, scope));
      if (node.op === (truth ? '||' : '&&')) {
        const sides = node.args.filter((side) => analysis.truthOf(side) === truth);
        if (sides.some((side) => !analysis.readsClock(side))) return;
        if (sides.length > 0) return sides.forEach((side) => visit(side, scope));
      }
      const consequence = truth ? CONSEQUENCES[scope].always : CONSEQUENCES[scope].never;
      if (consequence !== undefined) report(constantIssue(analysis, node, node === ast, truth, consequence, path));
      return;
    }
    if (node.op === '||') node.args.forEach((side) => visit(side, 'or'));
    else if (node.op === '?:') node.args.forEach((part, index) => visit(part, index === 0 ? 'test' : 'part'));
    else if (node.op === '&&') node.args.forEach((side) => visit(side, 'part'));
    else if (node.op === '!_') visit(node.args, 'part');
  };
  visit(ast, 'condition');
}

function constantIssue(analysis: ClockAnalysis, node: ASTNode, whole: boolean, truth: boolean, consequence: string, path: Path): IssueInput {
  const comparison = analysis.comparisons.get(node);
  const never = truth ? 'always' : 'never';
  const kind = truth ? { code: 'CONDITION_ALWAYS_TRUE' as const, severity: 'warning' as const } : { code: 'CONDITION_NEVER_TRUE' as const };
  if (comparison) {
    return {
      ...kind,
      message: `${comparison.text} is ${never} true: ${comparison.clock.range}${consequence}.`,
      hint: truth ? `Fix the value (${comparison.clock.range}), or remove the comparison.` : comparison.clock.advice(comparison.zone),
      path,
      within: node.range.start,
    };
  }
  const parts = analysis.comparisonsIn(node).slice(0, 3);
  const details = parts.length > 0 ? ` (${parts.map(holdsText).join('; ')})` : '';
  const moment = truth ? 'every moment of the week makes it true' : 'no moment of the week makes it true';
  const ranges = [...new Set(parts.map((part) => part.clock.range))];
  return {
    ...kind,
    message: `${whole ? 'The condition' : 'A part of the condition'} is ${never} true: ${moment}${details}${consequence}.`,
    hint:
      !truth && node.op === '&&'
        ? 'Each side can be true, but not at the same time: for hours past midnight (or days past Sunday), join them with || instead of &&.'
        : `Check the values the clock is compared with${ranges.length > 0 ? ` (${ranges.join('; ')})` : ''}.`,
    path,
    within: node.range.start,
  };
}

/** `hour("UTC") >= 20 is true at hours 20 … 23`. */
function holdsText(comparison: Comparison): string {
  if (comparison.holds.length === 0) return `${comparison.text} is never true`;
  if (comparison.holds.length === comparison.clock.values.length) return `${comparison.text} is always true`;
  return `${comparison.text} is true ${comparison.clock.describe(comparison.holds)}`;
}

/** The truth of each part of one condition, worked out once. */
class ClockAnalysis {
  readonly comparisons = new Map<ASTNode, Comparison>();
  private readonly truths = new Map<ASTNode, Truth>();
  /** The parts whose truth the clock decides, in whole or in part. */
  private readonly onClock = new Set<ASTNode>();

  readsClock(node: ASTNode): boolean {
    return this.onClock.has(node);
  }

  /** The comparisons in `node` the clock decides, first to last, each text once. */
  comparisonsIn(node: ASTNode): Comparison[] {
    const found = new Map<string, Comparison>();
    const walk = (part: ASTNode) => {
      const comparison = this.comparisons.get(part);
      if (comparison) found.set(comparison.text, comparison);
      else if (part.op === '&&' || part.op === '||') part.args.forEach(walk);
      else if (part.op === '!_') walk(part.args);
    };
    walk(node);
    return [...found.values()];
  }

  truthOf(node: ASTNode): Truth {
    if (this.truths.has(node)) return this.truths.get(node);
    const truth = this.work(node);
    this.truths.set(node, truth);
    return truth;
  }

  private work(node: ASTNode): Truth {
    switch (node.op) {
      case 'value':
        return typeof node.args === 'boolean' ? node.args : undefined;
      case '&&':
      case '||': {
        const [left, right] = node.args.map((part) => this.truthOf(part)) as [Truth, Truth];
        if (node.args.some((part) => this.onClock.has(part))) this.onClock.add(node);
        return combine(left, right, node.op === '&&');
      }
      case '!_': {
        const truth = negate(this.truthOf(node.args));
        if (this.onClock.has(node.args)) this.onClock.add(node);
        return truth;
      }
      case 'call':
        return this.businessHours(node);
      case 'in':
        return this.comparison(node, node.args[0], '==', listValues(node.args[1]));
      default:
        if (!COMPARISONS.has(node.op)) return undefined;
        return this.ordering(node);
    }
  }

  /** `clock op value`, or `value op clock`. */
  private ordering(node: ASTNode): Truth {
    const [left, right] = node.args as [ASTNode, ASTNode];
    const rightValue = literal(right);
    if (rightValue !== undefined) return this.comparison(node, left, node.op, [rightValue]);
    const leftValue = literal(left);
    if (leftValue !== undefined) return this.comparison(node, right, MIRRORED[node.op] ?? node.op, [leftValue]);
    return undefined;
  }

  /** A clock function compared by `op` with `written` (with ==, any of them: `in`). */
  private comparison(node: ASTNode, call: ASTNode, op: string, written: (number | string)[] | undefined): Truth {
    const read = clockCall(call);
    const clock = read && CLOCK[read.name];
    if (!read || !clock || written === undefined) return undefined;
    // A day that is not one is reported already (INVALID_VALUE): the comparison is not judged again.
    if (read.name === 'weekday' && (op === '==' || op === '!=') && written.some((value) => !(WEEKDAYS as readonly unknown[]).includes(value))) return undefined;
    const holds: number[] = [];
    for (const [index, value] of clock.values.entries()) {
      const results = written.map((other) => compare(value, op, other));
      if (results.includes(undefined)) return undefined;
      if (results.includes(true)) holds.push(index);
    }
    this.comparisons.set(node, { text: node.input.slice(node.range.start, node.range.end), clock, zone: read.zone, holds });
    this.onClock.add(node);
    const matching = new Uint8Array(clock.values.length);
    for (const index of holds) matching[index] = 1;
    return moments(read.zone, (minute) => matching[clock.indexAt(minute)] === 1);
  }

  /** `business_hours(zone, hours, days)` with all three written out (days default to mon-fri). */
  private businessHours(node: Extract<ASTNode, { op: 'call' }>): Truth {
    const [name, args] = node.args;
    if (name !== 'business_hours') return undefined;
    const [zone, hours, days] = args.map(stringLiteral);
    if (zone === undefined || hours === undefined || (args.length > 2 && days === undefined)) return undefined;
    const ranges = parseHours(hours);
    const weekdays = parseDays(days ?? 'mon-fri');
    if (!Array.isArray(ranges) || !(weekdays instanceof Set)) return undefined;
    this.onClock.add(node);
    return moments(zone, (minute) => {
      const ofDay = minute % DAY;
      return weekdays.has(WEEKDAYS[Math.floor(minute / DAY)] as (typeof WEEKDAYS)[number]) && ranges.some((range) => ofDay >= range.start && ofDay < range.end);
    });
  }
}

/** The moments of the week in `zone` at which `test` is true; true or false when it is every one or none. */
function moments(zone: string, test: (minute: number) => boolean): Truth {
  const bits = new Uint32Array(WORDS);
  for (let minute = 0; minute < WEEK; minute += 1) if (test(minute)) bits[minute >>> 5] = ((bits[minute >>> 5] as number) | (1 << (minute & 31))) >>> 0;
  return settle({ zone, bits });
}

function settle(truth: Moments): Truth {
  if (truth.bits.every((word) => word === 0)) return false;
  if (truth.bits.every((word) => word === 0xffffffff)) return true;
  return truth;
}

function combine(left: Truth, right: Truth, both: boolean): Truth {
  // false && anything is false, true || anything is true (CEL: even when the other side cannot be decided).
  if (left === !both || right === !both) return !both;
  if (left === both) return right;
  if (right === both) return left;
  if (left === undefined || right === undefined || typeof left === 'boolean' || typeof right === 'boolean' || left.zone !== right.zone) return undefined;
  const bits = new Uint32Array(WORDS);
  for (let index = 0; index < WORDS; index += 1) {
    const [a, b] = [left.bits[index] as number, right.bits[index] as number];
    bits[index] = (both ? a & b : a | b) >>> 0;
  }
  return settle({ zone: left.zone, bits });
}

function negate(truth: Truth): Truth {
  if (truth === undefined || typeof truth === 'boolean') return truth === undefined ? undefined : !truth;
  return settle({ zone: truth.zone, bits: truth.bits.map((word) => ~word >>> 0) });
}

/** `hour("Europe/Paris")`: a clock function read in a zone written out. */
function clockCall(node: ASTNode): { name: string; zone: string } | undefined {
  if (node.op !== 'call') return undefined;
  const [name, args] = node.args;
  const zone = args.length === 1 ? stringLiteral(args[0]) : undefined;
  return Object.hasOwn(CLOCK, name) && zone !== undefined ? { name, zone } : undefined;
}

function stringLiteral(node: ASTNode | undefined): string | undefined {
  return node?.op === 'value' && typeof node.args === 'string' ? node.args : undefined;
}

/** A number or a text written out (`-1` included). */
function literal(node: ASTNode): number | string | undefined {
  if (node.op === '-_') {
    const value = literal(node.args);
    return typeof value === 'number' ? -value : undefined;
  }
  if (node.op !== 'value') return undefined;
  const value = node.args;
  if (typeof value === 'bigint') return Number(value);
  return typeof value === 'number' || typeof value === 'string' ? value : undefined;
}

function listValues(node: ASTNode | undefined): (number | string)[] | undefined {
  if (node?.op !== 'list') return undefined;
  const values = node.args.map(literal);
  return values.every((value) => value !== undefined) ? values : undefined;
}

/** `value op other` as CEL would say it; undefined across types. */
function compare(value: number | string, op: string, other: number | string): boolean | undefined {
  if (typeof value !== typeof other) return undefined;
  switch (op) {
    case '==':
      return value === other;
    case '!=':
      return value !== other;
    case '<':
      return value < other;
    case '<=':
      return value <= other;
    case '>':
      return value > other;
    case '>=':
      return value >= other;
    default:
      return undefined;
  }
}

/** `0 … 7, 20 … 23`: ascending indexes as runs, each end said by `say`. */
function runs(indexes: readonly number[], say: (index: number) => string): string {
  const parts: string[] = [];
  for (let start = 0; start < indexes.length; ) {
    let end = start;
    while (end + 1 < indexes.length && (indexes[end + 1] as number) === (indexes[end] as number) + 1) end += 1;
    const [first, last] = [indexes[start] as number, indexes[end] as number];
    parts.push(first === last ? say(first) : `${say(first)} … ${say(last)}`);
    start = end + 1;
  }
  return parts.join(', ');
}
