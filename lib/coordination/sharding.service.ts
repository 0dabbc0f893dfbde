import { MIRROR_WRITE_FAILED } from '../elastic-job.messages.js';
import type { JobConfiguration } from '../config/job-configuration.js';
import type { JobShardingStrategy } from '../interfaces/job-sharding-strategy.interface.js';
import type { ElectionService } from './election.service.js';
import { knownItems, readRunningOwners } from './execution.service.js';
import { waitForCache, type JobContext } from './job-context.js';
import type { InstanceService } from './instance.service.js';
import {
  entryAt,
  itemsOf,
  rotatedOwner,
  rotationOf,
  latestEntry,
  matchesMirror,
  parsePlan,
  serializePlan,
  withEntry,
  type PlanEntry,
  type ShardingPlan,
} from './sharding-plan.js';
import { setLongTimeout, type LongTimeout } from '../utils/long-timeout.js';

export type ShardingOutcome =
  'done' | 'flag-raised-again' | 'not-needed' | 'not-leader' | 'no-instances' | 'items-running';

/** This instance's share of one fire. */
export interface FireAssignment {
  /** `shardingTotalCount` of the assignment in force. */
  count: number;
  /** Items this instance runs, ascending. */
  items: number[];
  /** Items the assignment gives this instance that are disabled (it runs none of them). */
  disabled?: number[];
}

/** How far a rotation is counted in one go (a year of fires every second is 31.5 million). */
const MAX_TURN_STEPS = 10_000_000;

/** Time every instance gets to see a new assignment before it applies. */
export const PLAN_MARGIN_MS = 500;
/**
 * How long before an assignment applies its `sharding/{i}/instance` nodes are written. A Java
 * follower knows no plan: it reads those nodes as each fire starts, so they must change after
 * the last fire of the old assignment has started and before the first of the new one.
 */
export const MIRROR_LEAD_MS = 250;

/**
 * `ShardingService`: the leader turns `leader/sharding/necessary` into an assignment. Write
 * order, safe to stop at any point: `processing` (ephemeral) first, then the plan and
 * ElasticJob's `sharding/{i}/instance` nodes, `necessary` and then `processing` removed last.
 * A leader that dies midway leaves `necessary` behind, and the next leader reshards.
 */
export class ShardingService {
  private mirrorTimers: LongTimeout[] = [];

  constructor(
    private readonly context: JobContext,
    private readonly instances: InstanceService,
    private readonly election: ElectionService,
    private readonly config: () => JobConfiguration,
    private readonly strategy: () => JobShardingStrategy,
    private readonly nextFireAfter: (time: number) => number | undefined,
  ) {}

  /** Only the leader raises the flag (ElasticJob #1472). */
  async setReshardingFlag(): Promise<void> {
    if (this.election.isLeader) await this.context.registry.persist(this.context.path.shardingNecessary, '');
  }

  get isShardingNeeded(): boolean {
    return this.context.cache.has(this.context.path.shardingNecessary);
  }

  get isProcessing(): boolean {
    return this.context.cache.has(this.context.path.shardingProcessing);
  }

  /** Whether `sharding/` holds any assignment yet. */
  get hasShardingInfo(): boolean {
    return (this.context.cache.getChildren(this.context.path.sharding) ?? []).length > 0;
  }

  /** Items with a `running` node, read from ZooKeeper (the cache does not follow them). */
  async runningItems(): Promise<number[]> {
    return [...(await readRunningOwners(this.context, knownItems(this.context))).keys()];
  }

  private parsed: { text: string | undefined; plan: ShardingPlan | undefined } = { text: undefined, plan: undefined };

  /** The plan in the cache, parsed once per version (it is read several times per fire). */
  get plan(): ShardingPlan | undefined {
    const text = this.context.cache.get(this.context.path.shardingPlan);
    if (text !== this.parsed.text) this.parsed = { text, plan: parsePlan(text) };
    return this.parsed.plan;
  }

