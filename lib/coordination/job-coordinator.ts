import {
  JOB_SHUT_DOWN_BY_OPERATOR,
  JOB_STEP_FAILED,
  REREGISTER_RETRYING,
  RESHARDING_PENDING,
} from '../elastic-job.messages.js';
import type { LoggerService } from '@nestjs/common';
import type { JobConfiguration } from '../config/job-configuration.js';
import type { JobEventSink } from '../events/job-event-sink.js';
import { RegistryClosedError, RegistrySessionExpiredError } from '../errors/registry-operation.error.js';
import type { JobShardingStrategy } from '../interfaces/job-sharding-strategy.interface.js';
import type { ExecutionSource } from '../interfaces/sharding-context.interface.js';
import type {
  CacheEvent,
  ConnectionStateChange,
  RegistryCenter,
  TreeCache,
} from '../registry/registry-center.interface.js';
import { scheduleOf } from '../scheduling/job-schedule.js';
import { ElectionService } from './election.service.js';
import { ExecutionService } from './execution.service.js';
import { FailoverRecovery } from './failover-recovery.js';
import { FailoverService } from './failover.service.js';
import { GuaranteeService, type GuaranteeOutcome, type GuaranteePhase } from './guarantee.service.js';
import type { InstanceIdentity } from './instance-identity.js';
import { InstanceService } from './instance.service.js';
import type {
  CoordinationListener,
  FireAssignment,
  FirePlan,
  ItemLease,
  JobCoordinationPort,
} from './job-coordination.port.js';
import { JobConfigurationStore } from './job-configuration.store.js';
import { waitForCache, type JobScope } from './job-context.js';
import { JobNodePath } from './job-node-path.js';
import { JobOperations } from './job-operations.js';
import { JobStatus } from './job-status.js';
import { Leadership } from './leadership.js';
import { Reconcile } from './reconcile.js';
import { Resharding } from './resharding.js';
import { ServerService } from './server.service.js';
import { ShardingService } from './sharding.service.js';
import { TriggerService } from './trigger.service.js';

const FOLLOWER_SHARDING_WAIT_MS = 5_000;
/** After a leave, how long past the last fire of the old assignment before its items are drained. */
const LAST_OLD_FIRE_GRACE_MS = 50;
const REREGISTER_RETRY_MS = 500;

/** Where this instance stands in one job. */
export enum CoordinatorState {
  /** Constructed: nothing read or written yet. */
  New = 'NEW',
  /** Configuration set up and cache started; not part of the cluster yet. */
  Registered = 'REGISTERED',
  /** Server and instance nodes written: takes items, elects, judges departures. */
  Joined = 'JOINED',
  /** A leave began (it waits for a join under way); still runs the items it has. */
  Leaving = 'LEAVING',
  /** Left the cluster; still runs its items for the fires before the assignment without it. */
  HandingOver = 'HANDING_OVER',
  /** Out of the cluster; runs nothing more. */
  Left = 'LEFT',
  Closed = 'CLOSED',
}

/** The parts of one job's coordination, built once its cache is up. */
interface Parts {
  store: JobConfigurationStore;
  servers: ServerService;
  instances: InstanceService;
  election: ElectionService;
  sharding: ShardingService;
  execution: ExecutionService;
  failover: FailoverService;
  resharding: Resharding;
  recovery: FailoverRecovery;
  reconcile: Reconcile;
  status: JobStatus;
  operations: JobOperations;
  guarantee: GuaranteeService;
}

/**
 * One job in ZooKeeper on this instance: the composition root of its concepts (configuration,
 * servers and instances, leadership, resharding, failover, reconcile, trigger, status and
 * operations), each listening to the node events it cares about over a shared scope; and the
 * port its runtime uses. Its own concern is this instance's membership: join, re-registration
 * on a new session, leave and handover.
 */
