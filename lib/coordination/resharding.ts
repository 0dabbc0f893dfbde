import { JOB_STEP_FAILED, RESHARDING_FORCED } from '../elastic-job.messages.js';
import type { CacheEvent } from '../registry/registry-center.interface.js';
import type { ElectionService } from './election.service.js';
import type { ExecutionService } from './execution.service.js';
import type { JobScope } from './job-context.js';
import type { ShardingService } from './sharding.service.js';

const SHARDING_DEBOUNCE_MS = 50;
/** How long the leader waits for running items before it reshards anyway. */
export const RESHARD_WAIT_FOR_RUNNING_MS = 30_000;

/**
 * The leader's resharding, eager: as soon as an instance or a server changes (debounced, so one
 * join or leave is one resharding), not only at the next fire. One resharding at a time; while
 * items run the leader waits for them (watched), but not past RESHARD_WAIT_FOR_RUNNING_MS.
 */
export class Resharding {
  private debounce: NodeJS.Timeout | undefined;
  private forced: NodeJS.Timeout | undefined;
  private waitingForRunningSince: number | undefined;
  private watchingRunning = false;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly scope: JobScope,
    private readonly sharding: ShardingService,
    private readonly election: ElectionService,
    private readonly execution: ExecutionService,
  ) {}

  /** Instances and servers coming and going, and the flag itself, as the cache reports them. */
  listen(): () => void {
    const { path } = this.scope;
    return this.scope.cache.addListener(({ key, type }: CacheEvent) => {
      if (this.scope.stopping) return;
      if (key.startsWith(`${path.servers}/`)) this.flag();
      else if (key.startsWith(`${path.instances}/`) && (type === 'added' || type === 'removed')) this.flag();
      else if (
        (key === path.shardingNecessary && type !== 'removed') ||
        (key === path.shardingProcessing && type === 'removed')
      ) {
        if (this.election.isLeader) this.schedule();
      }
    });
  }

  /**
   * The leader raises the resharding flag and reshards; instance or server changes do nothing
   * under static sharding once an assignment exists (a new item count always reshards).
   */
  flag(countChanged = false): void {
    if (!this.election.isLeader) return;
    const config = this.scope.config();
    if (!countChanged && config.staticSharding && this.sharding.hasShardingInfo) return;
    this.scope.background('resharding flag', () => this.raise());
  }

  /** The flag raised now, and resharding scheduled. */
  async raise(): Promise<void> {
    await this.sharding.setReshardingFlag();
    this.schedule();
  }

  /** A new leader reshards: the previous one may have left without flagging its own departure. */
  async electAndShard(): Promise<void> {
    if (await this.election.electLeader()) {
      await this.scope.cache.sync();
      await this.raise();
    }
  }

  /** Reshards soon (debounced), if this instance leads and a resharding is needed by then. */
  schedule(): void {
    if (this.debounce || this.scope.stopping) return;
    this.debounce = setTimeout(() => {
      this.debounce = undefined;
      if (this.sharding.isShardingNeeded && this.election.isLeader) void this.run();
    }, SHARDING_DEBOUNCE_MS);
  }

  cancel(): void {
    if (this.debounce) clearTimeout(this.debounce);
    if (this.forced) clearTimeout(this.forced);
    this.debounce = undefined;
    this.forced = undefined;
    this.waitingForRunningSince = undefined;
  }

  /**
   * One resharding at a time. While items run the leader waits (their `running` nodes going
   * away call it again), but not forever: past RESHARD_WAIT_FOR_RUNNING_MS it reshards anyway
   * and says so; the new owners skip an item as long as it still runs elsewhere.
   */
  run(evenIfItemsRun = false): Promise<void> {
    const { scope } = this;
    const run = this.chain.then(async () => {
      try {
        const outcome = await this.sharding.shardIfNecessary({ evenIfItemsRun });
        const published = this.sharding.published;
        if ((outcome === 'done' || outcome === 'flag-raised-again') && published) {
          scope.emit({ type: 'resharded', job: scope.jobName, ...published });
        }
        if (outcome === 'flag-raised-again') this.schedule();
        if (outcome !== 'items-running') {
          if (this.forced) clearTimeout(this.forced);
          this.forced = undefined;
          this.waitingForRunningSince = undefined;
          return;
        }
        if (this.waitingForRunningSince === undefined) {
          this.waitingForRunningSince = Date.now();
          this.forced = setTimeout(() => {
            this.forced = undefined;
            if (scope.stopping || !this.sharding.isShardingNeeded || !this.election.isLeader) return;
            scope.logger.warn(RESHARDING_FORCED(scope.jobName, RESHARD_WAIT_FOR_RUNNING_MS), 'ElasticJob');
            void this.run(true);
          }, RESHARD_WAIT_FOR_RUNNING_MS);
        }
        this.wakeWhenItemsFinish(this.waitingForRunningSince);
      } catch (error) {
        if (!scope.stopping)
          scope.logger.error(JOB_STEP_FAILED(scope.jobName, 'resharding', error), undefined, 'ElasticJob');
      }
    });
    this.chain = run;
    return run;
  }

  /**
   * Tries again once the running items are done: their `running` nodes are watched for the
   * wait (the cache does not follow them), up to the forced resharding.
   */
  private wakeWhenItemsFinish(waitingSince: number): void {
    if (this.watchingRunning) return;
    this.watchingRunning = true;
    this.scope.background('waiting for running items', async () => {
      try {
        const running = await this.sharding.runningItems();
        const remaining = waitingSince + RESHARD_WAIT_FOR_RUNNING_MS - Date.now();
        if (remaining > 0 && (await this.execution.awaitNotRunning(running, remaining))) this.schedule();
      } finally {
        this.watchingRunning = false;
      }
    });
  }
}