  /**
   * The plan is followed while it is the current leader's, or still what the
   * `sharding/{i}/instance` nodes show. A leader that writes no plan (a Java ElasticJob
   * instance) changes those nodes, and then they are followed, with ElasticJob's semantics.
   */
  authoritativePlan(): ShardingPlan | undefined {
    const plan = this.plan;
    if (!plan) return undefined;
    if (plan.leader === this.election.leader) return plan;
    const mirrorItems = (this.context.cache.getChildren(this.context.path.sharding) ?? []).length;
    const owner = (item: number) => this.ownerOf(item);
    // The nodes show the newest assignment, or the one in force until it applies (they are
    // written a moment before each applies).
    return matchesMirror(latestEntry(plan), owner, mirrorItems) ||
      matchesMirror(entryAt(plan, Date.now()), owner, mirrorItems)
      ? plan
      : undefined;
  }

  /** The assignment in force at `fireTime`, when a plan is followed. */
  private entryAt(fireTime: number, manual: boolean): PlanEntry | undefined {
    const plan = this.authoritativePlan();
    return plan ? entryAt(plan, fireTime, manual ? PLAN_MARGIN_MS : undefined) : undefined;
  }

  /**
   * Who owns each item at the fire at `fireTime` (item → instance id), when a plan is
   * followed: the entry in force, with a rotating item 0 at its owner in turn.
   */
  ownersAt(fireTime: number, manual = false): { count: number; owners: Record<string, string> } | undefined {
    const entry = this.entryAt(fireTime, manual);
    if (!entry) return undefined;
    if (!entry.rotation || entry.count !== 1) return { count: entry.count, owners: entry.items };
    const owner = this.ownerInTurn(entry, fireTime, manual);
    return { count: 1, owners: owner === undefined ? {} : { '0': owner } };
  }

  /** This instance's items for the fire at `fireTime` (disabled items excluded by the caller). */
  assignmentAt(fireTime: number, manual = false): FireAssignment | undefined {
    const fire = this.ownersAt(fireTime, manual);
    if (!fire) return undefined;
    const me = this.context.identity.instanceId;
    return { count: fire.count, items: itemsOf({ from: 0, count: fire.count, items: fire.owners }, me) };
  }

  /** Whether any assignment still to come gives this instance items (in turn, too). */
  hasFutureItems(): boolean {
    const plan = this.authoritativePlan();
    if (!plan) return false;
    const latest = latestEntry(plan);
    const me = this.context.identity.instanceId;
    return itemsOf(latest, me).length > 0 || (latest.rotation?.includes(me) ?? false);
  }

  private turns: { key: string; fire: number; n: number } | undefined;

  /**
   * Item 0's owner at the fire at `fireTime` of an entry with a rotation: it moves on one step
   * per scheduled fire from the entry's first, counted with the cron in force, so every
   * instance finds the same one whatever it counted before. A trigger (no scheduled fire, and
   * no instant every instance shares) runs on the entry's first owner.
   */
  private ownerInTurn(entry: PlanEntry, fireTime: number, manual: boolean): string | undefined {
    const first = entry.from > 0 ? entry.from : this.nextFireAfter((entry.published ?? fireTime) - 1);
    if (manual || first === undefined || fireTime <= first) return rotatedOwner(entry, 0);
    const config = this.config();
    const key = `${entry.from}/${entry.published ?? 0}/${config.cron}/${config.timeZone ?? ''}`;
    const cached = this.turns?.key === key && this.turns.fire <= fireTime ? this.turns : undefined;
    let { fire, n } = cached ?? { fire: first, n: 0 };
    for (let steps = 0; steps < MAX_TURN_STEPS; steps += 1) {
      const next = this.nextFireAfter(fire);
      if (next === undefined || next > fireTime) break;
      fire = next;
      n += 1;
    }
    this.turns = { key, fire, n };
    return rotatedOwner(entry, n);
  }

