/**
 * One assignment per fire. ElasticJob lets a reshard land in the middle of a fire: an instance
 * that starts fire T a little late reads the new assignment while the others ran the old one,
 * and an item runs twice or not at all. Here the leader publishes each assignment with the
 * scheduled fire time from which it applies (`from`, always a fire time at least a margin
 * ahead), and every instance runs, for fire T, the assignment in force at T. Scheduled fire
 * times are the same on every instance, so they all pick the same one whatever their lateness.
 *
 * The plan lives in a node of our own (`leader/sharding/plan`, JSON); ElasticJob's
 * `sharding/{i}/instance` nodes are still written, for Java instances and tools.
 */

export interface PlanEntry {
  /** First scheduled fire time (epoch ms) this assignment applies to; 0 = from the start. */
  from: number;
  /** `shardingTotalCount` of this assignment. */
  count: number;
  /** Item number to instance id. */
  items: Record<string, string>;
  /**
   * When the leader published it (epoch ms, its clock). A manual trigger, which is no
   * scheduled fire, uses it once every instance has had the margin to see it, even when its
   * first scheduled fire is far away (a daily job).
   */
  published?: number;
  /**
   * `SINGLE_SHARDING_BALANCE` with one item: who runs it in turn, one instance per server IP in
   * the order of the available instances (ElasticJob's `next-job-instance-ip`: after a run on
   * an IP, the next IP). Item 0's owner (`items`) runs this entry's first fire.
   */
  rotation?: string[];
}

export interface ShardingPlan {
  version: 1;
  /** The leader that wrote it. */
  leader: string;
  /** Ascending by `from`. */
  entries: PlanEntry[];
}

/** Entries kept besides the one in force: later ones, and one earlier for late fires. */
const MAX_ENTRIES = 4;

export function parsePlan(text: string | undefined): ShardingPlan | undefined {
  if (!text) return undefined;
  try {
    const plan = JSON.parse(text) as ShardingPlan;
    if (plan?.version !== 1 || !Array.isArray(plan.entries) || plan.entries.length === 0) return undefined;
    return plan;
  } catch {
    return undefined;
  }
}

export function serializePlan(plan: ShardingPlan): string {
  return JSON.stringify(plan);
}

/**
 * The entry in force at `fireTime`: the last one whose `from` is not after it. For a manual
 * trigger at `fireTime` (given `marginMs`), also the last one published at least the margin
 * before it.
 */
export function entryAt(plan: ShardingPlan, fireTime: number, manualMarginMs?: number): PlanEntry {
  let found = plan.entries[0]!;
  for (const entry of plan.entries) {
    const seen =
      manualMarginMs !== undefined && entry.published !== undefined && entry.published + manualMarginMs <= fireTime;
    if (entry.from <= fireTime || seen) found = entry;
  }
  return found;
}

/** The newest entry (what the `sharding/{i}/instance` nodes show). */
export function latestEntry(plan: ShardingPlan): PlanEntry {
  return plan.entries[plan.entries.length - 1]!;
}

/**
 * The rotation of a one-item `SINGLE_SHARDING_BALANCE` job: for each server IP, in the order of
 * `available`, its first instance, except that item 0's owner stands for its own IP. Pure.
 */
export function rotationOf(available: ReadonlyArray<{ id: string; ip: string }>, owner: string): string[] {
  const ownerIp = available.find((instance) => instance.id === owner)?.ip;
  const byIp = new Map<string, string>();
  for (const { id, ip } of available) {
    if (!byIp.has(ip)) byIp.set(ip, ip === ownerIp ? owner : id);
  }
  return [...byIp.values()];
}

/** Who runs item 0 at the `n`-th scheduled fire (from 0) of an entry with a rotation. Pure. */
export function rotatedOwner(entry: PlanEntry, n: number): string | undefined {
  const owner = entry.items['0'];
  const rotation = entry.rotation;
  if (!rotation || rotation.length === 0 || owner === undefined) return owner;
  const start = Math.max(rotation.indexOf(owner), 0);
  return rotation[(start + n) % rotation.length];
}

/** Items of `instanceId` in `entry`, ascending. */
export function itemsOf(entry: PlanEntry, instanceId: string): number[] {
  return Object.entries(entry.items)
    .filter(([, owner]) => owner === instanceId)
    .map(([item]) => Number(item))
    .sort((a, b) => a - b);
}

/**
 * Adds a new assignment. It applies from the first fire at least `marginMs` after `now`
 * (time for every instance to see it), or at once when there was none before. Entries that
 * no fire can use any more are dropped.
 *
 * Items of owners that are `gone` (crashed, expired, or a Java instance that left: nobody runs
 * them, so there is nothing to hand over) move sooner: from the very next fire, an interim
 * entry gives them to their new owners and leaves every other item where it was. An instance
 * that misses the interim for that fire only leaves such an item unrun, as before. An owner
 * judged gone that comes back (a new session) and runs that fire on the old entry meets the
 * item's `running` node: the leader brings items forward only for jobs with that fence.
 */
export function withEntry(
  previous: ShardingPlan | undefined,
  leader: string,
  assignment: { count: number; items: Record<string, string>; rotation?: string[] },
  now: number,
  marginMs: number,
  nextFireAfter: (time: number) => number | undefined,
  gone: ReadonlySet<string> = new Set(),
): ShardingPlan {
  const from = previous ? (nextFireAfter(now + marginMs) ?? now + marginMs) : 0;
  const kept = (previous?.entries ?? []).filter((entry) => entry.from < from);
  const inForce = kept.filter((entry) => entry.from <= now);
  let future = kept.filter((entry) => entry.from > now);
  if (previous && gone.size > 0) {
    const repair = (entry: PlanEntry): PlanEntry => {
      const items = { ...entry.items };
      for (const [item, owner] of Object.entries(items)) {
        const next = assignment.items[item];
        if (gone.has(owner) && next !== undefined) items[item] = next;
      }
      const rotation = entry.rotation?.filter((id) => !gone.has(id));
      return { ...entry, items, ...(rotation ? { rotation } : {}) };
    };
    const first = nextFireAfter(now);
    future = future.map(repair);
    if (first !== undefined && first < from && !future.some((entry) => entry.from === first)) {
      const interim = { ...repair(entryAt(previous, first)), from: first };
      if (JSON.stringify(interim.items) !== JSON.stringify(entryAt(previous, first).items)) {
        future = [interim, ...future].sort((a, b) => a.from - b.from);
      }
    }
  }
  const entries = [...inForce.slice(-2), ...future, { from, ...assignment, published: now }].slice(-MAX_ENTRIES);
  return { version: 1, leader, entries };
}

/** Whether `entry` is what the `sharding/{i}/instance` nodes say. */
export function matchesMirror(
  entry: PlanEntry,
  ownerOf: (item: number) => string | undefined,
  itemsInMirror: number,
): boolean {
  if (itemsInMirror !== entry.count) return false;
  for (let item = 0; item < entry.count; item += 1) {
    if (ownerOf(item) !== entry.items[String(item)]) return false;
  }
  return true;
}
