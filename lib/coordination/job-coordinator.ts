import type { LoggerService } from '@nestjs/common';
import type { JobConfiguration } from '../config/job-configuration.js';
import type { JobShardingStrategy } from '../interfaces/job-sharding-strategy.interface.js';
import type {
  CacheEvent,
  ConnectionStateChange,
  RegistryCenter,
  TreeCache,
} from '../registry/registry-center.interface.js';
import { ConfigService } from './config.service.js';
import { ElectionService } from './election.service.js';
import { ExecutionService } from './execution.service.js';
import type { InstanceIdentity } from './instance-identity.js';
import { InstanceService } from './instance.service.js';
import type { JobContext } from './job-context.js';
import { JobNodePath } from './job-node-path.js';
import { ServerService } from './server.service.js';
import { ShardingService } from './sharding.service.js';
import { TriggerService } from './trigger.service.js';

/** What the execution side is told by coordination. */
export interface CoordinatorEvents {
  /** A `trigger/{me}` node arrived (it is already consumed). */
  onTrigger(): void;
  /** The `config` node changed and is valid. */
  onConfigurationChanged(previous: JobConfiguration, current: JobConfiguration): void;
  /** The session is gone: local items are no longer ours. */
  onSessionLost(): void;
  /** Connected again: same session, or a new one after re-registration. */
  onSessionRestored(newSession: boolean): void;
}

const SHARDING_DEBOUNCE_MS = 50;
const FOLLOWER_SHARDING_WAIT_MS = 5_000;

/**
 * Everything one job does in ZooKeeper, ElasticJob's services wired to the job's cache: the
 * listeners of ElasticJob's `ListenerManager`, plus eager resharding by the leader.
 */
