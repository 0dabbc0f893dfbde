import type { Type } from '@nestjs/common';
import { INVALID_JOB_OPTION, UNKNOWN_OPTION } from '../elastic-job.messages.js';
import type { ElasticJobOptions } from '../interfaces/elastic-job-options.interface.js';
import type { JobConfigurationChanges } from '../interfaces/job-configuration-changes.interface.js';
import { unknownKeys } from '../utils/closest-name.js';
import type { JobErrorHandler } from '../interfaces/job-error-handler.interface.js';
import type { JobShardingStrategy } from '../interfaces/job-sharding-strategy.interface.js';
import { QuartzCron } from '../scheduling/quartz-cron.js';
import {
  COMPARED_FIELDS,
  ERROR_HANDLER_TYPES,
  JOB_DEFAULTS,
  SHARDING_STRATEGY_TYPES,
  ELASTIC_JOB_KEYS,
  type JobConfiguration,
} from './job-configuration.js';
import { formatShardingItemParameters, parseShardingItemParameters } from './sharding-item-parameters.js';
import { resolveTimeZone } from '../scheduling/time-zone.js';

/** What this instance needs beyond the shared configuration (never written to ZooKeeper). */
export interface LocalJobSettings {
  jobClassName?: string;
  executionTimeoutMs?: number;
  maxConcurrentItems?: number;
  shardingStrategy?: Type<JobShardingStrategy>;
  errorHandler?: Type<JobErrorHandler>;
}

export interface ResolvedJobOptions {
  config: JobConfiguration;
  local: LocalJobSettings;
}

type Problems = string[];

/** The keys `JobConfiguration` models; the rest of a registry node is carried in `extra`. */
const MODELED_KEYS = new Set<string>(
  ELASTIC_JOB_KEYS.filter(
    (key) =>
      ![
        'jobExecutorServiceHandlerType',
        'jobExecutorThreadPoolSizeProviderType',
        'jobExtraConfigurations',
        'jobListenerTypes',
        'label',
      ].includes(key),
  ),
);

const isClass = (value: unknown): value is Type<unknown> => typeof value === 'function';

const JOB_OPTIONS: Record<keyof ElasticJobOptions, true> = {
  name: true,
  cron: true,
  timeZone: true,
  shardingTotalCount: true,
  shardingItemParameters: true,
  jobParameter: true,
  monitorExecution: true,
  failover: true,
  misfire: true,
  maxTimeDiffSeconds: true,
  reconcileIntervalMinutes: true,
  jobShardingStrategyType: true,
  jobErrorHandlerType: true,
  description: true,
  disabled: true,
  overwrite: true,
  staticSharding: true,
  props: true,
  jobClassName: true,
  executionTimeoutMs: true,
  maxConcurrentItems: true,
};
const JOB_OPTION_KEYS = Object.keys(JOB_OPTIONS);

/** What an update may change: the compared fields but `disabled` (a startup switch), and `props`. */
export const UPDATABLE_FIELDS: ReadonlyArray<keyof JobConfigurationChanges> = [
  ...COMPARED_FIELDS.filter((field): field is Exclude<typeof field, 'disabled'> => field !== 'disabled'),
  'props',
];

/** Crashed items are found through their `running` nodes: failover needs them written. */
function failoverProblem(config: JobConfiguration): string | undefined {
  if (config.failover !== true || config.monitorExecution !== false) return undefined;
  return INVALID_JOB_OPTION(
    config.jobName,
    'failover',
    true,
    'failover only with monitorExecution: true (crashed items are found through their running nodes)',
  );
}

/**
 * `shardingItemParameters` as written to ZooKeeper: a string as given, a record `{ 0: 'A' }`
 * formatted as `0=A`. A record that cannot be written adds a problem and gives `''`.
 */
