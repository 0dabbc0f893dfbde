/**
 * Time zones as ElasticJob users write them: Java's custom `GMT[+-]hh[[:]mm]` ids, and IANA
 * names (which ElasticJob itself refuses, but everyone else uses).
 */
export type ResolvedTimeZone =
  { kind: 'default' } | { kind: 'iana'; name: string } | { kind: 'offset'; minutes: number };

const GMT = /^GMT(?:([+-])(\d{1,2})(?::?(\d{2}))?)?$/;

/** Returns the zone, or throws with a message naming what is allowed. */
export function resolveTimeZone(timeZone: string | undefined): ResolvedTimeZone {
  if (timeZone === undefined || timeZone === '') return { kind: 'default' };
  const gmt = GMT.exec(timeZone);
  if (gmt) {
    const [, sign, hours, minutes] = gmt;
    const h = Number(hours ?? 0);
    const m = Number(minutes ?? 0);
    if (h > 23 || m > 59) throw new Error(`offset out of range`);
    return { kind: 'offset', minutes: (sign === '-' ? -1 : 1) * (h * 60 + m) };
  }
  try {
    const name = new Intl.DateTimeFormat('en-US', { timeZone }).resolvedOptions().timeZone;
    return { kind: 'iana', name };
  } catch {
    throw new Error('unknown time zone');
  }
}

const two = (value: number) => String(value).padStart(2, '0');

/** A UTC offset in minutes as the `GMT+hh:mm` id `resolveTimeZone` reads back. */
export function gmtOffsetId(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  return `GMT${sign}${two(Math.floor(Math.abs(minutes) / 60))}:${two(Math.abs(minutes) % 60)}`;
}

/** `yyyy-MM-dd HH:mm:ss` of `time` as a wall clock in `zone` shows it (the process's zone by default). */
export function formatWallTime(time: Date, zone: ResolvedTimeZone): string {
  let fields: { year: number; month: number; day: number; hour: number; minute: number; second: number };
  if (zone.kind === 'iana') {
    const parts = Object.fromEntries(
      new Intl.DateTimeFormat('en-US', {
        timeZone: zone.name,
        hourCycle: 'h23',
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit',
      })
        .formatToParts(time)
        .map((part) => [part.type, Number(part.value)]),
    ) as Record<string, number>;
    fields = {
      year: parts.year!,
      month: parts.month!,
      day: parts.day!,
      hour: parts.hour!,
      minute: parts.minute!,
      second: parts.second!,
    };
  } else {
    const shifted = zone.kind === 'offset' ? new Date(time.getTime() + zone.minutes * 60_000) : time;
    const utc = zone.kind === 'offset';
    fields = {
      year: utc ? shifted.getUTCFullYear() : shifted.getFullYear(),
      month: (utc ? shifted.getUTCMonth() : shifted.getMonth()) + 1,
      day: utc ? shifted.getUTCDate() : shifted.getDate(),
      hour: utc ? shifted.getUTCHours() : shifted.getHours(),
      minute: utc ? shifted.getUTCMinutes() : shifted.getMinutes(),
      second: utc ? shifted.getUTCSeconds() : shifted.getSeconds(),
    };
  }
  const { year, month, day, hour, minute, second } = fields;
  return `${year}-${two(month)}-${two(day)} ${two(hour)}:${two(minute)}:${two(second)}`;
}
