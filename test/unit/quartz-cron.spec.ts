import { describe, expect, it } from 'vitest';
import { resolveTimeZone } from '../../lib/scheduling/time-zone.js';
import { QuartzCron } from '../../lib/scheduling/quartz-cron.js';

const utc = resolveTimeZone('UTC');
const after = new Date('2026-11-21T00:00:00Z'); // a Saturday

function next3(expression: string, zone = utc): string[] {
  return QuartzCron.parse(expression, zone)
    .nextRuns(3, after)
    .map((date) => date.toISOString());
}

describe('Quartz cron expressions', () => {
  it.each<[string, string[]]>([
    ['0/5 * * * * ?', ['2026-11-21T00:00:05.000Z', '2026-11-21T00:00:10.000Z', '2026-11-21T00:00:15.000Z']],
    ['*/10 * * * * ?', ['2026-11-21T00:00:10.000Z', '2026-11-21T00:00:20.000Z', '2026-11-21T00:00:30.000Z']],
    ['0 0/30 8-10 * * ?', ['2026-11-21T08:00:00.000Z', '2026-11-21T08:30:00.000Z', '2026-11-21T09:00:00.000Z']],
    // Quartz day-of-week numbering: 1 = Sunday, 2 = Monday.
    ['0 0 12 ? * 2', ['2026-11-23T12:00:00.000Z', '2026-11-30T12:00:00.000Z', '2026-12-07T12:00:00.000Z']],
    ['0 0 12 ? * MON', ['2026-11-23T12:00:00.000Z', '2026-11-30T12:00:00.000Z', '2026-12-07T12:00:00.000Z']],
    ['0 15 10 ? * MON-FRI', ['2026-11-23T10:15:00.000Z', '2026-11-24T10:15:00.000Z', '2026-11-25T10:15:00.000Z']],
    ['0 0 12 L * ?', ['2026-11-30T12:00:00.000Z', '2026-12-31T12:00:00.000Z', '2027-01-31T12:00:00.000Z']],
    ['0 0 12 LW * ?', ['2026-11-30T12:00:00.000Z', '2026-12-31T12:00:00.000Z', '2027-01-29T12:00:00.000Z']],
    ['0 0 12 15W * ?', ['2026-12-15T12:00:00.000Z', '2027-01-15T12:00:00.000Z', '2027-02-15T12:00:00.000Z']],
    // 6#3: the third Friday; 6L: the last Friday.
    ['0 0 12 ? * 6#3', ['2026-12-18T12:00:00.000Z', '2027-01-15T12:00:00.000Z', '2027-02-19T12:00:00.000Z']],
    ['0 0 12 ? * 6L', ['2026-11-27T12:00:00.000Z', '2026-12-25T12:00:00.000Z', '2027-01-29T12:00:00.000Z']],
    ['0 0 12 1 JAN ?', ['2027-01-01T12:00:00.000Z', '2028-01-01T12:00:00.000Z', '2029-01-01T12:00:00.000Z']],
    ['0 15 10 ? * MON-FRI 2027', ['2027-01-01T10:15:00.000Z', '2027-01-04T10:15:00.000Z', '2027-01-05T10:15:00.000Z']],
  ])('%s', (expression, expected) => {
    expect(next3(expression)).toEqual(expected);
  });

  it('shares one parsed expression between jobs with the same cron and zone', () => {
    const zone = resolveTimeZone('Asia/Shanghai');
    const first = QuartzCron.parse('0 0/5 * * * ?', zone);

    expect(QuartzCron.parse(' 0  0/5 * * * ? ', zone)).toBe(first);
    expect(QuartzCron.parse('0 0/5 * * * ?', resolveTimeZone('GMT+08:00'))).not.toBe(first);
    expect(QuartzCron.parse('0 0/10 * * * ?', zone)).not.toBe(first);
    const after = new Date('2026-03-01T00:02:00Z');
    expect(first.next(after)).toEqual(new Date('2026-03-01T00:05:00Z'));
    expect(first.next(after)).toEqual(new Date('2026-03-01T00:05:00Z')); // no state between calls
  });

  it('honours IANA zones and GMT offsets', () => {
    expect(next3('0 0 12 * * ?', resolveTimeZone('Asia/Shanghai'))[0]).toBe('2026-11-21T04:00:00.000Z');
    expect(next3('0 0 12 * * ?', resolveTimeZone('GMT+08:00'))[0]).toBe('2026-11-21T04:00:00.000Z');
    expect(next3('0 0 12 * * ?', resolveTimeZone('GMT-05:30'))[0]).toBe('2026-11-21T17:30:00.000Z');
  });

  it.each<[string, RegExp]>([
    ['* * * * *', /it has 5 fields; Quartz needs 6 or 7/],
    ['0 0 12 L-3 * ?', /L has to be a value of its own/],
    ['0 0 12 1 * MON', /both day-of-month \("1"\) and day-of-week \("MON"\) are set/],
    ['? * * * * *', /"\?" is only allowed in day-of-month and day-of-week/],
    ['0 0 12 1 1 ? 2020', /it never fires again/],
    ['0 0 25 * * ?', /.+/],
    ['', /it is empty/],
  ])('refuses %s', (expression, message) => {
    expect(() => QuartzCron.parse(expression, utc)).toThrow(message);
  });

  // @nestjs/schedule's CronExpression values and the like: Quartz would read their day-of-week
  // numbers one day off, so they are refused with the Quartz form of what they mean.
  it.each<[string, string]>([
    ['0 0 01 * * 1-5', '0 0 01 ? * MON-FRI'], // CronExpression.MONDAY_TO_FRIDAY_AT_1AM
    ['0 0 0 * * 0', '0 0 0 ? * SUN'],
    ['0 0 0 * * 7', '0 0 0 ? * SUN'],
    ['0 0 0 * * 6,0', '0 0 0 ? * SUN,SAT'],
    ['0 0 0 * * 5-7', '0 0 0 ? * SUN,FRI-SAT'],
    ['0 0 0 * * */2', '0 0 0 ? * SUN,TUE,THU,SAT'],
    ['0 0 0 * * mon-fri', '0 0 0 ? * MON-FRI'],
    ['* * * * * *', '* * * * * ?'],
    ['0 0 12 1 * *', '0 0 12 1 * ?'],
  ])('refuses %s and gives its Quartz form %s', (expression, quartz) => {
    expect(() => QuartzCron.parse(expression, utc)).toThrow(
      `it has no "?" in day-of-month or day-of-week, so it is not a Quartz expression`,
    );
    expect(() => QuartzCron.parse(expression, utc)).toThrow(`it is "${quartz}" in Quartz`);
    // The suggested form means what @nestjs/schedule meant: 1-5 is Monday to Friday.
    expect(() => QuartzCron.parse(quartz, utc)).not.toThrow();
  });

  it('runs the suggested form of a weekday expression on weekdays only', () => {
    const cron = QuartzCron.parse('0 0 1 ? * MON-FRI', utc);
    const days = cron.nextRuns(7, new Date('2026-11-22T12:00:00Z')).map((date) => date.getUTCDay());
    expect(days).toEqual([1, 2, 3, 4, 5, 1, 2]);
  });
});

describe('time zones', () => {
  it.each<[string | undefined, unknown]>([
    [undefined, { kind: 'default' }],
    ['GMT', { kind: 'offset', minutes: 0 }],
    ['GMT+8', { kind: 'offset', minutes: 480 }],
    ['GMT+08:00', { kind: 'offset', minutes: 480 }],
    ['GMT-0530', { kind: 'offset', minutes: -330 }],
    ['Asia/Shanghai', { kind: 'iana', name: 'Asia/Shanghai' }],
  ])('%s', (zone, expected) => {
    expect(resolveTimeZone(zone)).toEqual(expected);
  });

  it('refuses unknown zones and offsets out of range', () => {
    expect(() => resolveTimeZone('Mars/Olympus')).toThrow('unknown time zone');
    expect(() => resolveTimeZone('GMT+25:00')).toThrow('offset out of range');
  });
});
