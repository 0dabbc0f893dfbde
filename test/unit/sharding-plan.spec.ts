import { describe, expect, it } from 'vitest';
import {
  entryAt,
  itemsOf,
  matchesMirror,
  parsePlan,
  rotatedOwner,
  rotationOf,
  serializePlan,
  withEntry,
} from '../../lib/coordination/sharding-plan.js';

const everySecond = (time: number) => Math.floor(time / 1_000) * 1_000 + 1_000;

describe('sharding plan: one assignment per fire', () => {
  it('the first assignment applies at once; later ones from the first fire past the margin', () => {
    const first = withEntry(undefined, 'L', { count: 2, items: { 0: 'a', 1: 'a' } }, 10_300, 500, everySecond);
    expect(first.entries.map((e) => e.from)).toEqual([0]);
    const second = withEntry(first, 'L', { count: 2, items: { 0: 'a', 1: 'b' } }, 10_300, 500, everySecond);
    expect(second.entries.map((e) => e.from)).toEqual([0, 11_000]);
    // Too close to 11 s for everyone to see it: it applies from 12 s.
    const late = withEntry(first, 'L', { count: 2, items: { 0: 'a', 1: 'b' } }, 10_700, 500, everySecond);
    expect(late.entries.map((e) => e.from)).toEqual([0, 12_000]);
  });

  it('every instance picks, for a fire, the assignment in force at its scheduled time', () => {
    const plan = withEntry(
      withEntry(undefined, 'L', { count: 2, items: { 0: 'a', 1: 'a' } }, 0, 500, everySecond),
      'L',
      { count: 3, items: { 0: 'a', 1: 'b', 2: 'b' } },
      10_300,
      500,
      everySecond,
    );
    expect(entryAt(plan, 10_000).count).toBe(2);
    expect(entryAt(plan, 10_999).count).toBe(2);
    expect(entryAt(plan, 11_000).count).toBe(3);
    expect(itemsOf(entryAt(plan, 10_000), 'b')).toEqual([]);
    expect(itemsOf(entryAt(plan, 11_000), 'b')).toEqual([1, 2]);
  });

  it('keeps the entries a late fire may still need, and drops the rest', () => {
    let plan = withEntry(undefined, 'L', { count: 1, items: { 0: 'a' } }, 0, 500, everySecond);
    for (let second = 1; second <= 6; second += 1) {
      plan = withEntry(plan, 'L', { count: 1, items: { 0: `i${second}` } }, second * 10_000 + 100, 500, everySecond);
    }
    expect(plan.entries.length).toBeLessThanOrEqual(4);
    expect(plan.entries.at(-1)!.items[0]).toBe('i6');
    expect(entryAt(plan, 55_000).items[0]).toBe('i5');
  });

  it('moves the items of an owner that is gone from the very next fire, and the rest only past the margin', () => {
    const first = withEntry(undefined, 'L', { count: 3, items: { 0: 'a', 1: 'b', 2: 'c' } }, 0, 500, everySecond);
    const next = { count: 3, items: { 0: 'a', 1: 'a', 2: 'b' } };
    const plan = withEntry(first, 'L', next, 10_600, 500, everySecond, new Set(['c']));
    expect(plan.entries.map((e) => e.from)).toEqual([0, 11_000, 12_000]);
    // At 11 s only c's item moves (to its new owner b); b keeps item 1 until 12 s.
    expect(entryAt(plan, 11_000).items).toEqual({ 0: 'a', 1: 'b', 2: 'b' });
    expect(entryAt(plan, 12_000).items).toEqual(next.items);
    // A departure that is a graceful leave (not gone) waits for the margin, as everything else.
    const leave = withEntry(first, 'L', next, 10_600, 500, everySecond);
    expect(leave.entries.map((e) => e.from)).toEqual([0, 12_000]);
    // When the next fire is already past the margin there is nothing to bring forward.
    const early = withEntry(first, 'L', next, 10_100, 500, everySecond, new Set(['c']));
    expect(early.entries.map((e) => e.from)).toEqual([0, 11_000]);
  });

  it('a manual trigger uses an assignment once it is the margin old, though its first fire is a day away', () => {
    const daily = (time: number) => Math.floor(time / 86_400_000) * 86_400_000 + 86_400_000;
    const first = withEntry(undefined, 'L', { count: 2, items: { 0: 'a', 1: 'a' } }, 1_000, 500, daily);
    const plan = withEntry(first, 'L', { count: 2, items: { 0: 'a', 1: 'b' } }, 10_000, 500, daily);
    expect(plan.entries.map((e) => e.from)).toEqual([0, 86_400_000]);
    // Scheduled fires: the new assignment from its fire only.
    expect(entryAt(plan, 20_000).items[1]).toBe('a');
    // Triggers: from the margin after its publication on.
    expect(entryAt(plan, 10_400, 500).items[1]).toBe('a');
    expect(entryAt(plan, 10_500, 500).items[1]).toBe('b');
  });

  it('round-trips through JSON and compares with the sharding/{i}/instance nodes', () => {
    const plan = withEntry(undefined, 'L', { count: 2, items: { 0: 'a', 1: 'b' } }, 0, 500, everySecond);
    expect(parsePlan(serializePlan(plan))).toEqual(plan);
    expect(parsePlan('not json')).toBeUndefined();
    expect(parsePlan('{"version":2}')).toBeUndefined();
    const entry = plan.entries[0]!;
    expect(matchesMirror(entry, (item) => ['a', 'b'][item], 2)).toBe(true);
    expect(matchesMirror(entry, (item) => ['a', 'c'][item], 2)).toBe(false);
    expect(matchesMirror(entry, (item) => ['a', 'b'][item], 3)).toBe(false);
  });
});

