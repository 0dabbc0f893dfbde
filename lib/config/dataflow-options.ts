import { STREAMING_PROCESS_PROP } from '../elastic-job.constants.js';
import type { DataflowJobOptions } from '../interfaces/dataflow-job.interface.js';
import type { JobDefinition } from './job-definitions.js';

/**
 * A `@ElasticDataflowJob()` class as a job definition: `streamingProcess` goes into `props` as
 * ElasticJob's `streaming.process` (so a Java instance reads it too), and the job root names
 * the class.
 */
export function dataflowDefinition(options: DataflowJobOptions, instance: object, className: string): JobDefinition {
  const { streamingProcess, ...rest } = options ?? ({} as DataflowJobOptions);
  const props = { ...(rest.props ?? {}) };
  if (streamingProcess !== undefined) props[STREAMING_PROCESS_PROP] = String(streamingProcess);
  const problems: string[] = [];
  if (streamingProcess !== undefined && typeof streamingProcess !== 'boolean') {
    problems.push(`Job "${rest.name}": streamingProcess ${JSON.stringify(streamingProcess)} must be true or false.`);
  }
  for (const method of ['fetchData', 'processData'] as const) {
    if (typeof (instance as Record<string, unknown>)[method] !== 'function') {
      problems.push(
        `Job "${rest.name}": ${className} is an @ElasticDataflowJob() without a ${method} method (DataflowJob<T>).`,
      );
    }
  }
  return {
    options: { ...rest, props, jobClassName: rest.jobClassName ?? className },
    instance,
    methodName: 'fetchData',
    className,
    kind: 'dataflow',
    problems,
  };
}
