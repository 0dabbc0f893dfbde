import { parseInstanceYaml } from '../config/elastic-job-yaml.js';
import type { JobBriefInfo, JobInstanceInfo, ServerInfo, ShardingInfo } from '../interfaces/job-status.interface.js';
import { jobBriefStatus } from './job-brief-status.js';
import type { ElectionService } from './election.service.js';
import type { ExecutionService } from './execution.service.js';
import type { InstanceService } from './instance.service.js';
import type { JobScope } from './job-context.js';
import type { ServerService } from './server.service.js';
import type { ShardingService } from './sharding.service.js';

/** What an operator reads about a job: its items and its instances (ElasticJob's statistics API). */
export class JobStatus {
  constructor(
    private readonly scope: JobScope,
    private readonly services: {
      servers: ServerService;
      instances: InstanceService;
      election: ElectionService;
      sharding: ShardingService;
      execution: ExecutionService;
    },
  ) {}

  /** ElasticJob's `ShardingInfo` per item: from the cache, and `running` from ZooKeeper. */
  async shardingInfo(): Promise<ShardingInfo[]> {
    const { cache, path } = this.scope;
    const { instances, sharding, execution } = this.services;
    const online = new Set(instances.onlineInstances());
    const count = this.scope.config().shardingTotalCount;
    const running = await execution.runningOwners(Array.from({ length: count }, (_, item) => item));
    return Array.from({ length: count }, (_, item) => {
      const instanceId = sharding.assignedOwner(item) ?? '';
      const serverIp =
        parseInstanceYaml(cache.get(path.instance(instanceId)) ?? '')?.serverIp ?? instanceId.split('@-@')[0] ?? '';
      const status: ShardingInfo['status'] = execution.isDisabled(item)
        ? 'DISABLED'
        : running.has(item)
          ? 'RUNNING'
          : !online.has(instanceId)
            ? 'SHARDING_FLAG'
            : 'PENDING';
      return { item, serverIp, instanceId, status, failover: cache.has(path.itemFailover(item)) };
    });
  }

  /** ElasticJob's `JobBriefInfo`: the job at a glance, from the cache alone. */
  brief(): JobBriefInfo {
    const { cache, path } = this.scope;
    const { servers, instances, sharding } = this.services;
    const config = this.scope.config();
    const online = instances.onlineInstances();
    const ips = cache.getChildren(path.servers) ?? [];
    const owners = Array.from({ length: config.shardingTotalCount }, (_, item) => sharding.ownerOf(item));
    return {
      jobName: config.jobName,
      description: config.description,
      cron: config.cron,
      shardingTotalCount: config.shardingTotalCount,
      instanceCount: online.length,
      status: jobBriefStatus(
        online,
        ips.map((ip) => ({ ip, enabled: servers.isEnabled(ip) })),
        owners,
      ),
    };
  }

  /**
   * Who owns each item at the fire of `fireTime` (item → instance id): the plan's assignment in
   * force then, or, without a plan (a Java leader), the `sharding/{i}/instance` nodes.
   */
  ownersAt(fireTime: Date, manual = false): Record<string, string> {
    const { sharding } = this.services;
    const fire = sharding.ownersAt(fireTime.getTime(), manual);
    if (fire) return { ...fire.owners };
    const owners: Record<string, string> = {};
    for (let item = 0; item < this.scope.config().shardingTotalCount; item += 1) {
      const owner = sharding.ownerOf(item);
      if (owner) owners[String(item)] = owner;
    }
    return owners;
  }

  /** Every server the job has had (`servers/`), enabled or not, with its live instances. */
  serverInfo(): ServerInfo[] {
    const { cache, path } = this.scope;
    const { servers, instances } = this.services;
    const online = instances.onlineInstances();
    return (cache.getChildren(path.servers) ?? [])
      .slice()
      .sort()
      .map((serverIp) => ({
        serverIp,
        enabled: servers.isEnabled(serverIp),
        instances: online.filter((id) => instances.serverIpOf(id) === serverIp),
      }));
  }

  /** Live instances of the job, with their server status, leadership and items. */
  instanceInfo(): JobInstanceInfo[] {
    const { servers, instances, election, sharding } = this.services;
    const leader = election.leader;
    const owners = new Map<string, number[]>();
    for (let item = 0; item < this.scope.config().shardingTotalCount; item += 1) {
      const owner = sharding.assignedOwner(item);
      if (owner) owners.set(owner, [...(owners.get(owner) ?? []), item]);
    }
    return instances.onlineInstances().map((instanceId) => {
      const serverIp = instances.serverIpOf(instanceId) ?? '';
      return {
        instanceId,
        serverIp,
        leader: instanceId === leader,
        serverEnabled: servers.isEnabled(serverIp),
        items: owners.get(instanceId) ?? [],
      };
    });
  }
}
