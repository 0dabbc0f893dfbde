import type { JobErrorHandlerType } from './job-error-handler.interface.js';
import type { JobShardingStrategyType } from './job-sharding-strategy.interface.js';

/** What `JobOperator.updateJobConfiguration` can change; checked like `@ElasticJob()` options. */
export interface JobConfigurationChanges {
  cron?: string;
  timeZone?: string;
  shardingTotalCount?: number;
  shardingItemParameters?: string | Record<number, string>;
  jobParameter?: string;
  monitorExecution?: boolean;
  failover?: boolean;
  misfire?: boolean;
  maxTimeDiffSeconds?: number;
  reconcileIntervalMinutes?: number;
  jobShardingStrategyType?: JobShardingStrategyType;
  jobErrorHandlerType?: JobErrorHandlerType;
  description?: string;
  staticSharding?: boolean;
  props?: Record<string, string>;
}
