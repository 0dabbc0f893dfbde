/**
 * Assigns items to instances. `instances` come in ElasticJob's order (reverse lexicographic
 * instance ids); the result maps each instance id to its items. Must be a pure function of
 * its arguments, so every instance computes the same assignment.
 */
export interface JobShardingStrategy {
  sharding(instances: readonly string[], jobName: string, shardingTotalCount: number): Map<string, number[]>;
}

export type JobShardingStrategyType = 'AVG_ALLOCATION' | 'ODEVITY' | 'ROUND_ROBIN' | 'SINGLE_SHARDING_BALANCE';
