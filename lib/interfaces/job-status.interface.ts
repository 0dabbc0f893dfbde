/** ElasticJob's `ShardingInfo`: one item of a job, as the operator sees it. */
export interface ShardingInfo {
  item: number;
  serverIp: string;
  instanceId: string;
  status: 'DISABLED' | 'RUNNING' | 'SHARDING_FLAG' | 'PENDING';
  failover: boolean;
}

/** One live instance of a job. */
export interface JobInstanceInfo {
  instanceId: string;
  serverIp: string;
  leader: boolean;
  serverEnabled: boolean;
  /** Items the `sharding/{i}/instance` nodes give it. */
  items: number[];
}

/** ElasticJob's `JobBriefInfo`: a job at a glance, as its console's job list shows it. */
export interface JobBriefInfo {
  jobName: string;
  description: string | undefined;
  cron: string;
  shardingTotalCount: number;
  /** Live instances. */
  instanceCount: number;
  /**
   * `CRASHED`: no live instance; `DISABLED`: every server disabled; `SHARDING_FLAG`: an item
   * without a live owner (waiting for sharding); else `OK`.
   */
  status: 'OK' | 'CRASHED' | 'DISABLED' | 'SHARDING_FLAG';
}

/** One server (`servers/{ip}`) of a job: ElasticJob's servers are IPs, shared by their instances. */
export interface ServerInfo {
  serverIp: string;
  /** `servers/{ip}` is `ENABLED` (its instances may get items). */
  enabled: boolean;
  /** Live instances of the job on that IP. */
  instances: string[];
}
