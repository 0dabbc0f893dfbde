import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { resolveTimeZone } from '../../lib/scheduling/time-zone.js';
import { JobTimer } from '../../lib/scheduling/job-timer.js';
import { QuartzCron } from '../../lib/scheduling/quartz-cron.js';

const everyFiveSeconds = QuartzCron.parse('0/5 * * * * ?', resolveTimeZone('UTC'));

describe('JobTimer', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date('2026-11-21T00:00:06.000Z'));
  });
  afterEach(() => vi.useRealTimers());

  it('fires at the next fire time after now, with the scheduled time', () => {
    const fires: string[] = [];
    const timer = new JobTimer(everyFiveSeconds, (at) => fires.push(at.toISOString()));
    timer.start();
    vi.advanceTimersByTime(3_999);
    expect(fires).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(fires).toEqual(['2026-11-21T00:00:10.000Z']);
    timer.stop();
  });

  it('started from an earlier moment (when the instance joined), fires a fire that fell since then at once', () => {
    const fires: string[] = [];
    const timer = new JobTimer(everyFiveSeconds, (at) => fires.push(at.toISOString()));
    timer.start(new Date('2026-11-21T00:00:04.900Z'));
    vi.advanceTimersByTime(0);
    expect(fires).toEqual(['2026-11-21T00:00:05.000Z']);
    vi.advanceTimersByTime(4_000);
    expect(fires).toEqual(['2026-11-21T00:00:05.000Z', '2026-11-21T00:00:10.000Z']);
    timer.stop();
  });

  it('collapses several fires missed since then into one late fire', () => {
    const fires: string[] = [];
    const timer = new JobTimer(everyFiveSeconds, (at) => fires.push(at.toISOString()));
    vi.setSystemTime(new Date('2026-11-21T00:00:21.000Z'));
    timer.start(new Date('2026-11-21T00:00:04.000Z'));
    vi.advanceTimersByTime(0);
    expect(fires).toEqual(['2026-11-21T00:00:05.000Z']);
    vi.advanceTimersByTime(3_999);
    expect(fires).toEqual(['2026-11-21T00:00:05.000Z']);
    vi.advanceTimersByTime(1);
    expect(fires).toEqual(['2026-11-21T00:00:05.000Z', '2026-11-21T00:00:25.000Z']);
    timer.stop();
  });
});
