/**
 * Lint of conditions (`when:`): each kind of problem is reported at the token inside the expression,
 * with a hint, whether the expression is written plain, quoted or as a block; the clock helpers read
 * hours and days as documented.
 */
import { describe, expect, it } from 'vitest';
import { lintTreeText } from '../../config/load.js';
import { inBusinessHours, localTime, parseDays, parseHours } from '../../config/condition-clock.js';
import { lintFixture, showIssues } from './lint-fixtures.js';

/** A small tree whose triage writes `when:` for billing as `condition` (YAML text after the key). */
function treeWith(condition: string): string {
  return `version: 1
name: desk
root: triage
state:
  vip: { type: boolean, default: false }
  score: { type: number, default: 0 }
  intent: { type: enum, values: [billing, other], default: other }
  caller-zone: { type: string }
agents:
  triage:
    description: Front desk.
    prompt: Route.
    children: [billing]
    escalate: [person]
    when:
      billing: ${condition}
  billing:
    description: Billing.
    prompt: Bill.
    escalate: [person]
  person:
    kind: human
    description: A person.
`;
}

function lint(condition: string): string {
  const text = treeWith(condition);
  return showIssues(text, lintTreeText(text, 'desk.yaml'));
}

describe('lint of when:', () => {
  it('points CONDITION_SYNTAX at the token the parser stopped at', () => {
    expect(lintFixture('condition-syntax')).toMatchInlineSnapshot(`
      "test/fixtures/invalid/condition-syntax.yaml:16:36 error CONDITION_SYNTAX The condition is not a valid expression: Unexpected token: RPAREN. Write a CEL expression such as vip && business_hours("Europe/Paris", "09:00-18:00", "mon-fri"): text in double quotes, && || ! for and, or, not.
              billing: vip && (score > 3 ||)
                                           ^"
    `);
  });

  it('points CONDITION_UNKNOWN_FIELD at the name, with the field it resembles', () => {
    expect(lintFixture('condition-unknown-field')).toMatchInlineSnapshot(`
      "test/fixtures/invalid/condition-unknown-field.yaml:16:16 error CONDITION_UNKNOWN_FIELD The condition reads "vipp", which is not a state field. Did you mean "vip"? Declare it under state: (fields: vip, score, intent), or write text in double quotes.
              billing: vipp && score > 3
                       ^"
    `);
  });

  it('points CONDITION_UNKNOWN_FUNCTION at the call, with the clock function it resembles', () => {
    expect(lintFixture('condition-unknown-function')).toMatchInlineSnapshot(`
      "test/fixtures/invalid/condition-unknown-function.yaml:16:16 error CONDITION_UNKNOWN_FUNCTION The condition calls buisness_hours(), which conditions do not have. Did you mean "business_hours"? Conditions have the clock functions business_hours(zone, hours, days), weekday(zone), hour(zone), time(zone), date(zone), and CEL's size(), contains(), startsWith(), endsWith().
              billing: buisness_hours("Europe/Paris", "09:00-18:00")
                       ^"
    `);
  });

  it('reports CONDITION_TYPE for a boolean compared with text, and for a condition that is not true or false', () => {
    expect(lintFixture('condition-type')).toMatchInlineSnapshot(`
      "test/fixtures/invalid/condition-type.yaml:16:16 error CONDITION_TYPE The condition mixes types: no such overload: bool == string. Compare like with like: a number field with a number (3 or 3.5), text and enum fields with "quoted text", a boolean field on its own or with true/false.
              billing: vip == "yes"
                       ^"
    `);
    expect(lint('hour("UTC") + 1')).toMatchInlineSnapshot(`
      "desk.yaml:16:16 error CONDITION_TYPE The condition gives an int, not true or false. Compare it with something, e.g. intent == "billing" or hour("Europe/Paris") >= 9.
              billing: hour("UTC") + 1
                       ^"
    `);
  });

  it('points CONDITION_TIME_ZONE inside the quotes, suggesting the zone of a misspelt name or a bare city', () => {
    expect(lintFixture('condition-time-zone')).toMatchInlineSnapshot(`
      "test/fixtures/invalid/condition-time-zone.yaml:16:31 error CONDITION_TIME_ZONE "Europe/Pariss" is not a time zone. Did you mean "Europe/Paris"? Name an IANA time zone, such as Europe/Paris, America/New_York or UTC.
              person: business_hours("Europe/Pariss", "09:00-18:00", "mon-fri")
                                      ^"
    `);
    expect(lint('hour("New York") >= 9')).toMatchInlineSnapshot(`
      "desk.yaml:16:22 error CONDITION_TIME_ZONE "New York" is not a time zone. Did you mean "America/New_York"? Name an IANA time zone, such as Europe/Paris, America/New_York or UTC.
              billing: hour("New York") >= 9
                             ^"
    `);
  });

  it('reports CONDITION_HOURS and CONDITION_DAYS at the argument', () => {
    expect(lintFixture('condition-hours')).toMatchInlineSnapshot(`
      "test/fixtures/invalid/condition-hours.yaml:16:47 error CONDITION_HOURS business_hours: the range 18:00-09:00 ends before it starts (a range past midnight is two ranges on their own days). Write opening hours as HH:MM-HH:MM on a 24-hour clock, several separated by commas: "09:00-12:00,14:00-18:00" (24:00 ends a day).
              person: business_hours("Europe/Paris", "18:00-09:00", "mon-fri")
                                                      ^"
    `);
    expect(lintFixture('condition-days')).toMatchInlineSnapshot(`
      "test/fixtures/invalid/condition-days.yaml:16:62 error CONDITION_DAYS business_hours: "monday-friday" is not a day or a range of days (mon, tue, wed, thu, fri, sat, sun; e.g. mon-fri). Write days as mon, tue, wed, thu, fri, sat, sun, ranges (mon-fri) or a list (mon-fri,sat), or daily.
              person: business_hours("Europe/Paris", "09:00-18:00", "monday-friday")
                                                                     ^"
    `);
  });

  it('reports CONDITION_NOT_AN_EDGE for a target the agent cannot hand off to', () => {
    expect(lintFixture('condition-not-an-edge')).toMatchInlineSnapshot(`
      "test/fixtures/invalid/condition-not-an-edge.yaml:21:7 error CONDITION_NOT_AN_EDGE when: names "triage", which "billing" cannot hand off to. A condition goes on a handoff of "billing": person. List "triage" under children:, sideways: or escalate: first (fallbacks and helpers are not conditional).
              triage: vip
              ^"
    `);
  });

  it('reports an enum compared with a value it does not have (INVALID_VALUE), and weekday() with a day it never returns', () => {
    expect(lint(`'intent in ["biling", "other"] || weekday("UTC") == "monday"'`)).toMatchInlineSnapshot(`
      "desk.yaml:16:29 error INVALID_VALUE "biling" is not a value of the enum field "intent", so this comparison never matches. Did you mean "billing"? Values: billing, other.
              billing: 'intent in ["biling", "other"] || weekday("UTC") == "monday"'
                                    ^
      desk.yaml:16:69 error INVALID_VALUE "monday" is not a value of weekday(), so this comparison never matches. Values: mon, tue, wed, thu, fri, sat, sun.
              billing: 'intent in ["biling", "other"] || weekday("UTC") == "monday"'
                                                                            ^"
    `);
  });

  it('refuses matches(): a backtracking regular expression on text a model wrote', () => {
    expect(lint(`'intent.matches("(a+)+$")'`)).toMatchInlineSnapshot(`
      "desk.yaml:16:17 error CONDITION_UNKNOWN_FUNCTION matches() is not available in conditions: a regular expression can take exponential time on text a model wrote. Use contains("…"), startsWith("…"), endsWith("…") or a list: intent in ["billing", "refund"].
              billing: 'intent.matches("(a+)+$")'
                        ^"
    `);
  });

  it('says why a field whose name has "-" cannot be read', () => {
    expect(lint('caller-zone == "UTC"')).toMatchInlineSnapshot(`
      "desk.yaml:16:16 error CONDITION_UNKNOWN_FIELD The condition reads "caller", which is not a state field. Declare it under state: (fields: vip, score, intent), or write text in double quotes. A field named caller-zone cannot be named in a condition: rename it with "_" instead of "-".
              billing: caller-zone == "UTC"
                       ^"
    `);
  });

  it('points inside double-quoted, single-quoted and block conditions alike', () => {
    expect(lint(`"vip && \\"x\\" == \\"x\\" && scor > 1"`)).toMatchInlineSnapshot(`
      "desk.yaml:16:42 error CONDITION_UNKNOWN_FIELD The condition reads "scor", which is not a state field. Did you mean "score"? Declare it under state: (fields: vip, score, intent), or write text in double quotes.
              billing: "vip && \\"x\\" == \\"x\\" && scor > 1"
                                                 ^"
    `);
    expect(lint(`'vip && ''x'' == ''x'' && scor > 1'`)).toMatchInlineSnapshot(`
      "desk.yaml:16:42 error CONDITION_UNKNOWN_FIELD The condition reads "scor", which is not a state field. Did you mean "score"? Declare it under state: (fields: vip, score, intent), or write text in double quotes.
              billing: 'vip && ''x'' == ''x'' && scor > 1'
                                                 ^"
    `);
    expect(lint(`|\n        vip &&\n          scor > 1`)).toMatchInlineSnapshot(`
      "desk.yaml:18:11 error CONDITION_UNKNOWN_FIELD The condition reads "scor", which is not a state field. Did you mean "score"? Declare it under state: (fields: vip, score, intent), or write text in double quotes.
                  scor > 1
                  ^"
    `);
    expect(lint(`>-\n        vip &&\n        scor > 1`)).toMatchInlineSnapshot(`
      "desk.yaml:18:9 error CONDITION_UNKNOWN_FIELD The condition reads "scor", which is not a state field. Did you mean "score"? Declare it under state: (fields: vip, score, intent), or write text in double quotes.
                scor > 1
                ^"
    `);
  });

  it('checks the clock arguments under ! too', () => {
    expect(lint(`'!business_hours("Europ/Paris", "09:00-18:00")'`)).toMatchInlineSnapshot(`
      "desk.yaml:16:34 error CONDITION_TIME_ZONE "Europ/Paris" is not a time zone. Did you mean "Europe/Paris"? Name an IANA time zone, such as Europe/Paris, America/New_York or UTC.
              billing: '!business_hours("Europ/Paris", "09:00-18:00")'
                                         ^"
    `);
  });

  it('checks the target of a when: entry whose condition failed the schema, in the same run', () => {
    const text = treeWith('vip').replace('      billing: vip\n', '      billing: 42\n      persn: vip\n');
    expect(showIssues(text, lintTreeText(text, 'desk.yaml'))).toMatchInlineSnapshot(`
      "desk.yaml:16:16 error INVALID_TYPE agents.triage.when.billing is the number 42; it must be a string. Write text; quote it if YAML reads it as something else.
              billing: 42
                       ^
      desk.yaml:17:7 error UNKNOWN_AGENT when: names "persn", which is not an agent. Did you mean "person"? "triage" hands off to: billing, person.
              persn: vip
              ^"
    `);
  });

  it('blames no condition on an edge a list that failed the schema may hold', () => {
    const text = treeWith('vip').replace('children: [billing]', 'children: billing');
    expect(lintTreeText(text, 'desk.yaml').map((issue) => issue.code)).toEqual(['INVALID_TYPE']);
  });

  it('accepts what the README shows: clock functions, fields, numbers compared with whole numbers', () => {
    const conditions = [
      'business_hours("Europe/Paris", "09:00-12:00,14:00-18:00", "mon-fri")',
      'business_hours("America/New_York", "08:00-20:00") || vip',
      `'weekday("Asia/Tokyo") in ["sat", "sun"] && score == 3'`,
      `'time("UTC") >= "08:30" && date("UTC") != "2026-12-25" && intent == "billing"'`,
      `'!vip && score > 2.5 && hour("Europe/London") < 18'`,
    ];
    for (const condition of conditions) expect(lint(condition), condition).toBe('');
  });
});

