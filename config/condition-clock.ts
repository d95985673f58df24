/**
 * The clock of conditions (`when:`): the local time in a named IANA time zone, business hours and
 * weekdays. Time-zone math is Intl.DateTimeFormat's (the platform's tz database, daylight saving
 * included): no offset or DST table is written here.
 */

/** Weekdays as conditions spell them (`weekday("Europe/Paris") == "sat"`), Monday first. */
export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** A moment as a clock on the wall of one time zone shows it. */
export interface LocalTime {
  weekday: Weekday;
  /** 0–23. */
  hour: number;
  /** 0–59. */
  minute: number;
  /** `YYYY-MM-DD`. */
  date: string;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
/** Past this many zones the cache is emptied (a zone read from the state could be anything). */
const MAX_FORMATTERS = 256;

function formatterOf(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      weekday: 'short',
    });
    if (formatters.size >= MAX_FORMATTERS) formatters.clear();
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** The wall-clock time of `now` in `timeZone`. Throws a RangeError for a zone the platform does not know. */
export function localTime(now: Date, timeZone: string): LocalTime {
  const parts: Record<string, string> = {};
  for (const part of formatterOf(timeZone).formatToParts(now)) parts[part.type] = part.value;
  const weekday = (parts.weekday ?? '').slice(0, 3).toLowerCase() as Weekday;
  return {
    weekday,
    hour: Number(parts.hour) % 24,
    minute: Number(parts.minute),
    date: `${parts.year}-${parts.month}-${parts.day}`,
  };
}

let zoneNames: readonly string[] | undefined;

/** Every IANA time zone name the platform lists (canonical names; aliases such as `UTC` are accepted too). */
export function timeZoneNames(): readonly string[] {
  zoneNames ??= Intl.supportedValuesOf('timeZone');
  return zoneNames;
}

/** Whether the platform knows `timeZone` (an IANA name such as `Europe/Paris`, or an alias it accepts such as `UTC`). */
export function isTimeZone(timeZone: string): boolean {
  if (timeZone.trim() === '' || !/^[A-Za-z]/.test(timeZone)) return false;
  try {
    formatterOf(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** A range of minutes since midnight, `end` excluded (`24:00` is 1440). */
export interface MinuteRange {
  start: number;
  end: number;
}

/** `09:00-18:00` or `09:00-12:00,14:00-18:00` → minute ranges; a problem in words when it is not that. */
export function parseHours(spec: string): MinuteRange[] | { problem: string } {
  const ranges: MinuteRange[] = [];
  for (const part of spec.split(',')) {
    const match = /^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$/.exec(part);
    if (!match) return { problem: `"${part.trim()}" is not a range like 09:00-18:00` };
    const [start, end] = [minutesOf(match[1], match[2]), minutesOf(match[3], match[4])];
    if (start === undefined || start >= 24 * 60) return { problem: `${match[1]}:${match[2]} is not a time of day (00:00 to 23:59)` };
    if (end === undefined) return { problem: `${match[3]}:${match[4]} is not a time of day (00:00 to 24:00)` };
    if (end <= start) return { problem: `the range ${part.trim()} ends before it starts (a range past midnight is two ranges on their own days)` };
    ranges.push({ start, end });
  }
  return ranges;
}

function minutesOf(hours: string | undefined, minutes: string | undefined): number | undefined {
  const [hour, minute] = [Number(hours), Number(minutes)];
  if (minute > 59 || hour > 24 || (hour === 24 && minute !== 0)) return undefined;
  return hour * 60 + minute;
}

/** `mon-fri`, `sat,sun`, `mon-fri,sun` or `daily` → the weekdays; a problem in words when it is not that. */
export function parseDays(spec: string): Set<Weekday> | { problem: string } {
  if (spec.trim().toLowerCase() === 'daily') return new Set(WEEKDAYS);
  const days = new Set<Weekday>();
  for (const part of spec.split(',')) {
    const [first, last, extra] = part.split('-').map((day) => day.trim().toLowerCase());
    const from = WEEKDAYS.indexOf(first as Weekday);
    const to = last === undefined ? from : WEEKDAYS.indexOf(last as Weekday);
    if (extra !== undefined || from === -1 || to === -1) {
      return { problem: `"${part.trim()}" is not a day or a range of days (mon, tue, wed, thu, fri, sat, sun; e.g. mon-fri)` };
    }
    // A range may wrap past Sunday: fri-mon is fri, sat, sun, mon.
    for (let index = from; ; index = (index + 1) % 7) {
      days.add(WEEKDAYS[index] as Weekday);
      if (index === to) break;
    }
  }
  return days;
}

const parsedHours = new Map<string, MinuteRange[] | { problem: string }>();
const parsedDays = new Map<string, Set<Weekday> | { problem: string }>();

function cached<T>(cache: Map<string, T>, key: string, parse: (key: string) => T): T {
  let value = cache.get(key);
  if (value === undefined) {
    value = parse(key);
    if (cache.size >= MAX_FORMATTERS) cache.clear();
    cache.set(key, value);
  }
  return value;
}

/**
 * Whether `now` falls in `hours` on one of `days`, on the wall clock of `timeZone`. Throws a
 * RangeError for a zone, hours or days it cannot read (lint refuses them when they are written out).
 */
export function inBusinessHours(now: Date, timeZone: string, hours: string, days = 'mon-fri'): boolean {
  const ranges = cached(parsedHours, hours, parseHours);
  if (!Array.isArray(ranges)) throw new RangeError(`business_hours: ${ranges.problem}`);
  const weekdays = cached(parsedDays, days, parseDays);
  if (!(weekdays instanceof Set)) throw new RangeError(`business_hours: ${weekdays.problem}`);
  const local = localTime(now, timeZone);
  if (!weekdays.has(local.weekday)) return false;
  const minute = local.hour * 60 + local.minute;
  return ranges.some((range) => minute >= range.start && minute < range.end);
}
