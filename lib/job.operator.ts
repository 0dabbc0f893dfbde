import { Injectable } from '@nestjs/common';
import type { JobConfiguration } from './config/job-configuration.js';
import { ElasticJobOrchestrator } from './elastic-job.orchestrator.js';
import type { JobRunResult } from './interfaces/job-run-result.interface.js';
import type { ExecutionSource } from './interfaces/sharding-context.interface.js';
import type { TriggerOptions } from './interfaces/trigger-options.interface.js';
import { checkTriggerOptions } from './coordination/job-operations.js';
import type { JobConfigurationChanges } from './interfaces/job-configuration-changes.interface.js';
import type { JobBriefInfo, JobInstanceInfo, ServerInfo, ShardingInfo } from './interfaces/job-status.interface.js';

export interface RunWaitOptions {
  /** Only a run of this source (e.g. `MANUAL` for a trigger). */
  source?: ExecutionSource;
  /** Default 60000. */
  timeoutMs?: number;
}

/**
 * Triggers, inspects and operates jobs. Unknown job names throw `JobNotFoundError` (the methods
 * that return a promise reject with it).
 * @publicApi
 */
@Injectable()
export class JobOperator {
  constructor(private readonly orchestrator: ElasticJobOrchestrator) {}

  /** Resolves once every job is registered (rejects if the module failed to start). */
  waitUntilReady(): Promise<void> {
    return this.orchestrator.waitUntilReady();
  }

  /** The jobs declared in this application. */
  getJobNames(): string[] {
    return this.orchestrator.jobNames();
  }

  /** The configuration that runs: the registry's (it may differ from the code, see `overwrite`). */
  getJobConfiguration(jobName: string): JobConfiguration {
    const config = this.orchestrator.job(jobName).coordinator.config;
    return { ...config, props: { ...config.props }, extra: { ...config.extra } };
  }

  /**
   * Fires the job once on every live instance, as ElasticJob 3.x does (`trigger/{instanceId}`).
   * An instance whose items are still running runs them again right after, instead of
   * dropping the trigger. `options.jobParameter` gives this run its own job parameter.
   */
  async trigger(jobName: string, options: TriggerOptions = {}): Promise<void> {
    await this.orchestrator.job(jobName).coordinator.operations.triggerAll(options);
  }

  /** Resolves with the next run of the job on this instance that starts after the call. */
  async nextRun(jobName: string, options: RunWaitOptions = {}): Promise<JobRunResult> {
    return this.orchestrator.job(jobName).runtime.nextRun(options);
  }

  /** `trigger`, then the result of the triggered run on this instance (per item). */
  async triggerAndWait(
    jobName: string,
    options: Omit<RunWaitOptions, 'source'> & TriggerOptions = {},
  ): Promise<JobRunResult> {
    const { jobParameter, ...wait } = options;
    const trigger = jobParameter === undefined ? {} : { jobParameter };
    // Checked before waiting: a refused trigger leaves no waiter behind.
    checkTriggerOptions(jobName, trigger);
    const run = this.nextRun(jobName, { ...wait, source: 'MANUAL' });
    try {
      await this.trigger(jobName, trigger);
    } catch (error) {
      run.catch(() => undefined);
      throw error;
    }
    return run;
  }

  /** With `autoStart: false`: join the cluster and start firing. */
  start(): Promise<void> {
    return this.orchestrator.start();
  }

  /**
   * Changes a job's configuration in ZooKeeper, checked like `@ElasticJob()` options; every
   * instance applies a new cron, time zone, item count or parameters without a restart.
   */
  async updateJobConfiguration(jobName: string, changes: JobConfigurationChanges): Promise<JobConfiguration> {
    return this.orchestrator.job(jobName).coordinator.operations.updateConfiguration(changes);
  }

  /**
   * ElasticJob's `ShardingInfo` per item: owner, status (`DISABLED`, `RUNNING`,
   * `SHARDING_FLAG`, `PENDING`), failover. Reads the items' `running` nodes from ZooKeeper.
   */
  async getShardingInfo(jobName: string): Promise<ShardingInfo[]> {
    return this.orchestrator.job(jobName).coordinator.status.shardingInfo();
  }

  /**
   * The job at a glance, as ElasticJob's statistics API gives it (`JobBriefInfo`): cron, items,
   * live instances, and its status (`OK`, `CRASHED`, `DISABLED`, `SHARDING_FLAG`). From the
   * watch cache: no ZooKeeper request.
   */
  getJobBrief(jobName: string): JobBriefInfo {
    return this.orchestrator.job(jobName).coordinator.status.brief();
  }

  /** The job's servers (by IP, ElasticJob's `servers/{ip}`), enabled or not, with their live instances. */
  getServers(jobName: string): ServerInfo[] {
    return this.orchestrator.job(jobName).coordinator.status.serverInfo();
  }

  /** The job's live instances: server, leadership, items. */
  getInstances(jobName: string): JobInstanceInfo[] {
    return this.orchestrator.job(jobName).coordinator.status.instanceInfo();
  }

  /**
   * Disables a server for the job (`servers/{ip}` = `DISABLED`, as ElasticJob's
   * `JobOperateAPI.disable`): its instances get no items from the next assignment on, and a
   * leader among them abdicates. Default: this instance's server.
   */
  disableServer(jobName: string, serverIp?: string): Promise<void> {
    return this.setServer(jobName, serverIp, false);
  }

  enableServer(jobName: string, serverIp?: string): Promise<void> {
    return this.setServer(jobName, serverIp, true);
  }

  /** Skips an item (`sharding/{i}/disabled`) without reassigning it. */
  async disableItem(jobName: string, item: number): Promise<void> {
    return this.orchestrator.job(jobName).coordinator.operations.setItemEnabled(item, false);
  }

  async enableItem(jobName: string, item: number): Promise<void> {
    return this.orchestrator.job(jobName).coordinator.operations.setItemEnabled(item, true);
  }

  private async setServer(jobName: string, serverIp: string | undefined, enabled: boolean): Promise<void> {
    const job = this.orchestrator.job(jobName);
    const ip = serverIp ?? this.orchestrator.instanceIdentity!.serverIp;
    return job.coordinator.operations.setServerEnabled(ip, enabled);
  }
}
