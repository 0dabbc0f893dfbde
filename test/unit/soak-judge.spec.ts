import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain ES module of the bench, without type declarations
import { failoverDelays, liveIntervals, overlaps, quietFireCounts, THAW_GRACE_MS } from '../../bench/soak/judge.mjs';

type Line = Record<string, unknown>;
const start = (run: string, instance: string, at: number, extra: Line = {}): Line => ({
  t: 'start',
  run,
  instance,
  at,
  job: 'j',
  item: 0,
  fire: 0,
  source: 'NORMAL_TRIGGER',
  ...extra,
});
const end = (run: string, at: number, status = 'done'): Line => ({ t: 'end', run, at, status });
const life = (
  entries: Record<string, { killedAt?: number; crashedAt?: number; freezes?: Array<{ from: number; to: number }> }>,
) => new Map(Object.entries(entries).map(([id, value]) => [id, { freezes: [], ...value }]));

describe('the soak judge', () => {
  it('finds two runs of one item on two instances at once, and not runs one after the other', () => {
    const records = [start('a#1', 'a', 0), end('a#1', 100), start('b#1', 'b', 50), end('b#1', 150)];
    const { intervals } = liveIntervals(records, life({}), 1_000);
    expect(overlaps(intervals)).toHaveLength(1);
    expect(overlaps(intervals)[0].overlapMs).toBe(50);

    const sequential = [start('a#1', 'a', 0), end('a#1', 100), start('b#1', 'b', 100), end('b#1', 150)];
    expect(overlaps(liveIntervals(sequential, life({}), 1_000).intervals)).toHaveLength(0);
  });

  it('ends a killed instance’s run at the kill', () => {
    const records = [start('a#1', 'a', 0), start('b#1', 'b', 200), end('b#1', 300)];
    expect(overlaps(liveIntervals(records, life({ a: { killedAt: 150 } }), 1_000).intervals)).toHaveLength(0);
    expect(overlaps(liveIntervals(records, life({ a: { killedAt: 250 } }), 1_000).intervals)).toHaveLength(1);
  });

  it('ends the runs of an instance that crashed (exited by itself) at its exit', () => {
    const records = [start('a#1', 'a', 0), start('b#1', 'b', 200), end('b#1', 300)];
    expect(overlaps(liveIntervals(records, life({ a: { crashedAt: 150 } }), 1_000).intervals)).toHaveLength(0);
    expect(overlaps(liveIntervals(records, life({}), 1_000).intervals)).toHaveLength(1);
  });

  it('cuts a frozen run at the freeze when it ends right after the thaw, and counts it again when it goes on', () => {
    const freezes = [{ from: 100, to: 5_000 }];
    const failover = [start('b#1', 'b', 1_000, { source: 'FAILOVER' }), end('b#1', 7_000)];
    const abortedAtThaw = [start('a#1', 'a', 0), end('a#1', 5_010, 'aborted'), ...failover];
    expect(overlaps(liveIntervals(abortedAtThaw, life({ a: { freezes } }), 9_000).intervals)).toHaveLength(0);
    const goesOn = [start('a#1', 'a', 0), end('a#1', 5_000 + THAW_GRACE_MS + 100), ...failover];
    expect(overlaps(liveIntervals(goesOn, life({ a: { freezes } }), 9_000).intervals)).toHaveLength(1);
    // A run started after the thaw counts whole.
    const rerun = [
      start('a#1', 'a', 0),
      end('a#1', 5_005),
      start('a#2', 'a', 5_020, { source: 'MISFIRE' }),
      ...failover,
    ];
    expect(overlaps(liveIntervals(rerun, life({ a: { freezes } }), 9_000).intervals)).toHaveLength(1);
  });

  it('counts each quiet fire’s items: a missing or a doubled item is wrong', () => {
    const runs = [
      { job: 'j', fire: 1_000, item: 0, source: 'NORMAL_TRIGGER' },
      { job: 'j', fire: 1_000, item: 1, source: 'MISFIRE' },
      { job: 'j', fire: 2_000, item: 0, source: 'NORMAL_TRIGGER' },
      { job: 'j', fire: 2_000, item: 0, source: 'NORMAL_TRIGGER' },
      { job: 'j', fire: 3_000, item: 0, source: 'FAILOVER' },
    ];
    const jobs = [{ name: 'j', items: 2, fireTimes: [1_000, 2_000, 3_000] }];
    const all = quietFireCounts(runs, jobs, () => true);
    expect(all.checked).toBe(3);
    expect(all.wrong).toEqual([
      { job: 'j', fire: 2_000, item: 0, count: 2 },
      { job: 'j', fire: 2_000, item: 1, count: 0 },
      { job: 'j', fire: 3_000, item: 0, count: 0 },
      { job: 'j', fire: 3_000, item: 1, count: 0 },
    ]);
    expect(quietFireCounts(runs, jobs, (fire: number) => fire === 1_000).wrong).toEqual([]);
  });

  it('times the failover of what a killed instance was running, and flags one that never came', () => {
    const runs = [
      { job: 'j', item: 0, instance: 'a', at: 0, end: undefined },
      { job: 'j', item: 1, instance: 'a', at: 0, end: undefined },
      { job: 'j', item: 0, instance: 'b', at: 4_200 },
    ];
    expect(failoverDelays(runs, [{ instance: 'a', at: 100 }], 'j', 5_000)).toEqual([
      { instance: 'a', item: 0, delayMs: 4_100, late: false },
      { instance: 'a', item: 1, delayMs: undefined, late: true },
    ]);
  });
});
