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