export class JobCoordinator implements JobCoordinationPort {
  readonly path: JobNodePath;
  private state = CoordinatorState.New;
  private parts: Parts | undefined;
  private cacheRef: TreeCache | undefined;
  private readonly detach: Array<() => void> = [];
  /** The runtime, told what it must know (nobody before it attaches). */
  private listener: CoordinationListener | undefined;
  /**
   * When this instance first joined the job: from then on a leader may give it items, so its
   * timer counts fires from here, not from when the app finished bootstrapping.
   */
  joinedAt: Date | undefined;
  private joining: Promise<void> | undefined;
  /**
   * The session on which this instance is registered (its `instances/{id}` node exists on it),
   * and that node's czxid: items run only on it, and what they write is newer than that node.
   */
  private registered: { session: string; since: number } | undefined;

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

  get cache(): TreeCache {
    return this.cacheRef!;
  }

  /** The configuration that runs (the registry's, once set up). */
  get config(): JobConfiguration {
    return this.built.store.current();
  }

  /** A reshard is flagged and not done yet: long runs (a streaming dataflow) stop at their next step. */
  get reshardingPending(): boolean {
    return this.parts !== undefined && this.parts.sharding.isShardingNeeded;
  }

  /** For tests of the reconcile rule. */
  reconcile(): Promise<boolean> {
    return this.built.reconcile.reconcile();
  }

  attach(listener: CoordinationListener): void {
    this.listener = listener;
  }

  private get built(): Parts {
    // Only reached by a programming error: the orchestrator registers a job before anything uses it.
    if (!this.parts) throw new Error(`internal: job "${this.jobName}" used before it was registered`);
    return this.parts;
  }

  private get takingItems(): boolean {
    return this.state === CoordinatorState.Joined;
  }

  private get stopping(): boolean {
    return (
      this.state === CoordinatorState.Leaving ||
      this.state === CoordinatorState.HandingOver ||
      this.state === CoordinatorState.Left ||
      this.state === CoordinatorState.Closed
    );
  }

  /** Whether this instance still runs the items an assignment gives it. */
  private get runsItems(): boolean {
    return (
      this.state === CoordinatorState.Joined ||
      this.state === CoordinatorState.Leaving ||
      this.state === CoordinatorState.HandingOver
    );
  }

  // ------------------------------------------------------------ registration

  /**
   * Writes (or loads) the configuration and starts the job's cache, then builds the job's
   * concepts over it. Joining the cluster is `join`, when the timers start.
   */
  async register(code: JobConfiguration, jobClassName: string): Promise<JobConfiguration> {
    const effective = await JobConfigurationStore.setUp(this.registry, this.path, code, jobClassName, (message) =>
      this.logger.warn(message, 'ElasticJob'),
    );
    const cache = await this.registry.addCacheData(this.path.root, {
      fixedChildren: (key) => this.path.cachedChildrenOf(key),
    });
    this.cacheRef = cache;
    const self = this;
    const scope: JobScope = {
      path: this.path,
      registry: this.registry,
      identity: this.identity,
      logger: this.logger,
      cache,
      jobName: this.jobName,
      emit: this.emit,
      config: () => this.config,
      get takingItems() {
        return self.takingItems;
      },
      get stopping() {
        return self.stopping;
      },
      liveSession: () => this.liveSession(),
      background: (what, work) => this.background(what, work),
    };
    const store = new JobConfigurationStore(scope, effective);
    const servers = new ServerService(scope);
    const instances = new InstanceService(scope, servers);
    const election = new ElectionService(scope);
    const execution = new ExecutionService(scope);
    const triggers = new TriggerService(scope);
    const failover = new FailoverService(scope);
    const sharding = new ShardingService(
      scope,
      instances,
      election,
      () => this.config,
      () => this.strategy(this.config),
      (time) => scheduleOf(this.config).next(new Date(time))?.getTime(),
    );
    const resharding = new Resharding(scope, sharding, election, execution);
    const recovery = new FailoverRecovery(scope, failover, (items, session) =>
      this.listener?.onFailoverItems(items, session),
    );
    const reconcile = new Reconcile(scope, election, instances, sharding, resharding);
    this.parts = {
      store,
      servers,
      instances,
      election,
      sharding,
      execution,
      failover,
      resharding,
      recovery,
      reconcile,
      status: new JobStatus(scope, { servers, instances, election, sharding, execution }),
      operations: new JobOperations(scope, { servers, instances, execution, triggers }),
      guarantee: new GuaranteeService(scope, () => this.config),
    };
    this.state = CoordinatorState.Registered;
    this.detach.push(
      cache.addListener((event) => this.tellMembership(event)),
      cache.addListener((event) => this.watchOperatorShutdown(event)),
      new Leadership(scope, election, servers, resharding).listen(),
      resharding.listen(),
      recovery.listen(),
      triggers.listen(
        () => this.takingItems,
        (options) => this.listener?.onTrigger(options),
        (what, work) => this.background(what, work),
      ),
      this.watchConfiguration(effective),
      this.registry.addConnectionStateListener((change) => this.onConnectionState(change)),
      reconcile.start(),
    );
    return effective;
  }

