import type { LoggerService } from '@nestjs/common';
import { parseElasticJobYaml } from '../config/elastic-job-yaml.js';
import type { JobConfiguration } from '../config/job-configuration.js';
import { configurationFromRegistry } from '../config/job-options.validator.js';
import { JOB_STEP_FAILED } from '../elastic-job.messages.js';
import { JobNotFoundError } from '../errors/job-not-found.error.js';
import type { JobInstanceInfo, ServerInfo, ShardingInfo } from '../interfaces/job-status.interface.js';
import type { NamespaceJobBrief, NamespaceServer } from '../interfaces/namespace-view.interface.js';
import type { JobConfigurationChanges } from '../interfaces/job-configuration-changes.interface.js';
import type { TriggerOptions } from '../interfaces/trigger-options.interface.js';
import type { RegistryCenter, TreeCache } from '../registry/registry-center.interface.js';
import { scheduleOf } from '../scheduling/job-schedule.js';
import { formatWallTime, resolveTimeZone } from '../scheduling/time-zone.js';
import { ElectionService } from './election.service.js';
import { ExecutionService } from './execution.service.js';
import type { InstanceIdentity } from './instance-identity.js';
import { InstanceService } from './instance.service.js';
import { readRegistryConfiguration } from './job-configuration.store.js';
import type { JobScope } from './job-context.js';
import { JobNodePath } from './job-node-path.js';
import { JobOperations } from './job-operations.js';
import { JobStatus } from './job-status.js';
import { ServerService } from './server.service.js';
import { ShardingService } from './sharding.service.js';
import { TriggerService } from './trigger.service.js';

const NEXT_FIRES = 3;
/** Who the view is in ZooKeeper: nobody. It joins no job and owns no server. */
const NOBODY: InstanceIdentity = { instanceId: '', serverIp: '' };

/** What the namespace cache follows: everything, but each item's `running` and the latches' children. */
function namespaceChildren(key: string): readonly string[] | undefined {
  const job = key.split('/')[1];
  return job ? new JobNodePath(job).cachedChildrenOf(key) : undefined;
}

/** The `config` node read for display: as it runs, or, when invalid, as written, with the problem. */
function displayedConfiguration(
  yaml: string,
  jobName: string,
  where: string,
): { config: JobConfiguration; problem?: string } {
  try {
    return { config: readRegistryConfiguration(yaml, jobName, where) };
  } catch (error) {
    const problem = (error as Error).message;
    let config: JobConfiguration;
    try {
      config = configurationFromRegistry(parseElasticJobYaml(yaml));
    } catch {
      config = configurationFromRegistry({ jobName });
    }
    const count = Number(config.shardingTotalCount);
    config.shardingTotalCount = Number.isInteger(count) && count > 0 && count <= 10_000 ? count : 0;
    return { config, problem };
  }
}

/** One job of the namespace, read through the same services an instance of it uses. */
interface ViewedJob {
  yaml: string;
  config: JobConfiguration;
  problem: string | undefined;
  status: JobStatus;
  operations: JobOperations;
  election: ElectionService;
}

/**
 * Every job of a namespace, whoever runs it (this app, other apps, Java ElasticJob), as its
 * console shows them: read from one watch-kept cache of the whole namespace (no ZooKeeper
 * request per page, bar the `running` nodes of one job's items), operated through ElasticJob's
 * nodes. It joins nothing: no instance, server or leadership of its own.
 */
export class NamespaceView {
  private readonly jobs = new Map<string, ViewedJob>();

  private constructor(
    private readonly registry: RegistryCenter,
    private readonly cache: TreeCache,
    private readonly logger: LoggerService,
  ) {}

  /** Loads the namespace into memory (resolves once every watch is armed). */
  static async open(registry: RegistryCenter, logger: LoggerService): Promise<NamespaceView> {
    const cache = await registry.addCacheData('/', { fixedChildren: namespaceChildren });
    return new NamespaceView(registry, cache, logger);
  }

  get namespace(): string {
    return this.registry.namespace;
  }

  /** The jobs: children of the namespace with a `config` node, by name. */
  jobNames(): string[] {
    return (this.cache.getChildren('/') ?? []).filter((name) => this.cache.has(`/${name}/config`)).sort();
  }

  /** ElasticJob's `JobBriefInfo`, with the leader, the next fires in the job's zone, and the job's class. */
  brief(jobName: string, now = new Date()): NamespaceJobBrief {
    const job = this.job(jobName);
    const { config } = job;
    let nextFireTimes: NamespaceJobBrief['nextFireTimes'] = [];
    try {
      const zone = resolveTimeZone(config.timeZone);
      nextFireTimes = scheduleOf(config)
        .nextRuns(NEXT_FIRES, now)
        .map((time) => ({ time: time.toISOString(), local: formatWallTime(time, zone) }));
    } catch {
      // An invalid cron shows as a problem, with no next fire.
    }
    return {
      ...job.status.brief(),
      timeZone: config.timeZone,
      leader: job.election.leader,
      jobClass: this.cache.get(`/${jobName}`) || undefined,
      nextFireTimes,
      problem: job.problem,
    };
  }

