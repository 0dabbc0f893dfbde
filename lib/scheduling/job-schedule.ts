import { QuartzCron } from './quartz-cron.js';
import { resolveTimeZone } from './time-zone.js';

const parsed = new WeakMap<object, QuartzCron>();

/**
 * A job's schedule: its Quartz cron in its time zone, parsed once per configuration object.
 * Throws on an invalid one (configurations are validated before they run).
 */
export function scheduleOf(config: { readonly cron: string; readonly timeZone?: string }): QuartzCron {
  let cron = parsed.get(config);
  if (!cron) {
    cron = QuartzCron.parse(config.cron, resolveTimeZone(config.timeZone));
    parsed.set(config, cron);
  }
  return cron;
}
