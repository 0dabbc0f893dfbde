import { averageAllocation } from '../../lib/sharding/sharding-strategies.js';
import { reverseLexicographic } from '../../lib/registry/registry-keys.js';

/** One execution as the record needs it. */
export interface FireRecord {
  fireTime: number;
  item: number;
  instance: string;
  source?: string;
  /** When the handler started (epoch ms). */
  startedAt?: number;
}

/** Per fire time, per item, who ran it. */
export function byFire(records: readonly FireRecord[]): Map<number, Map<number, string[]>> {
  const fires = new Map<number, Map<number, string[]>>();
  for (const record of records) {
    if (record.source && record.source !== 'NORMAL_TRIGGER') continue;
    const items = fires.get(record.fireTime) ?? new Map<number, string[]>();
    items.set(record.item, [...(items.get(record.item) ?? []), record.instance]);
    fires.set(record.fireTime, items);
  }
  return new Map([...fires].sort((a, b) => a[0] - b[0]));
}

/**
 * Problems with the fires in [from, to] (scheduled every `periodMs`): a fire missing, an item
 * missing from a fire, an item run more than once. Empty when every (fire, item) ran exactly once.
 */
export function exactlyOnceProblems(
  records: readonly FireRecord[],
  from: number,
  to: number,
  itemsAt: (fireTime: number) => number,
  periodMs = 1_000,
): string[] {
  const fires = byFire(records);
  const problems: string[] = [];
  for (let fire = from; fire <= to; fire += periodMs) {
    const items = fires.get(fire);
    const count = itemsAt(fire);
    if (!items) {
      problems.push(`fire ${new Date(fire).toISOString()} did not run at all`);
      continue;
    }
    for (let item = 0; item < count; item += 1) {
      const runners = items.get(item) ?? [];
      if (runners.length !== 1)
        problems.push(
          `fire ${new Date(fire).toISOString()} item ${item} ran ${runners.length} times (${runners.join(', ')})`,
        );
    }
    for (const item of items.keys()) {
      if (item >= count)
        problems.push(`fire ${new Date(fire).toISOString()} ran item ${item} beyond the count ${count}`);
    }
  }
  return problems;
}

/** The AVG_ALLOCATION owner of each item for these instances (ElasticJob's order). */
export function expectedOwners(instances: readonly string[], count: number): Map<number, string> {
  const owners = new Map<number, string>();
  for (const [instance, items] of averageAllocation(reverseLexicographic(instances), count)) {
    for (const item of items) owners.set(item, instance);
  }
  return owners;
}

/** Whole seconds, as fire times of a `* * * * * ?` job. */
export function secondFloor(time: number): number {
  return Math.floor(time / 1_000) * 1_000;
}

/** Every (fire, item) that ran on more than one instance, whatever else happened. */
export function doubleRuns(records: readonly FireRecord[]): string[] {
  const problems: string[] = [];
  for (const [fire, items] of byFire(records)) {
    for (const [item, runners] of items)
      if (runners.length > 1) problems.push(`${new Date(fire).toISOString()} item ${item}: ${runners.join(', ')}`);
  }
  return problems;
}
