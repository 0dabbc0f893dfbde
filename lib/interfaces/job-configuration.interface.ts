/**
 * A job's configuration as ElasticJob-Lite 3.x keeps it in `/{job}/config`
 * (`JobConfigurationPOJO`), plus the keys other ElasticJob versions may have written, which
 * are carried over untouched when we rewrite the node.
 */
export interface JobConfiguration {
  jobName: string;
  cron: string;
  /** Unset: the process time zone. */
  timeZone?: string;
  shardingTotalCount: number;
  shardingItemParameters: string;
  jobParameter: string;
  monitorExecution: boolean;
  failover: boolean;
  misfire: boolean;
  maxTimeDiffSeconds: number;
  reconcileIntervalMinutes: number;
  /** Unset: `AVG_ALLOCATION`. A custom strategy is not written (a Java instance could not load it). */
  jobShardingStrategyType?: string;
  /** Unset: `LOG`. A custom handler is not written. */
  jobErrorHandlerType?: string;
  description: string;
  props: Record<string, string>;
  disabled: boolean;
  overwrite: boolean;
  staticSharding: boolean;
  /** Other keys found in the registry (e.g. `jobListenerTypes`, `label`), kept as they were. */
  extra: Record<string, unknown>;
}