  /** The assignment this instance published last, as the leader (item → owner). */
  published: { items: Readonly<Record<string, string>>; from: number } | undefined;

  /** When the newest assignment applies from (epoch ms), if a plan is followed. */
  latestFrom(): number | undefined {
    const plan = this.authoritativePlan();
    return plan ? latestEntry(plan).from : undefined;
  }

  async shardIfNecessary(options: { evenIfItemsRun?: boolean } = {}): Promise<ShardingOutcome> {
    if (!this.isShardingNeeded) return 'not-needed';
    if (!this.election.isLeader) return 'not-leader';
    const config = this.config();
    const available = this.instances.availableInstances();
    if (available.length === 0) return 'no-instances';
    // Moving an item while it runs would let its new owner start it while the old one still runs.
    if (config.monitorExecution && !options.evenIfItemsRun && (await this.runningItems()).length > 0) {
      return 'items-running';
    }
    const { registry, path, identity } = this.context;
    const flag = await registry.getStat(path.shardingNecessary);
    if (!flag) return 'not-needed';
    const count = config.shardingTotalCount;
    await registry.persistEphemeral(path.shardingProcessing, '');
    const items: Record<string, string> = {};
    for (const [instance, assigned] of this.strategy().sharding(available, path.jobName, count)) {
      for (const item of assigned) items[String(item)] = instance;
    }
    // ElasticJob's rotation of a one-item SINGLE_SHARDING_BALANCE job, decided per fire here.
    const rotation =
      count === 1 && config.jobShardingStrategyType === 'SINGLE_SHARDING_BALANCE' && items['0'] !== undefined
        ? rotationOf(
            available.map((id) => ({ id, ip: this.instances.serverIpOf(id) ?? id })),
            items['0'],
          )
        : undefined;
    const now = Date.now();
    const previous = this.plan;
    // Moving a gone owner's items at the next fire (no margin) is safe only when the fence
    // (`running` nodes) stops an owner that comes back and runs that fire on the old entry.
    const gone = previous && config.monitorExecution ? await this.goneOwners(previous) : new Set<string>();
    const plan = withEntry(
      previous,
      identity.instanceId,
      { count, items, ...(rotation ? { rotation } : {}) },
      now,
      PLAN_MARGIN_MS,
      this.nextFireAfter,
      gone,
    );
    const text = serializePlan(plan);
    await registry.persist(path.shardingPlan, text);
    await this.mirror(plan, text, now);
    // Raised again meanwhile (an instance joined while we computed): keep it for another round.
    const cleared = await registry.removeIfVersion(path.shardingNecessary, flag.version);
    await registry.remove(path.shardingProcessing);
    this.published = { items, from: latestEntry(plan).from };
    return cleared ? 'done' : 'flag-raised-again';
  }

  /**
   * Owners named by the plan's current or coming assignments that are gone: no instance node,
   * and no `leaving` marker (a graceful leave still runs its items until its handover). Judged
   * in ZooKeeper, not from the order the cache reported the departure in.
   */
  private async goneOwners(plan: ShardingPlan): Promise<Set<string>> {
    const { registry, path } = this.context;
    const online = new Set(this.instances.onlineInstances());
    const now = Date.now();
    const named = new Set<string>();
    for (const entry of plan.entries) {
      if (entry !== entryAt(plan, now) && entry.from <= now) continue;
      for (const owner of Object.values(entry.items)) if (!online.has(owner)) named.add(owner);
    }
    const gone = new Set<string>();
    for (const owner of named) {
      const [instance, leaving] = await Promise.all([
        registry.getStat(path.instance(owner)),
        registry.getStat(path.leaving(owner)),
      ]);
      if (!instance && !leaving) gone.add(owner);
    }
    return gone;
  }