function itemParametersText(job: string, value: unknown, problems: Problems): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const record = value as Record<string, unknown>;
  const invalid = Object.entries(record).find(
    ([item, parameter]) => !/^\d+$/.test(item) || typeof parameter !== 'string' || /[,=]/.test(parameter),
  );
  if (invalid) {
    problems.push(
      INVALID_JOB_OPTION(
        job,
        'shardingItemParameters',
        record,
        'a record of item numbers to strings without "," or "="',
      ),
    );
    return '';
  }
  return formatShardingItemParameters(record as Record<number, string>);
}

/** Checks the shared configuration's values; returns the problems (empty when valid). */
export function validateJobConfiguration(config: JobConfiguration): Problems {
  const problems: Problems = [];
  const job = config.jobName;
  const bad = (field: string, value: unknown, allowed: string) =>
    problems.push(INVALID_JOB_OPTION(job, field, value, allowed));

  if (
    typeof job !== 'string' ||
    job.trim() === '' ||
    job.includes('/') ||
    job.includes('@-@') ||
    job === '.' ||
    job === '..'
  ) {
    bad('name', job, 'a non-empty name without "/" or "@-@"');
  }
  let timeZoneOk = true;
  try {
    resolveTimeZone(config.timeZone);
  } catch (error) {
    timeZoneOk = false;
    bad(
      'timeZone',
      config.timeZone,
      `an IANA time zone name such as "Asia/Shanghai", or "GMT+08:00" (${(error as Error).message})`,
    );
  }
  if (timeZoneOk) {
    try {
      QuartzCron.parse(config.cron, resolveTimeZone(config.timeZone));
    } catch (error) {
      bad(
        'cron',
        config.cron,
        `a Quartz cron expression, seconds first, 6 or 7 fields, e.g. "0/5 * * * * ?" (${(error as Error).message})`,
      );
    }
  }
  const count = config.shardingTotalCount;
  const countOk = Number.isInteger(count) && count >= 1;
  if (!countOk) bad('shardingTotalCount', count, 'an integer of at least 1');
  if (typeof config.shardingItemParameters !== 'string') {
    bad('shardingItemParameters', config.shardingItemParameters, 'a string "0=A,1=B" or a record { 0: "A" }');
  } else {
    try {
      const parameters = parseShardingItemParameters(config.shardingItemParameters);
      const outside = [...parameters.keys()].filter((item) => countOk && (item < 0 || item >= count));
      if (outside.length > 0) {
        bad(
          'shardingItemParameters',
          config.shardingItemParameters,
          `items 0 to ${count - 1} only (item ${outside.join(', ')} is outside)`,
        );
      }
    } catch (error) {
      bad(
        'shardingItemParameters',
        config.shardingItemParameters,
        `pairs "item=parameter" separated by "," (${(error as Error).message})`,
      );
    }
  }
  if (typeof config.jobParameter !== 'string') bad('jobParameter', config.jobParameter, 'a string');
  for (const field of ['monitorExecution', 'failover', 'misfire', 'disabled', 'overwrite', 'staticSharding'] as const) {
    if (typeof config[field] !== 'boolean') bad(field, config[field], 'true or false');
  }
  if (!Number.isInteger(config.maxTimeDiffSeconds) || config.maxTimeDiffSeconds < -1) {
    bad('maxTimeDiffSeconds', config.maxTimeDiffSeconds, 'an integer number of seconds, or -1 to disable the check');
  }
  if (!Number.isInteger(config.reconcileIntervalMinutes)) {
    bad(
      'reconcileIntervalMinutes',
      config.reconcileIntervalMinutes,
      'an integer number of minutes (below 1 disables it)',
    );
  }
  if (
    config.jobShardingStrategyType !== undefined &&
    !(SHARDING_STRATEGY_TYPES as readonly string[]).includes(config.jobShardingStrategyType)
  ) {
    bad(
      'jobShardingStrategyType',
      config.jobShardingStrategyType,
      `${SHARDING_STRATEGY_TYPES.join(', ')}, or a provider class implementing JobShardingStrategy`,
    );
  }
  if (
    config.jobErrorHandlerType !== undefined &&
    !(ERROR_HANDLER_TYPES as readonly string[]).includes(config.jobErrorHandlerType)
  ) {
    bad(
      'jobErrorHandlerType',
      config.jobErrorHandlerType,
      `${ERROR_HANDLER_TYPES.join(', ')}, or a provider class implementing JobErrorHandler`,
    );
  }
  if (typeof config.description !== 'string') bad('description', config.description, 'a string');
  if (
    config.props === null ||
    typeof config.props !== 'object' ||
    Array.isArray(config.props) ||
    Object.values(config.props).some((value) => typeof value !== 'string')
  ) {
    bad('props', config.props, 'a record of string values');
  }
  return problems;
}