  configuration(jobName: string): JobConfiguration {
    return this.job(jobName).config;
  }

  /** ElasticJob's `ShardingInfo` per item; `running` is read from ZooKeeper. */
  items(jobName: string): Promise<ShardingInfo[]> {
    return this.job(jobName).status.shardingInfo();
  }

  instances(jobName: string): JobInstanceInfo[] {
    return this.job(jobName).status.instanceInfo();
  }

  servers(jobName: string): ServerInfo[] {
    return this.job(jobName).status.serverInfo();
  }

  /** ElasticJob's `ServerBriefInfo`: each server IP with its live instances, jobs and disabled jobs. */
  serverBriefs(): NamespaceServer[] {
    const byIp = new Map<
      string,
      { serverIp: string; instances: Set<string>; jobs: string[]; disabledJobs: string[] }
    >();
    for (const jobName of this.jobNames()) {
      for (const server of this.servers(jobName)) {
        const entry = byIp.get(server.serverIp) ?? {
          serverIp: server.serverIp,
          instances: new Set<string>(),
          jobs: [],
          disabledJobs: [],
        };
        for (const instance of server.instances) entry.instances.add(instance);
        (server.enabled ? entry.jobs : entry.disabledJobs).push(jobName);
        byIp.set(server.serverIp, entry);
      }
    }
    return [...byIp.values()]
      .sort((a, b) => a.serverIp.localeCompare(b.serverIp))
      .map((entry) => ({ ...entry, instances: [...entry.instances].sort() }));
  }

  // ------------------------------------------------------------ operations

  updateConfiguration(jobName: string, changes: JobConfigurationChanges): Promise<JobConfiguration> {
    return this.job(jobName).operations.updateConfiguration(changes);
  }

  setItemEnabled(jobName: string, item: number, enabled: boolean): Promise<void> {
    return this.job(jobName).operations.setItemEnabled(item, enabled);
  }

  setServerEnabled(jobName: string, serverIp: string, enabled: boolean): Promise<void> {
    return this.job(jobName).operations.setServerEnabled(serverIp, enabled);
  }

  /** Fires the job once on each live instance, a job waiting for sharding included. */
  trigger(jobName: string, options: TriggerOptions = {}): Promise<void> {
    return this.job(jobName).operations.triggerAll(options);
  }

  shutdownInstance(jobName: string, instanceId: string): Promise<void> {
    return this.job(jobName).operations.shutdownInstance(instanceId);
  }

  async removeJob(jobName: string): Promise<void> {
    await this.job(jobName).operations.removeJob();
    this.jobs.delete(jobName);
  }

  /** The job's parts, rebuilt when its `config` node changed. Throws JobNotFoundError for an unknown job. */
  private job(jobName: string): ViewedJob {
    const path = new JobNodePath(jobName);
    const yaml = jobName.includes('/') ? undefined : this.cache.get(path.config);
    if (yaml === undefined) {
      this.jobs.delete(jobName);
      throw new JobNotFoundError(jobName, this.jobNames(), `in namespace "${this.registry.namespace}"`);
    }
    const known = this.jobs.get(jobName);
    if (known?.yaml === yaml) return known;
    const { config, problem } = displayedConfiguration(yaml, jobName, this.registry.namespace + path.config);
    if (known) {
      // The services read the configuration through the scope: only what is shown changes.
      Object.assign(known, { yaml, config, problem });
      return known;
    }
    const viewed = { yaml, config, problem } as ViewedJob;
    const logger = this.logger;
    const scope: JobScope = {
      path,
      registry: this.registry,
      identity: NOBODY,
      logger,
      cache: this.cache,
      jobName,
      config: () => viewed.config,
      takingItems: false,
      stopping: false,
      liveSession: () => undefined,
      background: (what, work) =>
        void work().catch((error: unknown) => logger.warn(JOB_STEP_FAILED(jobName, what, error), 'ElasticJob')),
      emit: () => undefined,
    };
    const servers = new ServerService(scope);
    const instances = new InstanceService(scope, servers);
    const election = new ElectionService(scope);
    const execution = new ExecutionService(scope);
    const sharding = new ShardingService(
      scope,
      instances,
      election,
      scope.config,
      () => {
        throw new Error('internal: the namespace view never shards');
      },
      () => undefined,
    );
    viewed.election = election;
    viewed.status = new JobStatus(scope, { servers, instances, election, sharding, execution });
    viewed.operations = new JobOperations(scope, {
      servers,
      instances,
      execution,
      triggers: new TriggerService(scope),
    });
    this.jobs.set(jobName, viewed);
    return viewed;
  }
}
