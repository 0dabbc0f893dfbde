import type { ElasticJobOnCronOptions, ElasticJobOptions } from '../interfaces/elastic-job-options.interface.js';
import { quartzFormOfCronPackageExpression } from '../scheduling/cron-dialect.js';
import { gmtOffsetId } from '../scheduling/time-zone.js';

/** `@nestjs/schedule`'s metadata keys (plain strings there): read, never imported. */
export const SCHEDULE_CRON_OPTIONS = 'SCHEDULE_CRON_OPTIONS';
export const SCHEDULER_TYPE = 'SCHEDULER_TYPE';
export const SCHEDULE_METADATA_KEYS = [SCHEDULE_CRON_OPTIONS, SCHEDULER_TYPE, 'SCHEDULER_NAME'] as const;

/** What `@Cron(cronTime, options)` leaves on a method. */
export interface ScheduleCronMetadata {
  cronTime: unknown;
  name?: unknown;
  timeZone?: unknown;
  utcOffset?: unknown;
  disabled?: unknown;
  initialDelay?: unknown;
}

/** The `cron` package's expression (5 or 6 fields, Sunday 0 or 7, no `?`) as Quartz with the same meaning. */
export function quartzFromCronPackage(expression: string): string | undefined {
  const fields = expression.trim().split(/\s+/);
  if (fields.length === 5) fields.unshift('0');
  if (fields.length !== 6 || fields.some((field) => field.includes('?'))) return undefined;
  return quartzFormOfCronPackageExpression(fields);
}

/**
 * `@ElasticJob()`'s options on a `@Cron()` method: the expression in Quartz form, the name and
 * the time zone from `@Cron()` unless `@ElasticJob()` gives them; every problem named with
 * what is allowed. `@Cron()`'s `waitForCompletion`, `threshold` and `unrefTimeout` need no
 * equivalent (an item never overlaps itself, a late fire is a misfire, our timers never hold
 * the process); `initialDelay` has none and is refused.
 */
export function optionsFromCron(
  options: ElasticJobOnCronOptions,
  cron: ScheduleCronMetadata,
  where: string,
): { options: ElasticJobOptions; problems: string[] } {
  const problems: string[] = [];
  const name = options.name ?? (typeof cron.name === 'string' ? cron.name : undefined);
  const label = name ? `Job "${name}" (${where})` : where;
  if (name === undefined) {
    problems.push(
      `${where}: @Cron() has no name and @ElasticJob() none: name the job in either (its name in ZooKeeper).`,
    );
  }
  let expression = options.cron;
  if (expression === undefined) {
    if (typeof cron.cronTime !== 'string') {
      problems.push(
        `${label}: @Cron() is given a date, which is a one-off; a cluster-wide job needs a cron expression.`,
      );
    } else {
      expression = quartzFromCronPackage(cron.cronTime);
      if (expression === undefined) {
        problems.push(
          `${label}: @Cron('${cron.cronTime}') has no Quartz form with the same meaning (5 or 6 fields of the cron ` +
            "package, not both day fields restricted): give @ElasticJob() a Quartz cron instead, e.g. '0 0 1 ? * MON-FRI'.",
        );
      }
    }
  }
  let timeZone = options.timeZone;
  if (timeZone === undefined && cron.timeZone !== undefined) {
    if (typeof cron.timeZone === 'string') timeZone = cron.timeZone;
    else problems.push(`${label}: @Cron()'s timeZone ${String(cron.timeZone)} must be a string (an IANA name).`);
  }
  if (timeZone === undefined && cron.utcOffset !== undefined) {
    const minutes = Number(cron.utcOffset);
    if (!Number.isInteger(minutes) || Math.abs(minutes) > 23 * 60 + 59) {
      problems.push(
        `${label}: @Cron()'s utcOffset ${String(cron.utcOffset)} must be whole minutes from -1439 to 1439.`,
      );
    } else {
      timeZone = gmtOffsetId(minutes);
    }
  }
  if (cron.initialDelay !== undefined) {
    problems.push(
      `${label}: @Cron()'s initialDelay has no equivalent here: a job fires on its schedule from its first fire on.`,
    );
  }
  const disabled = options.disabled ?? (cron.disabled === true ? true : undefined);
  return {
    options: {
      ...options,
      name: name as string,
      cron: expression as string,
      ...(timeZone === undefined ? {} : { timeZone }),
      ...(disabled === undefined ? {} : { disabled }),
    },
    problems,
  };
}