  /** A valid new `config` is told to the runtime; a new item count reshards. */
  private watchConfiguration(initial: JobConfiguration): () => void {
    let previous = initial;
    return this.cache.addListener(({ key, type }: CacheEvent) => {
      if (key !== this.path.config || type === 'removed') return;
      const current = this.config;
      if (current === previous) return;
      const before = previous;
      previous = current;
      if (before.shardingTotalCount !== current.shardingTotalCount && !this.stopping) this.built.resharding.flag(true);
      this.listener?.onConfigurationChanged(before, current);
    });
  }

  /** Joins and leaves as this instance's cache sees them. */
  private tellMembership({ key, type }: CacheEvent): void {
    const { path } = this;
    if (this.stopping || !key.startsWith(`${path.instances}/`) || (type !== 'added' && type !== 'removed')) return;
    const instance = key.slice(path.instances.length + 1);
    this.emit({ type: type === 'added' ? 'instance-joined' : 'instance-left', job: this.jobName, instance });
  }

  /**
   * ElasticJob's shutdown: an operator deleted this instance's `instances/{id}` node while its
   * session lives on. The job stops here: no more fires (items running finish), leadership
   * given up; the others reshard without it. A node this instance replaces itself
   * (re-registration), or one gone with its session, is not a shutdown.
   */
  private watchOperatorShutdown({ key, type }: CacheEvent): void {
    if (type !== 'removed' || key !== this.path.instance(this.identity.instanceId)) return;
    const registered = this.registered;
    const still = () =>
      this.state === CoordinatorState.Joined &&
      this.registered === registered &&
      registered !== undefined &&
      this.registry.sessionId === registered.session &&
      this.registry.isConnected;
    if (!still()) return;
    this.background('stopping the job after an operator shutdown', async () => {
      if (!still() || (await this.registry.isExisted(key)) || !still()) return;
      this.state = CoordinatorState.Left;
      this.built.resharding.cancel();
      this.logger.warn(JOB_SHUT_DOWN_BY_OPERATOR(this.jobName, this.identity.instanceId), 'ElasticJob');
      const ended = this.listener?.onShutDown();
      await this.built.election.abdicate();
      // The operator's `leaving` marker kept our runs from being failed over: once they have
      // ended, it goes.
      await ended;
      await this.registry.remove(this.path.leaving(this.identity.instanceId));
    });
  }

  // ------------------------------------------------------------ membership

  /**
   * Server, instance, election and resharding flag: this instance takes part from now on. A
   * leave that begins meanwhile waits for the join, then undoes it.
   */
  join(enabled: boolean): Promise<void> {
    if (this.state !== CoordinatorState.Registered) return Promise.resolve();
    const joining = this.joinNow(enabled).catch((error: unknown) => {
      // Not joined after all: a later start tries again.
      if (this.state === CoordinatorState.Joined) this.state = CoordinatorState.Registered;
      throw error;
    });
    this.joining = joining;
    return joining;
  }