/** `@ElasticJob()` options to a configuration with ElasticJob's builder defaults. */
export function resolveJobOptions(
  options: ElasticJobOptions,
  defaultOverwrite: boolean,
): ResolvedJobOptions & { problems: Problems } {
  const problems: Problems = [];
  const job = typeof options.name === 'string' ? options.name : String(options.name);
  const bad = (field: string, value: unknown, allowed: string) =>
    problems.push(INVALID_JOB_OPTION(job, field, value, allowed));

  for (const { key, closest } of unknownKeys(options, JOB_OPTION_KEYS)) {
    problems.push(UNKNOWN_OPTION(`@ElasticJob() of job "${job}"`, key, closest, JOB_OPTION_KEYS));
  }
  const shardingItemParameters = itemParametersText(
    job,
    options.shardingItemParameters ?? JOB_DEFAULTS.shardingItemParameters,
    problems,
  );

  const local: LocalJobSettings = {};
  let jobShardingStrategyType: string | undefined;
  if (isClass(options.jobShardingStrategyType)) local.shardingStrategy = options.jobShardingStrategyType;
  else jobShardingStrategyType = options.jobShardingStrategyType;
  let jobErrorHandlerType: string | undefined;
  if (isClass(options.jobErrorHandlerType)) local.errorHandler = options.jobErrorHandlerType;
  else jobErrorHandlerType = options.jobErrorHandlerType;

  if (options.jobClassName !== undefined) {
    if (typeof options.jobClassName !== 'string' || options.jobClassName.trim() === '') {
      bad('jobClassName', options.jobClassName, 'a non-empty string');
    } else if (['SCRIPT', 'HTTP'].includes(options.jobClassName)) {
      bad(
        'jobClassName',
        options.jobClassName,
        "a class name; SCRIPT and HTTP are ElasticJob's typed jobs, which only Java runs",
      );
    } else local.jobClassName = options.jobClassName;
  }
  for (const field of ['executionTimeoutMs', 'maxConcurrentItems'] as const) {
    const value = options[field];
    if (value === undefined) continue;
    if (!Number.isInteger(value) || value < 1)
      bad(
        field,
        value,
        field === 'executionTimeoutMs' ? 'a positive integer number of milliseconds' : 'a positive integer',
      );
    else local[field] = value;
  }

  const config: JobConfiguration = {
    jobName: job,
    cron: options.cron,
    timeZone: options.timeZone,
    shardingTotalCount: options.shardingTotalCount,
    shardingItemParameters: shardingItemParameters as string,
    jobParameter: options.jobParameter ?? JOB_DEFAULTS.jobParameter,
    monitorExecution: options.monitorExecution ?? JOB_DEFAULTS.monitorExecution,
    failover: options.failover ?? JOB_DEFAULTS.failover,
    misfire: options.misfire ?? JOB_DEFAULTS.misfire,
    maxTimeDiffSeconds: options.maxTimeDiffSeconds ?? JOB_DEFAULTS.maxTimeDiffSeconds,
    reconcileIntervalMinutes: options.reconcileIntervalMinutes ?? JOB_DEFAULTS.reconcileIntervalMinutes,
    jobShardingStrategyType,
    jobErrorHandlerType,
    description: options.description ?? JOB_DEFAULTS.description,
    props: options.props ?? {},
    disabled: options.disabled ?? JOB_DEFAULTS.disabled,
    overwrite: options.overwrite ?? defaultOverwrite,
    staticSharding: options.staticSharding ?? JOB_DEFAULTS.staticSharding,
    extra: {},
  };
  problems.push(...validateJobConfiguration(config));
  const failover = failoverProblem(config);
  if (failover) problems.push(failover);
  return { config, local, problems };
}