describe('conditions the clock decides', () => {
  it('reports CONDITION_NEVER_TRUE for sides of && that never hold together, with the hours each allows', () => {
    expect(lintFixture('condition-never-true')).toMatchInlineSnapshot(`
      "test/fixtures/invalid/condition-never-true.yaml:14:19 error CONDITION_NEVER_TRUE The condition is never true: no moment of the week makes it true (hour("Europe/Paris") >= 20 is true at hours 20 … 23; hour("Europe/Paris") < 8 is true at hours 0 … 7), so the handoff is never offered. Each side can be true, but not at the same time: for hours past midnight (or days past Sunday), join them with || instead of &&.
              night_line: hour("Europe/Paris") >= 20 && hour("Europe/Paris") < 8
                          ^"
    `);
  });

  it('reports a comparison outside the values of its clock function at the comparison, with the range it has', () => {
    expect(lint(`'vip || hour("UTC") >= 25'`)).toMatchInlineSnapshot(`
      "desk.yaml:16:24 error CONDITION_NEVER_TRUE hour("UTC") >= 25 is never true: hour() is 0 … 23. Compare it with an hour from 0 to 23: hour("UTC") >= 18 is true from 18:00 to midnight.
              billing: 'vip || hour("UTC") >= 25'
                               ^"
    `);
    const never = (condition: string) =>
      lintTreeText(treeWith(condition), 'desk.yaml').map((issue) => `${issue.code}@${issue.column} ${/^.*? is never true/.exec(issue.message)?.[0]}`);
    expect(never(`'hour("UTC") < 0'`)).toEqual(['CONDITION_NEVER_TRUE@17 hour("UTC") < 0 is never true']);
    expect(never(`'-1 >= hour("UTC") && vip'`)).toEqual(['CONDITION_NEVER_TRUE@17 -1 >= hour("UTC") is never true']);
    expect(never(`'hour("UTC") in [24, 25]'`)).toEqual(['CONDITION_NEVER_TRUE@17 hour("UTC") in [24, 25] is never true']);
    expect(never(`'time("UTC") == "8:30"'`)).toEqual(['CONDITION_NEVER_TRUE@17 time("UTC") == "8:30" is never true']);
    expect(never(`'weekday("UTC") > "wed"'`)).toEqual(['CONDITION_NEVER_TRUE@17 weekday("UTC") > "wed" is never true']);
    expect(never(`'score > 1 && (hour("UTC") < 0 || hour("UTC") > 23)'`)).toEqual([
      'CONDITION_NEVER_TRUE@31 hour("UTC") < 0 is never true',
      'CONDITION_NEVER_TRUE@50 hour("UTC") > 23 is never true',
    ]);
    expect(never(`'weekday("UTC") == "sat" && weekday("UTC") == "sun"'`)).toEqual(['CONDITION_NEVER_TRUE@17 The condition is never true']);
    expect(never(`'business_hours("UTC", "09:00-12:00") && !business_hours("UTC", "08:00-13:00")'`)).toEqual(['CONDITION_NEVER_TRUE@17 The condition is never true']);
  });

  it('warns with CONDITION_ALWAYS_TRUE where an always true comparison leaves the rest without effect', () => {
    expect(lintFixture('condition-always-true')).toMatchInlineSnapshot(`
      "test/fixtures/invalid/condition-always-true.yaml:14:16 warning CONDITION_ALWAYS_TRUE hour("Europe/Paris") < 24 is always true: hour() is 0 … 23, so the condition never holds the handoff back. Fix the value (hour() is 0 … 23), or remove the comparison.
              billing: hour("Europe/Paris") < 24 || vip
                       ^"
    `);
    const codes = (condition: string) => lintTreeText(treeWith(condition), 'desk.yaml').map((issue) => `${issue.severity} ${issue.code}`);
    expect(codes(`'hour("UTC") >= 0'`)).toEqual(['warning CONDITION_ALWAYS_TRUE']);
    expect(codes(`'hour("UTC") < 24 ? vip : score > 1'`)).toEqual(['warning CONDITION_ALWAYS_TRUE']);
    // Beside && it is only redundant: the other side still decides.
    expect(codes(`'vip && hour("UTC") < 24'`)).toEqual([]);
  });

  it('accepts ranges that can hold: past midnight with ||, on two zones, and true or false written out', () => {
    const conditions = [
      `'hour("UTC") >= 20 || hour("UTC") < 8'`,
      `'hour("UTC") >= 9 && hour("UTC") < 17 && weekday("UTC") in ["mon", "tue"]'`,
      `'hour("UTC") >= 20 && hour("Asia/Tokyo") < 8'`,
      `'time("UTC") >= "23:59" && weekday("UTC") == "sun"'`,
      `'business_hours("UTC", "09:00-12:00") || business_hours("UTC", "14:00-18:00")'`,
      `'false && hour("UTC") > 3'`,
      `'false'`,
      `'true'`,
    ];
    for (const condition of conditions) expect(lint(condition), condition).toBe('');
  });
});

