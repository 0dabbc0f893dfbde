import { RECONCILE_RESHARDING } from '../elastic-job.messages.js';
import type { ElectionService } from './election.service.js';
import type { InstanceService } from './instance.service.js';
import type { JobScope } from './job-context.js';
import type { Resharding } from './resharding.js';
import type { ShardingService } from './sharding.service.js';

const RECONCILE_TICK_MS = 60_000;

/**
 * ElasticJob's reconcile service: every `reconcileIntervalMinutes`, the leader raises the
 * resharding flag when the assignment names an instance that is gone, or does not cover every
 * item (unless static sharding keeps it). It ticks every minute and acts once the interval
 * has passed.
 */
export class Reconcile {
  private last = Date.now();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly scope: JobScope,
    private readonly election: ElectionService,
    private readonly instances: InstanceService,
    private readonly sharding: ShardingService,
    private readonly resharding: Resharding,
  ) {}

  start(): () => void {
    this.timer = setInterval(() => {
      const minutes = this.scope.config().reconcileIntervalMinutes;
      if (minutes < 1 || Date.now() - this.last < minutes * 60_000) return;
      this.scope.background('reconcile', async () => void (await this.reconcile()));
    }, RECONCILE_TICK_MS);
    this.timer.unref();
    return () => clearInterval(this.timer);
  }

  /** Returns whether it raised the flag. */
  async reconcile(): Promise<boolean> {
    this.last = Date.now();
    const { scope } = this;
    const config = scope.config();
    if (!this.election.isLeader || this.sharding.isShardingNeeded) return false;
    if (config.staticSharding && this.sharding.hasShardingInfo) return false;
    const online = new Set(this.instances.onlineInstances());
    const count = config.shardingTotalCount;
    const owners = Array.from({ length: count }, (_, item) => this.sharding.ownerOf(item));
    const inconsistent =
      owners.some((owner) => owner === undefined || !online.has(owner)) ||
      (scope.cache.getChildren(scope.path.sharding) ?? []).length !== count;
    if (!inconsistent) return false;
    scope.logger.warn(RECONCILE_RESHARDING(scope.jobName), 'ElasticJob');
    await this.resharding.raise();
    return true;
  }
}
