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