describe('the clock of conditions', () => {
  it('reads hours as ranges of the day, and refuses ranges that end before they start', () => {
    expect(parseHours('09:00-12:00, 14:00-24:00')).toEqual([
      { start: 540, end: 720 },
      { start: 840, end: 1440 },
    ]);
    expect(parseHours('18:00-09:00')).toEqual({ problem: expect.stringContaining('ends before it starts') });
    expect(parseHours('9-17')).toEqual({ problem: '"9-17" is not a range like 09:00-18:00' });
    expect(parseHours('09:00-24:30')).toEqual({ problem: expect.stringContaining('24:30 is not a time of day') });
  });

  it('reads days as lists and ranges, a range past Sunday included', () => {
    expect([...(parseDays('fri-mon') as Set<string>)]).toEqual(['fri', 'sat', 'sun', 'mon']);
    expect([...(parseDays('mon-wed,sat') as Set<string>)]).toEqual(['mon', 'tue', 'wed', 'sat']);
    expect((parseDays('daily') as Set<string>).size).toBe(7);
    expect(parseDays('weekdays')).toEqual({ problem: expect.stringContaining('"weekdays" is not a day') });
  });

  it('tells the wall clock of a zone from the platform’s time-zone data, daylight saving included', () => {
    // The hour Paris skips on 29 March 2026 (02:00 → 03:00) and the hour New York repeats on 1 November 2026.
    expect(localTime(new Date('2026-03-29T00:59:00Z'), 'Europe/Paris')).toEqual({ weekday: 'sun', hour: 1, minute: 59, date: '2026-03-29' });
    expect(localTime(new Date('2026-03-29T01:00:00Z'), 'Europe/Paris')).toEqual({ weekday: 'sun', hour: 3, minute: 0, date: '2026-03-29' });
    expect(localTime(new Date('2026-11-01T05:30:00Z'), 'America/New_York').hour).toBe(1);
    expect(localTime(new Date('2026-11-01T06:30:00Z'), 'America/New_York').hour).toBe(1);
    expect(localTime(new Date('2026-12-31T23:30:00Z'), 'Asia/Tokyo')).toEqual({ weekday: 'fri', hour: 8, minute: 30, date: '2027-01-01' });
    expect(inBusinessHours(new Date('2026-03-30T16:59:00Z'), 'Europe/Paris', '09:00-19:00')).toBe(true);
    expect(inBusinessHours(new Date('2026-03-30T17:00:00Z'), 'Europe/Paris', '09:00-19:00')).toBe(false);
  });
});