/**
 * `JobOperator.updateJobConfiguration`'s changes applied to the configuration in force, checked
 * as `@ElasticJob()` options are; an unknown or non-updatable field is a problem too.
 */
export function applyConfigurationChanges(
  current: JobConfiguration,
  changes: JobConfigurationChanges,
): { config: JobConfiguration; problems: Problems } {
  const job = current.jobName;
  const problems: Problems = [];
  if (!changes || typeof changes !== 'object') {
    return {
      config: current,
      problems: [INVALID_JOB_OPTION(job, 'changes', changes, 'an object of fields to change')],
    };
  }
  for (const { key, closest } of unknownKeys(changes, UPDATABLE_FIELDS)) {
    problems.push(UNKNOWN_OPTION(`the configuration changes of job "${job}"`, key, closest, UPDATABLE_FIELDS));
  }
  const { shardingItemParameters, ...rest } = changes;
  const config: JobConfiguration = { ...current, ...rest, props: changes.props ?? current.props, extra: current.extra };
  if (shardingItemParameters !== undefined) {
    config.shardingItemParameters = itemParametersText(job, shardingItemParameters, problems) as string;
  }
  problems.push(...validateJobConfiguration(config));
  const failover = failoverProblem(config);
  if (failover) problems.push(failover);
  return { config, problems };
}

/**
 * A `config` node's YAML mapping to a configuration, with the defaults Java's
 * `JobConfigurationPOJO` gives absent keys (so both read a partial node the same way).
 */
export function configurationFromRegistry(record: Record<string, unknown>): JobConfiguration {
  const extra: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) {
    if (!MODELED_KEYS.has(key)) extra[key] = value;
  }
  const text = (value: unknown, fallback: string) =>
    value === undefined || value === null ? fallback : typeof value === 'string' ? value : String(value);
  const props: Record<string, string> = {};
  if (record.props && typeof record.props === 'object') {
    for (const [key, value] of Object.entries(record.props as Record<string, unknown>)) props[key] = String(value);
  }
  return {
    jobName: text(record.jobName, ''),
    cron: text(record.cron, ''),
    timeZone: record.timeZone === undefined || record.timeZone === null ? undefined : String(record.timeZone),
    shardingTotalCount: record.shardingTotalCount as number,
    shardingItemParameters: text(record.shardingItemParameters, ''),
    jobParameter: text(record.jobParameter, ''),
    monitorExecution: (record.monitorExecution as boolean | undefined) ?? false,
    failover: (record.failover as boolean | undefined) ?? false,
    misfire: (record.misfire as boolean | undefined) ?? false,
    maxTimeDiffSeconds: (record.maxTimeDiffSeconds as number | undefined) ?? -1,
    reconcileIntervalMinutes: (record.reconcileIntervalMinutes as number | undefined) ?? 0,
    jobShardingStrategyType:
      record.jobShardingStrategyType === undefined || record.jobShardingStrategyType === null
        ? undefined
        : String(record.jobShardingStrategyType),
    jobErrorHandlerType:
      record.jobErrorHandlerType === undefined || record.jobErrorHandlerType === null
        ? undefined
        : String(record.jobErrorHandlerType),
    description: text(record.description, ''),
    props,
    disabled: (record.disabled as boolean | undefined) ?? false,
    overwrite: (record.overwrite as boolean | undefined) ?? false,
    staticSharding: (record.staticSharding as boolean | undefined) ?? false,
    extra,
  };
}