  private async joinNow(enabled: boolean): Promise<void> {
    const { servers, election, resharding } = this.built;
    this.state = CoordinatorState.Joined;
    this.joinedAt ??= new Date();
    await servers.persistOnline(enabled);
    await this.registerInstance();
    await this.cache.sync();
    if (enabled && !this.stopping) await election.electLeader();
    await this.cache.sync();
    const leader = election.leader;
    if (leader) this.emit({ type: 'leader-changed', job: this.jobName, instance: leader });
    if (election.isLeader && !this.stopping) await resharding.raise();
  }

  /** This instance's `instances/{id}` node, on the current session; items run from now on. */
  private async registerInstance(): Promise<void> {
    const session = this.registry.sessionId;
    this.registered = undefined;
    await this.built.instances.persistOnline();
    const stat = await this.registry.getStat(this.path.instance(this.identity.instanceId));
    if (stat && session !== undefined && stat.ephemeralOwner === session && this.registry.sessionId === session) {
      this.registered = { session, since: stat.czxid };
    }
  }

  private onConnectionState(change: ConnectionStateChange): void {
    // Even while leaving: a leaver's items are no more its own once its session is gone.
    if (change.state === 'LOST') {
      this.registered = undefined;
      this.built.resharding.cancel();
      this.listener?.onSessionLost();
      return;
    }
    if (change.state === 'AT_RISK') {
      this.listener?.onSessionAtRisk();
      return;
    }
    if (this.stopping || change.state !== 'RECONNECTED') return;
    if (!change.newSession || !this.takingItems) {
      this.listener?.onSessionRestored(change.newSession);
      return;
    }
    this.background('re-registration after a new session', () => this.registerAgain(change.sessionId));
  }

  /** On a new session: server and instance nodes, election, resharding flag; retried until done. */
  private async registerAgain(session: string): Promise<void> {
    const { servers, election, sharding, recovery } = this.built;
    for (;;) {
      if (this.stopping || this.registry.sessionId !== session) return;
      try {
        await this.cache.sync();
        const status = this.cache.get(this.path.server(this.identity.serverIp));
        await servers.persistOnline(status !== 'DISABLED');
        await this.registerInstance();
        if (!this.registered) throw new Error('the instance node is not on the current session');
        if (status !== 'DISABLED') await election.electLeader();
        await this.cache.sync();
        if (election.isLeader) await sharding.setReshardingFlag();
        break;
      } catch (error) {
        if (this.stopping || this.registry.sessionId !== session) return;
        this.logger.warn(REREGISTER_RETRYING(this.jobName, error), 'ElasticJob');
        await new Promise((resolve) => setTimeout(resolve, REREGISTER_RETRY_MS));
      }
    }
    // What the lost session left running is an earlier incarnation's now.
    recovery.judge();
    this.listener?.onSessionRestored(true);
  }

  /**
   * Leaves the cluster: the instance node and leadership go, so the others reshard at once.
   * Until the new assignment applies, this instance keeps running its items (see
   * `awaitHandover`), so no fire is skipped. Cut off from ZooKeeper, it leaves at once without
   * writing anything: its session, and its nodes with it, end when ZooKeeper expires it.
   * Returns whether the leave was written.
   */
  async beginLeave(): Promise<boolean> {
    if (this.stopping) return true;
    const joined = this.state === CoordinatorState.Joined;
    this.state = joined ? CoordinatorState.Leaving : CoordinatorState.Left;
    // A join under way finishes first, so that what it writes is what the leave removes.
    await this.joining?.catch(() => undefined);
    this.parts?.resharding.cancel();
    if (!joined) return true;
    if (!this.registry.isConnected) {
      this.state = CoordinatorState.Left;
      return false;
    }
    this.state = CoordinatorState.HandingOver;
    const { instances, election } = this.built;
    // Tells the others this is a graceful leave: what it still runs is not to be failed over
    // unless it is still running when its session closes. It stands for the runs of this
    // incarnation (see RunOwnership).
    await this.registry.persistEphemeral(
      this.path.leaving(this.identity.instanceId),
      String(this.registered?.since ?? 0),
    );
    await instances.removeOnline();
    await election.abdicate();
    return true;
  }

