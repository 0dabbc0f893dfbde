import type { LoggerService } from '@nestjs/common';
import { COMPARED_FIELDS, type JobConfiguration } from '../config/job-configuration.js';
import { resolveTimeZone } from '../config/time-zone.js';
import { QuartzCron } from '../scheduling/quartz-cron.js';
import type { JobShardingStrategy } from '../interfaces/job-sharding-strategy.interface.js';
import type {
  CacheEvent,
  ConnectionStateChange,
  RegistryCenter,
  TreeCache,
} from '../registry/registry-center.interface.js';
import { ConfigService, readRegistryConfiguration } from './config.service.js';
import { toElasticJobYaml } from '../config/elastic-job-yaml.js';
import { INVALID_JOB_OPTION } from '../elastic-job.messages.js';
import { InvalidJobOptionsError } from '../errors/invalid-job-options.error.js';
import { validateJobConfiguration } from '../config/job-options.validator.js';
import { formatShardingItemParameters } from '../config/sharding-item-parameters.js';
import type { JobConfigurationChanges } from '../interfaces/job-configuration-changes.interface.js';
import { parseInstanceYaml } from '../config/elastic-job-yaml.js';
import { ElectionService } from './election.service.js';
import { ExecutionService } from './execution.service.js';
import { FailoverService } from './failover.service.js';
import type { InstanceIdentity } from './instance-identity.js';
import { InstanceService } from './instance.service.js';
import { waitForCache, type JobContext } from './job-context.js';
import type { JobEventSink } from '../events/job-event-sink.js';
import type { ExecutionSource } from '../interfaces/sharding-context.interface.js';
import type { JobInstanceInfo, ShardingInfo } from '../interfaces/job-status.interface.js';
import type { CoordinationListener, FirePlan, ItemLease, JobCoordinationPort } from './job-coordination.port.js';
import { JobNodePath } from './job-node-path.js';
import { ServerService } from './server.service.js';
import { ShardingService, type FireAssignment } from './sharding.service.js';
import { TriggerService } from './trigger.service.js';

/** What an update may change: the compared fields but `disabled` (a startup switch), and `props`. */
const UPDATABLE_FIELDS: ReadonlyArray<keyof JobConfigurationChanges> = [
  ...COMPARED_FIELDS.filter((field): field is Exclude<typeof field, 'disabled'> => field !== 'disabled'),
  'props',
];

const SHARDING_DEBOUNCE_MS = 50;
const RECONCILE_TICK_MS = 60_000;
const FOLLOWER_SHARDING_WAIT_MS = 5_000;
/** How long an operator write waits for this instance's own view to show it. */
const OWN_WRITE_VISIBLE_MS = 10_000;
/** After a leave, how long past the last fire of the old assignment before its items are drained. */
const LAST_OLD_FIRE_GRACE_MS = 50;
const STALE_RUNS_RETRY_MS = 1_000;
const REREGISTER_RETRY_MS = 500;
/** How long the leader waits for running items before it reshards anyway. */
export const RESHARD_WAIT_FOR_RUNNING_MS = 30_000;

/**
 * Everything one job does in ZooKeeper, ElasticJob's services wired to the job's cache: the
 * listeners of ElasticJob's `ListenerManager`, plus eager resharding by the leader.
 */
export class JobCoordinator implements JobCoordinationPort {
  readonly path: JobNodePath;
  private context!: JobContext;
  private configService!: ConfigService;
  servers!: ServerService;
  instances!: InstanceService;
  election!: ElectionService;
  sharding!: ShardingService;
  execution!: ExecutionService;
  triggers!: TriggerService;
  failover!: FailoverService;
  private detach: Array<() => void> = [];
  /** The runtime, told what it must know (nobody before it attaches). */
  private listener: CoordinationListener | undefined;
  private takingItems = false;
  /**
   * When this instance first joined the job: from then on a leader may give it items, so its
   * timer counts fires from here, not from when the app finished bootstrapping.
   */
  joinedAt: Date | undefined;
  private joining: Promise<void> | undefined;
  /** Left the cluster, still running its items for the fires before the new assignment. */
  private handingOver = false;
  private leaving = false;
  private shardingTimer: NodeJS.Timeout | undefined;
  private forceTimer: NodeJS.Timeout | undefined;
  private reconcileTimer: NodeJS.Timeout | undefined;
  private lastReconcile = Date.now();
  private waitingForRunningSince: number | undefined;
  private runningWatch = false;
  private shardingChain: Promise<unknown> = Promise.resolve();
  private parsedCron: { config: JobConfiguration; cron: QuartzCron } | undefined;
  /**
   * The session on which this instance is registered (its `instances/{id}` node exists on it),
   * and that node's czxid: items run only on it, and what they write is newer than that node.
   */
  private registered: { session: string; since: number } | undefined;
  private judgingStaleRuns = false;
  private staleRunsNoticed = false;

