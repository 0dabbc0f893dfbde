import type { ElasticJobOptions } from './elastic-job-options.interface.js';
import type { JobErrorHandlerType } from './job-error-handler.interface.js';
import type { JobShardingStrategyType } from './job-sharding-strategy.interface.js';

/**
 * What `JobOperator.updateJobConfiguration` can change; checked like `@ElasticJob()` options.
 * Strategy and error handler are ElasticJob type names here (they are written to ZooKeeper).
 */
export type JobConfigurationChanges = Partial<
  Pick<
    ElasticJobOptions,
    | 'cron'
    | 'timeZone'
    | 'shardingTotalCount'
    | 'shardingItemParameters'
    | 'jobParameter'
    | 'monitorExecution'
    | 'failover'
    | 'misfire'
    | 'maxTimeDiffSeconds'
    | 'reconcileIntervalMinutes'
    | 'description'
    | 'staticSharding'
    | 'props'
  >
> & {
  jobShardingStrategyType?: JobShardingStrategyType;
  jobErrorHandlerType?: JobErrorHandlerType;
};