  /** Resolves when the assignment without this instance is in force (or at `deadline`). */
  async awaitHandover(deadline: number): Promise<void> {
    if (this.state !== CoordinatorState.HandingOver) return;
    const { instances, sharding } = this.built;
    try {
      const me = this.identity.instanceId;
      const nobodyElse = () => instances.availableInstances().every((id) => id === me);
      if (nobodyElse() || !sharding.authoritativePlan()) return;
      // Everyone leaving at once: nobody is left to publish an assignment without us.
      const published = await waitForCache(
        this.cache,
        () => !sharding.hasFutureItems() || nobodyElse(),
        Math.max(deadline - Date.now(), 0),
      );
      const from = sharding.latestFrom();
      if (!published || from === undefined || sharding.hasFutureItems()) return;
      // Fires before `from` still use the old assignment, ours included: wait for the last
      // of them to start (there is at most one: `from` is the first fire past a short margin).
      const lastOld = scheduleOf(this.config).next(new Date())?.getTime();
      if (lastOld === undefined || lastOld >= from) return;
      const wait = Math.min(lastOld + LAST_OLD_FIRE_GRACE_MS - Date.now(), deadline - Date.now());
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    } finally {
      if (this.state === CoordinatorState.HandingOver) this.state = CoordinatorState.Left;
    }
  }

  close(): void {
    this.state = CoordinatorState.Closed;
    this.parts?.resharding.cancel();
    this.parts?.sharding.cancelMirror();
    for (const detach of this.detach.splice(0)) detach();
  }

  // ------------------------------------------------------------ the runtime's port