export class JobCoordinator {
  readonly path: JobNodePath;
  private context!: JobContext;
  private configService!: ConfigService;
  servers!: ServerService;
  instances!: InstanceService;
  election!: ElectionService;
  sharding!: ShardingService;
  execution!: ExecutionService;
  triggers!: TriggerService;
  private detach: Array<() => void> = [];
  private takingItems = false;
  private leaving = false;
  private shardingTimer: NodeJS.Timeout | undefined;
  private shardingChain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly registry: RegistryCenter,
    private readonly identity: InstanceIdentity,
    private readonly logger: LoggerService,
    jobName: string,
    private readonly strategy: (config: JobConfiguration) => JobShardingStrategy,
    private readonly events: CoordinatorEvents,
  ) {
    this.path = new JobNodePath(jobName);
  }

  get jobName(): string {
    return this.path.jobName;
  }

  get cache(): TreeCache {
    return this.context.cache;
  }

  /** The configuration that runs (the registry's, once set up). */
  get config(): JobConfiguration {
    return this.configService.current();
  }

  /**
   * Writes (or loads) the configuration and starts the job's cache; with `takeItems`, joins
   * the cluster: server and instance nodes, election, resharding flag.
   */
  async register(code: JobConfiguration, jobClassName: string, takeItems: boolean): Promise<JobConfiguration> {
    const effective = await ConfigService.setUp(this.registry, this.path, code, jobClassName, (message) =>
      this.logger.warn(message, 'ElasticJob'),
    );
    const cache = await this.registry.addCacheData(this.path.root);
    this.context = { path: this.path, registry: this.registry, identity: this.identity, logger: this.logger, cache };
    this.configService = new ConfigService(this.context, effective);
    this.servers = new ServerService(this.context);
    this.instances = new InstanceService(this.context, this.servers);
    this.election = new ElectionService(this.context);
    this.execution = new ExecutionService(this.context);
    this.triggers = new TriggerService(this.context);
    this.sharding = new ShardingService(
      this.context,
      this.instances,
      this.election,
      () => this.config,
      () => this.strategy(this.config),
    );
    let previous = effective;
    this.detach.push(
      cache.addListener((event) => this.onCacheEvent(event)),
      cache.addListener((event) => {
        if (event.key !== this.path.config || event.type === 'removed') return;
        const current = this.config;
        if (current !== previous) {
          const before = previous;
          previous = current;
          if (before.shardingTotalCount !== current.shardingTotalCount) this.flagResharding(true);
          this.events.onConfigurationChanged(before, current);
        }
      }),
      this.registry.addConnectionStateListener((change) => this.onConnectionState(change)),
    );
    if (takeItems) await this.join(!effective.disabled);
    return effective;
  }

  /** Server, instance, election and resharding flag: this instance takes part from now on. */
  async join(enabled: boolean): Promise<void> {
    this.takingItems = true;
    await this.servers.persistOnline(enabled);
    await this.instances.persistOnline();
    await this.cache.sync();
    if (enabled) await this.election.electLeader();
    await this.cache.sync();
    if (this.election.isLeader) {
      await this.sharding.setReshardingFlag();
      this.scheduleSharding();
    }
  }

  /** Items this instance runs at a fire: assigned here, not disabled; none when the server is disabled. */
  localItems(): number[] {
    if (!this.takingItems || !this.servers.isLocalEnabled || !this.instances.isOnline) return [];
    return this.sharding.assignedItems().filter((item) => !this.execution.isDisabled(item));
  }

  /**
   * Before a fire: the leader reshards if it must and can; a follower waits (bounded, watched)
   * for a resharding in progress.
   */
  async prepareFire(): Promise<void> {
    if (!this.sharding.isShardingNeeded) return;
    if (this.election.isLeader) {
      await this.runSharding();
    } else if (!(await this.sharding.waitUntilSharded(FOLLOWER_SHARDING_WAIT_MS))) {
      this.logger.warn(
        `Job "${this.jobName}": resharding still pending after ${FOLLOWER_SHARDING_WAIT_MS} ms; this fire uses the current assignment.`,
        'ElasticJob',
      );
    }
    // The flag can leave the cache before the new assignments land in it.
    await this.cache.sync();
  }

  /** Cluster-wide trigger: one `trigger/{id}` node per live instance. */
  triggerAll(): Promise<void> {
    return this.triggers.triggerAll(this.instances.onlineInstances());
  }

  /** Leaves the cluster: instance node and leadership removed, so the others reshard at once. */
  async leave(): Promise<void> {
    this.leaving = true;
    this.cancelSharding();
    if (!this.takingItems) return;
    this.takingItems = false;
    await this.instances.removeOnline();
    await this.election.abdicate();
  }

  close(): void {
    this.leaving = true;
    this.cancelSharding();
    for (const detach of this.detach.splice(0)) detach();
  }

  // ------------------------------------------------------------ listeners

  private onCacheEvent(event: CacheEvent): void {
    if (this.leaving) return;
    const { key, type } = event;
    const path = this.path;
    if (key === path.leaderInstance && type === 'removed') {
      if (this.takingItems && this.servers.isAvailable(this.identity.serverIp))
        this.background('election', () => this.electAndShard());
      return;
    }
    if (key.startsWith(`${path.servers}/`)) {
      const ip = key.slice(path.servers.length + 1);
      if (ip === this.identity.serverIp && this.takingItems) {
        if (event.data === 'DISABLED' && this.election.isLeader)
          this.background('abdication', () => this.election.abdicate());
        if (event.data === 'ENABLED' && !this.election.hasLeader)
          this.background('election', () => this.electAndShard());
      }
      this.flagResharding();
      return;
    }
    if (key.startsWith(`${path.instances}/`) && (type === 'added' || type === 'removed')) {
      this.flagResharding();
      return;
    }
    if (this.triggers && this.triggers.isOwnTrigger(key) && type === 'added') {
      if (!this.takingItems) return;
      this.background('trigger', async () => {
        await this.triggers.consume();
        this.events.onTrigger();
      });
      return;
    }
    if (
      (key === path.shardingNecessary && type === 'added') ||
      (type === 'removed' && (key.endsWith('/running') || key === path.shardingProcessing))
    ) {
      if (this.election.isLeader) this.scheduleSharding();
    }
  }

  /** Instance or server changes reshard, unless static sharding already has an assignment. */
  private flagResharding(countChanged = false): void {
    if (!this.election.isLeader) return;
    if (!countChanged && this.config.staticSharding && this.sharding.hasShardingInfo) return;
    this.background('resharding flag', async () => {
      await this.sharding.setReshardingFlag();
      this.scheduleSharding();
    });
  }

  private async electAndShard(): Promise<void> {
    if (await this.election.electLeader()) {
      await this.cache.sync();
      this.scheduleSharding();
    }
  }

  private onConnectionState(change: ConnectionStateChange): void {
    if (this.leaving) return;
    if (change.state === 'LOST') {
      this.cancelSharding();
      this.events.onSessionLost();
      return;
    }
    if (change.state !== 'RECONNECTED') return;
    if (!change.newSession || !this.takingItems) {
      this.events.onSessionRestored(change.newSession);
      return;
    }
    this.background('re-registration after a new session', async () => {
      await this.cache.sync();
      const status = this.cache.get(this.path.server(this.identity.serverIp));
      await this.servers.persistOnline(status !== 'DISABLED');
      await this.instances.persistOnline();
      if (status !== 'DISABLED') await this.election.electLeader();
      await this.cache.sync();
      if (this.election.isLeader) await this.sharding.setReshardingFlag();
      this.events.onSessionRestored(true);
    });
  }

  // ------------------------------------------------------------ eager sharding

  /** The leader reshards as soon as it can (debounced), not only at the next fire. */
  private scheduleSharding(): void {
    if (this.shardingTimer || this.leaving) return;
    this.shardingTimer = setTimeout(() => {
      this.shardingTimer = undefined;
      if (this.sharding.isShardingNeeded && this.election.isLeader) void this.runSharding();
    }, SHARDING_DEBOUNCE_MS);
  }

  private cancelSharding(): void {
    if (this.shardingTimer) clearTimeout(this.shardingTimer);
    this.shardingTimer = undefined;
  }

  /** One sharding at a time. */
  private runSharding(): Promise<void> {
    const run = this.shardingChain.then(async () => {
      try {
        await this.sharding.shardIfNecessary();
      } catch (error) {
        this.logger.error(`Job "${this.jobName}": resharding failed: ${String(error)}`, undefined, 'ElasticJob');
      }
    });
    this.shardingChain = run;
    return run;
  }

  private background(what: string, work: () => Promise<void>): void {
    work().catch((error: unknown) => {
      if (this.leaving) return;
      this.logger.error(`Job "${this.jobName}": ${what} failed: ${String(error)}`, undefined, 'ElasticJob');
    });
  }
}
