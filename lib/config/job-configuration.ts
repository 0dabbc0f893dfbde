import type { JobConfiguration } from '../interfaces/job-configuration.interface.js';

export type { JobConfiguration };

/** ElasticJob 3.x builder defaults (not its YAML POJO's, which differ). */
export const JOB_DEFAULTS = {
  shardingItemParameters: '',
  jobParameter: '',
  monitorExecution: true,
  failover: false,
  misfire: true,
  maxTimeDiffSeconds: -1,
  reconcileIntervalMinutes: 10,
  description: '',
  disabled: false,
  overwrite: false,
  staticSharding: false,
} as const;

export const SHARDING_STRATEGY_TYPES = ['AVG_ALLOCATION', 'ODEVITY', 'ROUND_ROBIN', 'SINGLE_SHARDING_BALANCE'] as const;
export const ERROR_HANDLER_TYPES = ['LOG', 'THROW', 'IGNORE'] as const;

/** The keys a Java ElasticJob 3.x reader knows; anything else goes to `extra`. */
export const ELASTIC_JOB_KEYS = [
  'cron',
  'description',
  'disabled',
  'failover',
  'jobErrorHandlerType',
  'jobExecutorServiceHandlerType',
  'jobExecutorThreadPoolSizeProviderType',
  'jobExtraConfigurations',
  'jobListenerTypes',
  'jobName',
  'jobParameter',
  'jobShardingStrategyType',
  'label',
  'maxTimeDiffSeconds',
  'misfire',
  'monitorExecution',
  'overwrite',
  'props',
  'reconcileIntervalMinutes',
  'shardingItemParameters',
  'shardingTotalCount',
  'staticSharding',
  'timeZone',
] as const;

/** The fields whose change a user would care to see when registry and code disagree. */
export const COMPARED_FIELDS = [
  'cron',
  'timeZone',
  'shardingTotalCount',
  'shardingItemParameters',
  'jobParameter',
  'monitorExecution',
  'failover',
  'misfire',
  'maxTimeDiffSeconds',
  'reconcileIntervalMinutes',
  'jobShardingStrategyType',
  'jobErrorHandlerType',
  'description',
  'disabled',
  'staticSharding',
] as const satisfies ReadonlyArray<keyof JobConfiguration>;

/** `field: registry value (code has X)` for each field that differs. */
export function describeDifferences(registry: JobConfiguration, code: JobConfiguration): string[] {
  const differences: string[] = [];
  for (const field of COMPARED_FIELDS) {
    const a = registry[field];
    const b = code[field];
    if (a !== b) differences.push(`${field}: ${JSON.stringify(a)} (code has ${JSON.stringify(b)})`);
  }
  if (JSON.stringify(registry.props) !== JSON.stringify(code.props)) {
    differences.push(`props: ${JSON.stringify(registry.props)} (code has ${JSON.stringify(code.props)})`);
  }
  return differences;
}
