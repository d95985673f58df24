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

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'] as const;

/** The days of a month (1–12) of the Gregorian calendar. */
function daysInMonth(year: number, month: number): number {
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] ?? 0;
}

/** Why year, month and day are no day of the calendar; undefined when they are one. */
function calendarProblem(year: number, month: number, day: number): string | undefined {
  if (year < 1) return 'there is no year 0000 (years run from 0001 to 9999)';
  if (month < 1 || month > 12) return `there is no month ${pad(month)} (months run from 01 to 12)`;
  const days = daysInMonth(year, month);
  if (day < 1 || day > days) return `${MONTHS[month - 1]} ${year} has no day ${pad(day)} (it has ${days})`;
  return undefined;
}

const pad = (value: number) => String(value).padStart(2, '0');

/** Why `text` is no date as date() gives it (`2026-12-25`: YYYY-MM-DD, a day of the calendar); undefined when it is one. */
export function dateProblem(text: string): string | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!match) return 'it is not written YYYY-MM-DD';
  return calendarProblem(Number(match[1]), Number(match[2]), Number(match[3]));
}

/** The most characters CEL's timestamp() reads (@marcbachmann/cel-js). */
const MAX_TIMESTAMP_LENGTH = 30;
/** The moments timestamp() accepts, in milliseconds: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z. */
const TIMESTAMP_RANGE = { first: -62_135_596_800_000, last: 253_402_300_799_999 } as const;

/**
 * Why `text` is no moment timestamp() reads: an RFC 3339 timestamp (`2026-12-25T09:00:00Z`,
 * `2026-12-25T09:00:00.5+01:00`, a space for the T allowed) of a real day and time, in the years
 * 0001 to 9999, at most 30 characters. One without Z or an offset is refused too: the platform
 * would read it in the server's own time zone. Undefined when it is one.
 */
export function timestampProblem(text: string): string | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?(?:[Zz]|([+-])(\d{2}):(\d{2}))$/.exec(text);
  if (!match) {
    const local = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?$/.test(text);
    return local ? 'it has no Z or offset such as +01:00, so it would be read in the time zone of the server' : 'it is not written YYYY-MM-DDTHH:MM:SS with Z or an offset such as +01:00';
  }
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const calendar = calendarProblem(year, month, day);
  if (calendar) return calendar;
  if (hour > 23 || minute > 59 || second > 59) return `there is no time ${match[4]}:${match[5]}:${match[6]} (times run from 00:00:00 to 23:59:59)`;
  const [sign, offsetHours, offsetMinutes] = match.slice(8);
  if (sign !== undefined && (Number(offsetHours) > 23 || Number(offsetMinutes) > 59)) return `there is no offset ${sign}${offsetHours}:${offsetMinutes} (offsets run from -23:59 to +23:59)`;
  if (text.length > MAX_TIMESTAMP_LENGTH) return `it is longer than the ${MAX_TIMESTAMP_LENGTH} characters timestamp() reads (write fewer digits after the seconds)`;
  const moment = Date.parse(text);
  if (Number.isNaN(moment)) return 'it is not a moment timestamp() can read';
  if (moment < TIMESTAMP_RANGE.first || moment > TIMESTAMP_RANGE.last) return 'it falls outside the years 0001 to 9999 once its offset is applied';
  return undefined;
}
