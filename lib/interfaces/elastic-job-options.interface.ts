import type { Type } from '@nestjs/common';
import type { JobErrorHandler, JobErrorHandlerType } from './job-error-handler.interface.js';
import type { JobShardingStrategy, JobShardingStrategyType } from './job-sharding-strategy.interface.js';

/**
 * Options of `@ElasticJob()`. Names and defaults follow ElasticJob-Lite 3.x's
 * `JobConfiguration` builder.
 */
export interface ElasticJobOptions {
  /** Unique in the namespace; the ZooKeeper subtree name. No `/`, no `@-@`. */
  name: string;
  /** Quartz cron: seconds first, 6 or 7 fields, `?`, `L`, `W`, `#`, month and day names. */
  cron: string;
  /** IANA name (`Asia/Shanghai`) or `GMT+08:00`. Default: the process time zone. */
  timeZone?: string;
  /** Number of items, numbered `0..n-1`. */
  shardingTotalCount: number;
  /** `'0=Beijing,1=Shanghai'`, or `{ 0: 'Beijing', 1: 'Shanghai' }`. */
  shardingItemParameters?: string | Record<number, string>;
  /** Passed to every item. Default `''`. */
  jobParameter?: string;
  /** Write `sharding/{i}/running` while items run. Default true. */
  monitorExecution?: boolean;
  /** Re-run a crashed instance's running items elsewhere at once. Default false. */
  failover?: boolean;
  /** Run an item once more right after a run that overlapped a fire. Default true. */
  misfire?: boolean;
  /** Tolerated clock skew against ZooKeeper, checked before each run; -1 disables. Default -1. */
  maxTimeDiffSeconds?: number;
  /** Self-repair check period; < 1 disables. Default 10. */
  reconcileIntervalMinutes?: number;
  /** Default `AVG_ALLOCATION`; or a provider class implementing `JobShardingStrategy`. */
  jobShardingStrategyType?: JobShardingStrategyType | Type<JobShardingStrategy>;
  /** Default `LOG`; or a provider class implementing `JobErrorHandler`. */
  jobErrorHandlerType?: JobErrorHandlerType | Type<JobErrorHandler>;
  /** Default `''`. */
  description?: string;
  /** Start with this instance's server disabled (`servers/{ip}` = `DISABLED`). Default false. */
  disabled?: boolean;
  /** Write this configuration over the registry's. Default: the module's `overwrite`, else false. */
  overwrite?: boolean;
  /** Once assigned, keep the assignment when instances come and go. Default false. */
  staticSharding?: boolean;
  /** Free-form settings kept in the configuration. */
  props?: Record<string, string>;
  /**
   * What the job root node holds to identify the job's code. Default `{Class}.{method}`.
   * Set it to the Java class name to share a job with Java ElasticJob instances.
   */
  jobClassName?: string;
  /** Per item: past this, the item's `signal` aborts and the item counts as failed. */
  executionTimeoutMs?: number;
  /** How many of this instance's items run at once. Default: all of them. */
  maxConcurrentItems?: number;
}

/**
 * `@ElasticJob()` on a method that has `@nestjs/schedule`'s `@Cron()` (written above it): the
 * cron, and unless given here the name and time zone, come from `@Cron()`.
 */
export type ElasticJobOnCronOptions = Omit<ElasticJobOptions, 'name' | 'cron'> & { name?: string; cron?: string };
