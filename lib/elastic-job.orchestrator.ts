import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type Type,
} from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { LocalJobSettings } from './config/job-options.validator.js';
import type { ResolvedModuleOptions } from './config/module-options.js';
import { JobConfigurationStore } from './coordination/job-configuration.store.js';
import { reserveDefaultInstanceId, type InstanceIdentity } from './coordination/instance-identity.js';
import { JobCoordinator } from './coordination/job-coordinator.js';
import { JobNodePath } from './coordination/job-node-path.js';
import { ClusterLog } from './cluster-log.js';
import { resolveJobDefinitions, type JobDefinition } from './config/job-definitions.js';
import { resolveListeners, type ListenerDefinition } from './config/listener-options.js';
import type { JobEventInput } from './events/job-event-sink.js';
import {
  jobList,
  JOBS_DISABLED,
  JOBS_OFF,
  JOBS_REGISTERED,
  JOB_STEP_FAILED,
  LEAVING_UNREACHABLE,
  MISSING_PROVIDER,
  NOT_READY,
  SESSION_CLOSE_FAILED,
  SHUTDOWN_FAILED,
  SHUTDOWN_WAITING,
} from './elastic-job.messages.js';
import { ELASTIC_JOB_REGISTRY_CENTER, ELASTIC_JOB_RESOLVED_OPTIONS } from './elastic-job.constants.js';
import { InvalidJobOptionsError } from './errors/invalid-job-options.error.js';
import { JobNotFoundError } from './errors/job-not-found.error.js';
import { JobsUnavailableError } from './errors/jobs-unavailable.error.js';
import { EVENT_NAME_PREFIX, findAppEventEmitter } from './events/event-emitter-bridge.js';
import { JobEventStream } from './events/job-event-stream.js';
import { resolveErrorHandler } from './execution/error-handlers.js';
import { forEachBounded } from './utils/for-each-bounded.js';
import { EventLoopMonitor } from './execution/event-loop-monitor.js';
import { JobRuntime, type JobHandler } from './execution/job-runtime.js';
import { isStreaming, runDataflow } from './execution/dataflow.js';
import type { DataflowJob } from './interfaces/dataflow-job.interface.js';
import type { JobErrorHandler } from './interfaces/job-error-handler.interface.js';
import type { JobShardingStrategy } from './interfaces/job-sharding-strategy.interface.js';
import { JobExecutionDecorator } from './job-execution.decorator.js';
import type { RegistryCenter } from './registry/registry-center.interface.js';
import { BUILT_IN_STRATEGIES } from './sharding/sharding-strategies.js';

interface ManagedJob {
  definition: JobDefinition;
  coordinator: JobCoordinator;
  runtime: JobRuntime;
}

const REGISTRATION_CONCURRENCY = 64;
/** How long a stopping instance waits for a lost connection to come back before leaving without it. */
const LEAVE_RECONNECT_GRACE_MS = 2_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Owns the jobs of this application: registers them in ZooKeeper on module init (so
 * `app.init()` fails when that fails), starts their timers once every module is initialised,
 * and on shutdown stops them, drains running items, leaves the cluster and closes the session.
 */
@Injectable()
export class ElasticJobOrchestrator
  implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown
{
  private readonly jobs = new Map<string, ManagedJob>();
  private identity: InstanceIdentity | undefined;
  private releaseInstanceId: (() => void) | undefined;
  private readonly readiness: Promise<void>;
  private settleReadiness!: { resolve: () => void; reject: (error: unknown) => void };
  private starting: Promise<void> | undefined;
  private readonly joinedJobs = new Set<ManagedJob>();
  private clusterLog: ClusterLog | undefined;
  private detachSessionEvents: (() => void) | undefined;
  private detachEmitter: (() => void) | undefined;
  /** With `enabled: false`: the jobs found and checked, none of them registered. */
  private disabledJobNames: string[] = [];
  private readonly loopMonitor: EventLoopMonitor;
  private started = false;
  private shutDown = false;

  constructor(
    @Inject(ELASTIC_JOB_RESOLVED_OPTIONS) private readonly options: ResolvedModuleOptions,
    @Inject(ELASTIC_JOB_REGISTRY_CENTER) private readonly registry: RegistryCenter,
    private readonly moduleRef: ModuleRef,
    private readonly events: JobEventStream,
  ) {
    this.loopMonitor = new EventLoopMonitor(options.zookeeper.sessionTimeoutMs, options.logger, () =>
      [...this.jobs.values()].map((job) => ({ job: job.coordinator.jobName, items: job.runtime.runningItems() })),
    );
    this.readiness = new Promise<void>((resolve, reject) => (this.settleReadiness = { resolve, reject }));
    // Nobody may be waiting; a failed start is reported by app.init() itself.
    this.readiness.catch(() => undefined);
  }

  private get logger() {
    return this.options.logger;
  }

  waitUntilReady(): Promise<void> {
    return this.readiness;
  }

