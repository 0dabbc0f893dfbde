import { CRON_DECORATOR_ORDER, DUPLICATE_JOB } from '../elastic-job.messages.js';
import { optionsFromCron, type ScheduleCronMetadata } from './schedule-cron.js';
import { InvalidJobOptionsError } from '../errors/invalid-job-options.error.js';
import { JobConflictError } from '../errors/job-conflict.error.js';
import type { ElasticJobOptions } from '../interfaces/elastic-job-options.interface.js';
import type { JobConfiguration } from './job-configuration.js';
import { resolveJobOptions, type LocalJobSettings } from './job-options.validator.js';

/** A decorated method found by discovery. */
export interface JobDefinition {
  options: ElasticJobOptions;
  instance: object;
  methodName: string;
  className: string;
  /** The `@Cron()` options `@ElasticJob()` took over (written above it). */
  scheduleCron?: ScheduleCronMetadata;
  /** `@Cron()` applied after `@ElasticJob()` (written above it in the source): refused. */
  scheduleCronAfter?: boolean;
  /** A `@ElasticDataflowJob()` class: `fetchData` and `processData` instead of one method. */
  kind?: 'dataflow';
  /** What discovery already found wrong with it. */
  problems?: string[];
}

/** A definition with its options checked and resolved. */
export interface ResolvedJobDefinition {
  definition: JobDefinition;
  config: JobConfiguration;
  local: LocalJobSettings;
  jobClassName: string;
}

/**
 * Every definition's options resolved and checked at once: throws JobConflictError for a job
 * name used twice, or InvalidJobOptionsError listing every problem of every job.
 */
export function resolveJobDefinitions(
  definitions: readonly JobDefinition[],
  defaultOverwrite: boolean,
): ResolvedJobDefinition[] {
  const problems: string[] = [];
  const seen = new Map<string, string>();
  const resolved: ResolvedJobDefinition[] = [];
  for (const definition of definitions) {
    const where = `${definition.className}.${definition.methodName}`;
    let options = definition.options ?? ({} as ElasticJobOptions);
    problems.push(...(definition.problems ?? []));
    if (definition.scheduleCronAfter) problems.push(CRON_DECORATOR_ORDER(where));
    if (definition.scheduleCron) {
      const fromCron = optionsFromCron(options, definition.scheduleCron, where);
      problems.push(...fromCron.problems);
      options = fromCron.options;
    }
    const result = resolveJobOptions(options, defaultOverwrite);
    problems.push(...result.problems);
    const first = seen.get(result.config.jobName);
    if (first) throw new JobConflictError(DUPLICATE_JOB(result.config.jobName, first, where));
    seen.set(result.config.jobName, where);
    resolved.push({
      definition,
      config: result.config,
      local: result.local,
      jobClassName: result.local.jobClassName ?? where,
    });
  }
  if (problems.length > 0) throw new InvalidJobOptionsError(problems);
  return resolved;
}
