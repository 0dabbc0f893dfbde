import type { JobConfiguration } from '../config/job-configuration.js';
import type { JobShardingStrategy } from '../interfaces/job-sharding-strategy.interface.js';
import type { ElectionService } from './election.service.js';
import { waitForCache, type JobContext } from './job-context.js';
import type { InstanceService } from './instance.service.js';

export type ShardingOutcome = 'done' | 'not-needed' | 'not-leader' | 'no-instances' | 'items-running';

/**
 * `ShardingService`: the leader turns `leader/sharding/necessary` into `sharding/{i}/instance`
 * assignments. Write order, safe to stop at any point: `processing` (ephemeral) first, the
 * assignments next, `necessary` and then `processing` removed last. A leader that dies midway
 * leaves `necessary` behind, and the next leader reshards.
 */
export class ShardingService {
  constructor(
    private readonly context: JobContext,
    private readonly instances: InstanceService,
    private readonly election: ElectionService,
    private readonly config: () => JobConfiguration,
    private readonly strategy: () => JobShardingStrategy,
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

  hasRunningItems(): boolean {
    const { cache, path } = this.context;
    return (cache.getChildren(path.sharding) ?? []).some((item) => cache.has(`${path.sharding}/${item}/running`));
  }

  async shardIfNecessary(): Promise<ShardingOutcome> {
    if (!this.isShardingNeeded) return 'not-needed';
    if (!this.election.isLeader) return 'not-leader';
    const config = this.config();
    const available = this.instances.availableInstances();
    if (available.length === 0) return 'no-instances';
    // Moving an item while it runs would let its new owner start it a second time.
    if (config.monitorExecution && this.hasRunningItems()) return 'items-running';
    const { registry, path, cache } = this.context;
    const count = config.shardingTotalCount;
    await registry.persistEphemeral(path.shardingProcessing, '');
    const assignment = this.strategy().sharding(available, path.jobName, count);
    const owners = new Map<number, string>();
    for (const [instance, items] of assignment) for (const item of items) owners.set(item, instance);
    const stale = (cache.getChildren(path.sharding) ?? [])
      .map(Number)
      .filter((item) => Number.isInteger(item) && item >= count);
    await Promise.all([
      ...stale.map((item) => registry.remove(path.shardingItem(item))),
      ...[...owners].map(([item, instance]) =>
        cache.get(path.itemInstance(item)) === instance
          ? Promise.resolve()
          : registry.persist(path.itemInstance(item), instance),
      ),
    ]);
    await registry.remove(path.shardingNecessary);
    await registry.remove(path.shardingProcessing);
    return 'done';
  }

  /** A follower reaching a fire during resharding waits for it, bounded. */
  waitUntilSharded(timeoutMs: number): Promise<boolean> {
    return waitForCache(this.context.cache, () => !this.isShardingNeeded && !this.isProcessing, timeoutMs);
  }

  ownerOf(item: number): string | undefined {
    return this.context.cache.get(this.context.path.itemInstance(item));
  }

  /** Items assigned to this instance, ascending. */
  assignedItems(): number[] {
    const count = this.config().shardingTotalCount;
    const me = this.context.identity.instanceId;
    const items: number[] = [];
    for (let item = 0; item < count; item += 1) if (this.ownerOf(item) === me) items.push(item);
    return items;
  }
}