  get instanceIdentity(): InstanceIdentity | undefined {
    return this.identity;
  }

  jobNames(): string[] {
    return this.options.enabled ? [...this.jobs.keys()] : [...this.disabledJobNames];
  }

  job(name: string): ManagedJob {
    if (!this.options.enabled) throw new JobsUnavailableError(JOBS_DISABLED(`Job "${name}"`));
    const job = this.jobs.get(name);
    if (!job) {
      if (!this.identity) throw new JobsUnavailableError(NOT_READY(`Job "${name}"`));
      throw new JobNotFoundError(name, this.jobNames());
    }
    return job;
  }

  /** Validates every job, then connects and registers them all (called on module init). */
  async register(definitions: JobDefinition[], listenerDefinitions: readonly ListenerDefinition[] = []): Promise<void> {
    try {
      const resolved = resolveJobDefinitions(definitions, this.options.overwrite);
      const providers = resolved.map(({ definition, local }) => this.resolveProviders(definition.options.name, local));
      const listeners = resolveListeners(
        listenerDefinitions,
        resolved.map(({ config }) => config.jobName),
      );
      if (!this.options.enabled) {
        this.disabledJobNames = resolved.map(({ config }) => config.jobName);
        this.logger.log(JOBS_OFF(resolved.length), 'ElasticJob');
        this.settleReadiness.resolve();
        return;
      }
      await this.registry.init();
      const namespace = this.registry.namespace;
      if (this.options.instanceId) {
        this.identity = { instanceId: this.options.instanceId, serverIp: this.options.serverIp };
      } else {
        const reserved = reserveDefaultInstanceId(namespace, this.options.serverIp);
        this.releaseInstanceId = reserved.release;
        this.identity = { instanceId: reserved.instanceId, serverIp: this.options.serverIp };
      }
      // Read-only checks first, so a conflicting job leaves every other job unwritten too.
      await Promise.all(
        resolved.map(({ definition, jobClassName }) =>
          JobConfigurationStore.checkConflict(this.registry, new JobNodePath(definition.options.name), jobClassName),
        ),
      );
      this.events.bind(this.identity.instanceId, this.logger);
      // Apps that use @nestjs/event-emitter get every job event there too (`elastic-job.{type}`).
      const emitter = findAppEventEmitter(this.moduleRef);
      if (emitter) this.detachEmitter = this.events.on((event) => emitter.emit(EVENT_NAME_PREFIX + event.type, event));
      this.clusterLog = new ClusterLog(this.logger, this.identity.instanceId, this.events);
      const emit = (event: JobEventInput) => this.events.emit(event);
      this.detachSessionEvents = this.registry.addConnectionStateListener(({ state, sessionId, newSession }) => {
        if (state === 'LOST') this.events.emit({ type: 'session-lost', sessionId });
        else if (state === 'AT_RISK') this.events.emit({ type: 'session-at-risk', sessionId });
        else if (state === 'RECONNECTED') this.events.emit({ type: 'session-restored', sessionId, newSession });
      });
      await forEachBounded(resolved, REGISTRATION_CONCURRENCY, async (entry, index) => {
        const { definition, config, local, jobClassName } = entry;
        const { strategy, errorHandler } = providers[index]!;
        const coordinator = new JobCoordinator(
          this.registry,
          this.identity!,
          this.logger,
          config.jobName,
          (current) =>
            strategy ??
            BUILT_IN_STRATEGIES[current.jobShardingStrategyType ?? 'AVG_ALLOCATION'] ??
            BUILT_IN_STRATEGIES.AVG_ALLOCATION!,
          emit,
        );
        const effective = await coordinator.register(config, jobClassName);
        const method = (definition.instance as Record<string, unknown>)[definition.methodName] as (
          ...args: unknown[]
        ) => unknown;
        const handler: JobHandler =
          definition.kind === 'dataflow'
            ? (context) =>
                runDataflow(definition.instance as DataflowJob, context, {
                  streaming: () => isStreaming(coordinator.config),
                  resharding: () => coordinator.reshardingPending,
                  stopping: () => !runtime.isActive,
                })
            : (context) => method.call(definition.instance, context);
        const runtime: JobRuntime = new JobRuntime(config.jobName, {
          handler,
          port: coordinator,
          local,
          errorHandler: resolveErrorHandler(effective.jobErrorHandlerType, errorHandler, this.logger),
          decorator: this.options.executionDecorator ?? new JobExecutionDecorator(),
          logger: this.logger,
          instanceId: this.identity!.instanceId,
          enteringHandler: (item) => this.loopMonitor.entering(config.jobName, item),
          emit,
          listeners: listeners.get(config.jobName),
        });
        this.jobs.set(config.jobName, { definition, coordinator, runtime });
      });
      this.logger.log(
        JOBS_REGISTERED(
          this.jobs.size,
          this.identity.instanceId,
          namespace,
          this.options.zookeeper.serverLists,
          this.options.runJobs,
          jobList(this.jobNames(), 10),
        ),
        'ElasticJob',
      );
      this.settleReadiness.resolve();
    } catch (error) {
      this.settleReadiness.reject(error);
      await this.teardown();
      throw error;
    }
  }

