import { CronExpression } from '@nestjs/schedule';
import { CronTime } from 'cron';
import { describe, expect, it } from 'vitest';
import { optionsFromCron, quartzFromCronPackage } from '../../lib/config/schedule-cron.js';
import { QuartzCron } from '../../lib/scheduling/quartz-cron.js';

// @nestjs/schedule's expressions mean what they mean there: each CronExpression constant, and
// a few hand-written ones, fire at the same instants under our Quartz form as under the `cron`
// package @nestjs/schedule runs them with.

function sameInstants(expression: string, zone = 'UTC', count = 12) {
  const quartz = quartzFromCronPackage(expression);
  expect(quartz, expression).toBeDefined();
  // The `cron` package counts from now: ours counts from just before its first instant.
  const theirs = new CronTime(expression, zone).sendAt(count).map((time) => time.toJSDate());
  const ours = QuartzCron.parse(quartz!, { kind: 'iana', name: zone }).nextRuns(
    count,
    new Date(theirs[0]!.getTime() - 1),
  );
  expect(
    ours.map((time) => time.toISOString()),
    `${expression} as ${quartz}`,
  ).toEqual(theirs.map((time) => time.toISOString()));
}

describe("@nestjs/schedule's expressions", () => {
  it('every CronExpression constant fires at the same instants under its Quartz form', () => {
    const constants = Object.entries(CronExpression);
    expect(constants.length).toBeGreaterThan(50);
    for (const [, expression] of constants) sameInstants(expression, 'UTC', 6);
  });

  it('5 fields, weekday ranges, Sunday as 0 or 7, names, steps and a zone keep their meaning', () => {
    for (const expression of [
      '0 9 * * 1-5',
      '30 0 1 * * 1-5',
      '0 0 * * 0',
      '0 0 * * 7',
      '0 */15 8-18 * * MON-FRI',
      '0 0 12 1 */2 *',
    ]) {
      sameInstants(expression, 'Asia/Shanghai');
    }
    expect(quartzFromCronPackage('0 0 1 * * 1-5')).toBe('0 0 1 ? * MON-FRI');
    expect(quartzFromCronPackage('0 9 * * 0')).toBe('0 0 9 ? * SUN');
    // Both day fields restricted (the `cron` package ORs them): no Quartz form.
    expect(quartzFromCronPackage('0 0 1 13 * 5')).toBeUndefined();
    expect(quartzFromCronPackage('0 0 1 * * ?')).toBeUndefined();
  });

  it('takes name, zone and a UTC offset from @Cron() unless @ElasticJob() gives them', () => {
    const taken = optionsFromCron(
      { shardingTotalCount: 2 },
      { cronTime: '0 0 * * *', name: 'nightly', utcOffset: -330 },
      'Tasks.run',
    );
    expect(taken.problems).toEqual([]);
    expect(taken.options).toMatchObject({
      name: 'nightly',
      cron: '0 0 0 * * ?',
      timeZone: 'GMT-05:30',
      shardingTotalCount: 2,
    });
    const own = optionsFromCron(
      { shardingTotalCount: 1, name: 'mine', timeZone: 'Asia/Tokyo', cron: '0 0 3 ? * SAT' },
      { cronTime: '0 0 * * *', name: 'theirs', timeZone: 'Europe/Paris', disabled: true },
      'Tasks.run',
    );
    expect(own.options).toMatchObject({ name: 'mine', cron: '0 0 3 ? * SAT', timeZone: 'Asia/Tokyo', disabled: true });
  });
});