  /**
   * Writes ElasticJob's `sharding/{i}/instance` nodes for each assignment of the plan that is
   * in force or still to come: the one in force now at once, each later one MIRROR_LEAD_MS
   * before it applies (as long as this instance still leads and the plan is unchanged).
   */
  private async mirror(plan: ShardingPlan, text: string, now: number): Promise<void> {
    this.cancelMirror();
    const inForce = entryAt(plan, now);
    await this.writeMirror(inForce);
    for (const entry of plan.entries.filter((candidate) => candidate.from > now)) {
      // A later assignment of a yearly cron applies months from now: past setTimeout's reach.
      const timer = setLongTimeout(
        () => {
          this.mirrorTimers = this.mirrorTimers.filter((other) => other !== timer);
          if (!this.election.isLeader || this.context.cache.get(this.context.path.shardingPlan) !== text) return;
          this.writeMirror(entry).catch((error: unknown) =>
            this.context.logger.warn(MIRROR_WRITE_FAILED(this.context.path.jobName, error), 'ElasticJob'),
          );
        },
        entry.from - MIRROR_LEAD_MS - Date.now(),
      );
      this.mirrorTimers.push(timer);
    }
  }

  private async writeMirror(entry: PlanEntry): Promise<void> {
    const { registry, path, cache } = this.context;
    await Promise.all(
      Object.entries(entry.items).map(([item, instance]) =>
        cache.get(path.itemInstance(Number(item))) === instance
          ? Promise.resolve()
          : registry.persist(path.itemInstance(Number(item)), instance),
      ),
    );
  }

  /** Stops writing assignments scheduled for later (leaving, closing). */
  cancelMirror(): void {
    for (const timer of this.mirrorTimers.splice(0)) timer.clear();
  }

  /**
   * `sharding/{i}` for items beyond a smaller count go once no fire can use them: the
   * assignment with the larger count applies until the new one's `from`, and its running
   * nodes would bring them back.
   */
  async removeItemsBeyondCount(): Promise<void> {
    const { cache, path, registry } = this.context;
    const plan = this.authoritativePlan();
    const latest = plan ? latestEntry(plan) : undefined;
    const count = latest?.count ?? this.config().shardingTotalCount;
    if (latest && latest.from > Date.now()) return;
    const beyond = (cache.getChildren(path.sharding) ?? [])
      .map(Number)
      .filter((item) => Number.isInteger(item) && item >= count);
    if (beyond.length === 0) return;
    const running = await readRunningOwners(this.context, beyond);
    const stale = beyond.filter((item) => !running.has(item));
    await Promise.all(stale.map((item) => registry.remove(path.shardingItem(item))));
  }

  /** ElasticJob's follower wait during resharding, bounded (used without a plan). */
  waitUntilSharded(timeoutMs: number): Promise<boolean> {
    return waitForCache(this.context.cache, () => !this.isShardingNeeded && !this.isProcessing, timeoutMs);
  }

  /** The owner ElasticJob's `sharding/{i}/instance` node names. */
  ownerOf(item: number): string | undefined {
    return this.context.cache.get(this.context.path.itemInstance(item));
  }

  /**
   * The owner a trigger now would run the item on: the plan's assignment in force for one
   * (every instance has seen it) when a plan is followed, else what the item's
   * `sharding/{i}/instance` node names (written only just before a scheduled fire uses it).
   */
  assignedOwner(item: number): string | undefined {
    const plan = this.authoritativePlan();
    return plan ? entryAt(plan, Date.now(), PLAN_MARGIN_MS).items[String(item)] : this.ownerOf(item);
  }

  /** Items the `sharding/{i}/instance` nodes give this instance, ascending. */
  mirroredItems(): number[] {
    const count = this.config().shardingTotalCount;
    const me = this.context.identity.instanceId;
    const items: number[] = [];
    for (let item = 0; item < count; item += 1) if (this.ownerOf(item) === me) items.push(item);
    return items;
  }
}