  private resolveProviders(jobName: string, local: LocalJobSettings) {
    const get = <T>(type: Type<T> | undefined, field: string): T | undefined => {
      if (!type) return undefined;
      try {
        return this.moduleRef.get(type, { strict: false });
      } catch {
        throw new InvalidJobOptionsError([MISSING_PROVIDER(jobName, field, type.name)]);
      }
    };
    return {
      strategy: get<JobShardingStrategy>(local.shardingStrategy, 'jobShardingStrategyType'),
      errorHandler: get<JobErrorHandler>(local.errorHandler, 'jobErrorHandlerType'),
    };
  }

  /**
   * Every module is initialised: the instance joins its jobs and their timers start. Joining
   * is what lets a leader give this instance items, so it happens only now, each job's timer
   * starting right after its join (and counting fires from the join): an item is never given
   * to an instance whose app is still initialising.
   */
  async onApplicationBootstrap(): Promise<void> {
    if (!this.options.enabled || !this.options.runJobs || !this.options.autoStart) return;
    try {
      await this.start();
    } catch (error) {
      await this.teardown();
      throw error;
    }
  }

  /** For `autoStart: false`: join the cluster now and start the timers. */
  async start(): Promise<void> {
    await this.readiness;
    if (!this.options.enabled) throw new JobsUnavailableError(JOBS_DISABLED('JobOperator.start()'));
    if (!this.options.runJobs || this.shutDown) return;
    // One start at a time; a failed one may be tried again (jobs already joined stay joined).
    this.starting ??= this.joinAll().finally(() => (this.starting = undefined));
    await this.starting;
  }

  private async joinAll(): Promise<void> {
    await forEachBounded([...this.jobs.values()], REGISTRATION_CONCURRENCY, async (job) => {
      if (this.shutDown || this.joinedJobs.has(job)) return;
      await job.coordinator.join(!job.coordinator.config.disabled);
      this.joinedJobs.add(job);
      if (!this.shutDown) job.runtime.start();
    });
    this.startTimers();
  }

  private startTimers(): void {
    if (this.started || this.shutDown) return;
    this.started = true;
    for (const job of this.joinedJobs) job.runtime.start();
    this.loopMonitor.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (this.shutDown) return;
    this.shutDown = true;
    try {
      const deadline = Date.now() + this.options.shutdownTimeoutMs;
      const jobs = [...this.jobs.values()];
      // Leave first, so the others reshard at once; keep firing until the new assignment
      // applies, so no fire is skipped; then stop, drain, and abort what is left. Nothing here
      // waits for a fire that is not due: only for what runs, up to the deadline.
      // A connection that blinks as the app stops is given a moment, so the leave is written.
      const reconnectBy = Math.min(Date.now() + LEAVE_RECONNECT_GRACE_MS, deadline);
      while (!this.registry.isConnected && Date.now() < reconnectBy) await sleep(100);
      const left = await Promise.all(
        jobs.map((job) =>
          job.coordinator.beginLeave().catch((error: unknown) => {
            this.logger.warn(JOB_STEP_FAILED(job.coordinator.jobName, 'leaving the cluster', error), 'ElasticJob');
            return true;
          }),
        ),
      );
      if (left.includes(false)) {
        this.logger.warn(LEAVING_UNREACHABLE, 'ElasticJob');
      }
      await Promise.all(jobs.map((job) => job.coordinator.awaitHandover(deadline)));
      for (const job of jobs) job.runtime.stop();
      const running = jobs
        .map((job) => ({ name: job.coordinator.jobName, items: job.runtime.runningItems() }))
        .filter((job) => job.items.length > 0);
      if (running.length > 0) {
        this.logger.log(SHUTDOWN_WAITING(Math.max(deadline - Date.now(), 0), running), 'ElasticJob');
      }
      await Promise.all(jobs.map((job) => job.runtime.drain(deadline)));
    } catch (error) {
      this.logger.error(SHUTDOWN_FAILED(error), undefined, 'ElasticJob');
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.teardown();
  }

  private async teardown(): Promise<void> {
    this.shutDown = true;
    this.loopMonitor.stop();
    for (const job of this.jobs.values()) {
      job.runtime.stop();
      job.coordinator.close();
    }
    this.detachSessionEvents?.();
    this.detachEmitter?.();
    this.clusterLog?.close();
    this.events.complete();
    try {
      await this.registry.close();
    } catch (error) {
      this.logger.error(SESSION_CLOSE_FAILED(error), undefined, 'ElasticJob');
    }
    this.releaseInstanceId?.();
    this.releaseInstanceId = undefined;
  }
}
