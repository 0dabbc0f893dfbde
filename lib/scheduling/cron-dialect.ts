/**
 * Expressions written for `@nestjs/schedule` (the `cron` package: 6 fields, no `?`, Sunday =
 * 0 or 7) look like Quartz but are not: Quartz needs `?` in day-of-month or day-of-week and
 * numbers the week from Sunday = 1. Run as Quartz, `0 0 1 * * 1-5` would fire Sunday to
 * Thursday. Quartz itself refuses an expression with no `?`; so do we, and say what the
 * Quartz form of what the user meant is.
 */

const DAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] as const;

/** A day-of-week value of the `cron` package: 0-7 (0 and 7 are Sunday) or a name. */
function cronDay(value: string): number | undefined {
  const named = DAY_NAMES.indexOf(value.toUpperCase() as (typeof DAY_NAMES)[number]);
  if (named >= 0) return named;
  if (!/^\d+$/.test(value)) return undefined;
  const day = Number(value);
  return day <= 7 ? day % 7 : undefined;
}

/** The days (0 = Sunday) a `cron`-package day-of-week field selects, or undefined if it is not one. */
function cronDaysOfWeek(field: string): Set<number> | undefined {
  const days = new Set<number>();
  for (const part of field.split(',')) {
    const match = /^(\*|[a-z0-9]+(?:-[a-z0-9]+)?)(?:\/(\d+))?$/i.exec(part);
    if (!match) return undefined;
    const [, range, stepText] = match;
    const step = stepText === undefined ? 1 : Number(stepText);
    if (step < 1) return undefined;
    let first = 0;
    let last = 6;
    if (range !== '*') {
      const [from, to] = range!.split('-');
      first = cronDay(from!) ?? -1;
      // `5-7` ends on Sunday as 7: keep it past Saturday while walking the range.
      last = to === undefined ? (stepText === undefined ? first : 6) : to === '7' ? 7 : (cronDay(to) ?? -1);
      if (first < 0 || last < first) return undefined;
    }
    for (let day = first; day <= last; day += step) days.add(day % 7);
  }
  return days;
}

/** Quartz's day-of-week field for `days`, by name (names mean the same in both dialects). */
function quartzDaysOfWeek(days: Set<number>): string {
  const parts: string[] = [];
  for (let day = 0; day < 7; day += 1) {
    if (!days.has(day)) continue;
    let end = day;
    while (end + 1 < 7 && days.has(end + 1)) end += 1;
    parts.push(end === day ? DAY_NAMES[day]! : `${DAY_NAMES[day]}-${DAY_NAMES[end]}`);
    day = end;
  }
  return parts.join(',');
}

/**
 * For an expression with no `?` in either day field, the Quartz expression with the meaning
 * it has for `@nestjs/schedule`, when there is one (undefined when both day fields restrict,
 * which Quartz cannot express, or the field is not the `cron` package's syntax).
 */
export function quartzFormOfCronPackageExpression(fields: readonly string[]): string | undefined {
  if (fields.length !== 6) return undefined;
  const [second, minute, hour, dayOfMonth, month, dayOfWeek] = fields as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  if (dayOfWeek === '*') return [second, minute, hour, dayOfMonth, month, '?'].join(' ');
  if (dayOfMonth !== '*') return undefined;
  const days = cronDaysOfWeek(dayOfWeek);
  if (!days) return undefined;
  const quartzDays = days.size === 7 ? '*' : quartzDaysOfWeek(days);
  return [second, minute, hour, '?', month, quartzDays].join(' ');
}