  /** Once the job fires: recover what incarnations that are gone left running. */
  started(): void {
    if (this.takingItems) this.built.recovery.judge();
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

  async planFire(fireTime: Date, source: ExecutionSource): Promise<FirePlan> {
    const session = this.liveSession();
    if (!session) {
      return {
        skipped: this.registry.isConnected
          ? 'this instance is not registered on its new ZooKeeper session yet; such a fire is dropped'
          : 'no connection to ZooKeeper; such a fire runs once if the same session comes back',
      };
    }
    try {
      await this.prepareFire();
    } catch (error) {
      this.logger.warn(JOB_STEP_FAILED(this.jobName, 'preparing the fire', error), 'ElasticJob');
    }
    return { session, assignment: this.assignmentFor(fireTime, source === 'MANUAL') };
  }

  /**
   * Before a fire. With a plan, a resharding under way cannot change this fire's assignment
   * (a new one applies from a later fire), so nothing waits. Without one, the leader shards
   * first and a follower waits for it (bounded, watched), as in ElasticJob.
   */
  private async prepareFire(): Promise<void> {
    const { sharding, election, resharding } = this.built;
    const needed = sharding.isShardingNeeded;
    if (sharding.authoritativePlan()) {
      if (needed && election.isLeader) void resharding.run();
      if (election.isLeader)
        this.background('removing items beyond the count', () => sharding.removeItemsBeyondCount());
      return;
    }
    if (needed && election.isLeader) {
      await resharding.run();
    } else if (needed && !(await sharding.waitUntilSharded(FOLLOWER_SHARDING_WAIT_MS))) {
      this.logger.warn(RESHARDING_PENDING(this.jobName, FOLLOWER_SHARDING_WAIT_MS), 'ElasticJob');
    }
    // The flag can leave the cache before the new assignments land in it.
    await this.cache.sync();
  }

  /**
   * This instance's items for the fire scheduled at `fireTime`: the assignment in force at
   * that time (the same on every instance), disabled items left out. For a manual trigger
   * (`fireTime` its arrival), also an assignment published at least the margin before, though
   * its first scheduled fire is still to come.
   */
  assignmentFor(fireTime: Date, manual = false): FireAssignment {
    const config = this.config;
    if (!this.runsItems) return { count: config.shardingTotalCount, items: [] };
    const { sharding, execution, servers, instances } = this.built;
    const planned = sharding.assignmentAt(fireTime.getTime(), manual);
    if (planned) {
      return {
        count: planned.count,
        items: planned.items.filter((item) => !execution.isDisabled(item)),
        disabled: planned.items.filter((item) => execution.isDisabled(item)),
      };
    }
    // No plan followed (first start, or a leader that writes none): ElasticJob's rules. A
    // leaver runs none of these once its instance node is going.
    const inCluster = this.state === CoordinatorState.Joined || this.state === CoordinatorState.Leaving;
    if (!inCluster || !servers.isLocalEnabled || !instances.isOnline)
      return { count: config.shardingTotalCount, items: [] };
    const mirrored = sharding.mirroredItems();
    return {
      count: config.shardingTotalCount,
      items: mirrored.filter((item) => !execution.isDisabled(item)),
      disabled: mirrored.filter((item) => execution.isDisabled(item)),
    };
  }

  onceAcrossCluster(
    phase: GuaranteePhase,
    items: readonly number[],
    work: () => Promise<void>,
    timeoutMs: number,
    workTimeoutMs?: number,
  ): Promise<GuaranteeOutcome> {
    return this.built.guarantee.once(phase, items, work, timeoutMs, workTimeoutMs);
  }

  isFailoverElsewhere(item: number): boolean {
    return this.built.failover.isFailoverElsewhere(item);
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

  /**
   * The fence before an item's handler. With `monitorExecution`, its `running` node created on
   * `session`; without it (no node to fence with), `session` still being the live one. A node
   * that is another run's may be stale (its run's session is gone): that is judged, and the
   * item failed over, in the background. A failover claim whose item turns out to be running
   * elsewhere is handed back.
   */
  async beginItem(item: number, session: string, source: ExecutionSource): Promise<ItemLease | undefined> {
    const { execution, failover, recovery } = this.built;
    const config = this.config;
    const lease = (clearsRunning: boolean): ItemLease => ({
      item,
      session,
      source,
      release: async () => {
        try {
          if (clearsRunning) await execution.releaseRunning(item, session);
        } finally {
          if (source === 'FAILOVER') await failover.complete(item, session);
        }
      },
    });
    if (!config.monitorExecution) return this.liveSession() === session ? lease(false) : undefined;
    const registered = this.registered;
    const claim =
      registered && registered.session === session
        ? await execution.claimRunning(item, config.failover, session, registered.since)
        : 'lost';
    if (claim === 'claimed') return lease(true);
    // Held by another run, or left by one that is gone (with failover on or not): judged.
    if (claim === 'busy') recovery.judge(true);
    if (source === 'FAILOVER') {
      // On a session that is gone the claim goes with it: the survivors flag the item again.
      await this.releaseFailover(item, session).catch((error: unknown) => {
        if (!(error instanceof RegistrySessionExpiredError) && !(error instanceof RegistryClosedError)) {
          this.logger.warn(
            JOB_STEP_FAILED(this.jobName, `handing back the failover of item ${item}`, error),
            'ElasticJob',
          );
        }
      });
    }
    return undefined;
  }

  /** A failover claim this instance does not run: handed back (the item is flagged again). */
  releaseFailover(item: number, session: string): Promise<void> {
    return this.built.failover.complete(item, session);
  }

  setMisfire(item: number): Promise<void> {
    return this.built.execution.setMisfire(item);
  }

  clearMisfire(item: number): Promise<void> {
    return this.built.execution.clearMisfire(item);
  }

  // ------------------------------------------------------------ the operator's

  get status(): JobStatus {
    return this.built.status;
  }

  get operations(): JobOperations {
    return this.built.operations;
  }

  private background(what: string, work: () => Promise<void>): void {
    work().catch((error: unknown) => {
      if (this.stopping) return;
      this.logger.error(JOB_STEP_FAILED(this.jobName, what, error), undefined, 'ElasticJob');
    });
  }
}