  constructor(
    private readonly registry: RegistryCenter,
    private readonly identity: InstanceIdentity,
    private readonly logger: LoggerService,
    jobName: string,
    private readonly strategy: (config: JobConfiguration) => JobShardingStrategy,
    private readonly emit: JobEventSink,
  ) {
    this.path = new JobNodePath(jobName);
  }

  get jobName(): string {
    return this.path.jobName;
  }

  attach(listener: CoordinationListener): void {
    this.listener = listener;
  }

  get cache(): TreeCache {
    return this.context.cache;
  }

  /** The configuration that runs (the registry's, once set up). */
  get config(): JobConfiguration {
    return this.configService.current();
  }

  /**
   * Writes (or loads) the configuration and starts the job's cache. Joining the cluster
   * (server and instance nodes, election, resharding flag) is `join`, when the timers start.
   */
  async register(code: JobConfiguration, jobClassName: string): Promise<JobConfiguration> {
    const effective = await ConfigService.setUp(this.registry, this.path, code, jobClassName, (message) =>
      this.logger.warn(message, 'ElasticJob'),
    );
    const cache = await this.registry.addCacheData(this.path.root, {
      fixedChildren: (key) => this.path.cachedChildrenOf(key),
    });
    this.context = { path: this.path, registry: this.registry, identity: this.identity, logger: this.logger, cache };
    this.configService = new ConfigService(this.context, effective);
    this.servers = new ServerService(this.context);
    this.instances = new InstanceService(this.context, this.servers);
    this.election = new ElectionService(this.context);
    this.execution = new ExecutionService(this.context);
    this.triggers = new TriggerService(this.context);
    this.failover = new FailoverService(this.context);
    this.sharding = new ShardingService(
      this.context,
      this.instances,
      this.election,
      () => this.config,
      () => this.strategy(this.config),
      (time) => this.nextFireAfter(time),
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
          this.listener?.onConfigurationChanged(before, current);
        }
      }),
      this.registry.addConnectionStateListener((change) => this.onConnectionState(change)),
    );
    // ElasticJob's reconcile service ticks every minute and acts once the interval has passed.
    this.reconcileTimer = setInterval(() => {
      const minutes = this.config.reconcileIntervalMinutes;
      if (minutes < 1 || Date.now() - this.lastReconcile < minutes * 60_000) return;
      this.background('reconcile', async () => void (await this.reconcile()));
    }, RECONCILE_TICK_MS);
    this.reconcileTimer.unref();
    return effective;
  }

  /** Server, instance, election and resharding flag: this instance takes part from now on. */
  /** Joins the cluster; a leave that begins meanwhile waits for it, then undoes it. */
  join(enabled: boolean): Promise<void> {
    if (this.leaving) return Promise.resolve();
    const joining = this.joinNow(enabled);
    this.joining = joining;
    return joining;
  }

  private async joinNow(enabled: boolean): Promise<void> {
    this.takingItems = true;
    this.joinedAt ??= new Date();
    await this.servers.persistOnline(enabled);
    await this.registerInstance();
    await this.cache.sync();
    if (enabled && !this.leaving) await this.election.electLeader();
    await this.cache.sync();
    const leader = this.election.leader;
    if (leader) this.emit({ type: 'leader-changed', job: this.jobName, instance: leader });
    if (this.election.isLeader && !this.leaving) {
      await this.sharding.setReshardingFlag();
      this.scheduleSharding();
    }
  }

  /** This instance's `instances/{id}` node, on the current session; items run from now on. */
  private async registerInstance(): Promise<void> {
    const session = this.registry.sessionId;
    this.registered = undefined;
    await this.instances.persistOnline();
    const stat = await this.registry.getStat(this.path.instance(this.identity.instanceId));
    if (stat && session !== undefined && stat.ephemeralOwner === session && this.registry.sessionId === session) {
      this.registered = { session, since: stat.czxid };
    }
  }

  /** Whether the registry is connected now (a session may still be unregistered on). */
  get connected(): boolean {
    return this.registry.isConnected;
  }

  /**
   * The session items may start on now: connected, and registered on it. Undefined while
   * disconnected, lost, or not yet registered again after a new session.
   */
  liveSession(): string | undefined {
    const registered = this.registered;
    if (!registered || !this.registry.isConnected || this.registry.sessionId !== registered.session) return undefined;
    return registered.session;
  }

  /**
   * The fence before an item's handler. With `monitorExecution`, its `running` node created on
   * `session`; without it (no node to fence with), `session` still being the live one. A node
   * that is another run's may be stale (its run's session is gone): that is judged, and the
   * item failed over, in the background. A failover claim whose item turns out to be running
   * elsewhere is handed back.
   */
  async beginItem(item: number, session: string, source: ExecutionSource): Promise<ItemLease | undefined> {
    const { monitorExecution, failover } = this.config;
    const lease = (clearsRunning: boolean): ItemLease => ({
      item,
      session,
      source,
      release: async () => {
        try {
          if (clearsRunning) await this.execution.releaseRunning(item, session);
        } finally {
          if (source === 'FAILOVER') await this.failover.complete(item, session);
        }
      },
    });
    if (!monitorExecution) return this.liveSession() === session ? lease(false) : undefined;
    const registered = this.registered;
    const claim =
      registered && registered.session === session
        ? await this.execution.claimRunning(item, failover, session, registered.since)
        : 'lost';
    if (claim === 'claimed') return lease(true);
    // Held by another run, or left by one that is gone (with failover on or not): judged.
    if (claim === 'busy') this.judgeStaleRuns(true);
    if (source === 'FAILOVER') await this.releaseFailover(item, session);
    return undefined;
  }

  /** A failover claim this instance does not run: handed back (the item is flagged again). */
  releaseFailover(item: number, session: string): Promise<void> {
    return this.failover.complete(item, session);
  }

  setMisfire(item: number): Promise<void> {
    return this.execution.setMisfire(item);
  }

  clearMisfire(item: number): Promise<void> {
    return this.execution.clearMisfire(item);
  }

  isFailoverElsewhere(item: number): boolean {
    return this.failover.isFailoverElsewhere(item);
  }

  /** Once the job fires: recover what incarnations that are gone left running. */
  started(): void {
    if (this.takingItems) this.judgeStaleRuns();
  }

  /**
   * `running` and `failovering` nodes of incarnations that are gone (a crash, an expired
   * session, a crash nobody saw such as the only instance restarting) would block their items
   * for ever: they are failed over, or without failover cleared. One judgement at a time.
   */
  private judgeStaleRuns(evenWithoutFailover = false): void {
    // Without failover, running nodes are ephemeral and leave with their session; a persistent
    // one (left from when failover was on) is judged when it is found in an item's way.
    if (!this.takingItems || (!this.config.failover && !evenWithoutFailover)) return;
    // A departure noticed during a judgement may postdate what it read: judge once more after.
    this.staleRunsNoticed = true;
    if (this.judgingStaleRuns) return;
    this.judgingStaleRuns = true;
    this.background('failover', async () => {
      try {
        while (this.staleRunsNoticed && !this.leaving) {
          this.staleRunsNoticed = false;
          await this.failover.flagStaleItems(this.config.failover);
          await this.claimFailover();
        }
      } catch (error) {
        // Judged again a little later: a stale node left unjudged would block its item.
        const retry = setTimeout(() => this.judgeStaleRuns(evenWithoutFailover), STALE_RUNS_RETRY_MS);
        retry.unref();
        throw error;
      } finally {
        this.judgingStaleRuns = false;
      }
    });
  }

  /** Claims every flagged crashed item and hands them to the runtime. */
  private async claimFailover(): Promise<void> {
    if (!this.takingItems || !this.config.failover) return;
    const session = this.liveSession();
    if (!session) return;
    await this.cache.sync();
    if (!this.failover.hasFlaggedItems()) return;
    const items = await this.failover.claim(session);
    if (items.length === 0) return;
    this.emit({ type: 'failover-claimed', job: this.jobName, items });
    this.listener?.onFailoverItems(items, session);
  }

  /** The next scheduled fire time after `time`, by the configuration in force. */
  private nextFireAfter(time: number): number | undefined {
    const config = this.config;
    if (this.parsedCron?.config !== config) {
      this.parsedCron = { config, cron: QuartzCron.parse(config.cron, resolveTimeZone(config.timeZone)) };
    }
    return this.parsedCron.cron.next(new Date(time))?.getTime();
  }

  /**
   * This instance's items for the fire scheduled at `fireTime`: the assignment in force at
   * that time (the same on every instance), disabled items left out. For a manual trigger
   * (`fireTime` its arrival), also an assignment published at least the margin before, though
   * its first scheduled fire is still to come.
   */
  assignmentFor(fireTime: Date, manual = false): FireAssignment {
    const config = this.config;
    if (!this.takingItems && !this.handingOver) return { count: config.shardingTotalCount, items: [] };
    const planned = this.sharding.assignmentAt(fireTime.getTime(), manual);
    if (planned)
      return { count: planned.count, items: planned.items.filter((item) => !this.execution.isDisabled(item)) };
    // No plan followed (first start, or a leader that writes none): ElasticJob's rules.
    if (!this.takingItems || !this.servers.isLocalEnabled || !this.instances.isOnline)
      return { count: config.shardingTotalCount, items: [] };
    return {
      count: config.shardingTotalCount,
      items: this.sharding.mirroredItems().filter((item) => !this.execution.isDisabled(item)),
    };
  }

  /**
   * Before a fire. With a plan, a resharding under way cannot change this fire's assignment
   * (a new one applies from a later fire), so nothing waits. Without one, the leader shards
   * first and a follower waits for it (bounded, watched), as in ElasticJob.
   */
  async planFire(fireTime: Date, source: ExecutionSource): Promise<FirePlan> {
    const session = this.liveSession();
    if (!session) {
      return {
        skipped: this.connected
          ? 'this instance is not registered on its new ZooKeeper session yet; such a fire is dropped'
          : 'no connection to ZooKeeper; such a fire runs once if the same session comes back',
      };
    }
    try {
      await this.prepareFire();
    } catch (error) {
      this.logger.warn(`Job "${this.jobName}": preparing the fire failed: ${String(error)}`, 'ElasticJob');
    }
    return { session, assignment: this.assignmentFor(fireTime, source === 'MANUAL') };
  }

  private async prepareFire(): Promise<void> {
    const needed = this.sharding.isShardingNeeded;
    if (this.sharding.authoritativePlan()) {
      if (needed && this.election.isLeader) void this.runSharding();
      if (this.election.isLeader)
        this.background('removing items beyond the count', () => this.sharding.removeItemsBeyondCount());
      return;
    }
    if (needed && this.election.isLeader) {
      await this.runSharding();
    } else if (needed && !(await this.sharding.waitUntilSharded(FOLLOWER_SHARDING_WAIT_MS))) {
      this.logger.warn(
        `Job "${this.jobName}": resharding still pending after ${FOLLOWER_SHARDING_WAIT_MS} ms; this fire uses the current assignment.`,
        'ElasticJob',
      );
    }
    // The flag can leave the cache before the new assignments land in it.
    await this.cache.sync();
  }

  /**
   * ElasticJob's clock check: rewrites `systemTime/current` and compares its `mtime` (the
   * ZooKeeper leader's clock) with ours. Returns the difference in ms.
   */
  async clockDifferenceMs(): Promise<number> {
    const before = Date.now();
    await this.registry.persist(this.path.systemTime, '');
    const stat = await this.registry.getStat(this.path.systemTime);
    const after = Date.now();
    if (!stat) return 0;
    // The write happened between `before` and `after` by our clock.
    if (stat.mtime < before) return stat.mtime - before;
    if (stat.mtime > after) return stat.mtime - after;
    return 0;
  }

  /** Cluster-wide trigger: one `trigger/{id}` node per live instance. */
  triggerAll(): Promise<void> {
    return this.triggers.triggerAll(this.instances.onlineInstances());
  }

  /**
   * Leaves the cluster: the instance node and leadership go, so the others reshard at once.
   * Until the new assignment applies, this instance keeps running its items (see
   * `awaitHandover`), so no fire is skipped. Cut off from ZooKeeper, it leaves at once without
   * writing anything: its session, and its nodes with it, end when ZooKeeper expires it.
   * Returns whether the leave was written.
   */
  async beginLeave(): Promise<boolean> {
    this.leaving = true;
    // A join under way finishes first, so that what it writes is what the leave removes.
    await this.joining?.catch(() => undefined);
    this.cancelSharding();
    if (!this.takingItems) return true;
    this.takingItems = false;
    if (!this.registry.isConnected) return false;
    this.handingOver = true;
    // Tells the others this is a graceful leave: what it still runs is not to be failed over
    // unless it is still running when its session closes. It stands for the runs of this
    // incarnation (see RunOwnership).
    await this.registry.persistEphemeral(
      this.path.leaving(this.identity.instanceId),
      String(this.registered?.since ?? 0),
    );
    await this.instances.removeOnline();
    await this.election.abdicate();
    return true;
  }

  /** Resolves when the assignment without this instance is in force (or at `deadline`). */
  async awaitHandover(deadline: number): Promise<void> {
    if (!this.handingOver) return;
    try {
      const me = this.identity.instanceId;
      const nobodyElse = () => this.instances.availableInstances().every((id) => id === me);
      if (nobodyElse() || !this.sharding.authoritativePlan()) return;
      // Everyone leaving at once: nobody is left to publish an assignment without us.
      const published = await waitForCache(
        this.cache,
        () => !this.sharding.hasFutureItems() || nobodyElse(),
        Math.max(deadline - Date.now(), 0),
      );
      const from = this.sharding.latestFrom();
      if (!published || from === undefined || this.sharding.hasFutureItems()) return;
      // Fires before `from` still use the old assignment, ours included: wait for the last
      // of them to start (there is at most one: `from` is the first fire past a short margin).
      const lastOld = this.nextFireAfter(Date.now());
      if (lastOld === undefined || lastOld >= from) return;
      const wait = Math.min(lastOld + LAST_OLD_FIRE_GRACE_MS - Date.now(), deadline - Date.now());
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    } finally {
      this.handingOver = false;
    }
  }

  close(): void {
    this.leaving = true;
    this.cancelSharding();
    this.sharding?.cancelMirror();
    if (this.reconcileTimer) clearInterval(this.reconcileTimer);
    for (const detach of this.detach.splice(0)) detach();
  }

  // ------------------------------------------------------------ operations

  /**
   * Validates `changes` like the decorator's options and writes the result to `config`;
   * every instance applies it from its cache. Nothing is written when a value is invalid.
   */
  async updateConfiguration(changes: JobConfigurationChanges): Promise<JobConfiguration> {
    const unknown = Object.keys(changes).filter(
      (key) => !UPDATABLE_FIELDS.includes(key as keyof JobConfigurationChanges),
    );
    if (unknown.length > 0) {
      throw new InvalidJobOptionsError(
        unknown.map((key) =>
          INVALID_JOB_OPTION(
            this.jobName,
            key,
            (changes as Record<string, unknown>)[key],
            `one of ${UPDATABLE_FIELDS.join(', ')}`,
          ),
        ),
      );
    }
    const yaml = await this.registry.getDirectly(this.path.config);
    const current =
      yaml === null
        ? this.config
        : readRegistryConfiguration(yaml, this.jobName, this.registry.namespace + this.path.config);
    const { shardingItemParameters, ...rest } = changes;
    const next: JobConfiguration = { ...current, ...rest, props: changes.props ?? current.props, extra: current.extra };
    if (shardingItemParameters !== undefined) {
      next.shardingItemParameters =
        typeof shardingItemParameters === 'string'
          ? shardingItemParameters
          : formatShardingItemParameters(shardingItemParameters);
    }
    const problems = validateJobConfiguration(next);
    if (next.failover && !next.monitorExecution) {
      problems.push(INVALID_JOB_OPTION(this.jobName, 'failover', true, 'failover only with monitorExecution: true'));
    }
    if (problems.length > 0) throw new InvalidJobOptionsError(problems);
    const written = toElasticJobYaml(next);
    await this.registry.update(this.path.config, written);
    await this.awaitOwnWrite('the configuration', () => this.cache.get(this.path.config) === written);
    return next;
  }

  /** ElasticJob's `ShardingInfo` per item: from the cache, and `running` from ZooKeeper. */
  async shardingInfo(): Promise<ShardingInfo[]> {
    const { cache, path } = this;
    const online = new Set(this.instances.onlineInstances());
    const count = this.config.shardingTotalCount;
    const running = await this.execution.runningOwners(Array.from({ length: count }, (_, item) => item));
    return Array.from({ length: count }, (_, item) => {
      const instanceId = this.sharding.assignedOwner(item) ?? '';
      const serverIp =
        parseInstanceYaml(cache.get(path.instance(instanceId)) ?? '')?.serverIp ?? instanceId.split('@-@')[0] ?? '';
      const status: ShardingInfo['status'] = this.execution.isDisabled(item)
        ? 'DISABLED'
        : running.has(item)
          ? 'RUNNING'
          : !online.has(instanceId)
            ? 'SHARDING_FLAG'
            : 'PENDING';
      return { item, serverIp, instanceId, status, failover: cache.has(path.itemFailover(item)) };
    });
  }

  /** Live instances of the job, with their server status, leadership and items. */
  instanceInfo(): JobInstanceInfo[] {
    const leader = this.election.leader;
    const owners = new Map<string, number[]>();
    for (let item = 0; item < this.config.shardingTotalCount; item += 1) {
      const owner = this.sharding.assignedOwner(item);
      if (owner) owners.set(owner, [...(owners.get(owner) ?? []), item]);
    }
    return this.instances.onlineInstances().map((instanceId) => {
      const serverIp = this.instances.serverIpOf(instanceId) ?? '';
      return {
        instanceId,
        serverIp,
        leader: instanceId === leader,
        serverEnabled: this.servers.isEnabled(serverIp),
        items: owners.get(instanceId) ?? [],
      };
    });
  }

  /**
   * ElasticJob's reconcile: the leader raises the resharding flag when the assignment names an
   * instance that is gone, or does not cover every item (unless static sharding keeps it).
   * Returns whether it did.
   */
  async reconcile(): Promise<boolean> {
    this.lastReconcile = Date.now();
    if (!this.election.isLeader || this.sharding.isShardingNeeded) return false;
    if (this.config.staticSharding && this.sharding.hasShardingInfo) return false;
    const online = new Set(this.instances.onlineInstances());
    const count = this.config.shardingTotalCount;
    const owners = Array.from({ length: count }, (_, item) => this.sharding.ownerOf(item));
    const inconsistent =
      owners.some((owner) => owner === undefined || !online.has(owner)) ||
      (this.cache.getChildren(this.path.sharding) ?? []).length !== count;
    if (!inconsistent) return false;
    this.logger.warn(
      `Job "${this.jobName}": the assignment names instances that are gone or misses items; resharding.`,
      'ElasticJob',
    );
    await this.sharding.setReshardingFlag();
    this.scheduleSharding();
    return true;
  }

  async setServerEnabled(serverIp: string, enabled: boolean): Promise<void> {
    const status = enabled ? 'ENABLED' : 'DISABLED';
    await this.servers.setStatus(serverIp, status);
    await this.awaitOwnWrite(`server ${serverIp}`, () => this.cache.get(this.path.server(serverIp)) === status);
  }

  async setItemEnabled(item: number, enabled: boolean): Promise<void> {
    if (!Number.isInteger(item) || item < 0 || item >= this.config.shardingTotalCount) {
      throw new InvalidJobOptionsError([
        INVALID_JOB_OPTION(this.jobName, 'item', item, `an item from 0 to ${this.config.shardingTotalCount - 1}`),
      ]);
    }
    if (enabled) await this.registry.remove(this.path.itemDisabled(item));
    else await this.registry.persist(this.path.itemDisabled(item), '');
    await this.awaitOwnWrite(`item ${item}`, () => this.execution.isDisabled(item) === !enabled);
  }

  /**
   * An operator write resolves once this instance's own view shows it, so that what the
   * caller does next (a trigger, a read) sees it.
   */
  private async awaitOwnWrite(what: string, visible: () => boolean): Promise<void> {
    if (await waitForCache(this.cache, visible, OWN_WRITE_VISIBLE_MS)) return;
    throw new Error(
      `Job "${this.jobName}": ${what} was written to ZooKeeper, but this instance did not see the change within ${OWN_WRITE_VISIBLE_MS} ms.`,
    );
  }

  // ------------------------------------------------------------ listeners

  private onCacheEvent(event: CacheEvent): void {
    if (this.leaving) return;
    const { key, type } = event;
    const path = this.path;
    this.tellClusterEvent(event);
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
    // A departure (a crash, an expired session, a graceful leave, or the end of one): what its
    // runs left behind is judged in ZooKeeper, whatever the order the cache reports these in.
    if (key.startsWith(`${path.instances}/`) && (type === 'added' || type === 'removed')) {
      this.flagResharding();
      if (type === 'removed') this.judgeStaleRuns();
      return;
    }
    if (key.startsWith(`${path.leavingInstances}/`) && type === 'removed') {
      this.judgeStaleRuns();
      return;
    }
    if (key.startsWith(`${path.failoverItems}/`) && type === 'added') {
      this.background('failover claim', () => this.claimFailover());
      return;
    }
    if (this.triggers && this.triggers.isOwnTrigger(key) && type === 'added') {
      if (!this.takingItems) return;
      this.background('trigger', async () => {
        await this.triggers.consume();
        this.listener?.onTrigger();
      });
      return;
    }
    if (
      (key === path.shardingNecessary && type !== 'removed') ||
      (type === 'removed' && key === path.shardingProcessing)
    ) {
      if (this.election.isLeader) this.scheduleSharding();
    }
  }

  /** Joins, leaves and leadership, as this instance's cache sees them. */
  private tellClusterEvent({ key, type, data }: CacheEvent): void {
    const path = this.path;
    if (key.startsWith(`${path.instances}/`) && (type === 'added' || type === 'removed')) {
      const instance = key.slice(path.instances.length + 1);
      this.emit({ type: type === 'added' ? 'instance-joined' : 'instance-left', job: this.jobName, instance });
    } else if (key === path.leaderInstance && type !== 'removed' && data) {
      this.emit({ type: 'leader-changed', job: this.jobName, instance: data });
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

  /** A new leader reshards: the previous one may have left without flagging its own departure. */
  private async electAndShard(): Promise<void> {
    if (await this.election.electLeader()) {
      await this.cache.sync();
      await this.sharding.setReshardingFlag();
      this.scheduleSharding();
    }
  }

  private onConnectionState(change: ConnectionStateChange): void {
    // Even while leaving: a leaver's items are no more its own once its session is gone.
    if (change.state === 'LOST') {
      this.registered = undefined;
      this.cancelSharding();
      this.listener?.onSessionLost();
      return;
    }
    if (change.state === 'AT_RISK') {
      this.listener?.onSessionAtRisk();
      return;
    }
    if (this.leaving || change.state !== 'RECONNECTED') return;
    if (!change.newSession || !this.takingItems) {
      this.listener?.onSessionRestored(change.newSession);
      return;
    }
    this.background('re-registration after a new session', () => this.registerAgain(change.sessionId));
  }

  /** On a new session: server and instance nodes, election, resharding flag; retried until done. */
  private async registerAgain(session: string): Promise<void> {
    for (;;) {
      if (this.leaving || this.registry.sessionId !== session) return;
      try {
        await this.cache.sync();
        const status = this.cache.get(this.path.server(this.identity.serverIp));
        await this.servers.persistOnline(status !== 'DISABLED');
        await this.registerInstance();
        if (!this.registered) throw new Error('the instance node is not on the current session');
        if (status !== 'DISABLED') await this.election.electLeader();
        await this.cache.sync();
        if (this.election.isLeader) await this.sharding.setReshardingFlag();
        break;
      } catch (error) {
        if (this.leaving || this.registry.sessionId !== session) return;
        this.logger.warn(
          `Job "${this.jobName}": registering again on the new session failed, retrying: ${String(error)}`,
          'ElasticJob',
        );
        await new Promise((resolve) => setTimeout(resolve, REREGISTER_RETRY_MS));
      }
    }
    // What the lost session left running is an earlier incarnation's now.
    this.judgeStaleRuns();
    this.listener?.onSessionRestored(true);
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
    if (this.forceTimer) clearTimeout(this.forceTimer);
    this.shardingTimer = undefined;
    this.forceTimer = undefined;
    this.waitingForRunningSince = undefined;
  }

  /**
   * One sharding at a time. While items run the leader waits (their `running` nodes going
   * away call it again), but not forever: past RESHARD_WAIT_FOR_RUNNING_MS it reshards anyway
   * and says so; the new owners skip an item as long as it still runs elsewhere.
   */
  private runSharding(evenIfItemsRun = false): Promise<void> {
    const run = this.shardingChain.then(async () => {
      try {
        const outcome = await this.sharding.shardIfNecessary({ evenIfItemsRun });
        const published = this.sharding.published;
        if ((outcome === 'done' || outcome === 'flag-raised-again') && published) {
          this.emit({ type: 'resharded', job: this.jobName, ...published });
        }
        if (outcome === 'flag-raised-again') this.scheduleSharding();
        if (outcome !== 'items-running') {
          if (this.forceTimer) clearTimeout(this.forceTimer);
          this.forceTimer = undefined;
          this.waitingForRunningSince = undefined;
          return;
        }
        if (this.waitingForRunningSince === undefined) {
          this.waitingForRunningSince = Date.now();
          this.forceTimer = setTimeout(() => {
            this.forceTimer = undefined;
            if (this.leaving || !this.sharding.isShardingNeeded || !this.election.isLeader) return;
            this.logger.warn(
              `Job "${this.jobName}": items still running after ${RESHARD_WAIT_FOR_RUNNING_MS} ms; resharding without waiting for them.`,
              'ElasticJob',
            );
            void this.runSharding(true);
          }, RESHARD_WAIT_FOR_RUNNING_MS);
        }
        this.wakeWhenItemsFinish(this.waitingForRunningSince);
      } catch (error) {
        if (!this.leaving)
          this.logger.error(`Job "${this.jobName}": resharding failed: ${String(error)}`, undefined, 'ElasticJob');
      }
    });
    this.shardingChain = run;
    return run;
  }

  /**
   * Tries again once the running items are done: their `running` nodes are watched for the
   * wait (the cache does not follow them), up to the forced resharding.
   */
  private wakeWhenItemsFinish(waitingSince: number): void {
    if (this.runningWatch) return;
    this.runningWatch = true;
    this.background('waiting for running items', async () => {
      try {
        const running = await this.sharding.runningItems();
        const remaining = waitingSince + RESHARD_WAIT_FOR_RUNNING_MS - Date.now();
        if (remaining > 0 && (await this.execution.awaitNotRunning(running, remaining))) this.scheduleSharding();
      } finally {
        this.runningWatch = false;
      }
    });
  }

  private background(what: string, work: () => Promise<void>): void {
    work().catch((error: unknown) => {
      if (this.leaving) return;
      this.logger.error(`Job "${this.jobName}": ${what} failed: ${String(error)}`, undefined, 'ElasticJob');
    });
  }
}
