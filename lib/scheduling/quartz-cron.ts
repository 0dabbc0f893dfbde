import { Cron } from 'croner';
import type { ResolvedTimeZone } from './time-zone.js';
import { quartzFormOfCronPackageExpression } from './cron-dialect.js';

/**
 * A Quartz cron expression (what ElasticJob users write) evaluated with croner in its Quartz
 * mode: seconds first, 6 or 7 fields (the 7th is the year), `?`, `L`, `W`, `#`, names, and
 * Quartz's day-of-week numbering (1 = Sunday). Anything croner cannot evaluate exactly as
 * Quartz would is refused here, never run on a different schedule.
 */
export class QuartzCron {
  /**
   * Parsed expressions, shared: croner keeps a 10,000-entry year table per pattern (80 KB),
   * and evaluating a paused pattern is a pure function of the date given, so jobs with the
   * same cron and zone share one.
   */
  private static readonly shared = new Map<string, QuartzCron>();
  private static readonly SHARED_LIMIT = 1_000;

  private constructor(
    readonly expression: string,
    private readonly cron: Cron,
  ) {}

  /** Parses, or throws an Error whose message says what is wrong. */
  static parse(expression: string, timeZone: ResolvedTimeZone): QuartzCron {
    if (typeof expression !== 'string' || expression.trim() === '') throw new Error('it is empty');
    const key = `${expression.trim().split(/\s+/).join(' ')}|${JSON.stringify(timeZone)}`;
    const known = QuartzCron.shared.get(key);
    if (known) {
      if (!known.next(new Date())) throw new Error('it never fires again');
      return known;
    }
    const parsed = QuartzCron.parseNew(expression, timeZone);
    if (QuartzCron.shared.size >= QuartzCron.SHARED_LIMIT) {
      QuartzCron.shared.delete(QuartzCron.shared.keys().next().value!);
    }
    QuartzCron.shared.set(key, parsed);
    return parsed;
  }

  private static parseNew(expression: string, timeZone: ResolvedTimeZone): QuartzCron {
    const fields = expression.trim().split(/\s+/);
    if (fields.length !== 6 && fields.length !== 7) {
      throw new Error(
        `it has ${fields.length} fields; Quartz needs 6 or 7 (seconds first, the year last)` +
          (fields.length === 5 ? `, for example "0 ${fields.join(' ')}" with "?" in one of the day fields` : ''),
      );
    }
    const [, , , dayOfMonth, , dayOfWeek] = fields as [string, string, string, string, string, string];
    fields.forEach((field, index) => {
      if (field.includes('?') && index !== 3 && index !== 5) {
        throw new Error(
          `"?" is only allowed in day-of-month and day-of-week (found in field ${index + 1}: "${field}")`,
        );
      }
    });
    const restricted = (field: string) => field !== '*' && field !== '?';
    if (restricted(dayOfMonth) && restricted(dayOfWeek)) {
      throw new Error(
        `both day-of-month ("${dayOfMonth}") and day-of-week ("${dayOfWeek}") are set; Quartz needs "?" in one of them`,
      );
    }
    if (dayOfMonth !== '?' && dayOfWeek !== '?') {
      const quartz = quartzFormOfCronPackageExpression(fields);
      throw new Error(
        'it has no "?" in day-of-month or day-of-week, so it is not a Quartz expression (Quartz refuses it, ' +
          'and Quartz numbers the days of the week from 1 = Sunday where @nestjs/schedule starts at 0 = Sunday)' +
          (quartz ? `; written for @nestjs/schedule, it is "${quartz}" in Quartz` : ''),
      );
    }
    let cron: Cron;
    try {
      cron = new Cron(fields.join(' '), {
        paused: true,
        mode: '6-or-7-parts',
        alternativeWeekdays: true,
        sloppyRanges: true,
        // One of the two day fields is a wildcard here, so AND is exactly Quartz's meaning.
        domAndDow: true,
        ...(timeZone.kind === 'iana' ? { timezone: timeZone.name } : {}),
        ...(timeZone.kind === 'offset' ? { utcOffset: timeZone.minutes } : {}),
      });
    } catch (error) {
      throw new Error((error instanceof Error ? error.message : String(error)).replace(/^CronPattern: /, ''));
    }
    const parsed = new QuartzCron(expression, cron);
    if (!parsed.next(new Date())) throw new Error('it never fires again');
    return parsed;
  }

  /** The first fire time strictly after `after`, or undefined when there is none. */
  next(after: Date): Date | undefined {
    return this.cron.nextRun(after) ?? undefined;
  }

  /** The next `count` fire times after `after`. */
  nextRuns(count: number, after: Date): Date[] {
    return this.cron.nextRuns(count, after);
  }
}