/**
 * ElasticJob's SingleShardingJobFacade, as its source has it: after a run on an instance, the
 * next runner is the first available instance whose IP follows the first position of the
 * runner's IP in the available list (wrapping). Returns the IPs of `runs` runs from `start`.
 */
function javaRotation(available: Array<{ id: string; ip: string }>, start: string, runs: number): string[] {
  let ip = available.find((instance) => instance.id === start)!.ip;
  const ips = [ip];
  while (ips.length < runs) {
    const index = available.findIndex((instance) => instance.ip === ip);
    ip = available[index + 1 >= available.length ? 0 : index + 1]!.ip;
    ips.push(ip);
  }
  return ips;
}

describe("SINGLE_SHARDING_BALANCE's rotation of a one-item job", () => {
  const ipOf = (available: Array<{ id: string; ip: string }>, id: string) => available.find((i) => i.id === id)!.ip;

  it('runs on the same IPs, fire after fire, as ElasticJob does after each run', () => {
    const orders = [['a', 'b', 'c'], ['c', 'a', 'b', 'd'], ['b', 'a'], ['a']];
    for (const ids of orders) {
      const available = ids.map((id, index) => ({ id: `10.0.0.${index + 1}@-@${id}`, ip: `10.0.0.${index + 1}` }));
      for (const { id: owner } of available) {
        const rotation = rotationOf(available, owner);
        const entry = { from: 0, count: 1, items: { '0': owner }, rotation };
        const ours = Array.from({ length: 9 }, (_, n) => ipOf(available, rotatedOwner(entry, n)!));
        expect(ours, `${ids.join(',')} from ${owner}`).toEqual(javaRotation(available, owner, 9));
      }
    }
  });

  it('moves on past a second instance on the same IP, where ElasticJob stays on that IP for ever', () => {
    const available = [
      { id: 'a1', ip: '10.0.0.1' },
      { id: 'a2', ip: '10.0.0.1' },
      { id: 'b', ip: '10.0.0.2' },
    ];
    expect(javaRotation(available, 'a1', 4)).toEqual(['10.0.0.1', '10.0.0.1', '10.0.0.1', '10.0.0.1']);
    const rotation = rotationOf(available, 'a2');
    expect(rotation).toEqual(['a2', 'b']);
    const entry = { from: 0, count: 1, items: { '0': 'a2' }, rotation };
    expect([0, 1, 2, 3].map((n) => rotatedOwner(entry, n))).toEqual(['a2', 'b', 'a2', 'b']);
  });

  it('a gone instance leaves the rotation of the entries still to come', () => {
    const previous = withEntry(
      undefined,
      'a',
      { count: 1, items: { '0': 'b' }, rotation: ['a', 'b', 'c'] },
      0,
      500,
      everySecond,
    );
    const next = withEntry(
      previous,
      'a',
      { count: 1, items: { '0': 'a' }, rotation: ['a', 'c'] },
      10_200,
      500,
      everySecond,
      new Set(['b']),
    );
    const interim = entryAt(next, 11_000);
    expect(interim.items).toEqual({ '0': 'a' });
    expect(interim.rotation).toEqual(['a', 'c']);
  });
});
