/**
 * Dates and moments written out in a condition: date() compared with a text that is no date, and
 * timestamp() given a text it cannot read, are reported at the text, with the format to write.
 */
import { describe, expect, it } from 'vitest';
import { lintTreeText } from '../../config/load.js';
import { dateProblem, timestampProblem } from '../../config/condition-clock.js';
import { showIssues } from './lint-fixtures.js';

/** A small tree whose triage writes `when:` for billing as `condition` (YAML text after the key). */
function treeWith(condition: string): string {
  return `version: 1
name: desk
root: triage
state:
  vip: { type: boolean, default: false }
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

/** `code@column why` of each issue: its message after the first ": ". */
function found(condition: string): string[] {
  return lintTreeText(treeWith(condition), 'desk.yaml').map(
    (issue) => `${issue.code}@${issue.column} ${issue.message.split(': ').slice(1).join(': ')}`,
  );
}

describe('date() compared with a text that is no date', () => {
  it('reports INVALID_VALUE at the text, with the format of a date', () => {
    expect(lint('date("UTC") == "2026-13-45"')).toMatchInlineSnapshot(`
      "desk.yaml:13:32 error INVALID_VALUE date() is compared with "2026-13-45", which is no date: there is no month 13 (months run from 01 to 12). Write a date as "YYYY-MM-DD", a real day of the calendar with two digits for the month and the day: date("Europe/Paris") == "2026-12-25".
              billing: date("UTC") == "2026-13-45"
                                       ^"
    `);
  });

  it('checks each side and each comparison, a list after in included', () => {
    expect(found(`'"2026-02-29" <= date("UTC") || date("UTC") in ["2028-02-29", "2026-04-31"] || date("UTC") > "2026-1-5"'`)).toEqual([
      'INVALID_VALUE@18 February 2026 has no day 29 (it has 28).',
      'INVALID_VALUE@79 April 2026 has no day 31 (it has 30).',
      'INVALID_VALUE@110 it is not written YYYY-MM-DD.',
    ]);
  });

  it('accepts real days, 29 February of a leap year included', () => {
    expect(lint(`'date("UTC") == "2028-02-29" || date("Europe/Paris") >= "2026-12-25"'`)).toBe('');
    expect(['2026-12-25', '2000-02-29', '0001-01-01', '9999-12-31'].map(dateProblem)).toEqual([undefined, undefined, undefined, undefined]);
    expect(
      ['1900-02-29', '0000-01-01', '2026-00-10', '2026-12-00', '2026-12-25 ', '26-12-25'].map((text) => dateProblem(text) !== undefined),
    ).toEqual([true, true, true, true, true, true]);
  });
});

describe('timestamp() given a text it cannot read', () => {
  it('reports INVALID_VALUE at the text, with the format of a timestamp', () => {
    expect(lint(`'timestamp("2026-13-45T00:00:00Z") > timestamp("2026-01-01T00:00:00Z")'`)).toMatchInlineSnapshot(`
      "desk.yaml:13:28 error INVALID_VALUE timestamp("2026-13-45T00:00:00Z") is no moment: there is no month 13 (months run from 01 to 12). Write a moment as "YYYY-MM-DDTHH:MM:SSZ" in UTC, or with an offset: timestamp("2026-12-25T09:00:00Z"), timestamp("2026-12-25T09:00:00+01:00").
              billing: 'timestamp("2026-13-45T00:00:00Z") > timestamp("2026-01-01T00:00:00Z")'
                                   ^"
    `);
  });

  it('says what is wrong: the day, the time, the offset, the length, the years, the missing zone', () => {
    expect(
      [
        '2026-02-30T00:00:00Z',
        '2026-01-01T24:00:00Z',
        '2026-01-01T10:00:60Z',
        '2026-01-01T10:00:00+25:00',
        '2026-01-01T10:00:00.123456789+01:00',
        '0001-01-01T00:00:00+01:00',
        '2026-01-01T10:00:00',
        'tomorrow',
      ].map(timestampProblem),
    ).toEqual([
      'February 2026 has no day 30 (it has 28)',
      'there is no time 24:00:00 (times run from 00:00:00 to 23:59:59)',
      'there is no time 10:00:60 (times run from 00:00:00 to 23:59:59)',
      'there is no offset +25:00 (offsets run from -23:59 to +23:59)',
      'it is longer than the 30 characters timestamp() reads (write fewer digits after the seconds)',
      'it falls outside the years 0001 to 9999 once its offset is applied',
      'it has no Z or offset such as +01:00, so it would be read in the time zone of the server',
      'it is not written YYYY-MM-DDTHH:MM:SS with Z or an offset such as +01:00',
    ]);
  });

  it('accepts RFC 3339 timestamps timestamp() reads', () => {
    const valid = [
      '2026-12-25T09:00:00Z',
      '2026-12-25T09:00:00.5+01:00',
      '2026-12-25t09:00:00.123456789z',
      '2026-12-25 09:00:00-05:30',
      '9999-12-31T23:59:59Z',
    ];
    expect(valid.map(timestampProblem)).toEqual(valid.map(() => undefined));
    expect(lint(`'timestamp("2026-12-25T09:00:00Z") < timestamp("2026-12-25T09:00:00.5+01:00")'`)).toBe('');
  });
});
