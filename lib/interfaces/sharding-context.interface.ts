/** Why an item runs. ElasticJob's sources, plus `MANUAL` for `JobOperator.trigger`. */
export type ExecutionSource = 'NORMAL_TRIGGER' | 'MISFIRE' | 'FAILOVER' | 'MANUAL';

/** What a job handler receives: one call per local item per fire. */
export interface ShardingContext {
  jobName: string;
  /** ElasticJob's task id: `{job}@-@{items}@-@READY@-@{instanceId}`. */
  taskId: string;
  shardingTotalCount: number;
  jobParameter: string;
  shardingItem: number;
  /** The item's parameter from `shardingItemParameters`, `undefined` when it has none. */
  shardingParameter: string | undefined;
  executionSource: ExecutionSource;
  /** The scheduled fire time this run belongs to (the trigger time for `MANUAL`). */
  fireTime: Date;
  /**
   * Aborted when the item exceeds `executionTimeoutMs`, when shutdown passes its drain
   * deadline, and when this instance loses its ZooKeeper session (the item is no longer ours).
   */
  signal: AbortSignal;
}

/**
 * ElasticJob's `ShardingContexts`: this instance's part of one fire, as its listeners see it.
 * `shardingItemParameters` has every item this instance runs in the fire now (possibly none),
 * with its parameter (`''` when it has none).
 */
export interface ShardingContexts {
  jobName: string;
  taskId: string;
  shardingTotalCount: number;
  jobParameter: string;
  shardingItemParameters: Record<number, string>;
  executionSource: ExecutionSource;
  fireTime: Date;
}
